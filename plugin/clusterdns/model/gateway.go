package model

import (
	"net/netip"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The Gateway API (gateway.networking.k8s.io), read with the dynamic client: its typed
// clientset would bring a second copy of the client machinery for a few lists and watches.
const (
	// GatewayAPIGroup is the API group of Gateways and their routes.
	GatewayAPIGroup = "gateway.networking.k8s.io"
	// KindGatewayAPI is the optional kind of Gateways and their routes, read only when a
	// private zone asks for them (gateways).
	KindGatewayAPI Kind = "Gateway"
)

// GatewayResources are the resources of the Gateway API a private zone reads, by kind: the
// Gateways and the routes that attach hostnames to them.
var GatewayResources = []struct{ Kind, Resource string }{
	{"GatewayClass", "gatewayclasses"},
	{"Gateway", "gateways"},
	{"ListenerSet", "listenersets"},
	{"HTTPRoute", "httproutes"},
	{"GRPCRoute", "grpcroutes"},
	{"TLSRoute", "tlsroutes"},
	{"TCPRoute", "tcproutes"},
	{"UDPRoute", "udproutes"},
}

// GatewayClass is what DNS needs of a GatewayClass (cluster-scoped): the controller that
// implements its Gateways, which a zone may select them by.
type GatewayClass struct {
	Meta
	Controller string // spec.controllerName
}

// GatewayClassFromUnstructured converts a GatewayClass read with the dynamic client.
func GatewayClassFromUnstructured(u *unstructured.Unstructured) *GatewayClass {
	out := &GatewayClass{Meta: Meta{Name: u.GetName(), ResourceVersion: u.GetResourceVersion()}}
	out.Controller, _, _ = unstructured.NestedString(u.Object, "spec", "controllerName")
	return out
}

// Gateway is what DNS needs of a Gateway: its class, its listeners and the addresses its
// controller reports.
type Gateway struct {
	Meta
	Created   time.Time
	Class     string // spec.gatewayClassName
	Listeners []Listener
	// AllowedListeners is spec.allowedListeners.namespaces.from: which ListenerSets may add
	// listeners, None (the default), Same, All or Selector.
	AllowedListeners string
	Addrs            []netip.Addr // status.addresses of type IPAddress, or the target annotation's
	Target           string       // the first valid status address of type Hostname, when there are no IPs
	Problems         []string     // unusable annotations, to log
}

// Listener is what DNS needs of one of a Gateway's listeners: which routes may attach to it
// and which hostnames it accepts.
type Listener struct {
	Name     string
	Hostname string // lowercase FQDN, "*.example.com." for a wildcard, "" for any
	Port     int32
	Protocol string
	From     string   // allowedRoutes.namespaces.from: Same (the default), All or Selector
	Kinds    []string // allowedRoutes.kinds of the Gateway API group; empty: those of the protocol
}

// ListenerSet is what DNS needs of a ListenerSet: listeners added to a Gateway, which
// routes attach to as to the Gateway's own.
type ListenerSet struct {
	Meta
	Gateway   Key // spec.parentRef; the namespace defaults to the ListenerSet's
	Listeners []Listener
	Accepted  bool // status: the Gateway's controller accepted it (for allowedListeners Selector)
}

// Route is what DNS needs of an HTTPRoute, GRPCRoute, TLSRoute, TCPRoute or UDPRoute.
type Route struct {
	Meta
	Kind      string // HTTPRoute, GRPCRoute, ...
	Created   time.Time
	Hostnames []string // spec.hostnames: lowercase FQDNs, "*.example.com." for wildcards
	Annotated []string // the hostname annotations' names, as for Services
	Invalid   []string // names that are no valid host name, as written: skipped and logged
	Parents   []ParentRef
	Accepted  []ParentRef // status.parents whose Accepted condition is True
	Rejected  []ParentRef // status.parents whose Accepted condition is False
	TTL       uint32      // external-dns's ttl annotation; 0: the zone's
	Problems  []string    // unusable annotations, to log
}

// ParentRef is a route's reference to a Gateway or ListenerSet (parentRefs of other kinds
// are dropped).
type ParentRef struct {
	ListenerSet bool
	Gateway     Key    // or the ListenerSet; the namespace defaults to the route's
	Section     string // a listener name; "" for all
	Port        int32  // a listener port; 0 for all
}

// GatewayFromUnstructured converts a Gateway read with the dynamic client. Fields of the
// wrong type are ignored, not fatal: a bad object must not stop the others.
func GatewayFromUnstructured(u *unstructured.Unstructured) *Gateway {
	out := &Gateway{Meta: Meta{Name: u.GetName(), Namespace: u.GetNamespace(), ResourceVersion: u.GetResourceVersion()}, Created: u.GetCreationTimestamp().Time}
	out.Class, _, _ = unstructured.NestedString(u.Object, "spec", "gatewayClassName")
	out.Listeners = listeners(u)
	out.AllowedListeners, _, _ = unstructured.NestedString(u.Object, "spec", "allowedListeners", "namespaces", "from")
	if out.AllowedListeners == "" {
		out.AllowedListeners = "None"
	}
	addrs, _, _ := unstructured.NestedSlice(u.Object, "status", "addresses")
	for _, a := range addrs {
		m, _ := a.(map[string]any)
		typ, _ := m["type"].(string)
		value, _ := m["value"].(string)
		switch typ {
		case "", "IPAddress":
			out.Addrs, out.Target = addLoadBalancer(out.Addrs, out.Target, value, "")
		case "Hostname":
			out.Addrs, out.Target = addLoadBalancer(out.Addrs, out.Target, "", value)
		}
	}
	if len(out.Addrs) > 0 {
		out.Target = ""
	}
	// external-dns's target annotation on a Gateway replaces the addresses it reports
	if addrs, target, ok, problems := targetOf(u.GetAnnotations()); ok {
		out.Addrs, out.Target = addrs, target
	} else {
		out.Problems = problems
	}
	return out
}

// listeners reads the spec.listeners of a Gateway or ListenerSet.
func listeners(u *unstructured.Unstructured) []Listener {
	var out []Listener
	listeners, _, _ := unstructured.NestedSlice(u.Object, "spec", "listeners")
	for _, l := range listeners {
		m, ok := l.(map[string]any)
		if !ok {
			continue
		}
		li := Listener{From: "Same"}
		li.Name, _ = m["name"].(string)
		li.Protocol, _ = m["protocol"].(string)
		li.Port = int32Field(m, "port")
		if h, _ := m["hostname"].(string); h != "" {
			if h = HostName(h); ValidHost(h, true) {
				li.Hostname = h
			} else {
				continue // accepts no route: a controller would reject the listener
			}
		}
		if from, _, _ := unstructured.NestedString(m, "allowedRoutes", "namespaces", "from"); from != "" {
			li.From = from
		}
		kinds, _, _ := unstructured.NestedSlice(m, "allowedRoutes", "kinds")
		for _, k := range kinds {
			km, _ := k.(map[string]any)
			group, _ := km["group"].(string)
			kind, _ := km["kind"].(string)
			if kind != "" && (group == "" || group == GatewayAPIGroup) {
				li.Kinds = append(li.Kinds, kind)
			} else if kind != "" {
				li.Kinds = append(li.Kinds, group+"/"+kind) // allows none of ours, but some kind
			}
		}
		out = append(out, li)
	}
	return out
}

// ListenerSetFromUnstructured converts a ListenerSet read with the dynamic client.
func ListenerSetFromUnstructured(u *unstructured.Unstructured) *ListenerSet {
	out := &ListenerSet{Meta: Meta{Name: u.GetName(), Namespace: u.GetNamespace(), ResourceVersion: u.GetResourceVersion()},
		Gateway: Key{Namespace: u.GetNamespace()}, Listeners: listeners(u)}
	out.Gateway.Name, _, _ = unstructured.NestedString(u.Object, "spec", "parentRef", "name")
	if ns, _, _ := unstructured.NestedString(u.Object, "spec", "parentRef", "namespace"); ns != "" {
		out.Gateway.Namespace = ns
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		out.Accepted = out.Accepted || (cm["type"] == "Accepted" && cm["status"] == "True")
	}
	return out
}

// RouteConverter returns the conversion of routes of kind (HTTPRoute, ...) read with the
// dynamic client: the kind is not in every object (a streamed list's items lack it).
func RouteConverter(kind string) func(*unstructured.Unstructured) *Route {
	return func(u *unstructured.Unstructured) *Route { return routeFromUnstructured(kind, u) }
}

func routeFromUnstructured(kind string, u *unstructured.Unstructured) *Route {
	out := &Route{Meta: Meta{Name: u.GetName(), Namespace: u.GetNamespace(), ResourceVersion: u.GetResourceVersion()}, Kind: kind, Created: u.GetCreationTimestamp().Time}
	hosts, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "hostnames")
	out.Hostnames, out.Invalid = splitHosts(hosts)
	ann := u.GetAnnotations()
	var ttlProblem string
	if out.TTL, ttlProblem = ttlOf(ann); ttlProblem != "" {
		out.Problems = append(out.Problems, ttlProblem)
	}
	for _, a := range hostnameAnnotations {
		for _, h := range strings.Split(ann[a], ",") {
			if strings.TrimSpace(h) == "" {
				continue
			}
			if n := HostName(h); ValidHost(n, false) {
				out.Annotated = append(out.Annotated, n)
			} else {
				out.Invalid = append(out.Invalid, strings.TrimSpace(h))
			}
		}
	}
	refs, _, _ := unstructured.NestedSlice(u.Object, "spec", "parentRefs")
	for _, r := range refs {
		if p, ok := parentRef(r, out.Namespace); ok {
			out.Parents = append(out.Parents, p)
		}
	}
	parents, _, _ := unstructured.NestedSlice(u.Object, "status", "parents")
	for _, s := range parents {
		m, _ := s.(map[string]any)
		p, ok := parentRef(m["parentRef"], out.Namespace)
		if !ok {
			continue
		}
		conds, _ := m["conditions"].([]any)
		for _, c := range conds {
			cm, _ := c.(map[string]any)
			switch {
			case cm["type"] != "Accepted":
			case cm["status"] == "True":
				out.Accepted = append(out.Accepted, p)
			case cm["status"] == "False":
				out.Rejected = append(out.Rejected, p)
			}
		}
	}
	return out
}

