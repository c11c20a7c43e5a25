package private

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

// istioSource is the istio option: the hosts of VirtualServices bound to Istio Gateways,
// answered with the addresses of the gateway's Services, and ServiceEntry hosts, answered
// with the entry's addresses.
//
// A VirtualService host is served where Istio would route it: the VirtualService names the
// Gateway in spec.gateways (see gatewayKey) and one of the Gateway's servers[].hosts
// accepts it (see bind). The name served is the more specific of the two hosts, as Istio
// configures the gateway: VirtualService "*.shop.example" through a server host
// "cart.shop.example" serves cart.shop.example only.
//
// A Gateway's Services are those whose spec.selector holds every label of the Gateway's
// spec.selector, as external-dns's istio-gateway source finds them: the Gateway selects the
// gateway's pods, and a Service that selects at least those labels fronts them. Peered
// clients (Outside) get their load balancer addresses, pods (Inside) their ClusterIPs.
// external-dns takes such Services from every namespace; that would let any tenant add its
// own load balancer to every answer by copying the selector, the theft the claim rule
// stops for names. So the Services come from one namespace: the Gateway's own when it has
// any, else the namespace of the oldest such Service, as the oldest claim on a name wins.
func istioSource(src *Sources, v model.View, emit func(Claim)) (problems []string) {
	if !src.Istio {
		return nil
	}
	gateways := map[model.Key]*gatewayAddrs{}
	v.VirtualServices(func(vs *model.VirtualService) {
		if !src.Namespaces.Allow(vs.Namespace) {
			return
		}
		owner := Owner{Kind: "VirtualService", Namespace: vs.Namespace, Name: vs.Name, Created: vs.Created}
		if slices.ContainsFunc(vs.Gateways, func(ref string) bool { _, ok := gatewayKey(ref, vs.Namespace); return ok }) {
			problems = append(problems, invalidHosts(src.Zone, owner, vs.Invalid...)...)
		}
		var bound []model.Key
		for _, ref := range vs.Gateways {
			k, ok := gatewayKey(ref, vs.Namespace)
			if !ok || slices.Contains(bound, k) { // one Gateway named twice ("gw", "ns/gw") is one binding
				continue
			}
			bound = append(bound, k)
			gw := v.IstioGateway(k)
			if gw == nil {
				continue // not there yet, or an Istio Gateway of another cluster
			}
			addrs, seen := gateways[k]
			if !seen {
				addrs = istioGatewayAddrs(v, gw)
				gateways[k] = addrs
				problems = append(problems, addrs.problems...)
			}
			for _, h := range bind(gw, vs) {
				if !dns.IsSubDomain(src.Zone, h) || h == src.Zone {
					continue
				}
				addrs.emit(h, src.TTL, owner, emit)
			}
		}
	})
	v.ServiceEntries(func(se *model.ServiceEntry) {
		if !src.Namespaces.Allow(se.Namespace) {
			return
		}
		owner := Owner{Kind: "ServiceEntry", Namespace: se.Namespace, Name: se.Name, Created: se.Created}
		problems = append(problems, invalidHosts(src.Zone, owner, se.Invalid...)...)
		for _, h := range se.Hosts {
			if !dns.IsSubDomain(src.Zone, h) || h == src.Zone {
				continue
			}
			claimEach(emit, owner, Everyone, addressRecords(h, src.TTL, se.AddrsOf(h), ""))
		}
	})
	return problems
}

// invalidHosts reports the hosts of owner that are no DNS names, those that name zone: a
// zone does not log another zone's hosts.
func invalidHosts(zone string, owner Owner, hosts ...string) []string {
	var out []string
	for _, h := range hosts {
		if strings.Contains(strings.ToLower(h), strings.TrimSuffix(zone, ".")) {
			out = append(out, fmt.Sprintf("%s: host %q is not a DNS name: skipped", owner, h))
		}
	}
	return out
}

// gatewayAddrs are the addresses of a gateway, for peered clients (a load balancer's IPs or
// hostname) and for pods (ClusterIPs).
type gatewayAddrs struct {
	outside  []netip.Addr
	target   string
	inside   []netip.Addr
	problems []string // Services ignored, or why peered clients get no address
}

// emit claims name for owner with the gateway's addresses.
func (g *gatewayAddrs) emit(name string, ttl uint32, owner Owner, emit func(Claim)) {
	claimEach(emit, owner, Outside, addressRecords(name, ttl, g.outside, g.target))
	claimEach(emit, owner, Inside, addressRecords(name, ttl, g.inside, ""))
}

