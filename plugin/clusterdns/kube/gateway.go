package kube

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
		s.wg.Add(1) // Stop waits for it: it may start a reflector
		go s.watchCustom(model.GatewayAPIGroup, r.Resource, s.servingVersion(r.Resource), part, func(version string) resource {
			gvr := schema.GroupVersionResource{Group: model.GatewayAPIGroup, Version: version, Resource: r.Resource}
			switch r.Kind {
			case "GatewayClass":
				return dynResource(s, r.Resource, gvr, "", model.GatewayClassFromUnstructured, st.UpsertGatewayClass, st.DeleteGatewayClass)
			case "Gateway":
				return dynResource(s, r.Resource, gvr, "", model.GatewayFromUnstructured, st.UpsertGateway, st.DeleteGateway)
			case "ListenerSet":
				return dynResource(s, r.Resource, gvr, "", model.ListenerSetFromUnstructured, st.UpsertListenerSet, st.DeleteListenerSet)
			}
			return dynResource(s, r.Resource, gvr, "", model.RouteConverter(r.Kind), st.UpsertRoute, st.RouteDeleter(r.Kind))
		})
	}
}

// servingVersion returns the pick function of watchCustom that chooses the first version
// of a group serving resource, the group's preferred version first; "" when none does.
func (s *Source) servingVersion(resource string) func(*metav1.APIGroup) string {
	return func(g *metav1.APIGroup) string {
		versions := []metav1.GroupVersionForDiscovery{g.PreferredVersion}
		for _, v := range g.Versions {
			if v != g.PreferredVersion {
				versions = append(versions, v)
			}
		}
		for _, v := range versions {
			list, err := s.cs.Discovery().ServerResourcesForGroupVersion(v.GroupVersion)
			if err != nil {
				continue
			}
			if slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == resource }) {
				return v.Version
			}
		}
		return ""
	}
}
