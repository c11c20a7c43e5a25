package kube

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/clock"
)

// waitFor waits until cond holds, or fails the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling a condition, not synchronising by time
	}
}

// watches records which resources the fake clientsets are watching: an object created
// before its watch starts would be lost, as the fakes do not resume from a resourceVersion.
type watches struct {
	mu sync.Mutex
	m  map[string]int
}

func (w *watches) reactor(a k8stesting.Action) (bool, watch.Interface, error) {
	w.mu.Lock()
	w.m[a.GetResource().Resource]++
	w.mu.Unlock()
	return false, nil, nil // the default reactor answers
}

func (w *watches) started(resources ...string) func() bool {
	return func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, r := range resources {
			if w.m[r] == 0 {
				return false
			}
		}
		return true
	}
}

var vsGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}

type fakes struct {
	cs  *fake.Clientset
	dyn *dynamicfake.FakeDynamicClient
	w   *watches
}

func newFakes(objs ...k8sruntime.Object) fakes {
	f := fakes{cs: fake.NewClientset(objs...), w: &watches{m: map[string]int{}}}
	f.dyn = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(k8sruntime.NewScheme(),
		map[schema.GroupVersionResource]string{vsGVR: "VirtualServiceList", model.ServiceImportGroup: "ServiceImportList"})
	f.cs.PrependWatchReactor("*", f.w.reactor)
	f.dyn.PrependWatchReactor("*", f.w.reactor)
	f.cs.Resources = []*metav1.APIResourceList{{GroupVersion: vsGVR.GroupVersion().String(),
		APIResources: []metav1.APIResource{{Name: "virtualservices", Namespaced: true, Kind: "VirtualService"}}}}
	return f
}

func (f fakes) start(t *testing.T, name string) *Source {
	t.Helper()
	s := start(Config{Name: name}, "fake", f.cs, f.dyn, clock.RealClock{})
	t.Cleanup(s.Stop)
	return s
}

func read[T any](st *model.Store, fn func(model.View) T) T {
	var out T
	st.Read(func(v model.View) { out = fn(v) })
	return out
}

func svc(ns, name, ip string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{ClusterIP: ip, ClusterIPs: []string{ip},
			Ports: []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}}}}
}

func slice(ns, name, service, ip string) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{ip}}},
	}
}

func clusterIPs(st *model.Store, k model.Key) []netip.Addr {
	return read(st, func(v model.View) []netip.Addr {
		if s := v.Service(k); s != nil {
			return s.ClusterIPs
		}
		return nil
	})
}

func endpoints(st *model.Store, k model.Key) []string {
	return read(st, func(v model.View) []string {
		var out []string
		for _, sl := range v.Slices(k) {
			for _, e := range sl.Endpoints {
				for _, a := range e.Addresses {
					out = append(out, sl.Name+"="+a.String())
				}
			}
		}
		return out
	})
}

