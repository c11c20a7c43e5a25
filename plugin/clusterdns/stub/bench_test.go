package stub

import (
	"context"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// BenchmarkServeDNS measures a query answered by an in-process resolver over loopback: the network round
// trip dominates; the allocations are the stub's and the proxy's.
func BenchmarkServeDNS(b *testing.B) {
	a := startZoneServer(b, "a")
	benchmarkServeDNS(b, startStub(b, nil, a.Addr), dns.RcodeSuccess)
}

// BenchmarkServeDNSAllDown measures the answer when every resolver is down: nothing is sent.
func BenchmarkServeDNSAllDown(b *testing.B) {
	a := startZoneServer(b, "a")
	s := startStub(b, nil, a.Addr)
	a.Stop()
	ask(s, "database.myco.com.", dns.TypeA, false) // meets the dead resolver
	waitFor(b, 5*time.Second, "the stopped resolver out of rotation", func() bool { return !up(s)[0] })
	benchmarkServeDNS(b, s, dns.RcodeServerFailure)
}

func benchmarkServeDNS(b *testing.B, s *Stub, want int) {
	m := new(dns.Msg)
	m.SetQuestion("database.myco.com.", dns.TypeA)
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		rcode, _ := s.ServeDNS(ctx, rec, m)
		if rcode == dns.RcodeSuccess {
			rcode = rec.Rcode
		}
		if rcode != want {
			b.Fatalf("rcode %d, want %d", rcode, want)
		}
	}
}
