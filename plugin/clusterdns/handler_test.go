package clusterdns

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/manifest"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// newTestHandler parses a clusterdns block, feeds it the objects of a manifest and waits
// for the first snapshot.
func newTestHandler(t testing.TB, block, manifestYAML string) *ClusterDNS {
	t.Helper()
	h, _ := handlerFromYAML(t, block, manifestYAML, nil, func(_ *ClusterDNS, st *model.Store) {
		st.SetNamespace("default", true)
		st.SetNamespace("empty", true)
	})
	return h
}

// handlerFromYAML is the handler of block over a synced Store holding manifestYAML, its
// index started for a server listening on localIPs and published. prepare, if not nil, runs
// before the Store is marked synced (extra namespaces, pods, wiring setup would do).
func handlerFromYAML(t testing.TB, block, manifestYAML string, localIPs []netip.Addr, prepare func(*ClusterDNS, *model.Store)) (*ClusterDNS, *model.Store) {
	t.Helper()
	cfg, err := parse(caddy.NewTestController("dns", block))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := manifest.Parse("test.yaml", []byte(manifestYAML))
	if err != nil {
		t.Fatal(err)
	}
	st := model.NewStore()
	st.Replace(objs)
	h := newClusterDNS(cfg)
	if prepare != nil {
		prepare(h, st)
	}
	st.SetSynced()
	h.index.Start(st, localIPs)
	t.Cleanup(h.index.Stop)
	waitReady(t, h)
	return h, st
}

// waitReady waits, bounded, for the handler's first snapshot.
func waitReady(t testing.TB, h *ClusterDNS) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !h.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("index not ready after 5s")
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
}

func run(t *testing.T, h *ClusterDNS, cases []test.Case) {
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
			if err := test.SortAndCheck(rec.Msg, tc); err != nil {
				t.Error(err)
			}
		})
	}
}

const testBlock = `clusterdns cluster.local in-addr.arpa ip6.arpa {
	ttl 30
}`

const testObjects = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10, "fd00::10"]
  ports:
  - {name: http, port: 80, protocol: TCP}
  - {name: dns, port: 53, protocol: UDP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- addresses: [10.244.0.5]
---
apiVersion: v1
kind: Service
metadata: {name: hl, namespace: default}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hl-1, namespace: default, labels: {kubernetes.io/service-name: hl}}
addressType: IPv4
ports: [{name: pg, port: 5432, protocol: TCP}]
endpoints:
- addresses: [10.244.0.7]
  hostname: hl-0
- addresses: [10.244.0.8]
- addresses: [10.244.0.9]
  conditions: {ready: false}
- addresses: [10.244.0.10]
  conditions: {ready: true, terminating: true}