func TestClusterResources(t *testing.T) {
	ctx := context.Background()
	f := newFakes(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns1"}},
		svc("ns1", "web", "10.96.0.10"),
		slice("ns1", "web-abc", "web", "10.1.0.1"),
	)
	s := f.start(t, "fake-cluster")
	st := s.Store()
	waitFor(t, "initial sync", func() bool { return read(st, model.View.Synced) })
	web := model.Key{Namespace: "ns1", Name: "web"}
	if got := clusterIPs(st, web); !slices.Equal(got, []netip.Addr{netip.MustParseAddr("10.96.0.10")}) {
		t.Fatalf("after sync, web has cluster IPs %v", got)
	}
	if got := endpoints(st, web); !slices.Equal(got, []string{"web-abc=10.1.0.1"}) {
		t.Fatalf("after sync, web has endpoints %v", got)
	}
	if !read(st, func(v model.View) bool { return v.NamespaceExists("ns1") }) {
		t.Fatal("after sync, namespace ns1 is missing")
	}
	for _, r := range []string{"services", "endpointslices", "namespaces"} {
		if got := testutil.ToFloat64(sourceSynced.WithLabelValues("fake-cluster", r)); got != 1 {
			t.Errorf("source_synced{resource=%q} = %v after sync, want 1", r, got)
		}
		if got := testutil.ToFloat64(lastList.WithLabelValues("fake-cluster", r)); got <= 0 {
			t.Errorf("source_last_list_timestamp_seconds{resource=%q} = %v after sync, want a time", r, got)
		}
	}
	waitFor(t, "watches", f.w.started("services", "endpointslices", "namespaces"))

	// add
	if _, err := f.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns2"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cs.CoreV1().Services("ns2").Create(ctx, svc("ns2", "api", "10.96.0.20"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cs.DiscoveryV1().EndpointSlices("ns2").Create(ctx, slice("ns2", "api-1", "api", "10.1.0.2"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	api := model.Key{Namespace: "ns2", Name: "api"}
	waitFor(t, "ns2 added", func() bool { return read(st, func(v model.View) bool { return v.NamespaceExists("ns2") }) })
	waitFor(t, "api added", func() bool { return len(clusterIPs(st, api)) == 1 })
	waitFor(t, "api-1 added", func() bool { return slices.Equal(endpoints(st, api), []string{"api-1=10.1.0.2"}) })
	if got := testutil.ToFloat64(lastEvent.WithLabelValues("fake-cluster", "services")); got <= 0 {
		t.Errorf("source_last_watch_event_timestamp_seconds = %v after an event, want a time", got)
	}

	// update
	if _, err := f.cs.CoreV1().Services("ns1").Update(ctx, svc("ns1", "web", "10.96.0.11"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cs.DiscoveryV1().EndpointSlices("ns1").Update(ctx, slice("ns1", "web-abc", "web", "10.1.0.9"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web updated", func() bool {
		return slices.Equal(clusterIPs(st, web), []netip.Addr{netip.MustParseAddr("10.96.0.11")})
	})
	waitFor(t, "web-abc updated", func() bool { return slices.Equal(endpoints(st, web), []string{"web-abc=10.1.0.9"}) })

	// delete
	if err := f.cs.DiscoveryV1().EndpointSlices("ns1").Delete(ctx, "web-abc", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := f.cs.CoreV1().Services("ns1").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := f.cs.CoreV1().Namespaces().Delete(ctx, "ns1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web deleted", func() bool { return read(st, func(v model.View) bool { return v.Service(web) == nil }) })
	waitFor(t, "web-abc deleted", func() bool { return len(endpoints(st, web)) == 0 })
	waitFor(t, "ns1 deleted", func() bool { return read(st, func(v model.View) bool { return !v.NamespaceExists("ns1") }) })
	// what was not deleted stays
	if got := endpoints(st, api); !slices.Equal(got, []string{"api-1=10.1.0.2"}) {
		t.Fatalf("after deleting ns1's objects, api has endpoints %v", got)
	}

	s.Stop()
	if n := sourceSynced.DeletePartialMatch(prometheus.Labels{"source": "fake-cluster"}); n != 0 {
		t.Errorf("%d source_synced series left after Stop", n)
	}
}

func ingress(ns, name, host, ip string) *networkingv1.Ingress {
	return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: host}}},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{
			Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: ip}}}}}
}

func ingressHosts(st *model.Store) []string {
	return read(st, func(v model.View) []string {
		var out []string
		v.Ingresses(func(in *model.Ingress) {
			for _, a := range in.Addrs {
				out = append(out, in.Name+":"+in.Hosts[0]+"="+a.String())
			}
		})
		slices.Sort(out)
		return out
	})
}

