package kube

import (
	"context"
	"slices"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// crdPoll is how often the API server is asked whether a custom resource (Istio's
// VirtualService, the MCS API's ServiceImport) exists yet.
var crdPoll = 10 * time.Second

// watchVirtualServices waits until the API server serves VirtualServices (Istio may be
// installed after us), then runs a reflector on them (servedVersion). Until then there
// are no VirtualServices, which is complete knowledge: synced is called at once.
func (s *Source) watchVirtualServices(synced func()) {
	st := s.store
	watchServed(s, "virtualservices", model.VirtualServiceGroup.WithVersion(""), "mesh hosts", synced,
		model.VirtualServiceFromUnstructured, st.UpsertVirtualService, st.DeleteVirtualService)
}

// watchServed runs watchCustom for gvr, named name in logs and metrics, in the version
// servedVersion picks. Every custom resource is read through it, so that one rule decides
// which version is read and when.
func watchServed[M any](s *Source, name string, gvr schema.GroupVersionResource, what string, synced func(),
	convert func(*unstructured.Unstructured) M, upsert func(M), remove func(model.Key)) {
	s.watchCustom(gvr.Group, what, func(g *metav1.APIGroup) string {
		return s.servedVersion(g, gvr.Resource, gvr.Version)
	}, synced, func(version string) resource {
		r := gvr
		r.Version = version
		return dynResource(s, name, r, "", convert, upsert, remove)
	})
}

// servedVersion returns the version of group g that serves resource: version when given,
// else the first that does, the group's preferred version first (a Gateway API route may
// be served in another version than the group's preferred one); "" while none does. The
// resource itself is looked for, not only the group: a group is served as soon as one of
// its CRDs is installed, and a reflector on a resource the server lacks would retry forever
// without ever syncing, leaving the zone unready.
func (s *Source) servedVersion(g *metav1.APIGroup, resource, version string) string {
	versions := []string{version}
	if version == "" {
		versions = []string{g.PreferredVersion.Version}
		for _, v := range g.Versions {
			if v.Version != g.PreferredVersion.Version {
				versions = append(versions, v.Version)
			}
		}
	}
	for _, v := range versions {
		list, err := s.cs.Discovery().ServerResourcesForGroupVersion(g.Name + "/" + v)
		if err == nil && slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == resource }) {
			return v
		}
	}
	return ""
}

// watchCustom waits until the API server serves a version of group that pick chooses
// ("" for none yet), then runs the reflector of that version's resource. Until then there
// are no such objects, which is complete knowledge: synced is called at once. what names
// the missing names in the log.
func (s *Source) watchCustom(group, what string, pick func(*metav1.APIGroup) string, synced func(), res func(version string) resource) {
	defer s.wg.Done()
	logged := false
	for s.ctx.Err() == nil {
		g, err := s.serverGroup(group)
		if s.ctx.Err() != nil {
			return
		}
		version := ""
		if err == nil && g != nil {
			version = pick(g)
		}
		if version != "" {
			r := res(version)
			s.run(synced, r)
			log.Infof("watching %s/%s %s on %s", group, version, r.name, s.host)
			return
		}
		switch {
		case err == nil && !logged:
			logged = true
			synced()
			log.Infof("%s is not served by %s: no %s until it is", group, s.host, what)
		case err != nil:
			log.Warningf("looking for %s on %s: %v", group, s.host, err)
		}
		select {
		case <-s.ctx.Done():
		case <-s.clock.After(crdPoll):
		}
	}
}

// dynResource is the resource of a custom kind read with the dynamic client, selecting
// labels sel.
func dynResource[M any](s *Source, name string, gvr schema.GroupVersionResource, sel string,
	convert func(*unstructured.Unstructured) M, upsert func(M), remove func(model.Key)) resource {
	res := s.dyn.Resource(gvr)
	return newResource(name, &unstructured.Unstructured{}, s.dyn,
		selecting(sel, func(ctx context.Context, o metav1.ListOptions) (*unstructured.UnstructuredList, error) {
			return res.List(ctx, o)
		}),
		selecting(sel, func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return res.Watch(ctx, o) }),
		convert, upsert, remove)
}

// serverGroup returns the API group named group, or nil when the server does not serve it.
func (s *Source) serverGroup(group string) (*metav1.APIGroup, error) {
	groups, err := s.cs.Discovery().ServerGroups()
	if err != nil {
		return nil, err
	}
	for i := range groups.Groups {
		if groups.Groups[i].Name == group {
			return &groups.Groups[i], nil
		}
	}
	return nil, nil
}
