package kube

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

var (
	istioGatewayGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "gateways"}
	serviceEntryGVR = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "serviceentries"}
)

// The istio and knative kinds are watched once their resource is served, not merely their
// group: a group with some of its CRDs missing must not leave a reflector failing forever.
func TestEnableIstioAndKnativeKinds(t *testing.T) {
	ctx := context.Background()
	f := newFakes()
	f.dyn = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(k8sruntime.NewScheme(), map[schema.GroupVersionResource]string{
		vsGVR: "VirtualServiceList", istioGatewayGVR: "GatewayList", serviceEntryGVR: "ServiceEntryList",
		model.KnativeRouteGroup: "RouteList", model.DomainMappingGroup: "DomainMappingList"})
	f.dyn.PrependWatchReactor("*", f.w.reactor)
	// networking.istio.io/v1 serves Gateways but not ServiceEntries; Knative serves both
	// kinds, each in its own version (DomainMappings are not in the preferred v1)
	f.cs.Resources = []*metav1.APIResourceList{
		{GroupVersion: "networking.istio.io/v1", APIResources: []metav1.APIResource{{Name: "virtualservices"}, {Name: "gateways"}}},
		{GroupVersion: "serving.knative.dev/v1", APIResources: []metav1.APIResource{{Name: "routes"}}},
		{GroupVersion: "serving.knative.dev/v1beta1", APIResources: []metav1.APIResource{{Name: "domainmappings"}}},
	}
	gw := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"namespace": "istio-system", "name": "public"},
		"spec":     map[string]any{"selector": map[string]any{"istio": "ingressgateway"}, "servers": []any{map[string]any{"hosts": []any{"*/shop.example"}}}}}}
	if _, err := f.dyn.Resource(istioGatewayGVR).Namespace("istio-system").Create(ctx, gw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "serving.knative.dev/v1beta1", "kind": "DomainMapping",
		"metadata": map[string]any{"namespace": "blog", "name": "blog.example"}}}
	if _, err := f.dyn.Resource(model.DomainMappingGroup).Namespace("blog").Create(ctx, dm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := f.start(t, "fake-istio")
	st := s.Store()
	kinds := []model.Kind{model.KindIstioGateway, model.KindServiceEntry, model.KindKnativeRoute, model.KindDomainMapping}
	for _, k := range kinds {
		if err := s.Enable(k); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all kinds synced", func() bool {
		return read(st, func(v model.View) bool {
			return !slices.ContainsFunc(kinds, func(k model.Kind) bool { return !v.KindSynced(k) })
		})
	})
	got := read(st, func(v model.View) string {
		var dms []string
		v.DomainMappings(func(d *model.KnativeHost) { dms = append(dms, d.Host) })
		g := v.IstioGateway(model.Key{Namespace: "istio-system", Name: "public"})
		if g == nil {
			return "no gateway"
		}
		return fmt.Sprint(g.Hosts, g.Selector, dms)
	})
	if got != "[{* shop.example}] map[istio:ingressgateway] [blog.example.]" {
		t.Errorf("store holds %s", got)
	}
	waitFor(t, "watches", f.w.started("gateways", "routes", "domainmappings"))
	if f.w.started("serviceentries")() {
		t.Error("ServiceEntries are watched though the server does not serve them")
	}
}
