package zone_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"

	"github.com/miekg/dns"
)

// benchRecords returns the records of a private zone with n names generated as the other
// sources make them: an A and a TXT per service, an SRV per ingress, a CNAME per mesh host.
func benchRecords(n int) []dns.RR {
	rrs := make([]dns.RR, 0, 4*n)
	hdr := func(name string, t uint16) dns.RR_Header {
		return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: 30}
	}
	for i := range n {
		svc := fmt.Sprintf("svc%d.ns%d.svc.bench.test.", i, i%50)
		rrs = append(rrs,
			&dns.A{Hdr: hdr(svc, dns.TypeA), A: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i))},
			&dns.TXT{Hdr: hdr(svc, dns.TypeTXT), Txt: []string{"owner=team" + fmt.Sprint(i%20)}},
			&dns.SRV{Hdr: hdr("_http._tcp."+svc, dns.TypeSRV), Port: 80, Target: svc},
			&dns.CNAME{Hdr: hdr(fmt.Sprintf("host%d.mesh.bench.test.", i), dns.TypeCNAME), Target: svc},
		)
	}
	return append(rrs, &dns.A{Hdr: hdr("*.apps.bench.test.", dns.TypeA), A: net.IPv4(10, 255, 0, 1)})
}

func BenchmarkNew(b *testing.B) {
	rrs := benchRecords(1000) // 4,000 records, 3,000 names
	b.ReportAllocs()
	for b.Loop() {
		if _, err := zone.New("bench.test.", rrs, zone.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	z, err := zone.New("bench.test.", benchRecords(1000), zone.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct {
		name, qname string
		qtype       uint16
	}{
		{"exact", "svc500.ns0.svc.bench.test.", dns.TypeA},
		{"mixed case", "SVC500.ns0.svc.Bench.Test.", dns.TypeA},
		{"CNAME", "host500.mesh.bench.test.", dns.TypeA},
		{"wildcard", "shop.apps.bench.test.", dns.TypeA},
		{"NODATA", "svc500.ns0.svc.bench.test.", dns.TypeAAAA},
		{"NXDOMAIN", "nothere.ns0.svc.bench.test.", dns.TypeA},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				z.Lookup(q.qname, q.qtype)
			}
		})
	}
}
