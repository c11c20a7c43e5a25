package model

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/coredns/coredns/plugin/kubernetes/object"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// benchPods is the pod count of the sizing: 20,000 pods.
const benchPods = 20000

// apiPods returns n pods as the API server sends them: 10 namespaces, Deployment-style
// names, the labels a Deployment sets, one IPv4 address each.
func apiPods(n int) []*corev1.Pod {
	out := make([]*corev1.Pod, n)
	for i := range out {
		app := fmt.Sprintf("app-%d", i/4)
		out[i] = &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("ns-%d", i%10), Name: fmt.Sprintf("%s-7f9c8d6b5-%05d", app, i),
				ResourceVersion: fmt.Sprint(1000 + i),
				Labels:          map[string]string{"app": app, "pod-template-hash": "7f9c8d6b5", "tier": "backend"}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: fmt.Sprintf("10.%d.%d.%d", 1+i>>16, i>>8&255, i&255)},
		}
		out[i].Status.PodIPs = []corev1.PodIP{{IP: out[i].Status.PodIP}}
	}
	return out
}

func liveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// podIPIndex is the kubernetes plugin's podIPIndexFunc.
func podIPIndex(obj any) ([]string, error) { return obj.(*object.Pod).PodIPs, nil }

// TestPodsHeap compares the live heap of 20,000 pods kept for pods verified: ours (the pod
// index and the reflector's keys) against the kubernetes plugin's pod cache (object.ToPod
// into an indexer by IP, as its controller builds it). The issue asks for at most 0.35
// times the plugin's RSS growth with pods verified; for the pods' share we hold ourselves
// to the same ratio.
func TestPodsHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 40,000 pods")
	}
	base := liveHeap()
	pods := newPods()
	keys := map[Key]uint32{} // what the kube source's sink keeps per object
	for _, p := range apiPods(benchPods) {
		m := PodFromAPI(p)
		keys[Key{m.Namespace, m.Name}] = 1
		pods.Upsert(m)
	}
	ours := liveHeap() - base
	runtime.KeepAlive(pods)
	runtime.KeepAlive(keys)

	base = liveHeap()
	idx := cache.NewIndexer(cache.DeletionHandlingMetaNamespaceKeyFunc, cache.Indexers{"PodIP": podIPIndex})
	for _, p := range apiPods(benchPods) {
		o, err := object.ToPod(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := idx.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	theirs := liveHeap() - base
	runtime.KeepAlive(idx)

	ratio := float64(ours) / float64(theirs)
	t.Logf("20,000 pods: ours %.2f MiB (%d B/pod), the kubernetes plugin's %.2f MiB (%d B/pod): %.2fx",
		float64(ours)/(1<<20), ours/benchPods, float64(theirs)/(1<<20), theirs/benchPods, ratio)
	if ratio > 0.35 {
		t.Errorf("pods take %.2fx the kubernetes plugin's heap, want at most 0.35x", ratio)
	}
}
