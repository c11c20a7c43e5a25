// Package model holds the parts of Kubernetes objects that DNS needs, in a form that is
// cheap to keep for every object of a cluster. Sources (the API server's reflectors, manifest files) convert
// API objects with the *FromAPI functions and write them to a Store; indexes read the Store.
package model

import (
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Key names a namespaced object.
type Key struct{ Namespace, Name string }

func (k Key) String() string { return k.Namespace + "/" + k.Name }

// Port is a service or endpoint port. Port is -1 when the API object leaves it unset.
type Port struct {
	Name     string
	Protocol string // as in the API: TCP, UDP, SCTP
	Port     int32
}

// Service is what DNS needs of a core/v1 Service.
type Service struct {
	Meta
	Headless     bool
	ClusterIPs   []netip.Addr // empty when headless or for ExternalName
	ExternalName string       // set for type ExternalName
	Ports        []Port
	Exposure     *Exposure // nil unless reachable from outside the cluster network
}

// Endpoint is one served endpoint: ready, and not terminating.
type Endpoint struct {
	Addresses []netip.Addr
	Hostname  string
	// more holds what only some blocks use (see Pod and Zone): nil otherwise, so each costs a
	// pointer per endpoint, not two strings; with 200,000 endpoints that is 5 MB.
	more *endpointMore
}

type endpointMore struct{ pod, zone string }

// Pod is the name of the endpoint's targetRef, kept only when it may name the endpoint
// (endpoint_pod_names, see EndpointSliceFromAPI); "" otherwise.
func (e *Endpoint) Pod() string {
	if e.more == nil {
		return ""
	}
	return e.more.pod
}

// Zone is the endpoint's topology zone, lowercase, kept only for the zone-scoped names of
// the kubernetes plugin's zonal option (EndpointSliceConverter); "" otherwise.
func (e *Endpoint) Zone() string {
	if e.more == nil {
		return ""
	}
	return e.more.zone
}

// EndpointSlice is what DNS needs of a discovery/v1 EndpointSlice.
type EndpointSlice struct {
	Meta
	Service   string // the kubernetes.io/service-name label (multicluster.kubernetes.io/service-name for imports)
	Cluster   string // the source cluster of an imported slice; empty for the cluster's own
	Ports     []Port
	Endpoints []Endpoint
	// NodeNames are the nodes of the served endpoints, one per endpoint that names one,
	// kept only for blocks with the nodeports option (WithNodeNames).
	NodeNames []string
}

// Namespace records that a namespace exists.
type Namespace struct {
	Meta
}

// ServiceKey returns the Key of the Service the slice belongs to.
func (s *EndpointSlice) ServiceKey() Key { return Key{s.Namespace, s.Service} }

// ServiceFromAPI converts a Service. IPs that do not parse are dropped.
func ServiceFromAPI(s *corev1.Service) *Service {
	out := &Service{Meta: trimMeta(&s.ObjectMeta)}
	switch {
	case s.Spec.Type == corev1.ServiceTypeExternalName:
		out.ExternalName = s.Spec.ExternalName
	case s.Spec.ClusterIP == corev1.ClusterIPNone:
		out.Headless = true
	default:
		ips := s.Spec.ClusterIPs
		if len(ips) == 0 && s.Spec.ClusterIP != "" {
			ips = []string{s.Spec.ClusterIP}
		}
		for _, ip := range ips {
			if a, err := netip.ParseAddr(ip); err == nil {
				out.ClusterIPs = append(out.ClusterIPs, a.Unmap())
			}
		}
	}
	for _, p := range s.Spec.Ports {
		out.Ports = append(out.Ports, Port{Name: intern(p.Name), Protocol: intern(string(p.Protocol)), Port: p.Port})
	}
	out.Exposure = exposureOf(s)
	return out
}

// EndpointSliceFromAPI converts an EndpointSlice, keeping only served endpoints: ready
// (an unset condition counts as ready, as the API documents) and not terminating.
// publishNotReadyAddresses needs no code here: the EndpointSlice controller then reports
// such endpoints as ready. Pod names are dropped: see EndpointSliceWithPodNames.
func EndpointSliceFromAPI(s *discoveryv1.EndpointSlice) *EndpointSlice {
	return endpointSliceFromAPI(s, false, false)
}

// EndpointSliceWithPodNames is EndpointSliceFromAPI keeping the targetRef name of endpoints
// without a hostname, for blocks with endpoint_pod_names. As the kubernetes plugin, the
// name is kept whatever the targetRef's kind, and only when it fits a DNS label.
func EndpointSliceWithPodNames(s *discoveryv1.EndpointSlice) *EndpointSlice {
	return endpointSliceFromAPI(s, true, false)
}

// EndpointSliceConverter returns the conversion that keeps pod names (endpoint_pod_names)
// and endpoint zones (zonal) as asked: each costs memory per endpoint, so a source keeps
// them only for blocks that use them.
func EndpointSliceConverter(podNames, zones bool) func(*discoveryv1.EndpointSlice) *EndpointSlice {
	return func(s *discoveryv1.EndpointSlice) *EndpointSlice { return endpointSliceFromAPI(s, podNames, zones) }
}

func endpointSliceFromAPI(s *discoveryv1.EndpointSlice, podNames, zones bool) *EndpointSlice {
	out := &EndpointSlice{Meta: trimMeta(&s.ObjectMeta), Service: s.Labels[discoveryv1.LabelServiceName]}
	// exact sizes: the slices live as long as the object
	out.Ports = make([]Port, 0, len(s.Ports))
	for _, p := range s.Ports {
		port := Port{Port: -1}
		if p.Name != nil {
			port.Name = intern(*p.Name)
		}
		if p.Protocol != nil {
			port.Protocol = intern(string(*p.Protocol))
		}
		if p.Port != nil {
			port.Port = *p.Port
		}
		out.Ports = append(out.Ports, port)
	}
	if len(out.Ports) == 0 {
		out.Ports = nil
	}
	served, addrs := 0, 0
	for _, e := range s.Endpoints {
		if servedEndpoint(e) {
			served++
			addrs += len(e.Addresses)
		}
	}
	out.Endpoints = make([]Endpoint, 0, served)
	// one array for the addresses of all endpoints, not one each: fewer long-lived small
	// objects among the decoded list's garbage, whose spans they would keep resident
	all := make([]netip.Addr, 0, addrs)
	for _, e := range s.Endpoints {
		if !servedEndpoint(e) {
			continue
		}
		ep := Endpoint{}
		if e.Hostname != nil {
			ep.Hostname = intern(strings.ToLower(*e.Hostname))
		}
		var more endpointMore
		if podNames && ep.Hostname == "" && e.TargetRef != nil && len(e.TargetRef.Name) < 64 {
			more.pod = strings.ToLower(e.TargetRef.Name)
		}
		if zones && e.Zone != nil {
			more.zone = intern(strings.ToLower(*e.Zone))
		}
		if more != (endpointMore{}) {
			ep.more = &more
		}
		first := len(all)
		for _, a := range e.Addresses {
			if ip, err := netip.ParseAddr(a); err == nil {
				all = append(all, ip.Unmap())
			}
		}
		ep.Addresses = all[first:len(all):len(all)] // full: an append by a reader copies
		if len(ep.Addresses) > 0 {
			out.Endpoints = append(out.Endpoints, ep)
		}
	}
	if len(out.Endpoints) == 0 {
		out.Endpoints = nil
	}
	return out
}

// servedEndpoint reports whether an endpoint is served: ready (an unset condition counts as
// ready, as the API documents) and not terminating.
func servedEndpoint(e discoveryv1.Endpoint) bool {
	return (e.Conditions.Ready == nil || *e.Conditions.Ready) && (e.Conditions.Terminating == nil || !*e.Conditions.Terminating)
}

// NamespaceFromAPI converts a Namespace.
func NamespaceFromAPI(n *corev1.Namespace) *Namespace {
	return &Namespace{Meta: trimMeta(&n.ObjectMeta)}
}

// The model types stand where client-go expects API objects (the kube source's reflectors
// convert items of a streamed list in place), which requires runtime.Object.

func (s *Service) GetObjectKind() schema.ObjectKind       { return schema.EmptyObjectKind }
func (s *EndpointSlice) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }
func (n *Namespace) GetObjectKind() schema.ObjectKind     { return schema.EmptyObjectKind }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (s *Service) DeepCopyObject() runtime.Object { return s }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (s *EndpointSlice) DeepCopyObject() runtime.Object { return s }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (n *Namespace) DeepCopyObject() runtime.Object { return n }
