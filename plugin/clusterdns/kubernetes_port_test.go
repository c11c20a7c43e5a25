package clusterdns

import (
	"context"
	"net/netip"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// The kubernetes plugin's own handler tests, ported: CoreDNS v1.15.0,
// plugin/kubernetes/handler_test.go (TestServeDNS: commonDnsTestCases and dnsTestCases,
// TestServeNamespaceDNS, TestNotSyncedServeDNS) and handler_case_test.go (TestPreserveCase).
// Same queries, same expected answers (the plugin's TTL of 5 is our default too); a case
// whose answer differs says why, naming a difference of the README ("Differences from the
// kubernetes plugin"). The pod-mode and ignore empty_service tables are in options_test.go.
//
// portObjects is the plugin's APIConnServeTest fixture (svcIndex, epsIndex) as the API server
// would hold it: its Endpoints become EndpointSlices, one per address family (a slice has a
// single addressType), a portless endpoint (Port -1) is a slice without ports, and the
// Namespaces that GetNamespaceByName says exist are Namespace objects. The multicluster
// fixtures (svcImportIndex, mcEpsIndex) belong to the multicluster port.
const portObjects = `
apiVersion: v1
kind: Namespace
metadata: {name: testns}
---
apiVersion: v1
kind: Namespace
metadata: {name: unexposedns}
---
apiVersion: v1
kind: Service
metadata: {name: kubedns, namespace: kube-system}
spec: {clusterIP: 10.0.0.10, ports: [{name: dns, port: 53, protocol: UDP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: kubedns, namespace: kube-system, labels: {kubernetes.io/service-name: kubedns}}
addressType: IPv4
ports: [{name: dns, port: 53, protocol: UDP}]
endpoints: [{addresses: [172.0.0.100]}]
---
apiVersion: v1
kind: Service
metadata: {name: svc1, namespace: testns}
spec: {clusterIP: 10.0.0.1, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc1-slice1, namespace: testns, labels: {kubernetes.io/service-name: svc1}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints: [{addresses: [172.0.0.1], hostname: ep1a}]
---
apiVersion: v1
kind: Service
metadata: {name: svcempty, namespace: testns}
spec: {clusterIP: 10.0.0.1, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svcempty-slice1, namespace: testns, labels: {kubernetes.io/service-name: svcempty}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints: []
---
apiVersion: v1
kind: Service
metadata: {name: svc6, namespace: testns}
spec: {clusterIP: "1234:abcd::1", ipFamilies: [IPv6], ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: hdls1, namespace: testns}
spec: {clusterIP: None}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hdls1-slice1, namespace: testns, labels: {kubernetes.io/service-name: hdls1}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- addresses: [172.0.0.2]
- addresses: [172.0.0.3]
- {addresses: [172.0.0.4], hostname: dup-name}
- {addresses: [172.0.0.5], hostname: dup-name}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hdls1-slice2, namespace: testns, labels: {kubernetes.io/service-name: hdls1}}
addressType: IPv6
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- addresses: ["5678:abcd::1"]
- addresses: ["5678:abcd::2"]
---
apiVersion: v1
kind: Service
metadata: {name: external, namespace: testns}
spec: {type: ExternalName, externalName: ext.interwebs.test, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: external-to-service, namespace: testns}
spec: {type: ExternalName, externalName: svc1.testns.svc.cluster.local., ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: hdlsprtls, namespace: testns}
spec: {clusterIP: None}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hdlsprtls-slice1, namespace: testns, labels: {kubernetes.io/service-name: hdlsprtls}}
addressType: IPv4
endpoints: [{addresses: [172.0.0.20]}]
---
apiVersion: v1
kind: Service
metadata: {name: svc1, namespace: unexposedns}
spec: {clusterIP: 10.0.0.2, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: svc-dual-stack, namespace: testns}
spec: {clusterIP: 10.0.0.3, clusterIPs: [10.0.0.3, "10::3"], ports: [{name: http, port: 80, protocol: TCP}]}
`

// portSOA is the plugin's negative-answer SOA, "cluster.local. 5 IN SOA ns.dns.cluster.local.
// hostmaster.cluster.local. 1499347823 7200 1800 86400 5": serials are not compared
// (difference 4).
var portSOA = []dns.RR{soaTTL("cluster.local.", 5)}

// TestPortServeDNS is TestServeDNS: a block with `namespaces testns` (k.Namespaces).
func TestPortServeDNS(t *testing.T) {
	h := newTestHandler(t, "clusterdns cluster.local {\n namespaces testns\n}", portObjects)
	runPort(t, h, false, []test.Case{
		// commonDnsTestCases
		{Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("svc1.testns.svc.cluster.local.	5	IN	A	10.0.0.1")}},
		{Qname: "svcempty.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("svcempty.testns.svc.cluster.local.	5	IN	A	10.0.0.1")}},
		{Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("svc1.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc1.testns.svc.cluster.local.")},
			Extra:  []dns.RR{test.A("svc1.testns.svc.cluster.local.	5	IN	A	10.0.0.1")}},
		{Qname: "svcempty.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("svcempty.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svcempty.testns.svc.cluster.local.")},
			Extra:  []dns.RR{test.A("svcempty.testns.svc.cluster.local.	5	IN	A	10.0.0.1")}},
		{Qname: "svc6.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("svc6.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc6.testns.svc.cluster.local.")},
			Extra:  []dns.RR{test.AAAA("svc6.testns.svc.cluster.local.	5	IN	AAAA	1234:abcd::1")}},
		{Qname: "_http._tcp.svc1.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("_http._tcp.svc1.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc1.testns.svc.cluster.local.")},
			Extra:  []dns.RR{test.A("svc1.testns.svc.cluster.local.	5	IN	A	10.0.0.1")}},
		{Qname: "_http._tcp.svcempty.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("_http._tcp.svcempty.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svcempty.testns.svc.cluster.local.")},
			Extra:  []dns.RR{test.A("svcempty.testns.svc.cluster.local.	5	IN	A	10.0.0.1")}},
		{Qname: "hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.2"),
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.3"),
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.4"),
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.5"),
		}},
		{Qname: "hdlsprtls.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("hdlsprtls.testns.svc.cluster.local.	5	IN	A	172.0.0.20")}},
		{Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeAAAA, Ns: portSOA},
		{Qname: "svc0.testns.svc.cluster.local.", Qtype: dns.TypeAAAA, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "svc0.testns.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "svc0.svc-nons.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "dns-version.cluster.local.", Qtype: dns.TypeTXT,
			Answer: []dns.RR{test.TXT("dns-version.cluster.local 28800 IN TXT 1.1.0")}},
		{Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeTXT, Ns: portSOA},
		{Qname: "svc0.svc-nons.svc.cluster.local.", Qtype: dns.TypeTXT, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "bogusendpoint.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "bogusendpoint.svc0.testns.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "svc6.testns.svc.cluster.local.", Qtype: dns.TypeAAAA,
			Answer: []dns.RR{test.AAAA("svc6.testns.svc.cluster.local.	5	IN	AAAA	1234:abcd::1")}},
		{Qname: "_http._tcp.svc6.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("_http._tcp.svc6.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc6.testns.svc.cluster.local.")},
			Extra:  []dns.RR{test.AAAA("svc6.testns.svc.cluster.local.	5	IN	AAAA	1234:abcd::1")}},
		{Qname: "hdls1.testns.svc.cluster.local.", Qtype: dns.TypeAAAA, Answer: []dns.RR{
			test.AAAA("hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::1"),
			test.AAAA("hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::2"),
		}},
		{Qname: "svc.cluster.local.", Qtype: dns.TypeA, Ns: portSOA},
		{Qname: "pod.cluster.local.", Qtype: dns.TypeA, Ns: portSOA},
		{Qname: "testns.svc.cluster.local.", Qtype: dns.TypeA, Ns: portSOA},
		{Qname: "svc.cluster.local.", Qtype: dns.TypeNS, Ns: portSOA},
		{Qname: "testns.svc.cluster.local.", Qtype: dns.TypeNS, Ns: portSOA},
		{Qname: "foo.cluster.local.", Qtype: dns.TypeNS, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "foo.svc.cluster.local.", Qtype: dns.TypeNS, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "svc-dual-stack.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("svc-dual-stack.testns.svc.cluster.local.	5	IN	A	10.0.0.3")}},
		{Qname: "svc-dual-stack.testns.svc.cluster.local.", Qtype: dns.TypeAAAA,
			Answer: []dns.RR{test.AAAA("svc-dual-stack.testns.svc.cluster.local.	5	IN	AAAA	10::3")}},
		{Qname: "svc-dual-stack.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("svc-dual-stack.testns.svc.cluster.local.	5	IN	SRV	0 50 80 svc-dual-stack.testns.svc.cluster.local.")},
			Extra: []dns.RR{
				test.A("svc-dual-stack.testns.svc.cluster.local.	5	IN	A	10.0.0.3"),
				test.AAAA("svc-dual-stack.testns.svc.cluster.local.	5	IN	AAAA	10::3"),
			}},
		{Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeSOA, Ns: portSOA},
		{Qname: "endpoint.external.testns.svc.cluster.local.", Qtype: dns.TypeCNAME, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "subdomain.subdomain.external.testns.svc.cluster.local.", Qtype: dns.TypeCNAME, Rcode: dns.RcodeNameError, Ns: portSOA},

		// dnsTestCases
		{Qname: "_http._tcp.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeSRV, Answer: []dns.RR{
			test.SRV("_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 16 80 172-0-0-2.hdls1.testns.svc.cluster.local."),
			test.SRV("_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 16 80 172-0-0-3.hdls1.testns.svc.cluster.local."),
			test.SRV("_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 16 80 5678-abcd--1.hdls1.testns.svc.cluster.local."),
			test.SRV("_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 16 80 5678-abcd--2.hdls1.testns.svc.cluster.local."),
			test.SRV("_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 16 80 dup-name.hdls1.testns.svc.cluster.local."),
		}, Extra: []dns.RR{
			test.A("172-0-0-2.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.2"),
			test.A("172-0-0-3.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.3"),
			test.AAAA("5678-abcd--1.hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::1"),
			test.AAAA("5678-abcd--2.hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::2"),
			test.A("dup-name.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.4"),
			test.A("dup-name.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.5"),
		}},
		{Qname: "5678-abcd--2.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeAAAA,
			Answer: []dns.RR{test.AAAA("5678-abcd--2.hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::2")}},
		{Qname: "5678-abcd--1.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeAAAA,
			Answer: []dns.RR{test.AAAA("5678-abcd--1.hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::1")}},
		{Qname: "172-0-0-20.hdlsprtls.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("172-0-0-20.hdlsprtls.testns.svc.cluster.local.	5	IN	A	172.0.0.20")}},
		{Qname: "172-0-0-2.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("172-0-0-2.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.2")}},
		{Qname: "172-0-0-3.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("172-0-0-3.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.3")}},
		{Qname: "dup-name.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("dup-name.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.4"),
			test.A("dup-name.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.5"),
		}},
		{Qname: "external.testns.svc.cluster.local.", Qtype: dns.TypeCNAME,
			Answer: []dns.RR{test.CNAME("external.testns.svc.cluster.local.	5	IN	CNAME	ext.interwebs.test.")}},
		{Qname: "external-to-service.testns.svc.cluster.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.CNAME("external-to-service.testns.svc.cluster.local.	5	IN	CNAME	svc1.testns.svc.cluster.local."),
			test.A("svc1.testns.svc.cluster.local.	5	IN	A	10.0.0.1"),
		}},
	})
}

