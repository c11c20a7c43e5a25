package model

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
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

// external-dns's annotations besides the hostname, under both its prefixes (the older
// alpha one is what most objects carry): the records' targets, their TTL, and the names
// for in-cluster clients.
var (
	targetAnnotations           = []string{"external-dns.alpha.kubernetes.io/target", "external-dns.kubernetes.io/target"}
	ttlAnnotations              = []string{"external-dns.alpha.kubernetes.io/ttl", "external-dns.kubernetes.io/ttl"}
	internalHostnameAnnotations = []string{"external-dns.alpha.kubernetes.io/internal-hostname", "external-dns.kubernetes.io/internal-hostname"}
)

// Exposure is how clients reach a Service that a private zone may serve: peered clients
// from outside the cluster network (Addrs, Target), pods by its ClusterIP (the Service's
// own, under InternalHostnames or in a zone with `inside`).
type Exposure struct {
	Addrs     []netip.Addr // the target annotation's IPs, else load balancer ingress IPs, else spec.externalIPs
	Target    string       // a hostname (a CNAME target) from the same, when there are no IPs
	Hostnames []string     // lowercase FQDNs (trailing dot) from the hostname annotations
	// InternalHostnames are the internal-hostname annotation's names: for in-cluster
	// clients, answered with the ClusterIP.
	InternalHostnames []string
	Annotated         bool      // clusterdns.io/export is "true", or a hostname or internal-hostname annotation is set
	TTL               uint32    // the ttl annotation's, 0 when unset
	Created           time.Time // metadata.creationTimestamp: who claimed a name first
	// Problems are annotations that could not be used, for the zones to log.
	Problems []string
	// Selector is spec.selector, the labels of the Service's pods: an Istio Gateway's
	// Services are those that select its pods (the istio option).
	Selector map[string]string

	// NodePorts are the node ports of a NodePort or LoadBalancer Service (Port is the node
	// port), for the nodeports option; NodeLocal is externalTrafficPolicy Local: only the
	// nodes running a ready endpoint take its traffic.
	NodePorts []Port
	NodeLocal bool
}

// HasAddress reports whether peered clients reach the Service at an address of its own (a
// load balancer, external IPs or a target annotation), rather than only through its nodes.
func (e *Exposure) HasAddress() bool { return len(e.Addrs) > 0 || e.Target != "" }

// NodePortsOnly reports whether the Service is exposed by its node ports alone: only the
// nodeports option serves it; to every other source it is as a Service without Exposure.
func (e *Exposure) NodePortsOnly() bool { return !e.HasAddress() && len(e.InternalHostnames) == 0 }

// nodePortsOf returns the node ports of s, and whether they lead only to local endpoints.
func nodePortsOf(s *corev1.Service) (ports []Port, local bool) {
	if s.Spec.Type != corev1.ServiceTypeNodePort && s.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return nil, false
	}
	for _, p := range s.Spec.Ports {
		if p.NodePort > 0 {
			ports = append(ports, Port{Name: p.Name, Protocol: string(p.Protocol), Port: p.NodePort})
		}
	}
	return ports, s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

// exposureOf returns how s is reachable, or nil when no private zone can serve it (no load
// balancer address, external IPs, target or internal-hostname annotation, no node port):
// most Services, which then cost nothing here.
func exposureOf(s *corev1.Service) *Exposure {
	e := &Exposure{}
	var targeted bool
	e.Addrs, e.Target, targeted, e.Problems = targetOf(s.Annotations)
	if !targeted {
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
	}
	var problems []string
	e.InternalHostnames, problems = hostnames(s.Annotations, internalHostnameAnnotations)
	e.Problems = append(e.Problems, problems...)
	e.NodePorts, e.NodeLocal = nodePortsOf(s)
	if len(e.Addrs) == 0 && e.Target == "" && len(e.InternalHostnames) == 0 && len(e.NodePorts) == 0 {
		return nil
	}
	e.Annotated = s.Annotations[AnnotationExport] == "true"
	for _, a := range slices.Concat(hostnameAnnotations, internalHostnameAnnotations) {
		if strings.TrimSpace(s.Annotations[a]) != "" {
			e.Annotated = true
		}
	}
	e.Hostnames, problems = hostnames(s.Annotations, hostnameAnnotations)
	e.Problems = append(e.Problems, problems...)
	var problem string
	e.TTL, problem = ttlOf(s.Annotations)
	if problem != "" {
		e.Problems = append(e.Problems, problem)
	}
	e.Created = s.CreationTimestamp.Time
	e.Selector = s.Spec.Selector
	return e
}

// hostnames returns the valid names of comma-separated lists in the annotations keys, lowercase
// and fully qualified, each once; the others are reported.
func hostnames(annotations map[string]string, keys []string) (out, problems []string) {
	for _, a := range keys {
		for _, raw := range strings.Split(annotations[a], ",") {
			h := strings.ToLower(strings.TrimSpace(raw))
			if h == "" {
				continue
			}
			switch h = strings.TrimSuffix(h, ".") + "."; {
			case !ValidHost(h, false):
				problems = append(problems, fmt.Sprintf("annotation %s: %q is not a valid host name", a, strings.TrimSpace(raw)))
			case !slices.Contains(out, h):
				out = append(out, h)
			}
		}
	}
	return out, problems
}

