package kube

import (
	"slices"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// watchDNSEndpoints waits until the API server serves externaldns.k8s.io/v1alpha1 (the
// CRD may come with external-dns, after us), then runs a reflector on DNSEndpoints. Until
// then there are none, which is complete knowledge: synced is called at once.
func (s *Source) watchDNSEndpoints(synced func()) {
	st, gvr := s.store, model.DNSEndpointGroup
	s.watchCustom(gvr.Group, "DNSEndpoint records",
		func(g *metav1.APIGroup) string {
			if slices.ContainsFunc(g.Versions, func(v metav1.GroupVersionForDiscovery) bool { return v.Version == gvr.Version }) {
				return gvr.Version
			}
			return ""
		}, synced,
		func(string) resource {
			return dynResource(s, "dnsendpoints", gvr, "", model.DNSEndpointFromUnstructured, st.UpsertDNSEndpoint, st.DeleteDNSEndpoint)
		})
}
