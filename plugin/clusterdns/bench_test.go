package clusterdns

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// benchHandler indexes 5,000 services (every fifth headless) with four endpoints each.
func benchHandler(b testing.TB) (*ClusterDNS, *model.Store) {
	cfg, err := parse(caddy.NewTestController("dns", "clusterdns cluster.local in-addr.arpa ip6.arpa"))
	if err != nil {
		b.Fatal(err)
	}
	st := model.NewStore()
	st.SetNamespace("ns", true)
	for i := range 5000 {
		name := fmt.Sprintf("svc-%d", i)
		s := &model.Service{Ports: []model.Port{{Name: "http", Protocol: "TCP", Port: 80}}}
		s.Name, s.Namespace = name, "ns"
		if i%5 == 0 {
			s.Headless = true
		} else {
			s.ClusterIPs = []netip.Addr{netip.AddrFrom4([4]byte{10, 96, byte(i >> 8), byte(i)})}
		}
		st.UpsertService(s)
		sl := &model.EndpointSlice{Service: name, Ports: s.Ports}
		sl.Name, sl.Namespace = name+"-1", "ns"
		for j := range 4 {
			sl.Endpoints = append(sl.Endpoints, model.Endpoint{
				Addresses: []netip.Addr{netip.AddrFrom4([4]byte{10, byte(j), byte(i >> 8), byte(i)})},
				Hostname:  fmt.Sprintf("pod-%d", j),
			})
		}
		st.UpsertSlice(sl)
	}
	st.SetSynced()
	h := newClusterDNS(cfg)
	h.index.Start(st, nil)
	b.Cleanup(h.index.Stop)
	waitReady(b, h)
	return h, st
}

func BenchmarkServeDNS(b *testing.B) {
	h, _ := benchHandler(b)
	for _, bc := range []struct {
		name  string
		qname string
		qtype uint16
		rcode int
	}{
		{"ClusterIP_A", "svc-1.ns.svc.cluster.local.", dns.TypeA, dns.RcodeSuccess},
		{"Headless_A", "svc-5.ns.svc.cluster.local.", dns.TypeA, dns.RcodeSuccess},
		{"SRV", "_http._tcp.svc-1.ns.svc.cluster.local.", dns.TypeSRV, dns.RcodeSuccess},
		{"NXDOMAIN", "nope.ns.svc.cluster.local.", dns.TypeA, dns.RcodeNameError},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := new(dns.Msg)
			req.SetQuestion(bc.qname, bc.qtype)
			w := &recorder{}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.ServeDNS(ctx, w, req); err != nil || w.rcode != bc.rcode {
					b.Fatalf("rcode %d, err %v", w.rcode, err)
				}
			}
		})
	}
}

// recorder keeps only the rcode, so the benchmark measures the handler, not a copy.
type recorder struct {
	test.ResponseWriter
	rcode int
}

func (r *recorder) WriteMsg(m *dns.Msg) error { r.rcode = m.Rcode; return nil }

// BenchmarkUpdate measures one EndpointSlice change on a 5,000-service index: rebuild of
// that service's names and publication of a new snapshot.
func BenchmarkUpdate(b *testing.B) {
	h, st := benchHandler(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		sl := &model.EndpointSlice{Service: "svc-7", Ports: []model.Port{{Name: "http", Protocol: "TCP", Port: 80}},
			Endpoints: []model.Endpoint{{Addresses: []netip.Addr{netip.AddrFrom4([4]byte{11, byte(i >> 16), byte(i >> 8), byte(i)})}}}}
		sl.Name, sl.Namespace = "svc-7-1", "ns"
		before := h.index.Snapshot()
		st.UpsertSlice(sl)
		for h.index.Snapshot() == before {
			// spin: the publication is asynchronous
		}
	}
}
