package clusterdns

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/plugin/whoami"
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// BenchmarkServeDNSVsWhoami runs a ClusterIP A query and CoreDNS's whoami through what the
// server does around a handler: the scrub writer and packing the reply into wire format.
// The target is the ratio of the two (ClusterIP A QPS >= 0.95x whoami's); compare
// their ns/op, or their CPU profiles (-cpuprofile), not absolute figures.
func BenchmarkServeDNSVsWhoami(b *testing.B) {
	h, _ := benchHandler(b)
	for _, bc := range []struct {
		name    string
		handler plugin.Handler
		qname   string
		qtype   uint16
	}{
		{"whoami", whoami.Whoami{}, "whoami.example.", dns.TypeA},
		{"ClusterIP_A", h, "svc-1.ns.svc.cluster.local.", dns.TypeA},
		// the rest of test/bench's query mix
		{"Headless_A", h, "svc-5.ns.svc.cluster.local.", dns.TypeA},
		{"SRV", h, "_http._tcp.svc-1.ns.svc.cluster.local.", dns.TypeSRV},
		{"Endpoint_A", h, "pod-1.svc-5.ns.svc.cluster.local.", dns.TypeA},
		{"NXDOMAIN", h, "missing-00001.ns.svc.cluster.local.", dns.TypeA},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := new(dns.Msg)
			req.SetQuestion(bc.qname, bc.qtype)
			w := &packer{}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.handler.ServeDNS(ctx, request.NewScrubWriter(req, w), req); err != nil || w.n == 0 {
					b.Fatalf("err %v, %d bytes", err, w.n)
				}
			}
		})
	}
}

// packer packs every reply into a reused buffer, as the server's writer packs it before
// sending it.
type packer struct {
	test.ResponseWriter
	buf []byte
	n   int
}

func (p *packer) WriteMsg(m *dns.Msg) error {
	if p.buf == nil {
		p.buf = make([]byte, dns.MaxMsgSize)
	}
	out, err := m.PackBuffer(p.buf)
	p.n = len(out)
	return err
}

// BenchmarkServeDNSRandomNames asks the 4,000 ClusterIP names of benchHandler in a shuffled
// order, as dnsperf does: a single name stays in the CPU caches, these miss them as a real
// server's queries do (at 10k Services the index lookup was 10% of the server's CPU).
func BenchmarkServeDNSRandomNames(b *testing.B) {
	h, _ := benchHandler(b)
	var reqs []*dns.Msg
	for i := range 5000 {
		if i%5 != 0 { // not headless
			m := new(dns.Msg)
			m.SetQuestion(fmt.Sprintf("svc-%d.ns.svc.cluster.local.", i), dns.TypeA)
			reqs = append(reqs, m)
		}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
	w := &packer{}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := reqs[i%len(reqs)]
		i++
		if _, err := h.ServeDNS(ctx, request.NewScrubWriter(req, w), req); err != nil || w.n == 0 {
			b.Fatalf("err %v, %d bytes", err, w.n)
		}
	}
}
