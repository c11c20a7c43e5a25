package model

import (
	"net/netip"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The Istio kinds a private zone's `istio` option reads besides VirtualServices, with the
// dynamic client in networking.istio.io's preferred version, as VirtualServices.
const (
	KindIstioGateway Kind = "Gateway.networking.istio.io"
	KindServiceEntry Kind = "ServiceEntry"
)

var (
	IstioGatewayGroup = schema.GroupResource{Group: "networking.istio.io", Resource: "gateways"}
	ServiceEntryGroup = schema.GroupResource{Group: "networking.istio.io", Resource: "serviceentries"}
)

// IstioGateway is what DNS needs of an Istio Gateway (networking.istio.io, not the Gateway
// API's): the pods it runs on and the hosts its servers accept.
type IstioGateway struct {
	Meta
	Created  time.Time
	Selector map[string]string // spec.selector: the labels of the gateway's pods
	Hosts    []GatewayHost     // spec.servers[].hosts, all servers together
}

// GatewayHost is one entry of a server's hosts: "[NAMESPACE/]DNSNAME".
type GatewayHost struct {
	Namespace string // "*" (also when absent), "." (the Gateway's), or a namespace
	Host      string // lowercase, no trailing dot: "*", "*.example.com", "www.example.com"
}

// IstioGatewayFromUnstructured converts an Istio Gateway. Fields of the wrong type are
// ignored, not fatal: a bad object must not stop the others.
func IstioGatewayFromUnstructured(u *unstructured.Unstructured) *IstioGateway {
	out := &IstioGateway{Meta: unstructuredMeta(u), Created: u.GetCreationTimestamp().Time}
	out.Selector, _, _ = unstructured.NestedStringMap(u.Object, "spec", "selector")
	servers, _, _ := unstructured.NestedSlice(u.Object, "spec", "servers")
	for _, s := range servers {
		m, _ := s.(map[string]any)
		hosts, _, _ := unstructured.NestedStringSlice(m, "hosts")
		for _, h := range hosts {
			gh := GatewayHost{Namespace: "*", Host: h}
			if ns, name, ok := strings.Cut(h, "/"); ok {
				gh = GatewayHost{Namespace: ns, Host: name}
			}
			gh.Host = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(gh.Host), "."))
			if gh.Host != "" && gh.Namespace != "" {
				out.Hosts = append(out.Hosts, gh)
			}
		}
	}
	return out
}

// ServiceEntry is what DNS needs of an Istio ServiceEntry: its hosts and their addresses.
type ServiceEntry struct {
	Meta
	Created time.Time
	Hosts   []string // lowercase FQDNs with trailing dot; "*.foo.example." for wildcards
	// Addrs are spec.addresses that are single addresses (a CIDR names no host); when there
	// are none, Allocated holds status.addresses, the addresses Istio allocated, by host.
	Addrs     []netip.Addr
	Allocated map[string][]netip.Addr
	// Invalid are the hosts that are no DNS names, kept to be reported.
	Invalid []string
}

// ServiceEntryFromUnstructured converts a ServiceEntry. Fields of the wrong type are
// ignored, not fatal: a bad object must not stop the others.
func ServiceEntryFromUnstructured(u *unstructured.Unstructured) *ServiceEntry {
	out := &ServiceEntry{Meta: unstructuredMeta(u), Created: u.GetCreationTimestamp().Time}
	hosts, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "hosts")
	out.Hosts, out.Invalid = splitHosts(hosts)
	addresses, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "addresses")
	for _, a := range addresses {
		if p, err := netip.ParsePrefix(a); err == nil && p.IsSingleIP() {
			out.Addrs = append(out.Addrs, p.Addr().Unmap())
		} else if ip, err := netip.ParseAddr(a); err == nil {
			out.Addrs = append(out.Addrs, ip.Unmap())
		}
	}
	if len(out.Addrs) > 0 {
		return out
	}
	status, _, _ := unstructured.NestedSlice(u.Object, "status", "addresses")
	for _, s := range status {
		m, _ := s.(map[string]any)
		value, _ := m["value"].(string)
		host, _ := m["host"].(string)
		ip, err := netip.ParseAddr(value)
		if err != nil {
			continue
		}
		if out.Allocated == nil {
			out.Allocated = map[string][]netip.Addr{}
		}
		h := strings.ToLower(strings.TrimSuffix(host, "."))
		if h != "" {
			h += "."
		}
		out.Allocated[h] = append(out.Allocated[h], ip.Unmap()) // "": for every host
	}
	return out
}

// AddrsOf returns the addresses of one of the entry's hosts.
func (s *ServiceEntry) AddrsOf(host string) []netip.Addr {
	if len(s.Addrs) > 0 {
		return s.Addrs
	}
	if a := s.Allocated[host]; len(a) > 0 {
		return a
	}
	return s.Allocated[""]
}

func unstructuredMeta(u *unstructured.Unstructured) Meta {
	return Meta{Name: u.GetName(), Namespace: u.GetNamespace(), ResourceVersion: u.GetResourceVersion()}
}

// UpsertIstioGateway adds or replaces an Istio Gateway.
func (st *Store) UpsertIstioGateway(g *IstioGateway) { upsertPrivate(st, st.istioGateways, g) }

// DeleteIstioGateway removes an Istio Gateway.
func (st *Store) DeleteIstioGateway(k Key) { deletePrivate(st, st.istioGateways, k) }

// UpsertServiceEntry adds or replaces a ServiceEntry.
func (st *Store) UpsertServiceEntry(s *ServiceEntry) { upsertPrivate(st, st.serviceEntries, s) }

// DeleteServiceEntry removes a ServiceEntry.
func (st *Store) DeleteServiceEntry(k Key) { deletePrivate(st, st.serviceEntries, k) }

// IstioGateway returns the Istio Gateway k, nil when there is none.
func (v View) IstioGateway(k Key) *IstioGateway { return v.st.istioGateways[k] }

// ServiceEntries calls fn for every ServiceEntry.
func (v View) ServiceEntries(fn func(*ServiceEntry)) {
	for _, s := range v.st.serviceEntries {
		fn(s)
	}
}

func (g *IstioGateway) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }
func (s *ServiceEntry) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (g *IstioGateway) DeepCopyObject() runtime.Object { return g }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (s *ServiceEntry) DeepCopyObject() runtime.Object { return s }
