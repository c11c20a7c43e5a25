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

// AddressRRs returns the records of ips at hdr's name, as AddressRR does, allocated
// together: a headless Service answers with many, per query. The records are built per
// reply rather than stored, as answers keep the case the client asked in.
func AddressRRs(hdr dns.RR_Header, ips []net.IP) []dns.RR {
	if len(ips) == 0 {
		return nil
	}
	rrs := make([]dns.RR, len(ips))
	if allLen(ips, net.IPv4len) {
		hdr.Rrtype = dns.TypeA
		as := make([]dns.A, len(ips))
		for i, ip := range ips {
			as[i] = dns.A{Hdr: hdr, A: ip}
			rrs[i] = &as[i]
		}
		return rrs
	}
	for i, ip := range ips { // mixed families: rare
		rrs[i] = AddressRR(hdr, ip)
	}
	return rrs
}

func allLen(ips []net.IP, n int) bool {
	for _, ip := range ips {
		if len(ip) != n {
			return false
		}
	}
	return true
}
