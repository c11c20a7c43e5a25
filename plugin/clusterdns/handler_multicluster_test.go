package clusterdns

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// The kubernetes plugin's TestMultiClusterServeDNS (plugin/kubernetes/handler_test.go,
// CoreDNS 1.15): its commonDnsTestCases and multiclusterDnsTestCases against its
// svcImportIndex and mcEpsIndex fixtures, with the whole of cluster.local a multicluster
// zone and namespaces testns, as there. The cases are copied unchanged.

// mcCommonCases are the plugin's commonDnsTestCases.
var mcCommonCases = []test.Case{
	// A Service
	{
		Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.A("svc1.testns.svc.cluster.local.	5	IN	A	10.0.0.1"),
		},
	},
	{
		Qname: "svcempty.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.A("svcempty.testns.svc.cluster.local.	5	IN	A	10.0.0.1"),
		},
	},
	{
		Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
		Rcode:  dns.RcodeSuccess,
		Answer: []dns.RR{test.SRV("svc1.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc1.testns.svc.cluster.local.")},
		Extra:  []dns.RR{test.A("svc1.testns.svc.cluster.local.  5       IN      A       10.0.0.1")},
	},
	{
		Qname: "svcempty.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
		Rcode:  dns.RcodeSuccess,
		Answer: []dns.RR{test.SRV("svcempty.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svcempty.testns.svc.cluster.local.")},
		Extra:  []dns.RR{test.A("svcempty.testns.svc.cluster.local.  5       IN      A       10.0.0.1")},
	},
	{
		Qname: "svc6.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
		Rcode:  dns.RcodeSuccess,
		Answer: []dns.RR{test.SRV("svc6.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc6.testns.svc.cluster.local.")},
		Extra:  []dns.RR{test.AAAA("svc6.testns.svc.cluster.local.  5       IN      AAAA       1234:abcd::1")},
	},
	// SRV Service
	{
		Qname: "_http._tcp.svc1.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.SRV("_http._tcp.svc1.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc1.testns.svc.cluster.local."),
		},
		Extra: []dns.RR{
			test.A("svc1.testns.svc.cluster.local.	5	IN	A	10.0.0.1"),
		},
	},
	{
		Qname: "_http._tcp.svcempty.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.SRV("_http._tcp.svcempty.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svcempty.testns.svc.cluster.local."),
		},
		Extra: []dns.RR{
			test.A("svcempty.testns.svc.cluster.local.	5	IN	A	10.0.0.1"),
		},
	},
	// A Service (Headless)
	{
		Qname: "hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.2"),
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.3"),
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.4"),
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.5"),
		},
	},
	// A Service (Headless and Portless)
	{
		Qname: "hdlsprtls.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.A("hdlsprtls.testns.svc.cluster.local.	5	IN	A	172.0.0.20"),
		},
	},
	// AAAA Service (with an existing A record, but no AAAA record)
	{
		Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeAAAA,
		Rcode: dns.RcodeSuccess,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// AAAA Service (non-existing service)
	{
		Qname: "svc0.testns.svc.cluster.local.", Qtype: dns.TypeAAAA,
		Rcode: dns.RcodeNameError,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// A Service (non-existing service)
	{
		Qname: "svc0.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeNameError,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// A Service (non-existing namespace)
	{
		Qname: "svc0.svc-nons.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeNameError,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// TXT Schema
	{
		Qname: "dns-version.cluster.local.", Qtype: dns.TypeTXT,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.TXT("dns-version.cluster.local 28800 IN TXT 1.1.0"),
		},
	},
	// A TXT record does not exist but another record for the same FQDN does
	{
		Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeTXT,
		Rcode: dns.RcodeSuccess,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// A TXT record does not exist and neither does another record for the same FQDN
	{
		Qname: "svc0.svc-nons.svc.cluster.local.", Qtype: dns.TypeTXT,
		Rcode: dns.RcodeNameError,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// A Service (Headless) does not exist
	{
		Qname: "bogusendpoint.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeNameError,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// A Service does not exist
	{
		Qname: "bogusendpoint.svc0.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeNameError,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// AAAA Service
	{
		Qname: "svc6.testns.svc.cluster.local.", Qtype: dns.TypeAAAA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.AAAA("svc6.testns.svc.cluster.local.	5	IN	AAAA	1234:abcd::1"),
		},
	},
	// SRV
	{
		Qname: "_http._tcp.svc6.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.SRV("_http._tcp.svc6.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc6.testns.svc.cluster.local."),
		},
		Extra: []dns.RR{
			test.AAAA("svc6.testns.svc.cluster.local.	5	IN	AAAA	1234:abcd::1"),
		},
	},
	// AAAA Service (Headless)
	{
		Qname: "hdls1.testns.svc.cluster.local.", Qtype: dns.TypeAAAA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.AAAA("hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::1"),
			test.AAAA("hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::2"),
		},
	},

	{
		Qname: "svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	{
		Qname: "pod.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	{
		Qname: "testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// NS query for qname != zone (existing domain)
	{
		Qname: "svc.cluster.local.", Qtype: dns.TypeNS,
		Rcode: dns.RcodeSuccess,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// NS query for qname != zone (existing domain)
	{
		Qname: "testns.svc.cluster.local.", Qtype: dns.TypeNS,
		Rcode: dns.RcodeSuccess,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// NS query for qname != zone (non existing domain)
	{
		Qname: "foo.cluster.local.", Qtype: dns.TypeNS,
		Rcode: dns.RcodeNameError,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// NS query for qname != zone (non existing domain)
	{
		Qname: "foo.svc.cluster.local.", Qtype: dns.TypeNS,
		Rcode: dns.RcodeNameError,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// Dual Stack ClusterIP Services
	{
		Qname: "svc-dual-stack.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.A("svc-dual-stack.testns.svc.cluster.local.	5	IN	A	10.0.0.3"),
		},
	},
	{
		Qname: "svc-dual-stack.testns.svc.cluster.local.", Qtype: dns.TypeAAAA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.AAAA("svc-dual-stack.testns.svc.cluster.local.	5	IN	AAAA	10::3"),
		},
	},
	{
		Qname: "svc-dual-stack.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
		Rcode:  dns.RcodeSuccess,
		Answer: []dns.RR{test.SRV("svc-dual-stack.testns.svc.cluster.local.	5	IN	SRV	0 50 80 svc-dual-stack.testns.svc.cluster.local.")},
		Extra: []dns.RR{
			test.A("svc-dual-stack.testns.svc.cluster.local.  5       IN      A       10.0.0.3"),
			test.AAAA("svc-dual-stack.testns.svc.cluster.local.  5       IN      AAAA       10::3"),
		},
	},
	{
		Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeSOA,
		Rcode: dns.RcodeSuccess,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// A query for a subdomain of an external service should not resolve to the external service
	{
		Qname: "endpoint.external.testns.svc.cluster.local.", Qtype: dns.TypeCNAME,
		Rcode: dns.RcodeNameError,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// A query for a subdomain of a subdomain of an external service should not resolve to the external service
	{
		Qname: "subdomain.subdomain.external.testns.svc.cluster.local.", Qtype: dns.TypeCNAME,
		Rcode: dns.RcodeNameError,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
}

// mcCases are the plugin's multiclusterDnsTestCases.
var mcCases = []test.Case{
	// SRV Service (Headless)
	{
		Qname: "_http._tcp.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeSRV,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.SRV("_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 16 80 172-0-0-2.cluster1.hdls1.testns.svc.cluster.local."),
			test.SRV("_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 16 80 172-0-0-3.cluster1.hdls1.testns.svc.cluster.local."),
			test.SRV("_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 16 80 5678-abcd--1.cluster1.hdls1.testns.svc.cluster.local."),
			test.SRV("_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 16 80 5678-abcd--2.cluster1.hdls1.testns.svc.cluster.local."),
			test.SRV("_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 16 80 dup-name.cluster1.hdls1.testns.svc.cluster.local."),
		},
		Extra: []dns.RR{
			test.A("172-0-0-2.cluster1.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.2"),
			test.A("172-0-0-3.cluster1.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.3"),
			test.AAAA("5678-abcd--1.cluster1.hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::1"),
			test.AAAA("5678-abcd--2.cluster1.hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::2"),
			test.A("dup-name.cluster1.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.4"),
			test.A("dup-name.cluster1.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.5"),
		},
	},
	{ // An A record query for an existing headless service should return a record for each of its ipv4 endpoints
		Qname: "hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.2"),
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.3"),
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.4"),
			test.A("hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.5"),
		},
	},
	// AAAA
	{
		Qname: "5678-abcd--2.cluster1.hdls1.testns.svc.cluster.local", Qtype: dns.TypeAAAA,
		Rcode:  dns.RcodeSuccess,
		Answer: []dns.RR{test.AAAA("5678-abcd--2.cluster1.hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::2")},
	},
	// AAAA Endpoint
	{
		Qname: "5678-abcd--1.cluster1.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeAAAA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.AAAA("5678-abcd--1.cluster1.hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::1"),
		},
	},
	// An Endpoint with no port
	{
		Qname: "172-0-0-20.cluster1.hdlsprtls.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.A("172-0-0-20.cluster1.hdlsprtls.testns.svc.cluster.local.	5	IN	A	172.0.0.20"),
		},
	},
	// AAAA Endpoint without specifying the clusterid
	{
		Qname: "5678-abcd--1.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeAAAA,
		Rcode: dns.RcodeNameError,
		Ns: []dns.RR{
			test.SOA("cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 5"),
		},
	},
	// An Endpoint ip
	{
		Qname: "172-0-0-2.cluster1.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.A("172-0-0-2.cluster1.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.2"),
		},
	},
	// A Endpoint ip
	{
		Qname: "172-0-0-3.cluster1.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.A("172-0-0-3.cluster1.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.3"),
		},
	},
	// An Endpoint by name
	{
		Qname: "dup-name.cluster1.hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA,
		Rcode: dns.RcodeSuccess,
		Answer: []dns.RR{
			test.A("dup-name.cluster1.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.4"),
			test.A("dup-name.cluster1.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.5"),
		},
	},
}

// mcImports are the plugin's svcImportIndex.
var mcImports = []*model.ServiceImport{
	mcImport("kube-system", "kubedns", false, []string{"10.0.0.10"}, model.Port{Name: "dns", Protocol: "udp", Port: 53}),
	mcImport("testns", "svc1", false, []string{"10.0.0.1"}, model.Port{Name: "http", Protocol: "tcp", Port: 80}),
	mcImport("testns", "svcempty", false, []string{"10.0.0.1"}, model.Port{Name: "http", Protocol: "tcp", Port: 80}),
	mcImport("testns", "svc6", false, []string{"1234:abcd::1"}, model.Port{Name: "http", Protocol: "tcp", Port: 80}),
	mcImport("testns", "hdls1", true, nil),
	mcImport("testns", "hdlsprtls", true, nil),
	mcImport("unexposedns", "svc1", false, []string{"10.0.0.2"}, model.Port{Name: "http", Protocol: "tcp", Port: 80}),
	mcImport("testns", "svc-dual-stack", false, []string{"10.0.0.3", "10::3"}, model.Port{Name: "http", Protocol: "tcp", Port: 80}),
}

// mcSlices are the plugin's mcEpsIndex.
var mcSlices = []*model.EndpointSlice{
	mcSlice("kube-system", "kubedns", "kubedns", []model.Port{{Name: "dns", Protocol: "udp", Port: 53}}, ep("172.0.0.100", "")),
	mcSlice("testns", "svc1-slice1", "svc1", []model.Port{{Name: "http", Protocol: "tcp", Port: 80}}, ep("172.0.0.1", "ep1a")),
	mcSlice("testns", "svcempty-slice1", "svcempty", []model.Port{{Name: "http", Protocol: "tcp", Port: 80}}),
	mcSlice("testns", "hdls1-slice1", "hdls1", []model.Port{{Name: "http", Protocol: "tcp", Port: 80}},
		ep("172.0.0.2", ""), ep("172.0.0.3", ""), ep("172.0.0.4", "dup-name"), ep("172.0.0.5", "dup-name"),
		ep("5678:abcd::1", ""), ep("5678:abcd::2", "")),
	mcSlice("testns", "hdlsprtls-slice1", "hdlsprtls", []model.Port{{Port: -1}}, ep("172.0.0.20", "")),
}

func mcImport(ns, name string, headless bool, ips []string, ports ...model.Port) *model.ServiceImport {
	s := &model.ServiceImport{Meta: model.Meta{Namespace: ns, Name: name}, Headless: headless, Ports: ports}
	for _, ip := range ips {
		s.IPs = append(s.IPs, netip.MustParseAddr(ip))
	}
	return s
}

func mcSlice(ns, name, service string, ports []model.Port, eps ...model.Endpoint) *model.EndpointSlice {
	return &model.EndpointSlice{Meta: model.Meta{Namespace: ns, Name: name}, Service: service, Cluster: "cluster1", Ports: ports, Endpoints: eps}
}

func ep(ip, hostname string) model.Endpoint {
	return model.Endpoint{Addresses: []netip.Addr{netip.MustParseAddr(ip)}, Hostname: hostname}
}

// newMultiClusterHandler parses block and serves the imports and slices given.
func newMultiClusterHandler(t testing.TB, block string, imports []*model.ServiceImport, slices []*model.EndpointSlice, own ...any) *ClusterDNS {
	t.Helper()
	cfg, err := parse(caddy.NewTestController("dns", block))
	if err != nil {
		t.Fatal(err)
	}
	st := model.NewStore()
	// every namespace exists but nsnoexist, as the plugin's GetNamespaceByName answers
	for _, ns := range []string{"testns", "kube-system", "unexposedns", "default"} {
		st.SetNamespace(ns, true)
	}
	for _, i := range imports {
		st.UpsertImport(i)
	}
	for _, s := range slices {
		st.UpsertImportSlice(s)
	}
	for _, o := range own { // the cluster's own Services and EndpointSlices
		switch o := o.(type) {
		case *model.Service:
			st.UpsertService(o)
		case *model.EndpointSlice:
			st.UpsertSlice(o)
		}
	}
	st.SetSynced()
	st.SetKindSynced(model.KindMultiCluster)
	h := newClusterDNS(cfg)
	if h.mc == nil {
		t.Fatal("no multicluster index")
	}
	h.index.Start(st, []netip.Addr{netip.MustParseAddr("10.53.0.1")}) // the server's address
	t.Cleanup(h.index.Stop)
	h.mc.Start(st, nil)
	t.Cleanup(h.mc.Stop)
	waitReady(t, h)
	return h
}

func TestMultiClusterServeDNS(t *testing.T) {
	h := newMultiClusterHandler(t, `clusterdns cluster.local {
		multicluster cluster.local
		namespaces testns
	}`, mcImports, mcSlices)
	run(t, h, append(mcCommonCases, mcCases...))
}

// TestMultiClusterBesideClusterZone: a block serving its cluster zone and a multicluster
// zone answers each from its own objects, KEP-1645's names in the latter.
func TestMultiClusterBesideClusterZone(t *testing.T) {
	web := &model.Service{Meta: model.Meta{Namespace: "testns", Name: "svc1"}, ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.1")},
		Ports: []model.Port{{Name: "http", Protocol: "TCP", Port: 8080}}}
	own := &model.EndpointSlice{Meta: model.Meta{Namespace: "testns", Name: "svc1-own"}, Service: "svc1",
		Ports: []model.Port{{Name: "http", Protocol: "TCP", Port: 8080}}, Endpoints: []model.Endpoint{ep("10.244.0.1", "ep1a")}}
	h := newMultiClusterHandler(t, `clusterdns cluster.local clusterset.local {
		multicluster clusterset.local
	}`, append(mcImports, mcImport("testns", "noports", false, []string{"10.0.0.9"})), mcSlices, web, own)
	set := func(zone string) dns.RR { return soaTTL(zone, 5) }
	run(t, h, []test.Case{
		{Qname: "svc1.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("svc1.testns.svc.cluster.local.	5	IN	A	10.96.0.1")}},
		{Qname: "svc1.testns.svc.clusterset.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("svc1.testns.svc.clusterset.local.	5	IN	A	10.0.0.1")}},
		{Qname: "_http._tcp.svc1.testns.svc.clusterset.local.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("_http._tcp.svc1.testns.svc.clusterset.local.	5	IN	SRV	0 100 80 svc1.testns.svc.clusterset.local.")},
			Extra:  []dns.RR{test.A("svc1.testns.svc.clusterset.local.	5	IN	A	10.0.0.1")}},
		// endpoints: the cluster's own in its zone, the imported ones by cluster in the other
		{Qname: "ep1a.svc1.testns.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("ep1a.svc1.testns.svc.cluster.local.	5	IN	A	10.244.0.1")}},
		{Qname: "ep1a.cluster1.svc1.testns.svc.clusterset.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("ep1a.cluster1.svc1.testns.svc.clusterset.local.	5	IN	A	172.0.0.1")}},
		{Qname: "ep1a.cluster2.svc1.testns.svc.clusterset.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{set("clusterset.local.")}},
		{Qname: "ep1a.cluster1.svc1.testns.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{set("cluster.local.")}},
		// imports only: not in the cluster zone
		{Qname: "hdls1.testns.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{set("cluster.local.")}},
		// a ClusterSetIP import without ports has no records in the plugin: NXDOMAIN
		{Qname: "noports.testns.svc.clusterset.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{set("clusterset.local.")}},
		{Qname: "dns-version.clusterset.local.", Qtype: dns.TypeTXT,
			Answer: []dns.RR{test.TXT("dns-version.clusterset.local.	28800	IN	TXT	1.1.0")}},
		// the name servers are the cluster zone's, as the kubernetes plugin's nsAddrs: here
		// the server's own address, no Service having an endpoint on it
		{Qname: "ns.dns.clusterset.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("ns.dns.clusterset.local.	5	IN	A	10.53.0.1")}},
		{Qname: "ns.dns.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("ns.dns.cluster.local.	5	IN	A	10.53.0.1")}},
		{Qname: "clusterset.local.", Qtype: dns.TypeNS,
			Answer: []dns.RR{test.NS("clusterset.local.	5	IN	NS	ns.dns.clusterset.local.")},
			Extra:  []dns.RR{test.A("ns.dns.clusterset.local.	5	IN	A	10.53.0.1")}},
		{Qname: "clusterset.local.", Qtype: dns.TypeSOA,
			Answer: []dns.RR{set("clusterset.local.")}},
	})
}

// TestMultiClusterTransfer: a multicluster zone transfers its imports under the names its
// queries answer (hostname.clusterid for endpoints), and none of the cluster's own Services.
func TestMultiClusterTransfer(t *testing.T) {
	web := &model.Service{Meta: model.Meta{Namespace: "testns", Name: "own"}, ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.1")},
		Ports: []model.Port{{Name: "http", Protocol: "TCP", Port: 8080}}}
	h := newMultiClusterHandler(t, `clusterdns cluster.local clusterset.local {
		multicluster clusterset.local
		namespaces testns
	}`, mcImports, mcSlices, web)
	ch, err := h.Transfer("clusterset.local.", 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, rr := range drain(ch) {
		got[rr.String()] = true
	}
	for _, want := range []string{
		"svc1.testns.svc.clusterset.local.\t5\tIN\tA\t10.0.0.1",
		"dup-name.cluster1.hdls1.testns.svc.clusterset.local.\t5\tIN\tA\t172.0.0.4",
		"5678-abcd--1.cluster1.hdls1.testns.svc.clusterset.local.\t5\tIN\tAAAA\t5678:abcd::1",
	} {
		if !got[want] {
			t.Errorf("transfer lacks %q", want)
		}
	}
	for rr := range got {
		if strings.Contains(rr, "own.testns") || strings.Contains(rr, "kube-system") {
			t.Errorf("transfer has %q: not an import of a served namespace", rr)
		}
	}
}

// TestMultiClusterNoEndpoints: noendpoints leaves the cluster's own EndpointSlices unread,
// not those of imports, as in the kubernetes plugin (its multicluster slice informer does
// not depend on the option); pods insecure names pods in every zone.
func TestMultiClusterNoEndpoints(t *testing.T) {
	h := newMultiClusterHandler(t, `clusterdns cluster.local clusterset.local {
		multicluster clusterset.local
		noendpoints
		pods insecure
	}`, mcImports, mcSlices)
	run(t, h, []test.Case{
		// pods insecure answers pod names in a multicluster zone too, as the plugin
		{Qname: "10-1-2-3.testns.pod.clusterset.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("10-1-2-3.testns.pod.clusterset.local.	5	IN	A	10.1.2.3")}},
		{Qname: "hdlsprtls.testns.svc.clusterset.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("hdlsprtls.testns.svc.clusterset.local.	5	IN	A	172.0.0.20")}},
		{Qname: "ep1a.cluster1.svc1.testns.svc.clusterset.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("ep1a.cluster1.svc1.testns.svc.clusterset.local.	5	IN	A	172.0.0.1")}},
	})
}

// TestMultiClusterReadyWaitsForImports: a block with a multicluster zone is not ready, and
// its multicluster names answer SERVFAIL, until ServiceImports are listed; then both are.
func TestMultiClusterReadyWaitsForImports(t *testing.T) {
	cfg, err := parse(caddy.NewTestController("dns", `clusterdns cluster.local clusterset.local {
		multicluster clusterset.local
	}`))
	if err != nil {
		t.Fatal(err)
	}
	st := model.NewStore()
	st.SetNamespace("testns", true)
	st.UpsertImport(mcImports[1]) // svc1
	st.SetSynced()
	h := newClusterDNS(cfg)
	h.index.Start(st, nil)
	t.Cleanup(h.index.Stop)
	h.mc.Start(st, nil)
	t.Cleanup(h.mc.Stop)
	// the multicluster index has built the import: it has seen the state, sync included
	deadline := time.Now().Add(5 * time.Second)
	for h.mc.Snapshot().Lookup("svc1.testns.svc") == nil || !h.index.Snapshot().Synced {
		if time.Now().After(deadline) {
			t.Fatal("indexes did not build")
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
	if h.Ready() {
		t.Fatal("ready before ServiceImports are listed")
	}
	run(t, h, []test.Case{{Qname: "svc1.testns.svc.clusterset.local.", Qtype: dns.TypeA, Rcode: dns.RcodeServerFailure,
		Ns: []dns.RR{soaTTL("clusterset.local.", 5)}}})
	st.SetKindSynced(model.KindMultiCluster)
	waitReady(t, h)
	run(t, h, []test.Case{{Qname: "svc1.testns.svc.clusterset.local.", Qtype: dns.TypeA,
		Answer: []dns.RR{test.A("svc1.testns.svc.clusterset.local.	5	IN	A	10.0.0.1")}}})
}

func BenchmarkServeDNSMultiCluster(b *testing.B) {
	web := &model.Service{Meta: model.Meta{Namespace: "testns", Name: "svc1"}, ClusterIPs: []netip.Addr{netip.MustParseAddr("10.96.0.1")},
		Ports: []model.Port{{Name: "http", Protocol: "TCP", Port: 8080}}}
	h := newMultiClusterHandler(b, `clusterdns cluster.local clusterset.local {
		multicluster clusterset.local
	}`, mcImports, mcSlices, web)
	for _, bc := range []struct{ name, qname string }{
		{"cluster_A", "svc1.testns.svc.cluster.local."},
		{"multicluster_A", "svc1.testns.svc.clusterset.local."},
		{"multicluster_endpoint_A", "dup-name.cluster1.hdls1.testns.svc.clusterset.local."},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := new(dns.Msg)
			req.SetQuestion(bc.qname, dns.TypeA)
			w := &recorder{}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.ServeDNS(context.Background(), w, req); err != nil || w.rcode != dns.RcodeSuccess {
					b.Fatalf("rcode %d, err %v", w.rcode, err)
				}
			}
		})
	}
}
