package model

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestExposure(t *testing.T) {
	created := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	lb := corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "10.128.0.1"}}}
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		lb          corev1.LoadBalancerStatus
		nilWant     bool
		addrs       []string
		target      string
		hostnames   []string
		internal    []string
		ttl         uint32
		problem     string
	}{
		{name: "no address, no annotation: not exposed", nilWant: true},
		{name: "a load balancer", lb: lb, addrs: []string{"10.128.0.1"}},
		{name: "the target annotation replaces the load balancer", lb: lb,
			annotations: map[string]string{"external-dns.alpha.kubernetes.io/target": "10.0.0.7, fd00::7"}, addrs: []string{"10.0.0.7", "fd00::7"}},
		{name: "a target hostname is a CNAME, also without a load balancer",
			annotations: map[string]string{"external-dns.kubernetes.io/target": "Edge.Example.com."}, target: "edge.example.com."},
		{name: "a bad target leaves the load balancer", lb: lb,
			annotations: map[string]string{"external-dns.kubernetes.io/target": "not a host!"}, addrs: []string{"10.128.0.1"}, problem: "is neither an IP address nor a host name"},
		{name: "hostnames of both prefixes, once each", lb: lb,
			annotations: map[string]string{"external-dns.alpha.kubernetes.io/hostname": "a.example., B.example", "external-dns.kubernetes.io/hostname": "b.example"},
			addrs:       []string{"10.128.0.1"}, hostnames: []string{"a.example.", "b.example."}},
		{name: "internal-hostname alone exposes a ClusterIP Service",
			annotations: map[string]string{"external-dns.kubernetes.io/internal-hostname": "db.corp.example"}, internal: []string{"db.corp.example."}},
		{name: "a bad hostname is reported, the others kept", lb: lb,
			annotations: map[string]string{"clusterdns.io/hostname": "ok.example, bad_name!.example"},
			addrs:       []string{"10.128.0.1"}, hostnames: []string{"ok.example."}, problem: `"bad_name!.example" is not a valid host name`},
		{name: "ttl in seconds", lb: lb, annotations: map[string]string{"external-dns.alpha.kubernetes.io/ttl": "60"}, addrs: []string{"10.128.0.1"}, ttl: 60},
		{name: "ttl as a duration", lb: lb, annotations: map[string]string{"external-dns.kubernetes.io/ttl": "5m"}, addrs: []string{"10.128.0.1"}, ttl: 300},
		{name: "a bad ttl is reported", lb: lb, annotations: map[string]string{"external-dns.kubernetes.io/ttl": "0"}, addrs: []string{"10.128.0.1"}, problem: "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ns", Annotations: tc.annotations, CreationTimestamp: created}}
			s.Spec.ClusterIP = "10.96.0.10"
			s.Status.LoadBalancer = tc.lb
			e := ServiceFromAPI(s).Exposure
			if tc.nilWant {
				if e != nil {
					t.Fatalf("exposure %+v, want none", e)
				}
				return
			}
			if e == nil {
				t.Fatal("no exposure")
			}
			var want []netip.Addr
			for _, a := range tc.addrs {
				want = append(want, netip.MustParseAddr(a))
			}
			if !slices.Equal(e.Addrs, want) || e.Target != tc.target || !slices.Equal(e.Hostnames, tc.hostnames) ||
				!slices.Equal(e.InternalHostnames, tc.internal) || e.TTL != tc.ttl || !e.Created.Equal(created.Time) {
				t.Errorf("got %+v", e)
			}
			if tc.problem == "" && len(e.Problems) > 0 || tc.problem != "" && (len(e.Problems) != 1 || !strings.Contains(e.Problems[0], tc.problem)) {
				t.Errorf("problems %q, want %q", e.Problems, tc.problem)
			}
		})
	}
}

func TestIngressAnnotations(t *testing.T) {
	in := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", CreationTimestamp: metav1.NewTime(time.Unix(1000, 0)),
		Annotations: map[string]string{"external-dns.alpha.kubernetes.io/target": "10.0.0.9", "external-dns.alpha.kubernetes.io/ttl": "120"}}}
	in.Spec.Rules = []networkingv1.IngressRule{{Host: "shop.example"}, {Host: "bad host.example"}}
	in.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "10.128.0.1"}}
	got := IngressFromAPI(in)
	if !slices.Equal(got.Addrs, []netip.Addr{netip.MustParseAddr("10.0.0.9")}) || got.TTL != 120 || got.Created.Unix() != 1000 ||
		!slices.Equal(got.Hosts, []string{"shop.example."}) || len(got.Problems) != 1 || !strings.Contains(got.Problems[0], `"bad host.example" is not a valid host name`) {
		t.Fatalf("got %+v", got)
	}
}

func TestVirtualServiceCreated(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "ads", "namespace": "shop", "creationTimestamp": "2026-01-02T03:04:05Z"},
		"spec":     map[string]any{"hosts": []any{"ads.mesh.private"}, "gateways": []any{"external-mesh"}},
	}}
	vs := VirtualServiceFromUnstructured(u)
	if want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC); !vs.Created.Equal(want) || !slices.Equal(vs.Hosts, []string{"ads.mesh.private."}) {
		t.Fatalf("got %+v, want created %v", vs, want)
	}
}
