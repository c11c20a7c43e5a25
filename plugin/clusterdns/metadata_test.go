package clusterdns

import (
	"context"
	"maps"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/kubernetes"
	"github.com/coredns/coredns/plugin/metadata"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// The kubernetes plugin's metadataCases (metadata_test.go), less the multicluster and
// pods verified ones (its client podns/foo at 10.240.0.1 is in TestClientMetadataPodsVerified),
// plus the names of other zones of the block.
func TestMetadata(t *testing.T) {
	cfg, err := parse(caddy.NewTestController("dns", "clusterdns cluster.local in-addr.arpa {\n private corp.example\n}"))
	if err != nil {
		t.Fatal(err)
	}
	h := newClusterDNS(cfg) // the keys come from the name alone: no snapshot needed
	svc := func(kind, ns, service, endpoint, port, proto string) map[string]string {
		return map[string]string{
			"kubernetes/kind": kind, "kubernetes/namespace": ns, "kubernetes/service": service,
			"kubernetes/endpoint": endpoint, "kubernetes/port-name": port, "kubernetes/protocol": proto,
		}
	}
	invalid := map[string]string{"kubernetes/parse-error": "invalid query name"}
	tests := []struct {
		qname    string
		qtype    uint16
		remoteIP string
		want     map[string]string
	}{
		{"foo.bar.notapod.cluster.local.", dns.TypeA, "", invalid},
		{"10-240-0-1.podns.pod.cluster.local.", dns.TypeA, "", svc("pod", "podns", "10-240-0-1", "", "", "")},
		{"s.ns.svc.cluster.local.", dns.TypeA, "", svc("svc", "ns", "s", "", "", "")},
		{"s.ns.svc.cluster.local.", dns.TypeA, "10.10.10.10", svc("svc", "ns", "s", "", "", "")},
		{"_http._tcp.s.ns.svc.cluster.local.", dns.TypeSRV, "10.10.10.10", svc("svc", "ns", "s", "", "http", "tcp")},
		{"ep.s.ns.svc.cluster.local.", dns.TypeA, "10.10.10.10", svc("svc", "ns", "s", "ep", "", "")},
		{"example.com.", dns.TypeA, "10.10.10.10", map[string]string{}},
		// not in the plugin's table; its parseRequest gives these
		{"EP.S.NS.Svc.Cluster.Local.", dns.TypeA, "", svc("svc", "ns", "s", "ep", "", "")},
		{"cluster.local.", dns.TypeSOA, "", svc("", "", "", "", "", "")},
		{"svc.cluster.local.", dns.TypeA, "", svc("", "", "", "", "", "")},
		{"ns.svc.cluster.local.", dns.TypeA, "", svc("svc", "ns", "", "", "", "")},
		{"a.b.c.s.ns.svc.cluster.local.", dns.TypeA, "", invalid},
		{"10.0.96.10.in-addr.arpa.", dns.TypePTR, "", invalid},
		{"www.corp.example.", dns.TypeA, "", map[string]string{}}, // a private zone
	}
	for _, tc := range tests {
		t.Run(tc.qname, func(t *testing.T) {
			check(t, h, tc.qname, tc.qtype, tc.remoteIP, tc.want)
		})
	}
	// with the client's pod known, the client keys too, for any name
	h.ClientPod = pods(map[string][2]string{"10.10.10.10": {"podns", "foo"}})
	check(t, h, "example.com.", dns.TypeA, "10.10.10.10", map[string]string{"kubernetes/client-namespace": "podns", "kubernetes/client-pod-name": "foo"})
	check(t, h, "example.com.", dns.TypeA, "10.10.10.11", map[string]string{})
}

// check asks h for the metadata of a query and compares every key it set.
func check(t *testing.T, h *ClusterDNS, qname string, qtype uint16, remoteIP string, want map[string]string) {
	t.Helper()
	ctx := metadata.ContextWithMetadata(context.Background())
	m := new(dns.Msg)
	m.SetQuestion(qname, qtype)
	h.Metadata(ctx, request.Request{Req: m, W: &test.ResponseWriter{RemoteIP: remoteIP}})
	got := map[string]string{}
	for _, l := range metadata.Labels(ctx) {
		got[l] = metadata.ValueFunc(ctx, l)()
	}
	if !maps.Equal(got, want) {
		t.Errorf("metadata of %s from %s: %v, want %v", qname, remoteIP, got, want)
	}
}

// The keys and values of the kubernetes plugin itself (without pods verified), name by name,
// without and with zonal.
func TestMetadataAgainstKubernetesPlugin(t *testing.T) {
	for _, opts := range []string{"", " {\n zonal\n}"} {
		cfg, err := parse(caddy.NewTestController("dns", "clusterdns cluster.local in-addr.arpa"+opts))
		if err != nil {
			t.Fatal(err)
		}
		k, err := kubernetes.ParseStanza(caddy.NewTestController("dns", "kubernetes cluster.local in-addr.arpa"+opts))
		if err != nil {
			t.Fatal(err)
		}
		metadataAgainst(t, newClusterDNS(cfg), k)
	}
}

func metadataAgainst(t *testing.T, h *ClusterDNS, k *kubernetes.Kubernetes) {
	t.Helper()
	names := []string{
		"cluster.local.", "svc.cluster.local.", "pod.cluster.local.", "dns-version.cluster.local.",
		"ns.dns.cluster.local.", "ns.svc.cluster.local.", "s.ns.svc.cluster.local.", "S.NS.SVC.cluster.local.",
		"ep.s.ns.svc.cluster.local.", "_http._tcp.s.ns.svc.cluster.local.", "http.tcp.s.ns.svc.cluster.local.",
		"__x._tcp.s.ns.svc.cluster.local.", "a.b.c.s.ns.svc.cluster.local.", "a.b.c.d.s.ns.svc.cluster.local.",
		"10-1-2-3.ns.pod.cluster.local.", "x.y.notsvc.cluster.local.", "svc.svc.cluster.local.",
		"10.0.96.10.in-addr.arpa.", "in-addr.arpa.", "example.com.", ".",
		"us-west-2a.pin._zone.s.ns.svc.cluster.local.", "corp.example.com.prefer._zone.s.ns.svc.cluster.local.",
		"a.florp._zone.s.ns.svc.cluster.local.", "a.pin._zone.s.ns.pod.cluster.local.", "pin._zone.s.ns.svc.cluster.local.",
		"a.pin.zone.s.ns.svc.cluster.local.",
	}
	for _, name := range names {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		state := request.Request{Req: m, W: &test.ResponseWriter{}}
		theirs := metadata.ContextWithMetadata(context.Background())
		k.Metadata(theirs, state)
		want := map[string]string{}
		for _, l := range metadata.Labels(theirs) {
			want[l] = metadata.ValueFunc(theirs, l)()
		}
		check(t, h, name, dns.TypeA, "", want)
	}
}
