package index

import (
	"net"

	"github.com/miekg/dns"
)

// AddressRR returns the A record (a 4-byte ip) or AAAA record (a 16-byte ip) of hdr's
// name; hdr's Rrtype is set here. Every address record clusterdns builds, in the cluster
// zone and in private zones, comes from here.
func AddressRR(hdr dns.RR_Header, ip net.IP) dns.RR {
	if len(ip) == net.IPv4len {
		hdr.Rrtype = dns.TypeA
		return &dns.A{Hdr: hdr, A: ip}
	}
	hdr.Rrtype = dns.TypeAAAA
	return &dns.AAAA{Hdr: hdr, AAAA: ip}
}
