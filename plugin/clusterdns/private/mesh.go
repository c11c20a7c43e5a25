package private

import (
	"fmt"
	"net/netip"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
)

// mesh is the source of mesh hosts (`mesh [NAMESPACE/NAME]`): the hosts of VirtualServices
// bound to the external-mesh gateway answer with the file's wildcard address, else with
// the gateway Service's load balancer, and for pods (Inside) its ClusterIP.
func mesh(src *Sources, v model.View, emit func(Claim)) (problems []string) {
	if !src.Mesh {
		return nil
	}
	type answer struct {
		audience Audience
		addrs    []netip.Addr
		target   string
	}
	answers := []answer{{Everyone, src.wildcard, ""}}
	if len(src.wildcard) == 0 && src.Gateway.Name != "" {
		gw := v.Service(src.Gateway)
		if gw == nil || gw.Exposure == nil || (len(gw.Exposure.Addrs) == 0 && gw.Exposure.Target == "") {
			return []string{fmt.Sprintf("mesh gateway Service %s has no load balancer or external address: mesh hosts of %s are not served", src.Gateway, src.Zone)}
		}
		answers = []answer{{Outside, gw.Exposure.Addrs, gw.Exposure.Target}, {Inside, gw.ClusterIPs, ""}}
	}
	v.VirtualServices(func(vs *model.VirtualService) {
		if !vs.BoundTo(MeshGateway) || !src.Namespaces.Allow(vs.Namespace) {
			return
		}
		owner := Owner{Kind: "VirtualService", Namespace: vs.Namespace, Name: vs.Name, Created: vs.Created}
		for _, h := range vs.Hosts {
			if !underApex(h, src.Zone) {
				continue
			}
			for _, a := range answers {
				claimEach(emit, owner, a.audience, addressRecords(h, src.TTL, a.addrs, a.target))
			}
		}
	})
	return nil
}
