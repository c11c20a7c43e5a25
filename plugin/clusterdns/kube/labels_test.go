package kube

import (
	"sync"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/clock"
)

// TestLabelSelectors: labels and namespace_labels are sent to the API server with every
// list and watch of their resources, as the kubernetes plugin does, and what they do not
// select is not stored.
func TestLabelSelectors(t *testing.T) {
	labeled := func(o metav1.Object, l map[string]string) { o.SetLabels(l) }
	web, other := svc("ns1", "web", "10.96.0.10"), svc("ns1", "other", "10.96.0.11")
	labeled(web, map[string]string{"app": "web"})
	webSlice, otherSlice := slice("ns1", "web-abc", "web", "10.1.0.1"), slice("ns1", "other-abc", "other", "10.1.0.2")
	webSlice.Labels["app"] = "web" // the EndpointSlice controller copies the Service's labels
	ns1 := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns1", Labels: map[string]string{"dns": "on"}}}
	ns2 := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns2"}}
	f := newFakes(ns1, ns2, web, other, webSlice, otherSlice)

	var mu sync.Mutex
	asked := map[string]map[string]bool{} // resource -> verb "list"/"watch" -> seen with the selector
	record := func(a k8stesting.Action) (bool, k8sruntime.Object, error) {
		var sel string
		switch a := a.(type) {
		case k8stesting.ListAction:
			sel = a.GetListRestrictions().Labels.String()
		case k8stesting.WatchAction:
			sel = a.GetWatchRestrictions().Labels.String()
		}
		mu.Lock()
		defer mu.Unlock()
		r := a.GetResource().Resource
		if asked[r] == nil {
			asked[r] = map[string]bool{}
		}
		want := "app=web"
		if r == "namespaces" {
			want = "dns=on"
		}
		asked[r][a.GetVerb()] = asked[r][a.GetVerb()] || sel == want
		return false, nil, nil
	}
	f.cs.PrependReactor("list", "*", record)
	f.cs.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		record(a)
		return false, nil, nil
	})

	s := start(Config{Name: "fake-labels", Labels: "app=web", NamespaceLabels: "dns=on"}, "fake", f.cs, f.dyn, clock.RealClock{})
	t.Cleanup(s.Stop)
	st := s.Store()
	waitFor(t, "initial sync", func() bool { return read(st, model.View.Synced) })

	mu.Lock()
	for _, r := range []string{"services", "endpointslices", "namespaces"} {
		if !asked[r]["list"] {
			t.Errorf("%s listed without the selector: %v", r, asked[r])
		}
	}
	mu.Unlock()
	waitFor(t, "watches with the selector", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return asked["services"]["watch"] && asked["endpointslices"]["watch"] && asked["namespaces"]["watch"]
	})
	if got := endpoints(st, model.Key{Namespace: "ns1", Name: "web"}); len(got) != 1 {
		t.Errorf("web has endpoints %v, want one", got)
	}
	if clusterIPs(st, model.Key{Namespace: "ns1", Name: "other"}) != nil {
		t.Error("the Service without the label is stored")
	}
	if got := endpoints(st, model.Key{Namespace: "ns1", Name: "other"}); got != nil {
		t.Errorf("the slice without the label is stored: %v", got)
	}
	if !read(st, func(v model.View) bool { return v.NamespaceExists("ns1") && !v.NamespaceExists("ns2") }) {
		t.Error("namespaces: want ns1 and not ns2")
	}
}

// TestPodNames: the source keeps the endpoints' pod names only when asked (memory).
func TestPodNames(t *testing.T) {
	for _, keep := range []bool{false, true} {
		sl := slice("ns1", "web-abc", "web", "10.1.0.1")
		sl.Endpoints[0].TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: "ns1", Name: "web-7f9c-abcde"}
		f := newFakes(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns1"}}, svc("ns1", "web", "10.96.0.10"), sl)
		s := start(Config{Name: "fake-podnames", PodNames: keep}, "fake", f.cs, f.dyn, clock.RealClock{})
		st := s.Store()
		waitFor(t, "initial sync", func() bool { return read(st, model.View.Synced) })
		pod := read(st, func(v model.View) string {
			for _, sl := range v.Slices(model.Key{Namespace: "ns1", Name: "web"}) {
				return sl.Endpoints[0].Pod()
			}
			return "no slice"
		})
		s.Stop()
		want := ""
		if keep {
			want = "web-7f9c-abcde"
		}
		if pod != want {
			t.Errorf("PodNames %v: endpoint's pod %q, want %q", keep, pod, want)
		}
	}
}

// TestNoEndpoints: with NoEndpoints the source never lists EndpointSlices, and still syncs.
func TestNoEndpoints(t *testing.T) {
	f := newFakes(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns1"}}, svc("ns1", "web", "10.96.0.10"),
		slice("ns1", "web-abc", "web", "10.1.0.1"))
	var mu sync.Mutex
	listed := map[string]bool{}
	f.cs.PrependReactor("list", "*", func(a k8stesting.Action) (bool, k8sruntime.Object, error) {
		mu.Lock()
		listed[a.GetResource().Resource] = true
		mu.Unlock()
		return false, nil, nil
	})
	s := start(Config{Name: "fake-noendpoints", NoEndpoints: true}, "fake", f.cs, f.dyn, clock.RealClock{})
	t.Cleanup(s.Stop)
	st := s.Store()
	waitFor(t, "initial sync", func() bool { return read(st, model.View.Synced) })
	mu.Lock()
	defer mu.Unlock()
	if !listed["services"] || !listed["namespaces"] || listed["endpointslices"] {
		t.Errorf("listed %v: want services and namespaces, not endpointslices", listed)
	}
	if got := endpoints(st, model.Key{Namespace: "ns1", Name: "web"}); got != nil {
		t.Errorf("endpoints stored: %v", got)
	}
}
