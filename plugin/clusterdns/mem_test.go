package clusterdns

import (
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/kubernetes/object"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/cache"
)

// The heap tests measure what the cluster zone keeps per Service: the Store and the index of a block with reverse zones, built from
// API objects as test/bench/populate creates them (80% ClusterIP Services with ports http
// and metrics, 20% headless with port http and named endpoints, one EndpointSlice of 4
// ready endpoints each, 10 namespaces), through the same conversions as the kube source.
// The kubernetes plugin's caches of the same objects (its converted objects in client-go
// indexers with its indexes) are measured alongside: the issue wants at most 0.35 times
// its memory growth, and the live heap is the part of that growth we decide.
//
// The figures are budgets, not timings: live heap after a GC, which does not depend on
// the machine. CLUSTERDNS_HEAPPROFILE=FILE writes a heap profile of the largest size
// (with -memprofilerate=1 for every allocation), to see where the bytes go.

// heapEndpoints is the endpoints per Service of the sizing (200,000 for 50,000).
const heapEndpoints = 4

// bytesPerService is the live heap allowed per Service (with its 4 endpoints) for the
// Store and the index: 1,897 bytes measured at 5,000 Services and 1,839 at 50,000 when the
// budget was set (2,583 before the cuts of issue 11), so a change that makes every Service
// or endpoint markedly bigger fails here.
const bytesPerService = 2100

// maxRatio is the largest share of the kubernetes plugin's live heap we allow: 0.54
// measured. The 0.35 is of RSS growth, of which the plugin's live heap is only a
// third (44.6 MiB growth for 16.6 MiB live at 5,000 Services) and ours two thirds: see
// model/MEMORY.md.
const maxRatio = 0.6

func TestIndexHeap(t *testing.T) {
	sizes := []int{5000, 50000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	per := map[int]float64{}
	for i, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			svcs, slices := wireObjects(t, n)
			theirs := heapOf(func() any { return pluginCaches(t, svcs, slices) }, false)
			ours := heapOf(func() any { return clusterZone(t, svcs, slices) }, i == len(sizes)-1)
			runtime.KeepAlive(svcs) // the API objects are not part of either figure
			runtime.KeepAlive(slices)
			per[n] = float64(ours) / float64(n)
			ratio := float64(ours) / float64(theirs)
			t.Logf("%d Services, %d endpoints: ours %.1f MiB (%d B/Service), the kubernetes plugin's %.1f MiB (%d B/Service): %.2fx",
				n, n*heapEndpoints, mib(ours), ours/int64(n), mib(theirs), theirs/int64(n), ratio)
			if ours/int64(n) > bytesPerService {
				t.Errorf("%d B per Service, budget %d", ours/int64(n), bytesPerService)
			}
			if ratio > maxRatio {
				t.Errorf("%.2fx the kubernetes plugin's live heap, want at most %.2fx", ratio, maxRatio)
			}
		})
	}
	// linear: what one more Service costs does not grow with the cluster (the issue: bytes per
	// Service at 50k within 20% of that at 5k)
	if a, b := per[5000], per[50000]; a > 0 && b > 0 && (b > 1.2*a || b < a/1.2) {
		t.Errorf("bytes per Service: %.0f at 5,000, %.0f at 50,000: not within 20%%", a, b)
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// heapOf returns the live heap that what build returns keeps, after a GC; with profile and
// CLUSTERDNS_HEAPPROFILE set, it writes a heap profile while it is live.
func heapOf(build func() any, profile bool) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if f := os.Getenv("CLUSTERDNS_HEAPPROFILE"); f != "" && profile {
		if out, err := os.Create(f); err == nil {
			_ = pprof.WriteHeapProfile(out)
			out.Close()
		}
	}
	runtime.KeepAlive(kept)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}

// clusterZone builds what the server keeps for the objects: the Store, the keys of the
// reflectors' sinks, and a synced index of a block with reverse zones.
func clusterZone(t *testing.T, svcs, slices [][]byte) any {
	cfg, err := parse(caddy.NewTestController("dns", "clusterdns cluster.local in-addr.arpa ip6.arpa"))
	if err != nil {
		t.Fatal(err)
	}
	st := model.NewStore() // the kube source's sinks keep no keys of their own for these kinds
	for i := range 10 {
		st.SetNamespace(fmt.Sprintf("ns-%d", i), true)
	}
	for _, b := range svcs {
		st.UpsertService(model.ServiceFromAPI(decode[corev1.Service](t, b)))
	}
	for _, b := range slices {
		st.UpsertSlice(model.EndpointSliceFromAPI(decode[discoveryv1.EndpointSlice](t, b)))
	}
	st.SetSynced()
	h := newClusterDNS(cfg)
	h.index.Start(st, nil)
	t.Cleanup(h.index.Stop)
	deadline := time.Now().Add(time.Minute) // 50,000 Services on a busy machine
	for !h.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("index not ready after a minute")
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
	return []any{h, st}
}

