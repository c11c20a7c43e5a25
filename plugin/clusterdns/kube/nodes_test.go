package kube

import (
	"context"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
)

func readyNode(name string, ready corev1.ConditionStatus) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}}}
}

func eligible(st *model.Store, name string) bool {
	return read(st, func(v model.View) bool { n := v.Node(name); return n != nil && n.Eligible() })
}

// Nodes are neither listed nor watched until a zone asks for them; then they follow the
// API, and with NodeNames the endpoints keep their nodes.
func TestEnableNodes(t *testing.T) {
	ctx := context.Background()
	sl := slice("ns", "web-1", "web", "10.1.0.1")
	sl.Endpoints[0].NodeName = ptr.To("n1")
	f := newFakes(readyNode("n1", corev1.ConditionTrue), sl)
	s := start(Config{Name: "fake-nodes", NodeNames: true}, "fake", f.cs, f.dyn, clock.RealClock{})
	t.Cleanup(s.Stop)
	st := s.Store()
	waitFor(t, "synced", func() bool { return read(st, func(v model.View) bool { return v.Synced() }) })
	for _, a := range f.cs.Actions() {
		if a.GetResource().Resource == "nodes" {
			t.Fatalf("%s nodes before Enable", a.GetVerb())
		}
	}
	if got := read(st, func(v model.View) []string { return v.Slices(model.Key{Namespace: "ns", Name: "web"})[0].NodeNames }); len(got) != 1 || got[0] != "n1" {
		t.Errorf("node names %q, want [n1]", got)
	}
	if err := s.Enable(model.KindNode); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "nodes synced", func() bool { return read(st, func(v model.View) bool { return v.KindSynced(model.KindNode) }) })
	if !eligible(st, "n1") {
		t.Fatal("n1 not eligible after the list")
	}
	waitFor(t, "node watch", f.w.started("nodes"))
	if _, err := f.cs.CoreV1().Nodes().UpdateStatus(ctx, readyNode("n1", corev1.ConditionFalse), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "n1 NotReady", func() bool { return !eligible(st, "n1") })
	if err := f.cs.CoreV1().Nodes().Delete(ctx, "n1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "n1 deleted", func() bool { return read(st, func(v model.View) bool { return v.Node("n1") == nil }) })
}
