package kube

import (
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	corev1 "k8s.io/api/core/v1"
)

// nodes is the Node resource, for the nodeports option of private zones: read only once a
// zone asks for it (Enable), each Node trimmed to its addresses and the few fields that say
// whether it takes NodePort traffic (model.NodeFromAPI). Nodes are cluster-scoped: their
// keys have no namespace.
func (s *Source) nodes() resource {
	n := s.cs.CoreV1().Nodes()
	return newResource("nodes", &corev1.Node{}, s.cs, n.List, n.Watch, model.NodeFromAPI, s.store.UpsertNode, s.store.DeleteNode)
}
