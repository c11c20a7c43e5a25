package kube

import "github.com/clusterdns/clusterdns/plugin/clusterdns/model"

// watchDNSEndpoints waits until the API server serves externaldns.k8s.io/v1alpha1 (the
// CRD may come with external-dns, after us), then runs a reflector on DNSEndpoints. Until
// then there are none, which is complete knowledge: synced is called at once.
func (s *Source) watchDNSEndpoints(synced func()) {
	st := s.store
	watchServed(s, "dnsendpoints", model.DNSEndpointGroup, "DNSEndpoint records", synced,
		model.DNSEndpointFromUnstructured, st.UpsertDNSEndpoint, st.DeleteDNSEndpoint)
}