// pluginCaches builds the kubernetes plugin's caches of the objects: its converted objects
// (object.ToService, object.EndpointSliceToEndpoints) in client-go indexers with the
// indexes its controller declares (plugin/kubernetes/controller.go).
func pluginCaches(t *testing.T, svcs, slices [][]byte) any {
	svcIdx := cache.NewIndexer(cache.DeletionHandlingMetaNamespaceKeyFunc, cache.Indexers{
		"ServiceNameNamespace": func(o any) ([]string, error) { return []string{o.(*object.Service).Index}, nil },
		"ServiceIP":            func(o any) ([]string, error) { return append([]string(nil), o.(*object.Service).ClusterIPs...), nil },
		"ServiceExternalIP":    func(o any) ([]string, error) { return append([]string(nil), o.(*object.Service).ExternalIPs...), nil },
	})
	epIdx := cache.NewIndexer(cache.DeletionHandlingMetaNamespaceKeyFunc, cache.Indexers{
		"EndpointNameNamespace": func(o any) ([]string, error) { return []string{o.(*object.Endpoints).Index}, nil },
		"EndpointsIP":           func(o any) ([]string, error) { return o.(*object.Endpoints).IndexIP, nil },
	})
	for _, b := range svcs {
		o, err := object.ToService(decode[corev1.Service](t, b))
		if err == nil {
			err = svcIdx.Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range slices {
		o, err := object.EndpointSliceToEndpoints(decode[discoveryv1.EndpointSlice](t, b))
		if err == nil {
			err = epIdx.Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return []any{svcIdx, epIdx}
}

// wireObjects returns the objects of apiObjects in protobuf, as the API server sends them:
// decoded one at a time, each object's strings are its own allocations, as in the server.
func wireObjects(t *testing.T, n int) (svcs, slices [][]byte) {
	as, al := apiObjects(n)
	for _, s := range as {
		b, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, b)
	}
	for _, s := range al {
		b, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		slices = append(slices, b)
	}
	return svcs, slices
}

// decode decodes an object of wireObjects.
func decode[T any, P interface {
	*T
	Unmarshal([]byte) error
}](t *testing.T, b []byte) P {
	p := P(new(T))
	if err := p.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	return p
}

// apiObjects returns n Services and their EndpointSlices as test/bench/populate creates
// them, with what the API server adds (ClusterIPs, UIDs, resourceVersions, timestamps).
func apiObjects(n int) ([]*corev1.Service, []*discoveryv1.EndpointSlice) {
	svcs := make([]*corev1.Service, n)
	slices := make([]*discoveryv1.EndpointSlice, n)
	ready := true
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	meta := func(ns, name string, rv int) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: fmt.Sprint(rv),
			UID: types.UID(fmt.Sprintf("8e7b6c1a-1f0e-4c5d-9a3b-%012d", rv)), CreationTimestamp: created}
	}
	port := func(name string, p int32) corev1.ServicePort {
		return corev1.ServicePort{Name: name, Protocol: corev1.ProtocolTCP, Port: p, TargetPort: intstr.FromInt32(p)}
	}
	for i := range n {
		ns, name := fmt.Sprintf("ns-%d", i%10), fmt.Sprintf("svc-%d", i)
		headless := i%5 == 0
		s := &corev1.Service{ObjectMeta: meta(ns, name, 2*i+1000), Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{port("http", 80)},
			Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone,
		}}
		if headless {
			s.Spec.ClusterIP = corev1.ClusterIPNone
		} else {
			s.Spec.ClusterIP = netip.AddrFrom4([4]byte{10, 96 + byte(i>>16), byte(i >> 8), byte(i)}).String()
			s.Spec.Ports = append(s.Spec.Ports, port("metrics", 9090))
		}
		s.Spec.ClusterIPs = []string{s.Spec.ClusterIP}
		svcs[i] = s

		es := &discoveryv1.EndpointSlice{
			ObjectMeta:  meta(ns, name+"-"+strings.Repeat("x", 5), 2*i+1001),
			AddressType: discoveryv1.AddressTypeIPv4,
		}
		es.Labels = map[string]string{discoveryv1.LabelServiceName: name, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
		for _, p := range s.Spec.Ports {
			es.Ports = append(es.Ports, discoveryv1.EndpointPort{Name: &p.Name, Protocol: &p.Protocol, Port: &p.Port})
		}
		for j := range heapEndpoints {
			k := 10<<24 + 128<<16 + i*heapEndpoints + j + 1
			ep := discoveryv1.Endpoint{
				Addresses:  []string{netip.AddrFrom4([4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)}).String()},
				Conditions: discoveryv1.EndpointConditions{Ready: &ready},
				TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: fmt.Sprintf("%s-7f9c8d6b5-%05d", name, j)},
			}
			if headless {
				ep.Hostname = new(fmt.Sprintf("pod-%d", j))
			}
			es.Endpoints = append(es.Endpoints, ep)
		}
		slices[i] = es
	}
	return svcs, slices
}