---
apiVersion: v1
kind: Service
metadata: {name: drained, namespace: default}
spec: {clusterIP: None, ports: [{name: pg, port: 5432, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: ExternalName, externalName: hl.default.svc.cluster.local}
---
apiVersion: v1
kind: Service
metadata: {name: extip, namespace: default}
spec: {type: ExternalName, externalName: 1.2.3.4}
---
apiVersion: v1
kind: Service
metadata: {name: loop-a, namespace: default}
spec: {type: ExternalName, externalName: loop-b.default.svc.cluster.local}
---
apiVersion: v1
kind: Service
metadata: {name: loop-b, namespace: default}
spec: {type: ExternalName, externalName: loop-a.default.svc.cluster.local}
`

// soa is the SOA of a block with ttl 30, soaTTL of one with another TTL (and below 300).
func soa(zone string) dns.RR { return soaTTL(zone, 30) }

func soaTTL(zone string, ttl int) dns.RR {
	return test.SOA(fmt.Sprintf("%s	%d	IN	SOA	ns.dns.%s hostmaster.%s 0 7200 1800 86400 %d", zone, ttl, zone, zone, ttl))
}

func TestClusterIP(t *testing.T) {
	h := newTestHandler(t, testBlock, testObjects)
	run(t, h, []test.Case{
		{Qname: "web.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("web.default.svc.cluster.local.	30	IN	A	10.96.0.10")}},
		{Qname: "web.default.svc.cluster.local.", Qtype: dns.TypeAAAA,
			Answer: []dns.RR{test.AAAA("web.default.svc.cluster.local.	30	IN	AAAA	fd00::10")}},
		{Qname: "WEB.Default.svc.Cluster.Local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("WEB.Default.svc.Cluster.Local.	30	IN	A	10.96.0.10")}},
		{Qname: "_http._tcp.web.default.svc.cluster.local.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("_http._tcp.web.default.svc.cluster.local.	30	IN	SRV	0 50 80 web.default.svc.cluster.local.")},
			Extra: []dns.RR{
				test.A("web.default.svc.cluster.local.	30	IN	A	10.96.0.10"),
				test.AAAA("web.default.svc.cluster.local.	30	IN	AAAA	fd00::10"),
			}},
		{Qname: "http.tcp.web.default.svc.cluster.local.", Qtype: dns.TypeA, // CoreDNS accepts port names without underscores
			Answer: []dns.RR{test.A("http.tcp.web.default.svc.cluster.local.	30	IN	A	10.96.0.10")}},
		{Qname: "_dns._udp.web.default.svc.cluster.local.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("_dns._udp.web.default.svc.cluster.local.	30	IN	SRV	0 50 53 web.default.svc.cluster.local.")},
			Extra: []dns.RR{
				test.A("web.default.svc.cluster.local.	30	IN	A	10.96.0.10"),
				test.AAAA("web.default.svc.cluster.local.	30	IN	AAAA	fd00::10"),
			}},
		{Qname: "_http._udp.web.default.svc.cluster.local.", Qtype: dns.TypeSRV, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
		// an empty non-terminal exists: NODATA (RFC 8020), where CoreDNS says NXDOMAIN
		{Qname: "_tcp.web.default.svc.cluster.local.", Qtype: dns.TypeA, Ns: []dns.RR{soa("cluster.local.")}},
		// the endpoints of a ClusterIP service have names too, as in CoreDNS
		{Qname: "10-244-0-5.web.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("10-244-0-5.web.default.svc.cluster.local.	30	IN	A	10.244.0.5")}},
		{Qname: "web.default.svc.cluster.local.", Qtype: dns.TypeTXT, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "web.default.svc.cluster.local.", Qtype: dns.TypeMX, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "nope.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "web.nope.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}},
	})
}

func TestHeadless(t *testing.T) {
	h := newTestHandler(t, testBlock, testObjects)
	run(t, h, []test.Case{
		{Qname: "hl.default.svc.cluster.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("hl.default.svc.cluster.local.	30	IN	A	10.244.0.7"),
			test.A("hl.default.svc.cluster.local.	30	IN	A	10.244.0.8"),
		}},
		{Qname: "hl.default.svc.cluster.local.", Qtype: dns.TypeAAAA, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "hl-0.hl.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("hl-0.hl.default.svc.cluster.local.	30	IN	A	10.244.0.7")}},
		{Qname: "10-244-0-8.hl.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("10-244-0-8.hl.default.svc.cluster.local.	30	IN	A	10.244.0.8")}},
		{Qname: "10-244-0-9.hl.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "10-244-0-10.hl.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "_pg._tcp.hl.default.svc.cluster.local.", Qtype: dns.TypeSRV, Answer: []dns.RR{
			test.SRV("_pg._tcp.hl.default.svc.cluster.local.	30	IN	SRV	0 50 5432 10-244-0-8.hl.default.svc.cluster.local."),
			test.SRV("_pg._tcp.hl.default.svc.cluster.local.	30	IN	SRV	0 50 5432 hl-0.hl.default.svc.cluster.local."),
		}, Extra: []dns.RR{
			test.A("10-244-0-8.hl.default.svc.cluster.local.	30	IN	A	10.244.0.8"),
			test.A("hl-0.hl.default.svc.cluster.local.	30	IN	A	10.244.0.7"),
		}},
		{Qname: "drained.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}},
	})
}

func TestExternalNameAndSpecialNames(t *testing.T) {
	h := newTestHandler(t, testBlock, testObjects)
	run(t, h, []test.Case{
		{Qname: "ext.default.svc.cluster.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.CNAME("ext.default.svc.cluster.local.	30	IN	CNAME	hl.default.svc.cluster.local."),
			test.A("hl.default.svc.cluster.local.	30	IN	A	10.244.0.7"),
			test.A("hl.default.svc.cluster.local.	30	IN	A	10.244.0.8"),
		}},
		{Qname: "ext.default.svc.cluster.local.", Qtype: dns.TypeCNAME, Answer: []dns.RR{
			test.CNAME("ext.default.svc.cluster.local.	30	IN	CNAME	hl.default.svc.cluster.local."),
		}},
		{Qname: "ext.default.svc.cluster.local.", Qtype: dns.TypeSRV, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "extip.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}},
		// a CNAME loop ends after a bounded number of steps, with no addresses
		{Qname: "loop-a.default.svc.cluster.local.", Qtype: dns.TypeA, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "dns-version.cluster.local.", Qtype: dns.TypeTXT,
			Answer: []dns.RR{test.TXT(`dns-version.cluster.local.	28800	IN	TXT	"1.1.0"`)}},
		{Qname: "cluster.local.", Qtype: dns.TypeSOA, Answer: []dns.RR{soa("cluster.local.")}},
		{Qname: "cluster.local.", Qtype: dns.TypeA, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "svc.cluster.local.", Qtype: dns.TypeA, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "default.svc.cluster.local.", Qtype: dns.TypeA, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "empty.svc.cluster.local.", Qtype: dns.TypeA, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "1-2-3-4.default.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "foo.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "10.0.96.10.in-addr.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.PTR("10.0.96.10.in-addr.arpa.	30	IN	PTR	web.default.svc.cluster.local.")}},
		{Qname: "7.0.244.10.in-addr.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.PTR("7.0.244.10.in-addr.arpa.	30	IN	PTR	hl-0.hl.default.svc.cluster.local.")}},
		{Qname: "9.0.244.10.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("in-addr.arpa.")}},
		{Qname: "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.PTR("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.	30	IN	PTR	web.default.svc.cluster.local.")}},
	})
}

func TestPodsInsecure(t *testing.T) {
	// no ttl: the default, 5 s as the kubernetes plugin's
	h := newTestHandler(t, `clusterdns cluster.local {
	pods insecure
}`, testObjects)
	run(t, h, []test.Case{
		{Qname: "1-2-3-4.default.pod.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("1-2-3-4.default.pod.cluster.local.	5	IN	A	1.2.3.4")}},
		{Qname: "1-2-3-4.default.pod.cluster.local.", Qtype: dns.TypeAAAA, Ns: []dns.RR{soaTTL("cluster.local.", defaultTTL)}},
		{Qname: "fd00--1.default.pod.cluster.local.", Qtype: dns.TypeAAAA,
			Answer: []dns.RR{test.AAAA("fd00--1.default.pod.cluster.local.	5	IN	AAAA	fd00::1")}},
		{Qname: "1-2-3-4.nope.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soaTTL("cluster.local.", defaultTTL)}},
		{Qname: "not-an-ip.default.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soaTTL("cluster.local.", defaultTTL)}},
	})
}

func TestNamespacesFilter(t *testing.T) {
	// no ttl: the default, 5 s as the kubernetes plugin's
	h := newTestHandler(t, `clusterdns cluster.local in-addr.arpa {
	namespaces other
}`, testObjects)
	run(t, h, []test.Case{
		{Qname: "web.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soaTTL("cluster.local.", defaultTTL)}},
		{Qname: "10.0.96.10.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: dns.RcodeNameError, Ns: []dns.RR{soaTTL("in-addr.arpa.", defaultTTL)}},
	})
}

// A Service that is neither headless nor has a ClusterIP (a manifest without spec.clusterIP)
// exists without addresses; its endpoint names still answer.
func TestServiceWithoutClusterIP(t *testing.T) {
	h := newTestHandler(t, testBlock, `
apiVersion: v1
kind: Service
metadata: {name: lbonly, namespace: default}
spec: {type: LoadBalancer, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: lbonly-1, namespace: default, labels: {kubernetes.io/service-name: lbonly}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- addresses: [10.244.0.20]
`)
	run(t, h, []test.Case{
		{Qname: "lbonly.default.svc.cluster.local.", Qtype: dns.TypeA, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "_http._tcp.lbonly.default.svc.cluster.local.", Qtype: dns.TypeSRV, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "10-244-0-20.lbonly.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("10-244-0-20.lbonly.default.svc.cluster.local.	30	IN	A	10.244.0.20")}},
	})
}

// A large headless Service (a StatefulSet of 100) answers its port and endpoint names from
// indexes built with it, with the same records as a small one.
func TestLargeHeadlessService(t *testing.T) {
	var b strings.Builder
	b.WriteString(`apiVersion: v1
kind: Service
metadata: {name: kafka, namespace: default}
spec: {clusterIP: None, ports: [{name: client, port: 9092, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: kafka-1, namespace: default, labels: {kubernetes.io/service-name: kafka}}
addressType: IPv4
ports: [{name: client, port: 9092, protocol: TCP}, {name: metrics, port: 9404, protocol: TCP}]
endpoints:
`)
	for i := range 100 {
		fmt.Fprintf(&b, "- {addresses: [10.244.1.%d], hostname: kafka-%d}\n", i, i)
	}
	h := newTestHandler(t, testBlock, b.String())
	srv := func(name string) []dns.RR {
		var rrs []dns.RR
		for i := range 100 {
			rrs = append(rrs, test.SRV(fmt.Sprintf("%s	30	IN	SRV	0 1 9092 kafka-%d.kafka.default.svc.cluster.local.", name, i)))
		}
		sort.Sort(test.RRSet(rrs)) // as SortAndCheck orders the reply
		return rrs
	}
	extra := func() []dns.RR {
		var rrs []dns.RR
		for i := range 100 {
			rrs = append(rrs, test.A(fmt.Sprintf("kafka-%d.kafka.default.svc.cluster.local.	30	IN	A	10.244.1.%d", i, i)))
		}
		sort.Sort(test.RRSet(rrs))
		return rrs
	}
	run(t, h, []test.Case{
		{Qname: "_client._tcp.kafka.default.svc.cluster.local.", Qtype: dns.TypeSRV, Answer: srv("_client._tcp.kafka.default.svc.cluster.local."), Extra: extra()},
		{Qname: "_CLIENT._TCP.kafka.default.svc.cluster.local.", Qtype: dns.TypeSRV, Answer: srv("_CLIENT._TCP.kafka.default.svc.cluster.local."), Extra: extra()},
		{Qname: "_none._tcp.kafka.default.svc.cluster.local.", Qtype: dns.TypeSRV, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "kafka-42.kafka.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("kafka-42.kafka.default.svc.cluster.local.	30	IN	A	10.244.1.42")}},
		{Qname: "kafka-42.kafka.default.svc.cluster.local.", Qtype: dns.TypeSRV, Answer: []dns.RR{
			test.SRV("kafka-42.kafka.default.svc.cluster.local.	30	IN	SRV	0 50 9092 kafka-42.kafka.default.svc.cluster.local."),
			test.SRV("kafka-42.kafka.default.svc.cluster.local.	30	IN	SRV	0 50 9404 kafka-42.kafka.default.svc.cluster.local."),
		}, Extra: []dns.RR{test.A("kafka-42.kafka.default.svc.cluster.local.	30	IN	A	10.244.1.42")}},
		{Qname: "kafka-100.kafka.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}},
	})
}

// ns.dns answers the addresses the server listens on when no cluster DNS Service has an
// endpoint there, as the kubernetes plugin's NS records do.
func TestNameServerAddresses(t *testing.T) {
	cfg, err := parse(caddy.NewTestController("dns", testBlock))
	if err != nil {
		t.Fatal(err)
	}
	st := model.NewStore()
	st.SetSynced()
	h := newClusterDNS(cfg)
	h.index.Start(st, []netip.Addr{netip.MustParseAddr("10.0.0.53"), netip.MustParseAddr("fd00::53")})
	t.Cleanup(h.index.Stop)
	waitReady(t, h)
	run(t, h, []test.Case{
		{Qname: "ns.dns.cluster.local.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("ns.dns.cluster.local.	30	IN	A	10.0.0.53")}},
		{Qname: "ns.dns.cluster.local.", Qtype: dns.TypeAAAA, Answer: []dns.RR{test.AAAA("ns.dns.cluster.local.	30	IN	AAAA	fd00::53")}},
		{Qname: "cluster.local.", Qtype: dns.TypeNS, Answer: []dns.RR{test.NS("cluster.local.	30	IN	NS	ns.dns.cluster.local.")},
			Extra: []dns.RR{test.A("ns.dns.cluster.local.	30	IN	A	10.0.0.53"), test.AAAA("ns.dns.cluster.local.	30	IN	AAAA	fd00::53")}},
	})
}
