package private

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

// gatewayRoutes is the Gateway API source (gateways [CLASS...]): the hostnames that
// HTTPRoutes, GRPCRoutes and TLSRoutes attach to a Gateway, and the hostname annotations
// of any route attached to one (TCPRoutes and UDPRoutes have no hostnames), answer with
// the Gateway's status.addresses: an IP is an A or AAAA record, a Hostname a CNAME.
//
// Attachment follows the Gateway API spec as far as the objects tell it: a parentRef names
// the Gateway, or a ListenerSet the Gateway's allowedListeners admit (its namespace
// defaults to the route's), sectionName and port narrow it to listeners, and a listener
// takes a route when its allowedRoutes admit the route's kind (by default, those of its
// protocol) and namespace (Same by default, All, or, for Selector, whose namespace labels
// we do not keep, when the route's status says the Gateway's controller accepted it). A
// parent whose controller says, in the route's status, that it does not accept the route
// gets none of its names. A route hostname counts where it intersects the listener's
// hostname, as the more specific of the two; a route without hostnames takes the
// listener's. The hostname annotations are not intersected, as external-dns does not.
//
// Routes that split one hostname by path put the same name on the same Gateway: that is
// one claim, made by the oldest of them, not a conflict. Distinct Gateways claiming a name
// are weighed by the claim rule.
//
// Inside claims (a zone's in-cluster view) answer with the ClusterIP of the Service behind
// the Gateway. Implementations name that Service differently (Istio NAME-CLASS, Envoy
// Gateway a hash in its own namespace), so it is found by what they share: it is the
// LoadBalancer Service whose load balancer has the Gateway's address, in the Gateway's
// namespace when one there matches, else anywhere. A Gateway without such a Service (its
// address is in-cluster already) answers every client with its addresses.
func gatewayRoutes(src *Sources, v model.View, emit func(Claim)) (problems []string) {
	if !src.Gateways {
		return nil
	}
	type at struct {
		name string
		gw   model.Key
	}
	owners := map[at]Owner{}
	ttls := map[at]uint32{} // the owning route's ttl annotation
	v.Routes(func(r *model.Route) {
		if !src.Namespaces.Allow(r.Namespace) {
			return
		}
		owner := Owner{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, Created: r.Created}
		ours := false
		for _, p := range r.Parents {
			if slices.Contains(r.Rejected, p) {
				continue // its controller says the parent does not take it
			}
			gw, listeners, ns := parentOf(v, p)
			if gw == nil || !classAllowed(src, v, gw) {
				continue
			}
			ours = true
			for _, name := range attachedNames(r, p, listeners, ns) {
				if !dns.IsSubDomain(src.Zone, name) || name == src.Zone {
					continue
				}
				k := at{name, model.Key{Namespace: gw.Namespace, Name: gw.Name}}
				if o, ok := owners[k]; !ok || olderOwner(owner, o) < 0 {
					owners[k], ttls[k] = owner, r.TTL
				}
			}
		}
		if ours {
			for _, p := range r.Problems {
				problems = append(problems, fmt.Sprintf("%s: %s", owner, p))
			}
			problems = append(problems, invalidHosts(src.Zone, owner, r.Invalid...)...)
		}
	})
	sb := servicesBehind(v)
	noAddress := map[model.Key]bool{}
	keys := slices.SortedFunc(maps.Keys(owners), func(a, b at) int {
		return cmp.Or(strings.Compare(a.name, b.name), byKey(a.gw, b.gw))
	})
	for _, k := range keys {
		gw := v.Gateway(k.gw)
		ttl := cmp.Or(ttls[k], src.TTL)
		outside := addressRecords(k.name, ttl, gw.Addrs, gw.Target)
		if len(outside) == 0 {
			noAddress[k.gw] = true
			continue
		}
		audience := Everyone // no Service behind: its address is in-cluster already
		if inside := sb.clusterIPs(gw); len(inside) > 0 {
			audience = Outside
			claimEach(emit, owners[k], Inside, addressRecords(k.name, ttl, inside, ""))
		}
		claimEach(emit, owners[k], audience, outside)
	}
	annotated := map[model.Key]bool{} // Gateways of the zone's names with unusable annotations
	for _, k := range keys {
		if len(v.Gateway(k.gw).Problems) > 0 {
			annotated[k.gw] = true
		}
	}
	for _, gw := range slices.SortedFunc(maps.Keys(annotated), byKey) {
		for _, p := range v.Gateway(gw).Problems {
			problems = append(problems, fmt.Sprintf("Gateway %s: %s", gw, p))
		}
	}
	for _, gw := range slices.SortedFunc(maps.Keys(noAddress), byKey) {
		problems = append(problems, fmt.Sprintf("Gateway %s has no address in its status: the names its routes attach in %s are not served", gw, src.Zone))
	}
	return problems
}

