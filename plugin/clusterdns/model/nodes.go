package model

import (
	"net/netip"
	"reflect"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// KindNode is the optional kind of the nodeports option: Nodes are read only when a private
// zone serves NodePort records.
const KindNode Kind = "Node"

// LabelExcludeFromLB keeps a node out of load balancers' backends, and so out of the
// NodePort records (as cloud controllers read it).
const LabelExcludeFromLB = corev1.LabelNodeExcludeBalancers

// Node is what DNS needs of a core/v1 Node: its addresses and whether a NodePort on it is
// worth handing out. A kubelet's heartbeats change nothing of it, so they rebuild nothing
// (see UpsertNode).
type Node struct {
	Meta
	Created       time.Time
	InternalIPs   []netip.Addr // status.addresses of type InternalIP
	ExternalIPs   []netip.Addr // status.addresses of type ExternalIP
	Ready         bool         // the Ready condition is True
	Unschedulable bool         // spec.unschedulable
	Deleting      bool         // metadata.deletionTimestamp is set
	Excluded      bool         // labelled node.kubernetes.io/exclude-from-external-load-balancers
}

// NodeFromAPI converts a Node, keeping the fields above only.
func NodeFromAPI(n *corev1.Node) *Node {
	out := &Node{Meta: trimMeta(&n.ObjectMeta), Created: n.CreationTimestamp.Time,
		Unschedulable: n.Spec.Unschedulable, Deleting: n.DeletionTimestamp != nil}
	_, out.Excluded = n.Labels[LabelExcludeFromLB]
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Ready = c.Status == corev1.ConditionTrue
		}
	}
	for _, a := range n.Status.Addresses {
		ip, err := netip.ParseAddr(a.Address)
		if err != nil {
			continue
		}
		switch a.Type {
		case corev1.NodeInternalIP:
			out.InternalIPs = append(out.InternalIPs, ip.Unmap())
		case corev1.NodeExternalIP:
			out.ExternalIPs = append(out.ExternalIPs, ip.Unmap())
		}
	}
	return out
}

// Eligible reports whether the node may receive NodePort traffic: Ready, schedulable, not
// being deleted and not excluded from load balancers (the rules of cloud controllers'
// backend lists).
func (n *Node) Eligible() bool {
	return n.Ready && !n.Unschedulable && !n.Deleting && !n.Excluded
}

// UpsertNode adds or replaces a Node. Kubelets update their Node's status every few
// minutes with nothing DNS reads changed: such an update is dropped here, where comparing
// resourceVersions would rebuild every NodePort zone.
func (st *Store) UpsertNode(n *Node) {
	st.mu.Lock()
	defer st.done()
	k := Key{Name: n.Name}
	if old := st.nodes[k]; old != nil {
		a, b := *old, *n
		a.ResourceVersion, b.ResourceVersion = "", ""
		if reflect.DeepEqual(a, b) {
			st.nodes[k] = n // the new version, so a relist compares with it
			return
		}
	}
	st.nodes[k] = n
	st.notify(Change{Private: true})
}

// DeleteNode removes a Node.
func (st *Store) DeleteNode(k Key) {
	st.mu.Lock()
	defer st.done()
	if _, ok := st.nodes[k]; !ok {
		return
	}
	delete(st.nodes, k)
	st.notify(Change{Private: true})
}

// Nodes calls fn for every Node.
func (v View) Nodes(fn func(*Node)) {
	for _, n := range v.st.nodes {
		fn(n)
	}
}

// Node returns the Node named name, or nil.
func (v View) Node(name string) *Node { return v.st.nodes[Key{Name: name}] }

// nodeLocal reports whether the endpoints of Service k decide which nodes its NodePort
// records list (externalTrafficPolicy Local): a change of its EndpointSlices then changes
// private zones.
func (st *Store) nodeLocal(k Key) bool {
	s := st.services[k]
	return s != nil && s.Exposure != nil && s.Exposure.NodeLocal && len(s.Exposure.NodePorts) > 0
}

// WithNodeNames wraps an EndpointSlice conversion to keep the node of each served endpoint
// (NodeNames), which the NodePort records of Services with externalTrafficPolicy Local
// need: only sources whose blocks have the nodeports option pay a string per endpoint.
func WithNodeNames(conv func(*discoveryv1.EndpointSlice) *EndpointSlice) func(*discoveryv1.EndpointSlice) *EndpointSlice {
	return func(s *discoveryv1.EndpointSlice) *EndpointSlice {
		out := conv(s)
		for _, e := range s.Endpoints {
			served := (e.Conditions.Ready == nil || *e.Conditions.Ready) && (e.Conditions.Terminating == nil || !*e.Conditions.Terminating)
			if served && e.NodeName != nil && *e.NodeName != "" {
				out.NodeNames = append(out.NodeNames, strings.ToLower(*e.NodeName))
			}
		}
		return out
	}
}

// EndpointSliceNodeNames keeps of an EndpointSlice the Service it belongs to and the nodes
// of its served endpoints (WithNodeNames), nothing else: what a peer's Service reached at
// its node ports with externalTrafficPolicy Local needs when the peer's endpoints are not
// answered, for a few dozen bytes a slice.
func EndpointSliceNodeNames(s *discoveryv1.EndpointSlice) *EndpointSlice {
	return WithNodeNames(func(s *discoveryv1.EndpointSlice) *EndpointSlice {
		return &EndpointSlice{Meta: trimMeta(&s.ObjectMeta), Service: s.Labels[discoveryv1.LabelServiceName]}
	})(s)
}

// NodeAddrs returns the node's addresses of the given type (InternalIP or ExternalIP).
func (n *Node) NodeAddrs(external bool) []netip.Addr {
	if external {
		return n.ExternalIPs
	}
	return n.InternalIPs
}

func (n *Node) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (n *Node) DeepCopyObject() runtime.Object { return n }
