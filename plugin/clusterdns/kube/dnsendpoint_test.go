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

func dnsEndpointFakes(served bool) fakes {
	f := newFakes()
	f.dyn = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(k8sruntime.NewScheme(),
		map[schema.GroupVersionResource]string{model.DNSEndpointGroup: "DNSEndpointList"})
	f.dyn.PrependWatchReactor("*", f.w.reactor)
	if served {
		f.cs.Resources = append(f.cs.Resources, &metav1.APIResourceList{GroupVersion: model.DNSEndpointGroup.GroupVersion().String(),
			APIResources: []metav1.APIResource{{Name: "dnsendpoints", Namespaced: true, Kind: "DNSEndpoint"}}})
	}
	return f
}

func dnsEndpointObject(ns, name, dnsName, target string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": model.DNSEndpointGroup.GroupVersion().String(), "kind": "DNSEndpoint",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec": map[string]any{"endpoints": []any{
			map[string]any{"dnsName": dnsName, "recordType": "A", "targets": []any{target}},
		}},
	}}
}

func dnsEndpointNames(st *model.Store) []string {
	return read(st, func(v model.View) []string {
		var out []string
		v.DNSEndpoints(func(d *model.DNSEndpoint) {
			out = append(out, d.Name+":"+d.Records[0].Name+"="+d.Records[0].Targets[0])
		})
		slices.Sort(out)
		return out
	})
}

// DNSEndpoints are read only once a private zone asks, and then follow the API.
func TestEnableDNSEndpoint(t *testing.T) {
	ctx := context.Background()
	f := dnsEndpointFakes(true)
	res := f.dyn.Resource(model.DNSEndpointGroup).Namespace("ns")
	if _, err := res.Create(ctx, dnsEndpointObject("ns", "pg", "pg.ext.internal", "10.1.0.5"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := f.start(t, "fake-dnsep")
	st := s.Store()
	waitFor(t, "cluster synced", func() bool { return read(st, model.View.Synced) })
	if got := dnsEndpointNames(st); got != nil || f.w.started("dnsendpoints")() {
		t.Fatalf("DNSEndpoints read before Enable: %v", got)
	}
	if err := s.Enable(model.KindDNSEndpoint); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "DNSEndpoints synced", func() bool {
		return read(st, func(v model.View) bool { return v.KindSynced(model.KindDNSEndpoint) })
	})
	if got, want := dnsEndpointNames(st), []string{"pg:pg.ext.internal.=10.1.0.5"}; !slices.Equal(got, want) {
		t.Fatalf("after sync, DNSEndpoints %v, want %v", got, want)
	}
	waitFor(t, "dnsendpoint watch", f.w.started("dnsendpoints"))
	if _, err := res.Create(ctx, dnsEndpointObject("ns", "mysql", "mysql.ext.internal", "10.1.0.6"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := res.Delete(ctx, "pg", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "one added, one deleted", func() bool {
		return slices.Equal(dnsEndpointNames(st), []string{"mysql:mysql.ext.internal.=10.1.0.6"})
	})
}

// Until external-dns's CRD is served there are no DNSEndpoints: complete knowledge.
func TestEnableDNSEndpointWithoutCRD(t *testing.T) {
	s := dnsEndpointFakes(false).start(t, "fake-nodnsep")
	if err := s.Enable(model.KindDNSEndpoint); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "DNSEndpoints synced", func() bool {
		return read(s.Store(), func(v model.View) bool { return v.KindSynced(model.KindDNSEndpoint) })
	})
}