// targetOf reads the target annotation, which replaces the addresses an object reports, as
// in external-dns: IPs (A and AAAA records), or one hostname (a CNAME). ok says whether the
// annotation is set; an unusable one is reported and leaves the object's own addresses.
func targetOf(annotations map[string]string) (addrs []netip.Addr, target string, ok bool, problems []string) {
	for _, key := range targetAnnotations {
		v := strings.TrimSpace(annotations[key])
		if v == "" {
			continue
		}
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t == "" {
				continue
			}
			if a, err := netip.ParseAddr(t); err == nil {
				addrs = append(addrs, a.Unmap())
				continue
			}
			h := HostName(t)
			if !ValidHost(h, false) {
				problems = append(problems, fmt.Sprintf("annotation %s: %q is neither an IP address nor a host name", key, t))
				continue
			}
			if target == "" {
				target = h
			}
		}
		if len(addrs) > 0 {
			target = "" // addresses win over a name: a name cannot be a CNAME and hold addresses
		}
		return addrs, target, len(addrs) > 0 || target != "", problems
	}
	return nil, "", false, nil
}

// ttlOf reads the ttl annotation as external-dns does: seconds, or a Go duration ("5m"),
// from 1 second to 2^31-1. An unusable value is reported and leaves the zone's TTL.
func ttlOf(annotations map[string]string) (uint32, string) {
	for _, key := range ttlAnnotations {
		v := strings.TrimSpace(annotations[key])
		if v == "" {
			continue
		}
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			d, derr := time.ParseDuration(v)
			if derr != nil {
				return 0, fmt.Sprintf("annotation %s: %q is not a TTL (seconds, or a duration such as 5m)", key, v)
			}
			secs = int64(d / time.Second)
		}
		if secs < 1 || secs > math.MaxInt32 {
			return 0, fmt.Sprintf("annotation %s: TTL %q is out of range (1 second to 2^31-1)", key, v)
		}
		return uint32(secs), ""
	}
	return 0, ""
}

// addLoadBalancer adds one load balancer ingress (an IP, or a hostname) to what is known of
// an object's address: its IPs, or else the first valid hostname as a CNAME target.
func addLoadBalancer(addrs []netip.Addr, target, ip, hostname string) ([]netip.Addr, string) {
	if a, err := netip.ParseAddr(ip); err == nil {
		return append(addrs, a.Unmap()), ""
	}
	if t := HostName(hostname); len(addrs) == 0 && target == "" && ValidHost(t, false) {
		return addrs, t
	}
	return addrs, target
}

// HostName is h as zones hold names: trimmed, lowercase, fully qualified.
func HostName(h string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), ".")) + "."
}

// splitHosts parts the host names an object lists (wildcards allowed) into those a zone
// may hold, as it holds them (HostName), and the others, as written.
func splitHosts(hosts []string) (valid, invalid []string) {
	for _, h := range hosts {
		if n := HostName(h); ValidHost(n, true) {
			valid = append(valid, n)
		} else {
			invalid = append(invalid, h)
		}
	}
	return valid, invalid
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
	Hosts    []string     // lowercase FQDNs with trailing dot; "*.foo.example." for wildcards
	Addrs    []netip.Addr // the target annotation's IPs, else status.loadBalancer.ingress IPs
	Target   string       // a hostname (CNAME target) from the same, when there are no IPs
	TTL      uint32       // the ttl annotation's, 0 when unset
	Created  time.Time    // metadata.creationTimestamp
	Problems []string     // annotations that could not be used, for the zones to log
}

// IngressFromAPI converts an Ingress.
func IngressFromAPI(in *networkingv1.Ingress) *Ingress {
	out := &Ingress{Meta: trimMeta(&in.ObjectMeta), Created: in.CreationTimestamp.Time}
	for _, r := range in.Spec.Rules {
		if h := HostName(r.Host); ValidHost(h, true) {
			out.Hosts = append(out.Hosts, h)
		} else if r.Host != "" {
			out.Problems = append(out.Problems, fmt.Sprintf("rule host %q is not a valid host name", r.Host))
		}
	}
	addrs, target, targeted, problems := targetOf(in.Annotations)
	out.Addrs, out.Target, out.Problems = addrs, target, append(out.Problems, problems...)
	if !targeted {
		for _, lb := range in.Status.LoadBalancer.Ingress {
			out.Addrs, out.Target = addLoadBalancer(out.Addrs, out.Target, lb.IP, lb.Hostname)
		}
	}
	var problem string
	if out.TTL, problem = ttlOf(in.Annotations); problem != "" {
		out.Problems = append(out.Problems, problem)
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
	Created  time.Time // metadata.creationTimestamp
	Invalid  []string  // hosts that are no DNS names, kept to be reported
}

// VirtualServiceFromUnstructured converts a VirtualService read with the dynamic client.
// Fields of the wrong type are ignored, not fatal: a bad object must not stop the others.
func VirtualServiceFromUnstructured(u *unstructured.Unstructured) *VirtualService {
	out := &VirtualService{Meta: Meta{Name: u.GetName(), Namespace: u.GetNamespace(), ResourceVersion: u.GetResourceVersion()}, Created: u.GetCreationTimestamp().Time}
	hosts, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "hosts")
	out.Hosts, out.Invalid = splitHosts(hosts)
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