// classAllowed reports whether the zone serves Gateway gw's routes: every Gateway when
// it lists no classes, else those of the GatewayClasses it lists by name or by their
// controllerName (a domain-prefixed path, never a valid class name).
func classAllowed(src *Sources, v model.View, gw *model.Gateway) bool {
	if len(src.GatewayClasses) == 0 || slices.Contains(src.GatewayClasses, gw.Class) {
		return true
	}
	c := v.GatewayClass(gw.Class)
	return c != nil && c.Controller != "" && slices.Contains(src.GatewayClasses, c.Controller)
}

// parentOf returns the Gateway a parentRef leads to, with the listeners it names and their
// namespace: the Gateway's own, or those of a ListenerSet the Gateway allows
// (spec.allowedListeners: None by default, Same, All, or for Selector the ListenerSets its
// controller accepted). gw is nil when there is none.
func parentOf(v model.View, p model.ParentRef) (gw *model.Gateway, listeners []model.Listener, ns string) {
	if !p.ListenerSet {
		if gw = v.Gateway(p.Gateway); gw == nil {
			return nil, nil, ""
		}
		return gw, gw.Listeners, gw.Namespace
	}
	ls := v.ListenerSet(p.Gateway)
	if ls == nil {
		return nil, nil, ""
	}
	if gw = v.Gateway(ls.Gateway); gw == nil {
		return nil, nil, ""
	}
	switch gw.AllowedListeners {
	case "All":
	case "Same":
		if ls.Namespace != gw.Namespace {
			return nil, nil, ""
		}
	case "Selector":
		if !ls.Accepted {
			return nil, nil, ""
		}
	default:
		return nil, nil, ""
	}
	return gw, ls.Listeners, ls.Namespace
}

