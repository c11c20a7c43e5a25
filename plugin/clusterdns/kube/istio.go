package kube

import "github.com/clusterdns/clusterdns/plugin/clusterdns/model"

// The istio option's Gateways and ServiceEntries and the knative option's Routes and
// DomainMappings are read as VirtualServices are: with the dynamic client, once the API
// server serves them (watchServed).

// watchIstioGateways watches Istio's Gateways (networking.istio.io).
func (s *Source) watchIstioGateways(synced func()) {
	st := s.store
	// named apart from the Gateway API's gateways in logs and metrics
	watchServed(s, "gateways.networking.istio.io", model.IstioGatewayGroup.WithVersion(""),
		"istio gateway hosts", synced, model.IstioGatewayFromUnstructured, st.UpsertIstioGateway, st.DeleteIstioGateway)
}

// watchServiceEntries watches Istio's ServiceEntries.
func (s *Source) watchServiceEntries(synced func()) {
	st := s.store
	watchServed(s, "serviceentries", model.ServiceEntryGroup.WithVersion(""),
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
