package model

import (
	"net/netip"
	"strings"
	"time"

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
	// Selector is spec.selector, the labels of the Service's pods: an Istio Gateway's
	// Services are those that select its pods (the istio option).
	Selector map[string]string
	Created  time.Time // metadata.creationTimestamp: who claimed a name first
}

// exposureOf returns how s is reachable from outside, or nil when it is not (no load
// balancer address and no external IPs): most Services, which then cost nothing here.
func exposureOf(s *corev1.Service) *Exposure {
	e := &Exposure{}
	for _, in := range s.Status.LoadBalancer.Ingress {
		e.Addrs, e.Target = addLoadBalancer(e.Addrs, e.Target, in.IP, in.Hostname)
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
	e.Selector = s.Spec.Selector
	e.Created = s.CreationTimestamp.Time
	for _, a := range hostnameAnnotations {
		for _, h := range strings.Split(s.Annotations[a], ",") {
			if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
				e.Annotated = true
				if h = strings.TrimSuffix(h, ".") + "."; ValidHost(h, false) {
					e.Hostnames = append(e.Hostnames, h)
				}
			}
		}
	}
	return e
}

// addLoadBalancer adds one load balancer ingress (an IP, or a hostname) to what is known of
// an object's address: its IPs, or else the first valid hostname as a CNAME target.
func addLoadBalancer(addrs []netip.Addr, target, ip, hostname string) ([]netip.Addr, string) {
	if a, err := netip.ParseAddr(ip); err == nil {
		return append(addrs, a.Unmap()), ""
	}
	if t := strings.ToLower(strings.TrimSuffix(hostname, ".")) + "."; len(addrs) == 0 && target == "" && ValidHost(t, false) {
		return addrs, t
	}
	return addrs, target
}

// ValidHost reports whether h (lowercase, fully qualified) is a host name a zone may hold:
// labels of 1 to 63 letters, digits, hyphens or underscores, 253 characters in all, and, with
// wildcard, "*" as the first label. Annotations are written by hand; a bad one must not make
// its way into a zone.
func ValidHost(h string, wildcard bool) bool {
	if len(h) < 2 || len(h) > 254 || h[len(h)-1] != '.' {
		return false
	}
	labels := strings.Split(h[:len(h)-1], ".")
	for i, l := range labels {
		if l == "*" && i == 0 && wildcard {
			continue
		}
		if len(l) == 0 || len(l) > 63 {
			return false
		}
		for _, c := range []byte(l) {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
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
		if h := strings.ToLower(strings.TrimSuffix(r.Host, ".")) + "."; ValidHost(h, true) {
			out.Hosts = append(out.Hosts, h)
		}
	}
	for _, lb := range in.Status.LoadBalancer.Ingress {
		out.Addrs, out.Target = addLoadBalancer(out.Addrs, out.Target, lb.IP, lb.Hostname)
	}
	return out
}

// VirtualServiceGroup is the API group of Istio's VirtualService, read with the dynamic client.
var VirtualServiceGroup = schema.GroupResource{Group: "networking.istio.io", Resource: "virtualservices"}

// VirtualService is what DNS needs of an Istio VirtualService.
type VirtualService struct {
	Meta
	Hosts    []string  // lowercase FQDNs with trailing dot
	Gateways []string  // as written: "external-mesh" or "namespace/external-mesh"
	Created  time.Time // metadata.creationTimestamp: who claimed a name first
	Invalid  []string  // hosts that are no DNS names, kept to be reported
}

// VirtualServiceFromUnstructured converts a VirtualService read with the dynamic client.
// Fields of the wrong type are ignored, not fatal: a bad object must not stop the others.
func VirtualServiceFromUnstructured(u *unstructured.Unstructured) *VirtualService {
	out := &VirtualService{Meta: Meta{Name: u.GetName(), Namespace: u.GetNamespace(), ResourceVersion: u.GetResourceVersion()}, Created: u.GetCreationTimestamp().Time}
	hosts, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "hosts")
	for _, h := range hosts {
		if fq := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), ".")) + "."; ValidHost(fq, true) {
			out.Hosts = append(out.Hosts, fq)
		} else {
			out.Invalid = append(out.Invalid, h)
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