func TestEnableIngress(t *testing.T) {
	ctx := context.Background()
	f := newFakes(ingress("ns", "shop", "shop.example.com", "192.0.2.1"))
	s := f.start(t, "fake-ingress")
	st := s.Store()
	if got := ingressHosts(st); len(got) != 0 {
		t.Fatalf("Ingresses read before Enable: %v", got)
	}
	for range 2 { // a second Enable is a no-op
		if err := s.Enable(model.KindIngress); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "ingresses synced", func() bool { return read(st, func(v model.View) bool { return v.KindSynced(model.KindIngress) }) })
	if got := ingressHosts(st); !slices.Equal(got, []string{"shop:shop.example.com.=192.0.2.1"}) {
		t.Fatalf("after sync, Ingresses %v", got)
	}
	waitFor(t, "ingress watch", f.w.started("ingresses"))
	if _, err := f.cs.NetworkingV1().Ingresses("ns").Create(ctx, ingress("ns", "blog", "blog.example.com", "192.0.2.2"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cs.NetworkingV1().Ingresses("ns").Update(ctx, ingress("ns", "shop", "shop.example.com", "192.0.2.3"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ingress added and updated", func() bool {
		return slices.Equal(ingressHosts(st), []string{"blog:blog.example.com.=192.0.2.2", "shop:shop.example.com.=192.0.2.3"})
	})
	if err := f.cs.NetworkingV1().Ingresses("ns").Delete(ctx, "shop", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ingress deleted", func() bool {
		return slices.Equal(ingressHosts(st), []string{"blog:blog.example.com.=192.0.2.2"})
	})
	if err := s.Enable("Pod"); err == nil {
		t.Error("Enable of an unknown kind: no error")
	}
}

func virtualService(ns, name, host string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": vsGVR.GroupVersion().String(), "kind": "VirtualService",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec":     map[string]any{"hosts": []any{host}, "gateways": []any{"mesh-gw"}},
	}}
	return u
}

func vsHosts(st *model.Store) []string {
	return read(st, func(v model.View) []string {
		var out []string
		v.VirtualServices(func(vs *model.VirtualService) { out = append(out, vs.Name+":"+vs.Hosts[0]) })
		slices.Sort(out)
		return out
	})
}

func TestEnableVirtualService(t *testing.T) {
	ctx := context.Background()
	f := newFakes()
	if _, err := f.dyn.Resource(vsGVR).Namespace("ns").Create(ctx, virtualService("ns", "reviews", "reviews.example.com"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := f.start(t, "fake-mesh")
	st := s.Store()
	if err := s.Enable(model.KindVirtualService); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "virtualservices synced", func() bool {
		return read(st, func(v model.View) bool { return v.KindSynced(model.KindVirtualService) })
	})
	if got := vsHosts(st); !slices.Equal(got, []string{"reviews:reviews.example.com."}) {
		t.Fatalf("after sync, VirtualServices %v", got)
	}
	waitFor(t, "virtualservice watch", f.w.started("virtualservices"))
	if _, err := f.dyn.Resource(vsGVR).Namespace("ns").Create(ctx, virtualService("ns", "ratings", "ratings.example.com"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := f.dyn.Resource(vsGVR).Namespace("ns").Delete(ctx, "reviews", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "virtualservice added and deleted", func() bool {
		return slices.Equal(vsHosts(st), []string{"ratings:ratings.example.com."})
	})
}

func TestEnableVirtualServiceWithoutIstio(t *testing.T) {
	f := newFakes()
	f.cs.Resources = nil // networking.istio.io not served
	s := f.start(t, "fake-nomesh")
	if err := s.Enable(model.KindVirtualService); err != nil {
		t.Fatal(err)
	}
	// no VirtualServices is complete knowledge: synced at once
	waitFor(t, "virtualservices synced", func() bool {
		return read(s.Store(), func(v model.View) bool { return v.KindSynced(model.KindVirtualService) })
	})
}

// TestEnableVirtualServiceWithOtherIstioCRDs: networking.istio.io is served as soon as one
// of Istio's CRDs is installed; without the VirtualService CRD there are still no
// VirtualServices, which is complete knowledge, not a reflector retrying forever.
func TestEnableVirtualServiceWithOtherIstioCRDs(t *testing.T) {
	f := newFakes()
	f.cs.Resources = []*metav1.APIResourceList{{GroupVersion: vsGVR.GroupVersion().String(),
		APIResources: []metav1.APIResource{{Name: "gateways", Namespaced: true, Kind: "Gateway"}}}}
	s := f.start(t, "fake-istio-gateways-only")
	if err := s.Enable(model.KindVirtualService); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "virtualservices synced", func() bool {
		return read(s.Store(), func(v model.View) bool { return v.KindSynced(model.KindVirtualService) })
	})
	if f.w.started("virtualservices")() {
		t.Fatal("a watch on virtualservices, which the server does not serve")
	}
}