// parentRef reads a parentRef of a route in namespace ns; ok is false when it does not
// reference a Gateway.
func parentRef(r any, ns string) (ParentRef, bool) {
	m, ok := r.(map[string]any)
	if !ok {
		return ParentRef{}, false
	}
	group, hasGroup := m["group"].(string)
	kind, hasKind := m["kind"].(string)
	if (hasGroup && group != GatewayAPIGroup) || (hasKind && kind != "Gateway" && kind != "ListenerSet") {
		return ParentRef{}, false
	}
	p := ParentRef{Gateway: Key{Namespace: ns}, ListenerSet: kind == "ListenerSet"}
	p.Gateway.Name, _ = m["name"].(string)
	if n, _ := m["namespace"].(string); n != "" {
		p.Gateway.Namespace = n
	}
	p.Section, _ = m["sectionName"].(string)
	p.Port = int32Field(m, "port")
	return p, p.Gateway.Name != ""
}

func int32Field(m map[string]any, f string) int32 {
	switch n := m[f].(type) {
	case int64:
		return int32(n) // #nosec G115 -- ports: the CRDs bound them to 1..65535
	case float64:
		return int32(n)
	}
	return 0
}

// gatewayAPI is what a Store holds of the Gateway API.
type gatewayAPI struct {
	classes      map[Key]*GatewayClass
	gateways     map[Key]*Gateway
	listenerSets map[Key]*ListenerSet
	routes       map[string]map[Key]*Route // by kind: two kinds may share a namespaced name
}

