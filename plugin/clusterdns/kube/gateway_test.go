package kube

import (
	"context"
	"slices"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

func gwGVR(version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: model.GatewayAPIGroup, Version: version, Resource: resource}
}

func gwObject(version, kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": model.GatewayAPIGroup + "/" + version, "kind": kind,
		"metadata": map[string]any{"namespace": ns, "name": name}, "spec": spec,
	}}
}

// routeNames lists the routes in the Store as KIND/NAMESPACE/NAME>GATEWAY.
func routeNames(st *model.Store) []string {
	return read(st, func(v model.View) []string {
		var out []string
		v.Routes(func(r *model.Route) {
			for _, p := range r.Parents {
				out = append(out, r.Kind+"/"+r.Namespace+"/"+r.Name+">"+p.Gateway.String())
			}
		})
		slices.Sort(out)
		return out
	})
}

// Each Gateway API resource is read in the version the server serves it in (TCPRoute only
// in v1alpha2); resources the server does not serve (GRPCRoute here) count as listed.
func TestEnableGatewayAPI(t *testing.T) {
	ctx := context.Background()
	f := newFakes()
	f.dyn = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(k8sruntime.NewScheme(), map[schema.GroupVersionResource]string{
		gwGVR("v1", "gateways"): "GatewayList", gwGVR("v1", "httproutes"): "HTTPRouteList", gwGVR("v1alpha2", "tcproutes"): "TCPRouteList",
	})
	f.dyn.PrependWatchReactor("*", f.w.reactor)
	f.cs.Resources = []*metav1.APIResourceList{
		{GroupVersion: model.GatewayAPIGroup + "/v1", APIResources: []metav1.APIResource{
			{Name: "gateways", Namespaced: true, Kind: "Gateway"}, {Name: "httproutes", Namespaced: true, Kind: "HTTPRoute"}}},
		{GroupVersion: model.GatewayAPIGroup + "/v1alpha2", APIResources: []metav1.APIResource{
			{Name: "tcproutes", Namespaced: true, Kind: "TCPRoute"}}},
	}
	gw := gwObject("v1", "Gateway", "infra", "public", map[string]any{"gatewayClassName": "internal",
		"listeners": []any{map[string]any{"name": "http", "protocol": "HTTP", "port": int64(80)}}})
	gw.Object["status"] = map[string]any{"addresses": []any{map[string]any{"type": "IPAddress", "value": "10.128.9.1"}}}
	if _, err := f.dyn.Resource(gwGVR("v1", "gateways")).Namespace("infra").Create(ctx, gw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	web := gwObject("v1", "HTTPRoute", "shop", "web", map[string]any{"hostnames": []any{"web.example.internal"},
		"parentRefs": []any{map[string]any{"name": "public", "namespace": "infra"}}})
	if _, err := f.dyn.Resource(gwGVR("v1", "httproutes")).Namespace("shop").Create(ctx, web, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := f.start(t, "fake-gateway")
	st := s.Store()
	if err := s.Enable(model.KindGatewayAPI); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "gateway API synced", func() bool {
		return read(st, func(v model.View) bool { return v.KindSynced(model.KindGatewayAPI) })
	})
	addr := read(st, func(v model.View) string {
		if g := v.Gateway(model.Key{Namespace: "infra", Name: "public"}); g != nil && len(g.Addrs) == 1 {
			return g.Addrs[0].String()
		}
		return ""
	})
	if addr != "10.128.9.1" {
		t.Fatalf("gateway address %q", addr)
	}
	if got := routeNames(st); !slices.Equal(got, []string{"HTTPRoute/shop/web>infra/public"}) {
		t.Fatalf("routes %v", got)
	}
	waitFor(t, "tcproute watch", f.w.started("tcproutes"))
	pg := gwObject("v1alpha2", "TCPRoute", "shop", "pg", map[string]any{"parentRefs": []any{map[string]any{"name": "public", "namespace": "infra"}}})
	if _, err := f.dyn.Resource(gwGVR("v1alpha2", "tcproutes")).Namespace("shop").Create(ctx, pg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the TCPRoute", func() bool {
		return slices.Equal(routeNames(st), []string{"HTTPRoute/shop/web>infra/public", "TCPRoute/shop/pg>infra/public"})
	})
}
