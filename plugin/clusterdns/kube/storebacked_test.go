package kube

import (
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

// TestRelistReusesUnchanged streams a relist through the sink as the Reflector does
// (Transformer per item, then Replace) and checks that an object whose resourceVersion the
// Store already has comes out as the Store's own object, not a second converted copy, while a
// changed one is converted and replaces it; and that a relist without an object deletes it,
// found among the Store's keys.
func TestRelistReusesUnchanged(t *testing.T) {
	st := model.NewStore()
	r := storeBacked(newResource[*corev1.Service, *corev1.ServiceList]("services", &corev1.Service{}, nil, nil, nil,
		model.ServiceFromAPI, st.UpsertService, st.DeleteService), st.StoredService, st.StoredServiceKeys)
	k := newSink("unchanged-test", r, clocktesting.NewFakeClock(metav1.Now().Time), func() {})
	defer forget("unchanged-test")
	api := func(name, rv, ip string) *corev1.Service {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, ResourceVersion: rv},
			Spec:       corev1.ServiceSpec{ClusterIP: ip, ClusterIPs: []string{ip}},
		}
	}
	if err := k.Replace([]any{api("a", "1", "10.0.0.1"), api("b", "2", "10.0.0.2")}, "2"); err != nil {
		t.Fatal(err)
	}
	a, b := st.StoredService(model.Key{Namespace: "ns", Name: "a"}), st.StoredService(model.Key{Namespace: "ns", Name: "b"})
	if a == nil || b == nil {
		t.Fatalf("after the first list: a %v, b %v", a, b)
	}

	tr := k.Transformer()
	var relist []any
	for _, o := range []*corev1.Service{api("a", "1", "10.0.0.1"), api("b", "3", "10.0.0.3")} {
		out, err := tr(o)
		if err != nil {
			t.Fatal(err)
		}
		relist = append(relist, out)
	}
	if relist[0] != any(a) {
		t.Errorf("unchanged Service a: transformed into %p, want the stored %p", relist[0], a)
	}
	if relist[1] == any(b) {
		t.Errorf("changed Service b: transformed into the stored object, want a new one")
	}
	if err := k.Replace(relist, "3"); err != nil {
		t.Fatal(err)
	}
	if got := st.StoredService(model.Key{Namespace: "ns", Name: "a"}); got != a {
		t.Errorf("after the relist, a is %p, want the same %p", got, a)
	}
	got := st.StoredService(model.Key{Namespace: "ns", Name: "b"})
	if got == nil || got.ResourceVersion != "3" || len(got.ClusterIPs) != 1 || got.ClusterIPs[0].String() != "10.0.0.3" {
		t.Errorf("after the relist, b is %+v, want resourceVersion 3 with 10.0.0.3", got)
	}

	if err := k.Replace([]any{api("b", "3", "10.0.0.3")}, "4"); err != nil {
		t.Fatal(err)
	}
	if got := st.StoredService(model.Key{Namespace: "ns", Name: "a"}); got != nil {
		t.Errorf("after a relist without a, the Store still has it: %+v", got)
	}
	if got := st.StoredService(model.Key{Namespace: "ns", Name: "b"}); got == nil {
		t.Error("after a relist with b, the Store lost it")
	}
	if len(k.keys) != 0 {
		t.Errorf("the sink keeps %d keys of its own, want none", len(k.keys))
	}
}