// TestPortServeDNSTruncated is dnsTestCases' "CNAME External Truncated Lookup": the
// upstream's truncated answer for the ExternalName's target sets TC on ours.
func TestPortServeDNSTruncated(t *testing.T) {
	h := newTestHandler(t, "clusterdns cluster.local {\n namespaces testns\n}", portObjects)
	h.Upstream = &portUpstub{Truncated: true, Qclass: dns.ClassINET, Case: test.Case{
		Qname: "external.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Answer: []dns.RR{
			test.A("ext.interwebs.test.	5	IN	A	1.2.3.4"),
			test.CNAME("external.testns.svc.cluster.local.	5	IN	CNAME	ext.interwebs.test."),
		},
	}}
	runPort(t, h, true, []test.Case{
		{Qname: "external.testns.svc.cluster.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("ext.interwebs.test.	5	IN	A	1.2.3.4"),
			test.CNAME("external.testns.svc.cluster.local.	5	IN	CNAME	ext.interwebs.test."),
		}},
	})
}

// runPort is run with the plugin test's further checks: the TC bit, and no CNAME after the
// records of its target.
func runPort(t *testing.T, h *ClusterDNS, truncated bool, cases []test.Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(dns.TypeToString[tc.Qtype]+" "+tc.Qname, func(t *testing.T) {
			rec := dnstest.NewRecorder(&test.ResponseWriter{})
			if _, err := h.ServeDNS(context.Background(), rec, tc.Msg()); err != nil {
				t.Fatal(err)
			}
			if rec.Msg == nil {
				t.Fatal("no reply written")
			}
			if rec.Msg.Truncated != truncated {
				t.Errorf("truncated %t, want %t", rec.Msg.Truncated, truncated)
			}
			if err := test.CNAMEOrder(rec.Msg); err != nil {
				t.Error(err)
			}
			if err := test.SortAndCheck(rec.Msg, tc); err != nil {
				t.Error(err)
			}
		})
	}
}

