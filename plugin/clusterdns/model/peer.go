package model

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The Services of a peer cluster (the peer option) are converted apart from the cluster's
// own: a peer needs what makes a Service reachable from another cluster (load balancer
// addresses, node ports, whether it is exported), which the cluster zone's Service leaves
// out to stay small.

// AnnotationPeerExport is the default annotation that exports a peer's Service.
const AnnotationPeerExport = AnnotationExport

// ServiceExportGroup is the resource ServiceExports (KEP-1645) are read from.
var ServiceExportGroup = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1alpha1", Resource: "serviceexports"}

// PeerPort is a Service port with its node port (0 when it has none).
type PeerPort struct {
	Port
	NodePort int32
}

// PeerService is what the peer option needs of a peer cluster's Service.
type PeerService struct {
	Meta
	Headless     bool
	ClusterIPs   []netip.Addr
	Ports        []PeerPort
	LoadBalancer []netip.Addr // status.loadBalancer.ingress IPs
	NodePorts    bool         // type NodePort or LoadBalancer
	LocalTraffic bool         // externalTrafficPolicy Local
	Annotated    bool         // the export annotation is "true"
	ExternalName bool         // type ExternalName: never exported (nothing to reach)
}

// PeerServiceConverter returns the conversion of a peer's Services that reads the export
// annotation key.
func PeerServiceConverter(key string) func(*corev1.Service) *PeerService {
	return func(s *corev1.Service) *PeerService {
		out := &PeerService{Meta: trimMeta(&s.ObjectMeta), Annotated: s.Annotations[key] == "true"}
		switch {
		case s.Spec.Type == corev1.ServiceTypeExternalName:
			out.ExternalName = true
		case s.Spec.ClusterIP == corev1.ClusterIPNone:
			out.Headless = true
		default:
			for _, ip := range s.Spec.ClusterIPs {
				if a, err := netip.ParseAddr(ip); err == nil {
					out.ClusterIPs = append(out.ClusterIPs, a.Unmap())
				}
			}
		}
		for _, p := range s.Spec.Ports {
			out.Ports = append(out.Ports, PeerPort{Port{Name: p.Name, Protocol: string(p.Protocol), Port: p.Port}, p.NodePort})
		}
		for _, in := range s.Status.LoadBalancer.Ingress {
			if a, err := netip.ParseAddr(in.IP); err == nil {
				out.LoadBalancer = append(out.LoadBalancer, a.Unmap())
			}
		}
		out.NodePorts = s.Spec.Type == corev1.ServiceTypeNodePort || s.Spec.Type == corev1.ServiceTypeLoadBalancer
		out.LocalTraffic = s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
		return out
	}
}

// PeerServiceKeys returns the conversion of the local cluster's Services for the peer
// option: whether the export annotation key is set, and nothing else. The rest of a local
// Service is read from the cluster zone's Store, which holds it already.
func PeerServiceKeys(key string) func(*corev1.Service) *PeerService {
	return func(s *corev1.Service) *PeerService {
		return &PeerService{Meta: trimMeta(&s.ObjectMeta), Annotated: s.Annotations[key] == "true",
			ExternalName: s.Spec.Type == corev1.ServiceTypeExternalName}
	}
}

// ServiceExport is a multicluster.x-k8s.io ServiceExport: its name and namespace are those
// of the Service it exports, which is all DNS needs.
type ServiceExport struct {
	Meta
}

// ServiceExportFromUnstructured converts a ServiceExport read with the dynamic client.
func ServiceExportFromUnstructured(u *unstructured.Unstructured) *ServiceExport {
	return &ServiceExport{Meta: Meta{Name: u.GetName(), Namespace: u.GetNamespace(), ResourceVersion: u.GetResourceVersion()}}
}

func (s *PeerService) GetObjectKind() schema.ObjectKind   { return schema.EmptyObjectKind }
func (s *ServiceExport) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (s *PeerService) DeepCopyObject() runtime.Object { return s }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (s *ServiceExport) DeepCopyObject() runtime.Object { return s }