// attachedNames returns the names route r attaches through its parentRef p to listeners
// of namespace ns: none when no listener takes it.
func attachedNames(r *model.Route, p model.ParentRef, listeners []model.Listener, ns string) []string {
	var names []string
	attached := false
	for _, l := range listeners {
		if (p.Section != "" && l.Name != p.Section) || (p.Port != 0 && l.Port != p.Port) ||
			!allowsKind(l, r.Kind) || !allowsNamespace(l, r, p, ns) {
			continue
		}
		if r.Kind == "TCPRoute" || r.Kind == "UDPRoute" { // no hostnames: the listener's is ignored
			attached = true
			continue
		}
		hosts := intersect(r.Hostnames, l.Hostname)
		if len(hosts) == 0 && len(r.Hostnames) > 0 {
			continue // no hostname in common: the listener does not take the route
		}
		attached = true
		for _, h := range hosts {
			if !slices.Contains(names, h) {
				names = append(names, h)
			}
		}
	}
	if !attached {
		return nil
	}
	for _, h := range r.Annotated {
		if !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	return names
}

// intersect returns the hostnames a route with hostnames routes serves on a listener with
// hostname listener ("" for any): the route's when the listener has none, the listener's
// when the route has none, else each intersection.
func intersect(routes []string, listener string) []string {
	if listener == "" {
		return routes
	}
	if len(routes) == 0 {
		return []string{listener}
	}
	var out []string
	for _, h := range routes {
		if i := hostIntersection(h, listener); i != "" {
			out = append(out, i)
		}
	}
	return out
}

// hostIntersection returns the more specific of two hostnames when one matches the other,
// else "". A wildcard "*.example.com." matches every name below example.com. (one label or
// more) but not example.com. itself, as the Gateway API defines listener and route hostnames.
func hostIntersection(a, b string) string {
	wa, wb := strings.HasPrefix(a, "*."), strings.HasPrefix(b, "*.")
	switch {
	case a == b:
		return a
	case wb && strings.HasSuffix(a, b[1:]): // b[1:] is ".example.com.": a has a label more
		return a
	case wa && strings.HasSuffix(b, a[1:]):
		return b
	}
	return ""
}

// allowsKind reports whether listener l takes routes of kind: those its allowedRoutes list,
// or by default those of its protocol. A protocol of an implementation's own
// (domain-prefixed) takes any.
func allowsKind(l model.Listener, kind string) bool {
	if len(l.Kinds) > 0 {
		return slices.Contains(l.Kinds, kind)
	}
	switch l.Protocol {
	case "HTTP", "HTTPS":
		return kind == "HTTPRoute" || kind == "GRPCRoute"
	case "TLS":
		return kind == "TLSRoute" || kind == "TCPRoute"
	case "TCP":
		return kind == "TCPRoute"
	case "UDP":
		return kind == "UDPRoute"
	}
	return strings.Contains(l.Protocol, "/")
}

// allowsNamespace reports whether listener l, of namespace ns, takes routes from r's
// namespace.
func allowsNamespace(l model.Listener, r *model.Route, p model.ParentRef, ns string) bool {
	switch l.From {
	case "All":
		return true
	case "Same":
		return r.Namespace == ns
	case "Selector":
		return slices.Contains(r.Accepted, p)
	}
	return false
}

// behind finds the Services behind Gateways by their load balancers' addresses.
type behind struct {
	v      model.View
	byAddr map[string][]*model.Service // a load balancer IP or hostname
	found  map[model.Key][]netip.Addr  // by Gateway
}

func servicesBehind(v model.View) *behind { return &behind{v: v, found: map[model.Key][]netip.Addr{}} }

// clusterIPs returns the ClusterIPs of the Services behind gw (see gatewayRoutes).
func (b *behind) clusterIPs(gw *model.Gateway) []netip.Addr {
	k := model.Key{Namespace: gw.Namespace, Name: gw.Name}
	if ips, ok := b.found[k]; ok {
		return ips
	}
	ips := b.find(gw)
	b.found[k] = ips
	return ips
}

func (b *behind) find(gw *model.Gateway) []netip.Addr {
	if b.byAddr == nil { // built once, for the first Gateway asked about
		b.byAddr = map[string][]*model.Service{}
		b.v.ExposedServices(func(s *model.Service) {
			for _, a := range s.Exposure.Addrs {
				b.byAddr[a.String()] = append(b.byAddr[a.String()], s)
			}
			if s.Exposure.Target != "" {
				b.byAddr[s.Exposure.Target] = append(b.byAddr[s.Exposure.Target], s)
			}
		})
	}
	keys := []string{gw.Target}
	for _, a := range gw.Addrs {
		keys = append(keys, a.String())
	}
	var here, elsewhere []*model.Service
	for _, k := range keys {
		for _, s := range b.byAddr[k] {
			switch {
			case s.Namespace == gw.Namespace && !slices.Contains(here, s):
				here = append(here, s)
			case s.Namespace != gw.Namespace && !slices.Contains(elsewhere, s):
				elsewhere = append(elsewhere, s)
			}
		}
	}
	if len(here) == 0 {
		here = elsewhere
	}
	slices.SortFunc(here, func(a, b *model.Service) int {
		return byKey(model.Key{Namespace: a.Namespace, Name: a.Name}, model.Key{Namespace: b.Namespace, Name: b.Name})
	})
	var out []netip.Addr
	for _, s := range here {
		for _, ip := range s.ClusterIPs {
			if !slices.Contains(out, ip) {
				out = append(out, ip)
			}
		}
	}
	return out
}

func byKey(a, b model.Key) int {
	return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
}
