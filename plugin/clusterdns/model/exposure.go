package model

import (
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Annotations that export a Service to private zones. The hostname annotations are the
// ones users already write for external-dns and CoreDNS's k8s_external.
const (
	AnnotationExport   = "clusterdns.io/export"
	AnnotationHostname = "clusterdns.io/hostname"
)

var hostnameAnnotations = []string{
	AnnotationHostname,
	"external-dns.alpha.kubernetes.io/hostname",
	"external-dns.kubernetes.io/hostname",
	"coredns.io/hostname",
}

// Exposure is how peered clients reach a Service from outside the cluster network.
type Exposure struct {
	Addrs     []netip.Addr // load balancer ingress IPs, else spec.externalIPs
	Target    string       // a load balancer ingress hostname (a CNAME target), when it has no IPs
	Hostnames []string     // lowercase FQDNs (trailing dot) from the hostname annotations
	Annotated bool         // clusterdns.io/export is "true", or a hostname annotation is set
}

// exposureOf returns how s is reachable from outside, or nil when it is not (no load
// balancer address and no external IPs): most Services, which then cost nothing here.
func exposureOf(s *corev1.Service) *Exposure {
	e := &Exposure{}
	for _, in := range s.Status.LoadBalancer.Ingress {
		if ip, err := netip.ParseAddr(in.IP); err == nil {
			e.Addrs = append(e.Addrs, ip.Unmap())
		} else if in.Hostname != "" && e.Target == "" {
			e.Target = strings.ToLower(strings.TrimSuffix(in.Hostname, ".")) + "."
		}
	}
	if len(e.Addrs) > 0 {
		e.Target = ""
	}
	if len(e.Addrs) == 0 && e.Target == "" {
		for _, a := range s.Spec.ExternalIPs {
			if ip, err := netip.ParseAddr(a); err == nil {
				e.Addrs = append(e.Addrs, ip.Unmap())
			}
		}
	}
	if len(e.Addrs) == 0 && e.Target == "" {
		return nil
	}
	e.Annotated = s.Annotations[AnnotationExport] == "true"
	for _, a := range hostnameAnnotations {
		for _, h := range strings.Split(s.Annotations[a], ",") {
			if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
				e.Hostnames = append(e.Hostnames, strings.TrimSuffix(h, ".")+".")
				e.Annotated = true
			}
		}
	}
	return e
}

// Ingress is what DNS needs of a networking/v1 Ingress: its rule hosts and the addresses
// its controller reports.
type Ingress struct {
	Meta
	Hosts  []string     // lowercase FQDNs with trailing dot; "*.foo.example." for wildcards
	Addrs  []netip.Addr // status.loadBalancer.ingress IPs
	Target string       // a status hostname (CNAME target) when there are no IPs
}

// IngressFromAPI converts an Ingress.
func IngressFromAPI(in *networkingv1.Ingress) *Ingress {
	out := &Ingress{Meta: trimMeta(&in.ObjectMeta)}
	for _, r := range in.Spec.Rules {
		if r.Host != "" {
			out.Hosts = append(out.Hosts, strings.ToLower(strings.TrimSuffix(r.Host, "."))+".")
		}
	}
	for _, lb := range in.Status.LoadBalancer.Ingress {
		if ip, err := netip.ParseAddr(lb.IP); err == nil {
			out.Addrs = append(out.Addrs, ip.Unmap())
		} else if lb.Hostname != "" && out.Target == "" {
			out.Target = strings.ToLower(strings.TrimSuffix(lb.Hostname, ".")) + "."
		}
	}
	if len(out.Addrs) > 0 {
		out.Target = ""
	}
	return out
}

// VirtualServiceGroup is the API group of Istio's VirtualService, read with the dynamic client.
var VirtualServiceGroup = schema.GroupResource{Group: "networking.istio.io", Resource: "virtualservices"}

// VirtualService is what DNS needs of an Istio VirtualService.
type VirtualService struct {
	Meta
	Hosts    []string // lowercase FQDNs with trailing dot
	Gateways []string // as written: "external-mesh" or "namespace/external-mesh"
}

// VirtualServiceFromUnstructured converts a VirtualService read with the dynamic client.
// Fields of the wrong type are ignored, not fatal: a bad object must not stop the others.
func VirtualServiceFromUnstructured(u *unstructured.Unstructured) *VirtualService {
	out := &VirtualService{Meta: Meta{Name: u.GetName(), Namespace: u.GetNamespace(), ResourceVersion: u.GetResourceVersion()}}
	hosts, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "hosts")
	for _, h := range hosts {
		if h = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), ".")); h != "" {
			out.Hosts = append(out.Hosts, h+".")
		}
	}
	out.Gateways, _, _ = unstructured.NestedStringSlice(u.Object, "spec", "gateways")
	return out
}

// BoundTo reports whether the VirtualService is bound to the gateway named gw, written
// as "gw" or "namespace/gw".
func (v *VirtualService) BoundTo(gw string) bool {
	for _, g := range v.Gateways {
		if g == gw || (strings.Contains(g, "/") && g[strings.IndexByte(g, '/')+1:] == gw) {
			return true
		}
	}
	return false
}

func (i *Ingress) GetObjectKind() schema.ObjectKind        { return schema.EmptyObjectKind }
func (v *VirtualService) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (i *Ingress) DeepCopyObject() runtime.Object { return i }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (v *VirtualService) DeepCopyObject() runtime.Object { return v }
