package kube

import (
	"sync"
	"sync/atomic"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// watchGatewayAPI reads Gateways and their routes. Each resource is watched on its own,
// in the first version the API server serves it in, preferred version first: the routes'
// versions differ (HTTPRoute is v1, TCPRoute only v1alpha2 in the experimental channel), and
// a cluster may install the standard channel first and the experimental one later, so a
// resource not served yet is looked for again as the VirtualService CRD is. synced is
// called once each resource has listed or was found missing.
func (s *Source) watchGatewayAPI(synced func()) {
	var pending atomic.Int32
	pending.Store(int32(len(model.GatewayResources)))
	st := s.store
	for _, r := range model.GatewayResources {
		var once sync.Once // watchCustom reports a missing resource, and later its first list
		part := func() {
			once.Do(func() {
				if pending.Add(-1) == 0 {
					synced()
				}
			})
		}
		gvr := schema.GroupVersionResource{Group: model.GatewayAPIGroup, Resource: r.Resource}
		s.wg.Add(1) // Stop waits for it: it may start a reflector
		switch r.Kind {
		case "GatewayClass":
			go watchServed(s, r.Resource, gvr, r.Resource, part, model.GatewayClassFromUnstructured, st.UpsertGatewayClass, st.DeleteGatewayClass)
		case "Gateway":
			go watchServed(s, r.Resource, gvr, r.Resource, part, model.GatewayFromUnstructured, st.UpsertGateway, st.DeleteGateway)
		case "ListenerSet":
			go watchServed(s, r.Resource, gvr, r.Resource, part, model.ListenerSetFromUnstructured, st.UpsertListenerSet, st.DeleteListenerSet)
		default:
			go watchServed(s, r.Resource, gvr, r.Resource, part, model.RouteConverter(r.Kind), st.UpsertRoute, st.RouteDeleter(r.Kind))
		}
	}
}
