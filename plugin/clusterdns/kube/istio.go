package kube

import (
	"slices"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The istio option's Gateways and ServiceEntries and the knative option's Routes and
// DomainMappings are read as VirtualServices are: with the dynamic client, once the API
// server serves them (watchCustom).

// watchIstioGateways watches Istio's Gateways (networking.istio.io, the group's preferred version).
func (s *Source) watchIstioGateways(synced func()) {
	st := s.store
	// named apart from the Gateway API's gateways in logs and metrics
	watchServed(s, "gateways.networking.istio.io", schema.GroupVersionResource{Group: model.IstioGatewayGroup.Group, Resource: model.IstioGatewayGroup.Resource},
		"istio gateway hosts", synced, model.IstioGatewayFromUnstructured, st.UpsertIstioGateway, st.DeleteIstioGateway)
}

// watchServiceEntries watches Istio's ServiceEntries.
func (s *Source) watchServiceEntries(synced func()) {
	st := s.store
	watchServed(s, "serviceentries", schema.GroupVersionResource{Group: model.ServiceEntryGroup.Group, Resource: model.ServiceEntryGroup.Resource},
		"service entry hosts", synced, model.ServiceEntryFromUnstructured, st.UpsertServiceEntry, st.DeleteServiceEntry)
}

// watchKnativeRoutes watches Knative Serving's Routes.
func (s *Source) watchKnativeRoutes(synced func()) {
	st := s.store
	watchServed(s, "routes.serving.knative.dev", model.KnativeRouteGroup, "knative route hosts", synced,
		model.KnativeRouteFromUnstructured, st.UpsertKnativeRoute, st.DeleteKnativeRoute)
}

// watchDomainMappings watches Knative Serving's DomainMappings.
func (s *Source) watchDomainMappings(synced func()) {
	st := s.store
	watchServed(s, "domainmappings", model.DomainMappingGroup, "knative domain mappings", synced,
		model.DomainMappingFromUnstructured, st.UpsertDomainMapping, st.DeleteDomainMapping)
}

// watchServed runs watchCustom for gvr, named name in logs and metrics (Version "" for the group's preferred version),
// waiting not only for the group but for the resource itself: a group is served as soon as
// one of its CRDs is installed, and a reflector on a resource the server lacks would retry
// forever without ever syncing, leaving the zone unready.
func watchServed[M any](s *Source, name string, gvr schema.GroupVersionResource, what string, synced func(),
	convert func(*unstructured.Unstructured) M, upsert func(M), remove func(model.Key)) {
	s.watchCustom(gvr.Group, what, func(g *metav1.APIGroup) string {
		v := gvr.Version
		if v == "" {
			v = g.PreferredVersion.Version
		}
		if !slices.ContainsFunc(g.Versions, func(gv metav1.GroupVersionForDiscovery) bool { return gv.Version == v }) {
			return ""
		}
		rl, err := s.cs.Discovery().ServerResourcesForGroupVersion(gvr.Group + "/" + v)
		if err != nil || !slices.ContainsFunc(rl.APIResources, func(r metav1.APIResource) bool { return r.Name == gvr.Resource }) {
			return ""
		}
		return v
	}, synced, func(version string) resource {
		r := gvr
		r.Version = version
		return dynResource(s, name, r, "", convert, upsert, remove)
	})
}
