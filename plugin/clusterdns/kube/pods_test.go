package kube

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/clock"
)

func apiPod(ns, name string, ips ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": name}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	for _, ip := range ips {
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	return p
}

// podsOf returns the pods indexed under ip as ns/name.
func podsOf(st *model.Store, ip string) []string {
	var out []string
	s := st.Pods().Get(netip.MustParseAddr(ip))
	for i := range s.Len() {
		out = append(out, s.At(i).Namespace+"/"+s.At(i).Name)
	}
	return out
}

func TestPods(t *testing.T) {
	ctx := context.Background()
	f := newFakes(apiPod("ns", "old", "10.1.0.1"))
	var mu sync.Mutex
	var selectors []string
	f.cs.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, k8sruntime.Object, error) {
		mu.Lock()
		selectors = append(selectors, a.(k8stesting.ListAction).GetListRestrictions().Fields.String())
		mu.Unlock()
		return false, nil, nil
	})
	s := start(Config{Name: "fake-pods", Pods: true}, "fake", f.cs, f.dyn, clock.RealClock{})
	t.Cleanup(s.Stop)
	st := s.Store()
	waitFor(t, "initial sync", func() bool { return read(st, model.View.Synced) })
	waitFor(t, "pod watch", f.w.started("pods"))
	if got := podsOf(st, "10.1.0.1"); !slices.Equal(got, []string{"ns/old"}) {
		t.Fatalf("after sync, 10.1.0.1 has pods %v, want ns/old", got)
	}
	mu.Lock()
	if len(selectors) == 0 || selectors[0] != "status.phase!=Failed,status.phase!=Succeeded,status.phase!=Unknown" {
		t.Errorf("pods listed with field selectors %q, want the kubernetes plugin's phase selector", selectors)
	}
	mu.Unlock()

	pods := f.cs.CoreV1().Pods("ns")
	// a pod gets its address after creation, through the status subresource
	p := apiPod("ns", "web")
	if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p.Status.PodIPs = []corev1.PodIP{{IP: "10.1.0.2"}, {IP: "fd00::2"}}
	if _, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web's addresses", func() bool {
		return slices.Equal(podsOf(st, "10.1.0.2"), []string{"ns/web"}) && slices.Equal(podsOf(st, "fd00::2"), []string{"ns/web"})
	})

	// a pod being deleted keeps its address until it is gone, as in the kubernetes plugin
	now := metav1.Now()
	old := apiPod("ns", "old", "10.1.0.1")
	old.DeletionTimestamp = &now
	if _, err := pods.Update(ctx, old, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	p.Status.PodIPs = []corev1.PodIP{{IP: "10.1.0.3"}} // the sentinel: seen after old's update
	if _, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web's new address", func() bool { return slices.Equal(podsOf(st, "10.1.0.3"), []string{"ns/web"}) })
	if got := podsOf(st, "10.1.0.2"); got != nil {
		t.Errorf("web's old address still has pods %v", got)
	}
	if got := podsOf(st, "10.1.0.1"); !slices.Equal(got, []string{"ns/old"}) {
		t.Errorf("while being deleted, 10.1.0.1 has pods %v, want ns/old", got)
	}

	if err := pods.Delete(ctx, "old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "old deleted", func() bool { return podsOf(st, "10.1.0.1") == nil })
	if n := st.Pods().Len(); n != 1 {
		t.Errorf("after the delete, %d pods are indexed, want 1", n)
	}
}

// TestNoPods: a source without Pods does not watch them.
func TestNoPods(t *testing.T) {
	f := newFakes(apiPod("ns", "old", "10.1.0.1"))
	s := f.start(t, "fake-nopods")
	waitFor(t, "initial sync", func() bool { return read(s.Store(), model.View.Synced) })
	waitFor(t, "watches", f.w.started("services", "endpointslices", "namespaces"))
	if f.w.started("pods")() {
		t.Error("pods are watched without Config.Pods")
	}
	if n := s.Store().Pods().Len(); n != 0 {
		t.Errorf("%d pods indexed without Config.Pods", n)
	}
}
