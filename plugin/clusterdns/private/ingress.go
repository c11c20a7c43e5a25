package private

import (
	"cmp"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
)

// ingresses is the source of Ingress hosts (`ingresses`): each rule host in the zone,
// wildcards included, answers with the addresses the Ingress controller reports (or the
// target annotation's), for every client: the controller's in-cluster address is not
// known.
func ingresses(src *Sources, v model.View, emit func(Claim)) (problems []string) {
	if !src.Ingresses {
		return nil
	}
	v.Ingresses(func(in *model.Ingress) {
		if !src.Namespaces.Allow(in.Namespace) {
			return
		}
		owner := Owner{Kind: "Ingress", Namespace: in.Namespace, Name: in.Name, Created: in.Created}
		for _, p := range in.Problems {
			problems = append(problems, owner.String()+": "+p)
		}
		ttl := cmp.Or(in.TTL, src.TTL)
		for _, h := range in.Hosts {
			if underApex(h, src.Zone) {
				claimEach(emit, owner, Everyone, addressRecords(h, ttl, in.Addrs, in.Target))
			}
		}
	})
	return problems
}
