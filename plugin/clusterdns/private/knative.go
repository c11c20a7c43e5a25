package private

import (
	"fmt"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

// knativeSource is the knative option: the host of each Knative Route (its status.url,
// set once Knative has reconciled it) and each DomainMapping (its name), answered with the
// address of the Knative gateway Service the option names: its load balancer for peered
// clients (Outside), its ClusterIP for pods (Inside), or the ClusterIP of the local gateway
// Service when the option names one, as that is where Knative routes in-cluster traffic.
//
// A Route labelled cluster-local (networking.knative.dev/visibility) is not for clients
// outside the cluster: it makes Inside claims only, so the peered view never has it.
func knativeSource(src *Sources, v model.View, emit func(Claim)) (problems []string) {
	if src.Knative.Name == "" {
		return nil
	}
	gw := &gatewayAddrs{}
	switch s := v.Service(src.Knative); {
	case s == nil:
		problems = append(problems, fmt.Sprintf("knative gateway Service %s does not exist: Knative hosts of %s are not served", src.Knative, src.Zone))
	case s.Exposure == nil || s.Exposure.NodePortsOnly():
		problems = append(problems, fmt.Sprintf("knative gateway Service %s has no load balancer or external address: Knative hosts of %s are served to pods only", src.Knative, src.Zone))
		gw.inside = s.ClusterIPs
	default:
		gw.outside, gw.target, gw.inside = s.Exposure.Addrs, s.Exposure.Target, s.ClusterIPs
	}
	if src.KnativeLocal.Name != "" {
		gw.inside = nil
		if s := v.Service(src.KnativeLocal); s != nil {
			gw.inside = s.ClusterIPs
		} else {
			problems = append(problems, fmt.Sprintf("knative local gateway Service %s does not exist: Knative hosts of %s are not served to pods", src.KnativeLocal, src.Zone))
		}
	}
	local := &gatewayAddrs{inside: gw.inside}
	claim := func(kind string, k *model.KnativeHost) {
		if !src.Namespaces.Allow(k.Namespace) {
			return
		}
		owner := Owner{Kind: kind, Namespace: k.Namespace, Name: k.Name, Created: k.Created}
		if k.Invalid != "" {
			problems = append(problems, invalidHosts(src.Zone, owner, k.Invalid)...)
		}
		if k.Host == "" || !dns.IsSubDomain(src.Zone, k.Host) || k.Host == src.Zone {
			return
		}
		if k.ClusterLocal {
			local.emit(k.Host, src.TTL, owner, emit)
		} else {
			gw.emit(k.Host, src.TTL, owner, emit)
		}
	}
	v.KnativeRoutes(func(r *model.KnativeHost) { claim("Route", r) })
	v.DomainMappings(func(d *model.KnativeHost) { claim("DomainMapping", d) })
	return problems
}
