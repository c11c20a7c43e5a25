package clusterdns

import (
	"context"
	"net/netip"
	"slices"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/coredns/plugin/metadata"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// newPodsHandler is newTestHandler with pods in the Store's pod index, wired as setup does.
func newPodsHandler(t testing.TB, block, manifestYAML string, pods ...*model.Pod) *ClusterDNS {
	t.Helper()
	h, _ := handlerFromYAML(t, block, manifestYAML, nil, func(h *ClusterDNS, st *model.Store) {
		for _, p := range pods {
			st.Pods().Upsert(p)
		}
		h.usePods(st)
	})
	return h
}

func testPod(ns, name string, ips ...string) *model.Pod {
	p := &model.Pod{Meta: model.Meta{Namespace: ns, Name: name}}
	for _, ip := range ips {
		p.IPs = append(p.IPs, netip.MustParseAddr(ip))
	}
	return p
}

// verifiedNamespaces are the namespaces of the kubernetes plugin's handler tests that
// handler_pod_verified_test.go asks for.
const verifiedNamespaces = `
apiVersion: v1
kind: Namespace
metadata: {name: podns}
---
apiVersion: v1
kind: Namespace
metadata: {name: svcns}
`

// TestPodsVerified ports handler_pod_verified_test.go: the plugin's fixture has one pod,
// podns/foo with 10.240.0.1 (APIConnServeTest.PodIndex). Same queries, same answers.
func TestPodsVerified(t *testing.T) {
	soa5 := []dns.RR{soaTTL("cluster.local.", 5)}
	h := newPodsHandler(t, "clusterdns cluster.local {\n pods verified\n}", verifiedNamespaces,
		testPod("podns", "foo", "10.240.0.1"))
	run(t, h, []test.Case{
		{Qname: "10-240-0-1.podns.pod.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("10-240-0-1.podns.pod.cluster.local.	5	IN	A	10.240.0.1")}},
		{Qname: "podns.pod.cluster.local.", Qtype: dns.TypeA, Ns: soa5},
		{Qname: "svcns.svc.cluster.local.", Qtype: dns.TypeA, Ns: soa5},
		{Qname: "pod-nons.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa5},
		{Qname: "172-0-0-2.podns.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa5},
	})
}

// TestPodsVerifiedMore: the cases the plugin's table leaves out, with the plugin's answers
// (findPods compares the name's address as a string with the pod's, in that namespace).
func TestPodsVerifiedMore(t *testing.T) {
	soa5 := []dns.RR{soaTTL("cluster.local.", 5)}
	h := newPodsHandler(t, "clusterdns cluster.local {\n pods verified\n}", verifiedNamespaces,
		testPod("podns", "foo", "10.240.0.1", "fd00::1"),
		testPod("svcns", "bar", "10.240.0.2"))
	run(t, h, []test.Case{
		// another namespace's pod
		{Qname: "10-240-0-2.podns.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa5},
		{Qname: "10-240-0-1.svcns.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa5},
		{Qname: "10-240-0-2.svcns.pod.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("10-240-0-2.svcns.pod.cluster.local.	5	IN	A	10.240.0.2")}},
		// the pod's second address; the first's AAAA is NODATA
		{Qname: "fd00--1.podns.pod.cluster.local.", Qtype: dns.TypeAAAA,
			Answer: []dns.RR{test.AAAA("fd00--1.podns.pod.cluster.local.	5	IN	AAAA	fd00::1")}},
		{Qname: "10-240-0-1.podns.pod.cluster.local.", Qtype: dns.TypeAAAA, Ns: soa5},
		// not the address as the API reports it
		{Qname: "fd00-0-0-0-0-0-0-1.podns.pod.cluster.local.", Qtype: dns.TypeAAAA, Rcode: dns.RcodeNameError, Ns: soa5},
		{Qname: "not-an-ip.podns.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa5},
		// a namespace that does not exist
		{Qname: "10-240-0-1.nope.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa5},
	})
}

// TestPodsVerifiedFollows: the answer follows the pod index without a rebuild of the names.
func TestPodsVerifiedFollows(t *testing.T) {
	soa5 := []dns.RR{soaTTL("cluster.local.", 5)}
	h := newPodsHandler(t, "clusterdns cluster.local {\n pods verified\n}", verifiedNamespaces)
	q := []test.Case{{Qname: "10-240-0-1.podns.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa5}}
	run(t, h, q)
	h.pods.Upsert(testPod("podns", "foo", "10.240.0.1"))
	run(t, h, []test.Case{{Qname: "10-240-0-1.podns.pod.cluster.local.", Qtype: dns.TypeA,
		Answer: []dns.RR{test.A("10-240-0-1.podns.pod.cluster.local.	5	IN	A	10.240.0.1")}}})
	h.pods.Delete(model.Key{Namespace: "podns", Name: "foo"})
	run(t, h, q)
}

// TestAutoPathPodsVerified: with pods verified, autopath finds the client's pod in the pod
// index, as `autopath @kubernetes` does.
func TestAutoPathPodsVerified(t *testing.T) {
	saved := autoPathSearch
	autoPathSearch = func() []string { return []string{"corp.example."} }
	t.Cleanup(func() { autoPathSearch = saved })
	h := newPodsHandler(t, "clusterdns cluster.local {\n pods verified\n}", verifiedNamespaces,
		testPod("podns", "foo", "10.240.0.1"),
		// hostNetwork pods share their node's address
		testPod("kube-system", "proxy", "192.168.0.1"), testPod("monitoring", "exporter", "192.168.0.1"),
		testPod("svcns", "a", "192.168.0.2"), testPod("svcns", "b", "192.168.0.2"))
	tests := []struct {
		client string
		want   []string
	}{
		{"10.240.0.1", []string{"podns.svc.cluster.local.", "svc.cluster.local.", "cluster.local.", "corp.example.", ""}},
		{"10.240.0.9", nil},
		// pods of several namespaces: the client's is unknown
		{"192.168.0.1", nil},
		// pods of one namespace: its search path
		{"192.168.0.2", []string{"svcns.svc.cluster.local.", "svc.cluster.local.", "cluster.local.", "corp.example.", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.client, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion("google.com.podns.svc.cluster.local.", dns.TypeA)
			got := h.AutoPath(request.Request{Req: m, W: &test.ResponseWriter{RemoteIP: tc.client}})
			if !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Errorf("AutoPath = %q, want %q", got, tc.want)
			}
		})
	}
	// without pods verified, no pods: autopath does nothing, as with the kubernetes plugin
	h = newPodsHandler(t, "clusterdns cluster.local {\n pods insecure\n}", verifiedNamespaces,
		testPod("podns", "foo", "10.240.0.1"))
	m := new(dns.Msg)
	m.SetQuestion("google.com.podns.svc.cluster.local.", dns.TypeA)
	if got := h.AutoPath(request.Request{Req: m, W: &test.ResponseWriter{RemoteIP: "10.240.0.1"}}); got != nil {
		t.Errorf("AutoPath with pods insecure = %q, want nil", got)
	}
}

// TestClientMetadataPodsVerified: the client keys come from the pod index.
func TestClientMetadataPodsVerified(t *testing.T) {
	h := newPodsHandler(t, "clusterdns cluster.local {\n pods verified\n}", verifiedNamespaces,
		testPod("podns", "foo", "10.240.0.1"),
		testPod("svcns", "a", "192.168.0.2"), testPod("svcns", "b", "192.168.0.2"))
	tests := []struct {
		client        string
		ns, name      string
		wantNS, wantN bool
	}{
		{"10.240.0.1", "podns", "foo", true, true},
		{"192.168.0.2", "svcns", "", true, false},
		{"10.240.0.9", "", "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.client, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion("example.org.", dns.TypeA)
			ctx := metadata.ContextWithMetadata(context.Background())
			ctx = h.Metadata(ctx, request.Request{Req: m, W: &test.ResponseWriter{RemoteIP: tc.client}})
			for _, k := range []struct {
				key, want string
				set       bool
			}{{"kubernetes/client-namespace", tc.ns, tc.wantNS}, {"kubernetes/client-pod-name", tc.name, tc.wantN}} {
				f := metadata.ValueFunc(ctx, k.key)
				if (f != nil) != k.set {
					t.Fatalf("%s set = %v, want %v", k.key, f != nil, k.set)
				}
				if f != nil && f() != k.want {
					t.Errorf("%s = %q, want %q", k.key, f(), k.want)
				}
			}
		})
	}
}