func newGatewayAPI() gatewayAPI {
	return gatewayAPI{classes: map[Key]*GatewayClass{}, gateways: map[Key]*Gateway{}, listenerSets: map[Key]*ListenerSet{}, routes: map[string]map[Key]*Route{}}
}

// UpsertGateway adds or replaces a Gateway.
func (st *Store) UpsertGateway(g *Gateway) { upsertPrivate(st, st.gwapi.gateways, g) }

// DeleteGateway removes a Gateway.
func (st *Store) DeleteGateway(k Key) { deletePrivate(st, st.gwapi.gateways, k) }

// UpsertRoute adds or replaces a route of the Gateway API.
func (st *Store) UpsertRoute(r *Route) {
	st.mu.Lock()
	m := st.gwapi.routes[r.Kind]
	if m == nil {
		m = map[Key]*Route{}
		st.gwapi.routes[r.Kind] = m
	}
	st.mu.Unlock()
	upsertPrivate(st, m, r)
}

// RouteDeleter returns the function that removes a route of kind.
func (st *Store) RouteDeleter(kind string) func(Key) {
	return func(k Key) {
		st.mu.RLock()
		m := st.gwapi.routes[kind]
		st.mu.RUnlock()
		if m != nil {
			deletePrivate(st, m, k)
		}
	}
}

// UpsertListenerSet adds or replaces a ListenerSet.
func (st *Store) UpsertListenerSet(l *ListenerSet) { upsertPrivate(st, st.gwapi.listenerSets, l) }

// DeleteListenerSet removes a ListenerSet.
func (st *Store) DeleteListenerSet(k Key) { deletePrivate(st, st.gwapi.listenerSets, k) }

// ListenerSet returns the ListenerSet k, or nil.
func (v View) ListenerSet(k Key) *ListenerSet { return v.st.gwapi.listenerSets[k] }

// UpsertGatewayClass adds or replaces a GatewayClass.
func (st *Store) UpsertGatewayClass(c *GatewayClass) { upsertPrivate(st, st.gwapi.classes, c) }

// DeleteGatewayClass removes a GatewayClass.
func (st *Store) DeleteGatewayClass(k Key) { deletePrivate(st, st.gwapi.classes, k) }

// GatewayClass returns the GatewayClass name, or nil.
func (v View) GatewayClass(name string) *GatewayClass { return v.st.gwapi.classes[Key{Name: name}] }

// Gateway returns the Gateway k, or nil.
func (v View) Gateway(k Key) *Gateway { return v.st.gwapi.gateways[k] }

// Routes calls fn for every route of the Gateway API, of every kind.
func (v View) Routes(fn func(*Route)) {
	for _, m := range v.st.gwapi.routes {
		for _, r := range m {
			fn(r)
		}
	}
}

func (g *Gateway) GetObjectKind() schema.ObjectKind      { return schema.EmptyObjectKind }
func (r *Route) GetObjectKind() schema.ObjectKind        { return schema.EmptyObjectKind }
func (l *ListenerSet) GetObjectKind() schema.ObjectKind  { return schema.EmptyObjectKind }
func (c *GatewayClass) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (c *GatewayClass) DeepCopyObject() runtime.Object { return c }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (l *ListenerSet) DeepCopyObject() runtime.Object { return l }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (g *Gateway) DeepCopyObject() runtime.Object { return g }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (r *Route) DeepCopyObject() runtime.Object { return r }
