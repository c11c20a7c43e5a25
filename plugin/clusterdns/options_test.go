package clusterdns

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// The tests of the kubernetes plugin's options, each a block with and without the option on
// the same objects.

const podNamesObjects = `
apiVersion: v1
kind: Service
metadata: {name: hl, namespace: default}
spec: {clusterIP: None, ports: [{name: pg, port: 5432, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hl-1, namespace: default, labels: {kubernetes.io/service-name: hl}}
addressType: IPv4
ports: [{name: pg, port: 5432, protocol: TCP}]
endpoints:
- addresses: [10.244.0.7]
  hostname: hl-0
  targetRef: {kind: Pod, name: db-7f9c-abcde, namespace: default}
- addresses: [10.244.0.8]
  targetRef: {kind: Pod, name: db-7f9c-fghij, namespace: default}
- addresses: [10.244.0.9]
- addresses: [10.244.0.11]
  targetRef: {kind: Pod, name: pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp, namespace: default}
`

func TestEndpointPodNames(t *testing.T) {
	const block = `clusterdns cluster.local in-addr.arpa {
	ttl 30
	endpoint_pod_names
}`
	h := newTestHandler(t, block, podNamesObjects)
	run(t, h, []test.Case{
		// a hostname wins over the pod name
		{Qname: "hl-0.hl.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("hl-0.hl.default.svc.cluster.local.	30	IN	A	10.244.0.7")}},
		{Qname: "db-7f9c-abcde.hl.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
		// no hostname: the pod's name, and no longer the address
		{Qname: "db-7f9c-fghij.hl.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("db-7f9c-fghij.hl.default.svc.cluster.local.	30	IN	A	10.244.0.8")}},
		{Qname: "10-244-0-8.hl.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
		// no targetRef: the address
		{Qname: "10-244-0-9.hl.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("10-244-0-9.hl.default.svc.cluster.local.	30	IN	A	10.244.0.9")}},
		// a pod name too long for a label: the address, as the plugin
		{Qname: "10-244-0-11.hl.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("10-244-0-11.hl.default.svc.cluster.local.	30	IN	A	10.244.0.11")}},
		{Qname: "_pg._tcp.hl.default.svc.cluster.local.", Qtype: dns.TypeSRV, Answer: []dns.RR{
			test.SRV("_pg._tcp.hl.default.svc.cluster.local.	30	IN	SRV	0 25 5432 10-244-0-11.hl.default.svc.cluster.local."),
			test.SRV("_pg._tcp.hl.default.svc.cluster.local.	30	IN	SRV	0 25 5432 10-244-0-9.hl.default.svc.cluster.local."),
			test.SRV("_pg._tcp.hl.default.svc.cluster.local.	30	IN	SRV	0 25 5432 db-7f9c-fghij.hl.default.svc.cluster.local."),
			test.SRV("_pg._tcp.hl.default.svc.cluster.local.	30	IN	SRV	0 25 5432 hl-0.hl.default.svc.cluster.local."),
		}, Extra: []dns.RR{
			test.A("10-244-0-11.hl.default.svc.cluster.local.	30	IN	A	10.244.0.11"),
			test.A("10-244-0-9.hl.default.svc.cluster.local.	30	IN	A	10.244.0.9"),
			test.A("db-7f9c-fghij.hl.default.svc.cluster.local.	30	IN	A	10.244.0.8"),
			test.A("hl-0.hl.default.svc.cluster.local.	30	IN	A	10.244.0.7"),
		}},
		{Qname: "8.0.244.10.in-addr.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.PTR("8.0.244.10.in-addr.arpa.	30	IN	PTR	db-7f9c-fghij.hl.default.svc.cluster.local.")}},
	})

	// without the option the same endpoint is named after its address
	h = newTestHandler(t, strings.Replace(block, "endpoint_pod_names", "", 1), podNamesObjects)
	run(t, h, []test.Case{
		{Qname: "10-244-0-8.hl.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("10-244-0-8.hl.default.svc.cluster.local.	30	IN	A	10.244.0.8")}},
		{Qname: "db-7f9c-fghij.hl.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
	})
}

// TestEndpointPodNamesMany covers a Service with enough endpoints that their names are
// indexed (manyEndpoints).
func TestEndpointPodNamesMany(t *testing.T) {
	var b strings.Builder
	b.WriteString(`apiVersion: v1
kind: Service
metadata: {name: big, namespace: default}
spec: {clusterIP: None}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: big-1, namespace: default, labels: {kubernetes.io/service-name: big}}
addressType: IPv4
endpoints:
`)
	for i := range manyEndpointsForTest {
		fmt.Fprintf(&b, "- addresses: [10.1.0.%d]\n  targetRef: {kind: Pod, name: big-%d}\n", i+1, i)
	}
	h := newTestHandler(t, "clusterdns cluster.local {\n ttl 30\n endpoint_pod_names\n}", b.String())
	run(t, h, []test.Case{
		{Qname: "big-39.big.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("big-39.big.default.svc.cluster.local.	30	IN	A	10.1.0.40")}},
		{Qname: "10-1-0-40.big.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
	})
}

const manyEndpointsForTest = 40

// emptyObjects adds to testObjects a ClusterIP Service without endpoints and one whose only
// endpoint is not ready.
const emptyObjects = testObjects + `---
apiVersion: v1
kind: Service
metadata: {name: svcempty, namespace: default}
spec: {clusterIP: 10.96.0.20, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: notready, namespace: default}
spec: {clusterIP: 10.96.0.21, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: notready-1, namespace: default, labels: {kubernetes.io/service-name: notready}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- addresses: [10.244.1.1]
  conditions: {ready: false}
`

// TestIgnoreEmptyService ports the kubernetes plugin's handler_ignore_emptyservice_test.go:
// a ClusterIP Service without a ready endpoint is NXDOMAIN; ExternalName and headless
// Services are not affected.
func TestIgnoreEmptyService(t *testing.T) {
	const block = `clusterdns cluster.local in-addr.arpa {
	ttl 30
	ignore empty_service
}`
	h := newTestHandler(t, block, emptyObjects)
	run(t, h, []test.Case{
		{Qname: "svcempty.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "_http._tcp.svcempty.default.svc.cluster.local.", Qtype: dns.TypeSRV, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "notready.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
		// the kubernetes plugin's reverse lookup does not skip it
		{Qname: "20.0.96.10.in-addr.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.PTR("20.0.96.10.in-addr.arpa.	30	IN	PTR	svcempty.default.svc.cluster.local.")}},
		{Qname: "web.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("web.default.svc.cluster.local.	30	IN	A	10.96.0.10")}},
		{Qname: "ext.default.svc.cluster.local.", Qtype: dns.TypeCNAME,
			Answer: []dns.RR{test.CNAME("ext.default.svc.cluster.local.	30	IN	CNAME	hl.default.svc.cluster.local.")}},
		{Qname: "hl-0.hl.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("hl-0.hl.default.svc.cluster.local.	30	IN	A	10.244.0.7")}},
	})

	h = newTestHandler(t, strings.Replace(block, "ignore empty_service", "", 1), emptyObjects)
	run(t, h, []test.Case{
		{Qname: "svcempty.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("svcempty.default.svc.cluster.local.	30	IN	A	10.96.0.20")}},
	})
}

// TestNoEndpoints: as the kubernetes plugin's noendpoints, endpoint names and headless
// Services are NXDOMAIN; ClusterIPs and ExternalNames are answered.
func TestNoEndpoints(t *testing.T) {
	const block = `clusterdns cluster.local in-addr.arpa {
	ttl 30
	noendpoints
}`
	h := newTestHandler(t, block, testObjects)
	run(t, h, []test.Case{
		{Qname: "web.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("web.default.svc.cluster.local.	30	IN	A	10.96.0.10")}},
		{Qname: "10-244-0-5.web.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "hl.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "hl-0.hl.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "_pg._tcp.hl.default.svc.cluster.local.", Qtype: dns.TypeSRV, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("cluster.local.")}},
		{Qname: "7.0.244.10.in-addr.arpa.", Qtype: dns.TypePTR, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{soa("in-addr.arpa.")}},
		{Qname: "10.0.96.10.in-addr.arpa.", Qtype: dns.TypePTR,
			Answer: []dns.RR{test.PTR("10.0.96.10.in-addr.arpa.	30	IN	PTR	web.default.svc.cluster.local.")}},
		{Qname: "ext.default.svc.cluster.local.", Qtype: dns.TypeCNAME,
			Answer: []dns.RR{test.CNAME("ext.default.svc.cluster.local.	30	IN	CNAME	hl.default.svc.cluster.local.")}},
	})
}

// TestStartupTimeout: start waits for the first snapshot at most startup_timeout, per block.
// The API server is unreachable, so the snapshot never comes: with 0 start returns at once,
// well before the default 5 s would have passed.
func TestStartupTimeout(t *testing.T) {
	cfg, err := parse(caddy.NewTestController("dns", "clusterdns cluster.local {\n endpoint http://127.0.0.1:1\n startup_timeout 0s\n}"))
	if err != nil {
		t.Fatal(err)
	}
	h := newClusterDNS(cfg)
	done := make(chan error, 1)
	go func() { done <- h.start(nil) }()
	t.Cleanup(h.stop)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(4 * time.Second): // a deadline below the 5 s default, not a measurement
		t.Fatal("start still waiting with startup_timeout 0s")
	}
	if h.Ready() {
		t.Error("ready without an API server")
	}
}

// TestIgnoreEmptyServiceFollows: a Service hidden for lack of endpoints appears when one
// becomes ready and disappears again when it goes, its PTR record staying throughout.
func TestIgnoreEmptyServiceFollows(t *testing.T) {
	h, st := handlerFromYAML(t, "clusterdns cluster.local in-addr.arpa {\n ttl 30\n ignore empty_service\n}", emptyObjects, nil, nil)

	svcA := test.Case{Qname: "svcempty.default.svc.cluster.local.", Qtype: dns.TypeA,
		Answer: []dns.RR{test.A("svcempty.default.svc.cluster.local.	30	IN	A	10.96.0.20")}}
	nx := test.Case{Qname: svcA.Qname, Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa("cluster.local.")}}
	ptr := test.Case{Qname: "20.0.96.10.in-addr.arpa.", Qtype: dns.TypePTR,
		Answer: []dns.RR{test.PTR("20.0.96.10.in-addr.arpa.	30	IN	PTR	svcempty.default.svc.cluster.local.")}}
	run(t, h, []test.Case{nx, ptr})

	slice := &model.EndpointSlice{Meta: model.Meta{Namespace: "default", Name: "svcempty-1", ResourceVersion: "1"}, Service: "svcempty",
		Endpoints: []model.Endpoint{{Addresses: []netip.Addr{netip.MustParseAddr("10.244.5.5")}}}}
	st.UpsertSlice(slice)
	waitAnswer(t, h, svcA)
	run(t, h, []test.Case{svcA, ptr})

	st.DeleteSlice(model.Key{Namespace: "default", Name: "svcempty-1"})
	waitAnswer(t, h, nx)
	run(t, h, []test.Case{nx, ptr})
}

// waitAnswer waits, bounded, until the handler gives the answer of tc.
func waitAnswer(t *testing.T, h *ClusterDNS, tc test.Case) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		if _, err := h.ServeDNS(context.Background(), rec, tc.Msg()); err == nil && rec.Msg != nil && test.SortAndCheck(rec.Msg, tc) == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no such answer after 5s", tc.Qname)
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
}

// podNamespace is the fixture of the kubernetes plugin's pod-mode tests: namespace podns.
const podNamespace = `
apiVersion: v1
kind: Namespace
metadata: {name: podns}
`

// TestPodModes ports handler_pod_insecure_test.go and handler_pod_disabled_test.go: same
// queries, same answers, with the default TTL of 5 on both sides.
func TestPodModes(t *testing.T) {
	soa5 := []dns.RR{soaTTL("cluster.local.", 5)}
	h := newTestHandler(t, "clusterdns cluster.local {\n pods insecure\n}", podNamespace)
	run(t, h, []test.Case{
		{Qname: "10-240-0-1.podns.pod.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("10-240-0-1.podns.pod.cluster.local.	5	IN	A	10.240.0.1")}},
		{Qname: "172-0-0-2.podns.pod.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("172-0-0-2.podns.pod.cluster.local.	5	IN	A	172.0.0.2")}},
		{Qname: "blah.podns.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa5},
		{Qname: "blah.podns.pod.cluster.local.", Qtype: dns.TypeAAAA, Rcode: dns.RcodeNameError, Ns: soa5},
		{Qname: "blah.podns.pod.cluster.local.", Qtype: dns.TypeHINFO, Rcode: dns.RcodeNameError, Ns: soa5},
		{Qname: "blah.pod-nons.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa5},
		{Qname: "podns.pod.cluster.local.", Qtype: dns.TypeA, Ns: soa5},
	})

	h = newTestHandler(t, "clusterdns cluster.local {\n pods disabled\n}", podNamespace)
	run(t, h, []test.Case{
		{Qname: "10-240-0-1.podns.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa5},
		{Qname: "172-0-0-2.podns.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa5},
	})
}