// portUpstub is the plugin test's Upstub: an upstream that returns a set answer, without
// the CNAME of the question's name unless CNAME was asked.
type portUpstub struct {
	test.Case
	Truncated bool
	Qclass    uint16
}

func (u *portUpstub) Lookup(_ context.Context, _ request.Request, _ string, _ uint16) (*dns.Msg, error) {
	var answer []dns.RR
	if u.Qtype != dns.TypeCNAME {
		for _, a := range u.Answer {
			if c, ok := a.(*dns.CNAME); ok && c.Header().Name == u.Qname {
				continue
			}
			answer = append(answer, a)
		}
	} else {
		answer = u.Answer
	}
	return &dns.Msg{
		MsgHdr:   dns.MsgHdr{Response: true, Truncated: u.Truncated, Rcode: u.Rcode},
		Question: []dns.Question{{Name: u.Qname, Qtype: u.Qtype, Qclass: u.Qclass}},
		Answer:   answer, Extra: u.Extra, Ns: u.Ns,
	}, nil
}

// TestPortServeNamespaceDNS is TestServeNamespaceDNS: no namespaces option, so every
// namespace that exists is served. The plugin's test ignores SortAndCheck's result and its
// SOA (TTL 300, minimum 30) is not what the plugin sends; this one checks, with the SOA the
// plugin sends (TTL 5).
func TestPortServeNamespaceDNS(t *testing.T) {
	h := newTestHandler(t, "clusterdns cluster.local", portObjects)
	run(t, h, []test.Case{
		{Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("svc1.testns.svc.cluster.local.	5	IN	A	10.0.0.1")}},
		{Qname: "svc1.nsnoexist.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: portSOA},
	})
}