// istioGatewayAddrs returns the addresses of the Services that front gw's pods, in Service
// name order (a load balancer hostname is a CNAME target only when no Service has IPs, and
// then the first one's).
func istioGatewayAddrs(v model.View, gw *model.IstioGateway) *gatewayAddrs {
	out := &gatewayAddrs{}
	if len(gw.Selector) == 0 {
		out.problems = append(out.problems, fmt.Sprintf("Istio Gateway %s/%s has no spec.selector: its hosts are not served", gw.Namespace, gw.Name))
		return out
	}
	var fronts []*model.Service
	v.ExposedServices(func(s *model.Service) {
		if !s.Exposure.NodePortsOnly() && selects(s.Exposure.Selector, gw.Selector) {
			fronts = append(fronts, s)
		}
	})
	// oldest first, the Gateway's namespace before all
	slices.SortFunc(fronts, func(a, b *model.Service) int {
		if (a.Namespace == gw.Namespace) != (b.Namespace == gw.Namespace) {
			if a.Namespace == gw.Namespace {
				return -1
			}
			return 1
		}
		if c := a.Exposure.Created.Compare(b.Exposure.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	var ignored []string
	if len(fronts) > 0 {
		ns := fronts[0].Namespace
		for _, s := range fronts {
			if s.Namespace != ns {
				ignored = append(ignored, s.Namespace+"/"+s.Name)
			}
		}
		fronts = slices.DeleteFunc(fronts, func(s *model.Service) bool { return s.Namespace != ns })
	}
	if len(ignored) > 0 {
		slices.Sort(ignored)
		out.problems = append(out.problems, fmt.Sprintf("Istio Gateway %s/%s: Services %s also select its pods: ignored, as the gateway's Services are those of namespace %s",
			gw.Namespace, gw.Name, strings.Join(ignored, ", "), fronts[0].Namespace))
	}
	slices.SortFunc(fronts, func(a, b *model.Service) int { return strings.Compare(a.Name, b.Name) })
	for _, s := range fronts {
		out.outside = append(out.outside, s.Exposure.Addrs...)
		if out.target == "" {
			out.target = s.Exposure.Target
		}
		out.inside = append(out.inside, s.ClusterIPs...)
	}
	if len(out.outside) > 0 {
		out.target = ""
	}
	if len(out.outside) == 0 && out.target == "" {
		out.problems = append(out.problems, fmt.Sprintf("Istio Gateway %s/%s: no Service selecting %s has a load balancer or external address: its hosts are served to pods only", gw.Namespace, gw.Name, selectorString(gw.Selector)))
	}
	return out
}

// selects reports whether a Service selector holds every label of a Gateway's selector.
func selects(service, gateway map[string]string) bool {
	if len(service) == 0 {
		return false
	}
	for k, v := range gateway {
		if got, ok := service[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func selectorString(sel map[string]string) string {
	var parts []string
	for k, v := range sel {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// gatewayKey resolves a VirtualService's spec.gateways entry as Istio does: "ns/name",
// "./name" and a bare "name" (the VirtualService's namespace), and the legacy
// "name.ns.svc.cluster.local" or "name.ns". "mesh" is the sidecars, no Gateway.
func gatewayKey(ref, vsNamespace string) (model.Key, bool) {
	if ref == "mesh" || ref == "" {
		return model.Key{}, false
	}
	if ns, name, ok := strings.Cut(ref, "/"); ok {
		if ns == "." {
			ns = vsNamespace
		}
		return model.Key{Namespace: ns, Name: name}, ns != "" && name != ""
	}
	name, rest, ok := strings.Cut(ref, ".")
	if !ok {
		return model.Key{Namespace: vsNamespace, Name: ref}, true
	}
	ns, _, _ := strings.Cut(rest, ".")
	return model.Key{Namespace: ns, Name: name}, ns != "" && name != ""
}

// bind returns the names a VirtualService bound to gw is served under: for each of its
// hosts and each server host of gw that accepts the VirtualService's namespace and
// overlaps the host, the more specific of the two (Istio's pickMatchingGatewayHosts).
// Names are lowercase and fully qualified; a wildcard name is a wildcard record.
func bind(gw *model.IstioGateway, vs *model.VirtualService) []string {
	var out []string
	add := func(h string) {
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	for _, vh := range vs.Hosts {
		for _, gh := range gw.Hosts {
			switch gh.Namespace {
			case "*":
			case ".":
				if vs.Namespace != gw.Namespace {
					continue
				}
			default:
				if vs.Namespace != gh.Namespace {
					continue
				}
			}
			if gh.Host == "*" {
				add(vh)
				continue
			}
			g := gh.Host + "."
			switch {
			case !overlaps(g, vh):
			case subsetOf(g, vh):
				add(g)
			default:
				add(vh)
			}
		}
	}
	return out
}

// overlaps reports whether two hosts, each a name or a "*." wildcard, have a name in
// common. An Istio wildcard matches any number of labels, as a DNS wildcard does for names
// that do not exist below it.
func overlaps(a, b string) bool {
	return subsetOf(a, b) || subsetOf(b, a)
}

// subsetOf reports whether every name a matches, b matches too.
func subsetOf(a, b string) bool {
	aw, bw := strings.HasPrefix(a, "*."), strings.HasPrefix(b, "*.")
	switch {
	case aw && bw:
		return strings.HasSuffix(a[1:], b[1:])
	case aw:
		return false
	case bw:
		return strings.HasSuffix(a, b[1:])
	default:
		return a == b
	}
}
