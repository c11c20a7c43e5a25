package clusterdns

import (
	"net/netip"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// A headless cluster DNS Service's NS records follow its slice: a second replica added to
// the slice holding the server's address becomes a name server too, and the records fall
// back to ns.dns when the server's own endpoint goes.
func TestNameServersHeadlessFollow(t *testing.T) {
	h, st := handlerFromYAML(t, "clusterdns cluster.local", `
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: kube-system}
spec: {clusterIP: None}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dns-1, namespace: kube-system, labels: {kubernetes.io/service-name: dns}}
addressType: IPv4
endpoints: [{addresses: [10.244.0.20]}]
`, []netip.Addr{netip.MustParseAddr("10.244.0.20")}, nil)

	ns := func(names ...string) []dns.RR {
		var rrs []dns.RR
		for _, n := range names {
			rrs = append(rrs, test.NS("cluster.local.	5	IN	NS	"+n))
		}
		return rrs
	}
	one := test.Case{Qname: "cluster.local.", Qtype: dns.TypeNS,
		Answer: ns("10-244-0-20.dns.kube-system.svc.cluster.local."),
		Extra:  []dns.RR{test.A("10-244-0-20.dns.kube-system.svc.cluster.local.	5	IN	A	10.244.0.20")}}
	run(t, h, []test.Case{one})

	ip := func(s string) []netip.Addr { return []netip.Addr{netip.MustParseAddr(s)} }
	st.UpsertSlice(&model.EndpointSlice{Meta: model.Meta{Namespace: "kube-system", Name: "dns-1", ResourceVersion: "2"}, Service: "dns",
		Endpoints: []model.Endpoint{{Addresses: ip("10.244.0.20")}, {Addresses: ip("10.244.1.20")}}})
	two := test.Case{Qname: "cluster.local.", Qtype: dns.TypeNS,
		Answer: ns("10-244-0-20.dns.kube-system.svc.cluster.local.", "10-244-1-20.dns.kube-system.svc.cluster.local."),
		Extra: []dns.RR{
			test.A("10-244-0-20.dns.kube-system.svc.cluster.local.	5	IN	A	10.244.0.20"),
			test.A("10-244-1-20.dns.kube-system.svc.cluster.local.	5	IN	A	10.244.1.20"),
		}}
	waitAnswer(t, h, two)

	st.UpsertSlice(&model.EndpointSlice{Meta: model.Meta{Namespace: "kube-system", Name: "dns-1", ResourceVersion: "3"}, Service: "dns",
		Endpoints: []model.Endpoint{{Addresses: ip("10.244.1.20")}}})
	waitAnswer(t, h, test.Case{Qname: "cluster.local.", Qtype: dns.TypeNS, Answer: ns("ns.dns.cluster.local."),
		Extra: []dns.RR{test.A("ns.dns.cluster.local.	5	IN	A	10.244.0.20")}})
}