// TestPortNotSyncedServeDNS is TestNotSyncedServeDNS: before the first sync a name not
// found is SERVFAIL, not NXDOMAIN, with the SOA. The index is never started, so its
// snapshot is the empty, unsynced one.
func TestPortNotSyncedServeDNS(t *testing.T) {
	cfg, err := parse(caddy.NewTestController("dns", "clusterdns cluster.local {\n namespaces testns\n}"))
	if err != nil {
		t.Fatal(err)
	}
	h := newClusterDNS(cfg)
	runPort(t, h, false, []test.Case{
		{Qname: "svc0.testns.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeServerFailure, Ns: portSOA},
	})
}

// TestPortPreserveCase is handler_case_test.go's TestPreserveCase (ignore empty_service):
// names in answers keep the case of the question.
func TestPortPreserveCase(t *testing.T) {
	h := newTestHandler(t, "clusterdns cluster.local {\n ignore empty_service\n}", portObjects)
	run(t, h, []test.Case{
		{Qname: "not-a-service.testns.svc.ClUsTeR.lOcAl.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soaTTL("ClUsTeR.lOcAl.", 5)}},
		{Qname: "SvC1.TeStNs.SvC.cLuStEr.LoCaL.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("SvC1.TeStNs.SvC.cLuStEr.LoCaL.	5	IN	A	10.0.0.1")}},
		{Qname: "_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("_HtTp._TcP.sVc1.TeStNs.SvC.cLuStEr.LoCaL.	5	IN	SRV	0 100 80 svc1.testns.svc.cLuStEr.LoCaL.")},
			Extra:  []dns.RR{test.A("svc1.testns.svc.cLuStEr.LoCaL.	5	IN	A	10.0.0.1")}},
		{Qname: "Cluster.local.", Qtype: dns.TypeSOA, Answer: []dns.RR{soaTTL("Cluster.local.", 5)}},
	})
}

// newPortHandler is newTestHandler for a server listening on localIPs (the plugin's
// k.localIPs), without newTestHandler's namespaces default and empty.
func newPortHandler(t *testing.T, block, manifestYAML string, localIPs ...string) *ClusterDNS {
	t.Helper()
	var ips []netip.Addr
	for _, s := range localIPs {
		ips = append(ips, netip.MustParseAddr(s))
	}
	h, _ := handlerFromYAML(t, block, manifestYAML, ips, nil)
	return h
}

// TestPortServeDNSApex is kubernetes_apex_test.go's TestServeDNSApex: the same fixture
// (APIConnServeTest), a server listening on 127.0.0.1, no namespaces option.
func TestPortServeDNSApex(t *testing.T) {
	h := newPortHandler(t, "clusterdns cluster.local", portObjects, "127.0.0.1")
	run(t, h, []test.Case{
		{Qname: "cluster.local.", Qtype: dns.TypeSOA, Answer: portSOA},
		{Qname: "cluster.local.", Qtype: dns.TypeHINFO, Ns: portSOA},
		{Qname: "cluster.local.", Qtype: dns.TypeNS,
			Answer: []dns.RR{test.NS("cluster.local. 5     IN      NS     ns.dns.cluster.local.")},
			Extra:  []dns.RR{test.A("ns.dns.cluster.local.   5       IN      A       127.0.0.1")}},
		{Qname: "cluster.local.", Qtype: dns.TypeA, Ns: portSOA},
		{Qname: "cluster.local.", Qtype: dns.TypeAAAA, Ns: portSOA},
		{Qname: "cluster.local.", Qtype: dns.TypeSRV, Ns: portSOA},
	})
}

// reverseObjects is reverse_test.go's APIConnReverseTest as objects: svc1's endpoints in
// three slices (one IPv6, one repeating an IPv4 address: EndpointSlice skew), and svc2, whose
// only endpoint is also svc1's (the plugin's fixture shows svc2 only by that endpoint; it is
// headless here so that it adds no PTR record of its own).
const reverseObjects = `
apiVersion: v1
kind: Namespace
metadata: {name: testns}
---
apiVersion: v1
kind: Service
metadata: {name: svc1, namespace: testns}
spec: {clusterIP: 192.168.1.100, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc1-slice1, namespace: testns, labels: {kubernetes.io/service-name: svc1}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- {addresses: [10.0.0.100], hostname: ep1a}
- {addresses: [10.0.0.99], hostname: double-ep}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc1-slice2, namespace: testns, labels: {kubernetes.io/service-name: svc1}}
addressType: IPv6
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- {addresses: ["1234:abcd::1"], hostname: ep1b}
- {addresses: ["fd00:77:30::a"], hostname: ip6svc1ex}
- {addresses: ["fd00:77:30::2:9ba6"], hostname: ip6svc1in}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc1-ccccc, namespace: testns, labels: {kubernetes.io/service-name: svc1}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- {addresses: [10.0.0.100], hostname: ep1a}
---
apiVersion: v1
kind: Service
metadata: {name: svc2, namespace: testns}
spec: {clusterIP: None, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc2-slice1, namespace: testns, labels: {kubernetes.io/service-name: svc2}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- {addresses: [10.0.0.99], hostname: double-ep}
`

// TestPortReverse is reverse_test.go's TestReverse: the same zones, the same queries.
func TestPortReverse(t *testing.T) {
	const block = `clusterdns cluster.local 0.10.in-addr.arpa 168.192.in-addr.arpa 0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa 0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa`
	h := newPortHandler(t, block, reverseObjects)
	run(t, h, []test.Case{
		{Qname: "100.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.PTR("100.0.0.10.in-addr.arpa.      5    IN      PTR       ep1a.svc1.testns.svc.cluster.local.")}},
		{Qname: "100.1.168.192.in-addr.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.PTR("100.1.168.192.in-addr.arpa.     5     IN      PTR       svc1.testns.svc.cluster.local.")}},
		{Qname: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.PTR("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa. 5 IN PTR ep1b.svc1.testns.svc.cluster.local.")}},
		{Qname: "a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.PTR("a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa. 5 IN PTR ip6svc1ex.svc1.testns.svc.cluster.local.")}},
		{Qname: "6.a.b.9.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.PTR("6.a.b.9.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.7.7.0.0.0.0.d.f.ip6.arpa. 5 IN PTR ip6svc1in.svc1.testns.svc.cluster.local.")}},
		{Qname: "101.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soaTTL("0.10.in-addr.arpa.", 5)}},
		{Qname: "example.org.cluster.local.", Qtype: dns.TypePTR, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypePTR, Ns: portSOA},
		{Qname: "svc1.testns.svc.0.10.in-addr.arpa.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soaTTL("0.10.in-addr.arpa.", 5)}},
		{Qname: "100.0.0.10.cluster.local.", Qtype: dns.TypePTR, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "99.0.0.10.in-addr.arpa.", Qtype: dns.TypePTR, Answer: []dns.RR{
			test.PTR("99.0.0.10.in-addr.arpa.      5    IN      PTR       double-ep.svc1.testns.svc.cluster.local."),
			test.PTR("99.0.0.10.in-addr.arpa.      5    IN      PTR       double-ep.svc2.testns.svc.cluster.local."),
		}},
	})
}

// nsObjects is ns_test.go's APIConnTest: three Services with an endpoint at the server's
// own address, one of them headless and one IPv6 only.
const nsObjects = `
apiVersion: v1
kind: Service
metadata: {name: dns-service, namespace: kube-system}
spec: {clusterIP: 10.0.0.111}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dns-service-slice1, namespace: kube-system, labels: {kubernetes.io/service-name: dns-service}}
addressType: IPv4
endpoints: [{addresses: [10.244.0.20]}]
---
apiVersion: v1
kind: Service
metadata: {name: hdls-dns-service, namespace: kube-system}
spec: {clusterIP: None}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hdls-dns-service-slice1, namespace: kube-system, labels: {kubernetes.io/service-name: hdls-dns-service}}
addressType: IPv4
endpoints: [{addresses: [10.244.0.20]}]
---
apiVersion: v1
kind: Service
metadata: {name: dns6-service, namespace: kube-system}
spec: {clusterIP: "10::111", ipFamilies: [IPv6]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dns6-service-slice1, namespace: kube-system, labels: {kubernetes.io/service-name: dns6-service}}
addressType: IPv4
endpoints: [{addresses: [10.244.0.20]}]
`

// TestPortNsAddrs is ns_test.go's TestNsAddrs, asked as the plugin answers it: the NS
// records of the zone name the Services with an endpoint at the server's address, their
// addresses in the additional section.
func TestPortNsAddrs(t *testing.T) {
	h := newPortHandler(t, "clusterdns inter.webs.test", nsObjects, "10.244.0.20")
	run(t, h, []test.Case{
		{Qname: "inter.webs.test.", Qtype: dns.TypeNS, Answer: []dns.RR{
			test.NS("inter.webs.test.	5	IN	NS	10-244-0-20.hdls-dns-service.kube-system.svc.inter.webs.test."),
			test.NS("inter.webs.test.	5	IN	NS	dns-service.kube-system.svc.inter.webs.test."),
			test.NS("inter.webs.test.	5	IN	NS	dns6-service.kube-system.svc.inter.webs.test."),
		}, Extra: []dns.RR{
			test.A("10-244-0-20.hdls-dns-service.kube-system.svc.inter.webs.test.	5	IN	A	10.244.0.20"),
			test.A("dns-service.kube-system.svc.inter.webs.test.	5	IN	A	10.0.0.111"),
			test.AAAA("dns6-service.kube-system.svc.inter.webs.test.	5	IN	AAAA	10::111"),
		}},
	})
}

// TestPortServicesAuthority is kubernetes_test.go's TestServicesAuthority, whose table asks
// the plugin's Services for ns.dns.zone with the server on an IPv4 address, an IPv6 one or
// both; ported as the answers those services become (A and AAAA of ns.dns, and the apex NS
// records for the NS row). No Service has an endpoint on these addresses, as in the
// plugin's fixture.
func TestPortServicesAuthority(t *testing.T) {
	soa := []dns.RR{soaTTL("interwebs.test.", 5)}
	h := newPortHandler(t, "clusterdns interwebs.test", "", "1.2.3.4")
	run(t, h, []test.Case{
		{Qname: "ns.dns.interwebs.test.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("ns.dns.interwebs.test.	5	IN	A	1.2.3.4")}},
		{Qname: "ns.dns.interwebs.test.", Qtype: dns.TypeAAAA, Ns: soa},
	})
	h = newPortHandler(t, "clusterdns interwebs.test", "", "1:2::3:4")
	run(t, h, []test.Case{
		{Qname: "ns.dns.interwebs.test.", Qtype: dns.TypeA, Ns: soa},
		{Qname: "ns.dns.interwebs.test.", Qtype: dns.TypeAAAA,
			Answer: []dns.RR{test.AAAA("ns.dns.interwebs.test.	5	IN	AAAA	1:2::3:4")}},
	})
	h = newPortHandler(t, "clusterdns interwebs.test", "", "1.2.3.4", "1:2::3:4")
	run(t, h, []test.Case{
		{Qname: "interwebs.test.", Qtype: dns.TypeNS,
			Answer: []dns.RR{test.NS("interwebs.test.	5	IN	NS	ns.dns.interwebs.test.")},
			Extra: []dns.RR{
				test.A("ns.dns.interwebs.test.	5	IN	A	1.2.3.4"),
				test.AAAA("ns.dns.interwebs.test.	5	IN	AAAA	1:2::3:4"),
			}},
	})
}

// zonalObjects is zonal_test.go's APIConnZonalTest: a headless Service whose three
// endpoints are in two zones, and a ClusterIP Service.
const zonalObjects = `
apiVersion: v1
kind: Namespace
metadata: {name: testns}
---
apiVersion: v1
kind: Service
metadata: {name: hdls, namespace: testns}
spec: {clusterIP: None}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hdls-slice, namespace: testns, labels: {kubernetes.io/service-name: hdls}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- {addresses: [172.0.0.1], zone: us-west-2a}
- {addresses: [172.0.0.2], zone: us-west-2b}
- {addresses: [172.0.0.3], zone: us-west-2b}
---
apiVersion: v1
kind: Service
metadata: {name: clstr, namespace: testns}
spec: {clusterIP: 10.0.0.10, ports: [{name: http, port: 80, protocol: TCP}]}
`

// TestPortServeDNSZonal is zonal_test.go's TestServeDNSZonal: zonalTestCases with the
// zonal option, zonalDisabledTestCases without.
func TestPortServeDNSZonal(t *testing.T) {
	h := newPortHandler(t, "clusterdns cluster.local {\n namespaces testns\n zonal\n}", zonalObjects)
	run(t, h, []test.Case{
		{Qname: "us-west-2a.pin._zone.hdls.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("us-west-2a.pin._zone.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.1")}},
		{Qname: "us-west-2b.pin._zone.hdls.testns.svc.cluster.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("us-west-2b.pin._zone.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.2"),
			test.A("us-west-2b.pin._zone.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.3"),
		}},
		{Qname: "us-west-2c.pin._zone.hdls.testns.svc.cluster.local.", Qtype: dns.TypeA, Ns: portSOA},
		{Qname: "us-west-2a.prefer._zone.hdls.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("us-west-2a.prefer._zone.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.1")}},
		{Qname: "us-west-2c.prefer._zone.hdls.testns.svc.cluster.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("us-west-2c.prefer._zone.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.1"),
			test.A("us-west-2c.prefer._zone.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.2"),
			test.A("us-west-2c.prefer._zone.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.3"),
		}},
		{Qname: "us-west-2a.pin._zone.ghost.testns.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "us-west-2a.florp._zone.hdls.testns.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "us-west-2a.pin._zone.clstr.testns.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: portSOA},
		{Qname: "us-west-2c.pin._zone.hdls.testns.svc.cluster.local.", Qtype: dns.TypeTXT, Ns: portSOA},
		{Qname: "us-west-2c.prefer._zone.hdls.testns.svc.cluster.local.", Qtype: dns.TypeSRV, Answer: []dns.RR{
			test.SRV("us-west-2c.prefer._zone.hdls.testns.svc.cluster.local.	5	IN	SRV	0 33 80 172-0-0-1.hdls.testns.svc.cluster.local."),
			test.SRV("us-west-2c.prefer._zone.hdls.testns.svc.cluster.local.	5	IN	SRV	0 33 80 172-0-0-2.hdls.testns.svc.cluster.local."),
			test.SRV("us-west-2c.prefer._zone.hdls.testns.svc.cluster.local.	5	IN	SRV	0 33 80 172-0-0-3.hdls.testns.svc.cluster.local."),
		}, Extra: []dns.RR{
			test.A("172-0-0-1.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.1"),
			test.A("172-0-0-2.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.2"),
			test.A("172-0-0-3.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.3"),
		}},
		{Qname: "us-west-2c.prefer._zone.hdls.testns.svc.cluster.local.", Qtype: dns.TypeTXT, Ns: portSOA},
		{Qname: "us-west-2b.pin._zone.hdls.testns.svc.cluster.local.", Qtype: dns.TypeSRV, Answer: []dns.RR{
			test.SRV("us-west-2b.pin._zone.hdls.testns.svc.cluster.local.	5	IN	SRV	0 50 80 172-0-0-2.hdls.testns.svc.cluster.local."),
			test.SRV("us-west-2b.pin._zone.hdls.testns.svc.cluster.local.	5	IN	SRV	0 50 80 172-0-0-3.hdls.testns.svc.cluster.local."),
		}, Extra: []dns.RR{
			test.A("172-0-0-2.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.2"),
			test.A("172-0-0-3.hdls.testns.svc.cluster.local.	5	IN	A	172.0.0.3"),
		}},
	})

	h = newPortHandler(t, "clusterdns cluster.local {\n namespaces testns\n}", zonalObjects)
	run(t, h, []test.Case{
		{Qname: "us-west-2a.pin._zone.hdls.testns.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: portSOA},
	})
}
