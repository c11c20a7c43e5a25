package kube

import (
	"context"
	"sync/atomic"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// watchMultiCluster reads what multicluster zones serve, as the kubernetes plugin's
// multicluster informers: the EndpointSlices with a multicluster.kubernetes.io/service-name
// label (also selected by the block's labels), and ServiceImports once the API server serves
// multicluster.x-k8s.io/v1alpha1 (the MCS CRDs may be installed after us; until then there
// are none). synced is called once both have listed.
func (s *Source) watchMultiCluster(synced func()) {
	var pending atomic.Int32
	pending.Store(2)
	part := func() {
		if pending.Add(-1) == 0 {
			synced()
		}
	}
	st := s.store
	sel := model.LabelMultiClusterService // exists
	if s.cfg.Labels != "" {
		sel = s.cfg.Labels + "," + sel
	}
	eps := s.cs.DiscoveryV1().EndpointSlices(corev1.NamespaceAll)
	podNames, zones := s.cfg.PodNames, s.cfg.Zones
	s.run(part, newResource("multiclusterendpointslices", &discoveryv1.EndpointSlice{}, s.cs,
		selecting(sel, func(ctx context.Context, o metav1.ListOptions) (*discoveryv1.EndpointSliceList, error) {
			return eps.List(ctx, o)
		}),
		selecting(sel, eps.Watch),
		func(sl *discoveryv1.EndpointSlice) *model.EndpointSlice {
			return model.MultiClusterSliceFromAPI(sl, podNames, zones)
		},
		st.UpsertImportSlice, st.DeleteImportSlice))

	s.wg.Add(1) // Stop waits for it: it may start a reflector
	go watchServed(s, "serviceimports", model.ServiceImportGroup, "multicluster services", part,
		model.ServiceImportFromUnstructured, st.UpsertImport, st.DeleteImport)
}
