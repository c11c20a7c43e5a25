package kube

import (
	"context"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// crdPoll is how often the API server is asked whether Istio's VirtualService exists yet.
var crdPoll = 10 * time.Second

// watchVirtualServices waits until the API server serves networking.istio.io (Istio may be
// installed after us), then runs a reflector on its preferred version. Until then there
// are no VirtualServices, which is complete knowledge: synced is called at once.
func (s *Source) watchVirtualServices(synced func()) {
	defer s.wg.Done()
	logged := false
	for s.ctx.Err() == nil {
		version, err := s.preferredVersion(model.VirtualServiceGroup.Group)
		if s.ctx.Err() != nil {
			return
		}
		if err == nil && version != "" {
			gvr := schema.GroupVersionResource{Group: model.VirtualServiceGroup.Group, Version: version, Resource: model.VirtualServiceGroup.Resource}
			res := s.dyn.Resource(gvr)
			st := s.store
			s.run(synced, newResource("virtualservices", &unstructured.Unstructured{}, s.dyn,
				func(ctx context.Context, o metav1.ListOptions) (*unstructured.UnstructuredList, error) {
					return res.List(ctx, o)
				},
				func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return res.Watch(ctx, o) },
				model.VirtualServiceFromUnstructured, st.UpsertVirtualService, st.DeleteVirtualService))
			log.Infof("watching %s/%s virtualservices on %s", gvr.Group, version, s.host)
			return
		}
		switch {
		case err == nil && !logged:
			// Istio is not installed: there are no VirtualServices, which is complete knowledge
			logged = true
			synced()
			log.Infof("%s is not served by %s: no mesh hosts until it is", model.VirtualServiceGroup.Group, s.host)
		case err != nil:
			log.Warningf("looking for %s on %s: %v", model.VirtualServiceGroup.Group, s.host, err)
		}
		select {
		case <-s.ctx.Done():
		case <-s.clock.After(crdPoll):
		}
	}
}

func (s *Source) preferredVersion(group string) (string, error) {
	groups, err := s.cs.Discovery().ServerGroups()
	if err != nil {
		return "", err
	}
	for _, g := range groups.Groups {
		if g.Name == group {
			return g.PreferredVersion.Version, nil
		}
	}
	return "", nil
}
