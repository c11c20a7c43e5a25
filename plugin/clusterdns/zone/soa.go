package zone

import (
	"github.com/coredns/coredns/plugin/pkg/dnsutil"

	"github.com/miekg/dns"
)

// SOANames returns the name server and mailbox of the SOA synthesized for a zone whose
// data has none: ns.dns.ZONE and hostmaster.ZONE, as the kubernetes plugin names them.
func SOANames(origin string) (ns, mbox string) {
	return dnsutil.Join("ns.dns", origin), dnsutil.Join("hostmaster", origin)
}

// SyntheticSOA returns the SOA of a zone whose data has none (the cluster zone, a private
// zone without a file), with the kubernetes plugin's refresh, retry and expire. ns and mbox
// come from SOANames, so that a caller answering per query computes them once.
func SyntheticSOA(owner, ns, mbox string, ttl, minttl, serial uint32) *dns.SOA {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: owner, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:      ns,
		Mbox:    mbox,
		Serial:  serial,
		Refresh: 7200, Retry: 1800, Expire: 86400,
		Minttl: minttl,
	}
}
