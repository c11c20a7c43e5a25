package model

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func apiNode(rv string, ready corev1.ConditionStatus, heartbeat time.Time) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n1", ResourceVersion: rv, CreationTimestamp: metav1.Unix(100, 0),
			Labels: map[string]string{"kubernetes.io/hostname": "n1"}, Annotations: map[string]string{"a": "b"}},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: metav1.NewTime(heartbeat)},
				{Type: corev1.NodeReady, Status: ready, LastHeartbeatTime: metav1.NewTime(heartbeat)},
			},
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeHostName, Address: "n1"},
				{Type: corev1.NodeInternalIP, Address: "10.0.0.1"},
				{Type: corev1.NodeInternalIP, Address: "fd00::1"},
				{Type: corev1.NodeExternalIP, Address: "203.0.113.1"},
				{Type: corev1.NodeExternalIP, Address: "not an IP"},
			},
		},
	}
}

func TestNodeFromAPI(t *testing.T) {
	n := apiNode("1", corev1.ConditionTrue, time.Unix(200, 0))
	want := &Node{Meta: Meta{Name: "n1", ResourceVersion: "1"}, Created: time.Unix(100, 0),
		InternalIPs: []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")},
		ExternalIPs: []netip.Addr{netip.MustParseAddr("203.0.113.1")}, Ready: true}
	if got := NodeFromAPI(n); !reflect.DeepEqual(got, want) || !got.Eligible() {
		t.Errorf("got %+v, want %+v, eligible", got, want)
	}
	for name, edit := range map[string]func(*corev1.Node){
		"NotReady":      func(n *corev1.Node) { n.Status.Conditions[1].Status = corev1.ConditionFalse },
		"Unknown":       func(n *corev1.Node) { n.Status.Conditions[1].Status = corev1.ConditionUnknown },
		"no condition":  func(n *corev1.Node) { n.Status.Conditions = nil },
		"cordoned":      func(n *corev1.Node) { n.Spec.Unschedulable = true },
		"being deleted": func(n *corev1.Node) { n.DeletionTimestamp = ptr.To(metav1.Unix(300, 0)) },
		"excluded":      func(n *corev1.Node) { n.Labels[corev1.LabelNodeExcludeBalancers] = "" },
	} {
		n := apiNode("1", corev1.ConditionTrue, time.Unix(200, 0))
		edit(n)
		if NodeFromAPI(n).Eligible() {
			t.Errorf("%s: eligible", name)
		}
	}
}

type counter struct{ private int }

func (c *counter) Notify(ch Change) {
	if ch.Private {
		c.private++
	}
}

// A kubelet's heartbeat (a new resourceVersion, nothing DNS reads changed) rebuilds nothing;
// a node going NotReady does.
func TestUpsertNodeSkipsHeartbeats(t *testing.T) {
	st := NewStore()
	c := &counter{}
	st.Subscribe(c)
	st.UpsertNode(NodeFromAPI(apiNode("1", corev1.ConditionTrue, time.Unix(200, 0))))
	st.UpsertNode(NodeFromAPI(apiNode("2", corev1.ConditionTrue, time.Unix(260, 0))))
	if c.private != 1 {
		t.Fatalf("%d changes after a heartbeat, want 1", c.private)
	}
	st.UpsertNode(NodeFromAPI(apiNode("3", corev1.ConditionFalse, time.Unix(300, 0))))
	st.DeleteNode(Key{Name: "n1"})
	st.DeleteNode(Key{Name: "n1"})
	if c.private != 3 {
		t.Fatalf("%d changes, want 3", c.private)
	}
	st.Read(func(v View) {
		if v.Node("n1") != nil {
			t.Error("n1 still there")
		}
	})
}

func TestNodePortsOfServices(t *testing.T) {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Annotations: map[string]string{AnnotationExport: "true"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "10.96.0.1", ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			Ports: []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, NodePort: 30080}}}}
	e := ServiceFromAPI(s).Exposure
	if e == nil || !e.NodeLocal || !e.Annotated || !reflect.DeepEqual(e.NodePorts, []Port{{"http", "TCP", 30080}}) || !e.NodePortsOnly() {
		t.Fatalf("exposure %+v", e)
	}
	s.Spec.Type, s.Spec.Ports[0].NodePort = corev1.ServiceTypeClusterIP, 0
	if e := ServiceFromAPI(s).Exposure; e != nil {
		t.Fatalf("ClusterIP Service: exposure %+v", e)
	}

	// the slices of a Service with externalTrafficPolicy Local change private zones
	st := NewStore()
	c := &counter{}
	s.Spec.Type, s.Spec.Ports[0].NodePort = corev1.ServiceTypeNodePort, 30080
	st.UpsertService(ServiceFromAPI(s))
	st.Subscribe(c)
	sl := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.1.0.1"}, NodeName: ptr.To("n1")},
			{Addresses: []string{"10.1.0.2"}, NodeName: ptr.To("n2"), Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}},
			{Addresses: []string{"10.1.0.3"}, NodeName: ptr.To("n3"), Conditions: discoveryv1.EndpointConditions{Terminating: ptr.To(true)}},
			{Addresses: []string{"10.1.0.4"}},
		}}
	conv := WithNodeNames(EndpointSliceConverter(false, false))
	got := conv(sl)
	if !reflect.DeepEqual(got.NodeNames, []string{"n1"}) || len(got.Endpoints) != 2 {
		t.Errorf("node names %q, %d endpoints", got.NodeNames, len(got.Endpoints))
	}
	st.UpsertSlice(got)
	if c.private != 1 {
		t.Errorf("%d private changes for a Local Service's slice, want 1", c.private)
	}
	if EndpointSliceConverter(false, false)(sl).NodeNames != nil {
		t.Error("node names kept without WithNodeNames")
	}
	// a peer without endpoints keeps the Service and the node names alone
	trimmed := EndpointSliceNodeNames(sl)
	want := &EndpointSlice{Meta: got.Meta, Service: got.Service, NodeNames: []string{"n1"}}
	if !reflect.DeepEqual(trimmed, want) {
		t.Errorf("EndpointSliceNodeNames: %+v, want %+v", trimmed, want)
	}
}
