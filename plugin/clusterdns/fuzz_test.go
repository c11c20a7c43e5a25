package clusterdns

import (
	"context"
	"testing"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// FuzzServeDNS sends any question a client can put on the wire to the cluster zone: every
// one must get a reply or an error rcode, never a panic. Run it longer with
// go test -run XXX -fuzz FuzzServeDNS ./plugin/clusterdns.
func FuzzServeDNS(f *testing.F) {
	for _, seed := range []string{
		"web.default.svc.cluster.local.", "_http._tcp.web.default.svc.cluster.local.", "http.tcp.web.default.svc.cluster.local.",
		"hl-0.hl.default.svc.cluster.local.", "10-244-0-5.web.default.svc.cluster.local.", "1-2-3-4.default.pod.cluster.local.",
		"10.0.96.10.in-addr.arpa.", "0.96.10.in-addr.arpa.", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.",
		"ext.default.svc.cluster.local.", "loop-a.default.svc.cluster.local.", "cluster.local.", "ns.dns.cluster.local.",
		"_.._tcp.svc.cluster.local.", "*.default.svc.cluster.local.", "a.b.c.d.e.f.svc.cluster.local.",
	} {
		f.Add(seed, uint16(dns.TypeA))
		f.Add(seed, uint16(dns.TypeSRV))
		f.Add(seed, uint16(dns.TypePTR))
	}
	h := newTestHandler(f, testBlock, testObjects)
	f.Fuzz(func(t *testing.T, name string, qtype uint16) {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		wire, err := m.Pack()
		if err != nil {
			return // not a question a client can send
		}
		if err := m.Unpack(wire); err != nil {
			return
		}
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		rcode, _ := h.ServeDNS(context.Background(), rec, m)
		if rec.Msg == nil && rcode == dns.RcodeSuccess {
			t.Fatalf("%q %d: no reply written and no error rcode", name, qtype)
		}
	})
}
