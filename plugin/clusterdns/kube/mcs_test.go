package kube

import (
	"context"
	"slices"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func serviceImport(ns, name, ip string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": model.ServiceImportGroup.GroupVersion().String(), "kind": "ServiceImport",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec": map[string]any{"type": "ClusterSetIP", "ips": []any{ip},
			"ports": []any{map[string]any{"name": "http", "protocol": "TCP", "port": int64(80)}}},
	}}
}

func importSlice(ns, name, service, cluster, ip string) *discoveryv1.EndpointSlice {
	s := slice(ns, name, "", ip)
	s.Labels = map[string]string{model.LabelMultiClusterService: service, model.LabelSourceCluster: cluster}
	return s
}

// imports lists the ServiceImports of ns and, for each, the cluster=address of its slices.
func imports(st *model.Store, ns string, names ...string) []string {
	return read(st, func(v model.View) []string {
		var out []string
		for _, n := range names {
			k := model.Key{Namespace: ns, Name: n}
			if i := v.Import(k); i != nil {
				out = append(out, n+"="+i.IPs[0].String())
			}
			for _, sl := range v.ImportSlices(k) {
				for _, e := range sl.Endpoints {
					out = append(out, n+"@"+sl.Cluster+"="+e.Addresses[0].String())
				}
			}
		}
		slices.Sort(out)
		return out
	})
}

func mcsFakes() fakes {
	f := newFakes(
		slice("ns", "own", "web", "10.1.0.1"), // the cluster's own: not an import's
		importSlice("ns", "web-c1", "web", "c1", "10.2.0.1"),
	)
	f.cs.Resources = append(f.cs.Resources, &metav1.APIResourceList{GroupVersion: model.ServiceImportGroup.GroupVersion().String(),
		APIResources: []metav1.APIResource{{Name: "serviceimports", Namespaced: true, Kind: "ServiceImport"}}})
	return f
}

func TestEnableMultiCluster(t *testing.T) {
	ctx := context.Background()
	f := mcsFakes()
	imp := f.dyn.Resource(model.ServiceImportGroup).Namespace("ns")
	if _, err := imp.Create(ctx, serviceImport("ns", "web", "10.9.0.1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := f.start(t, "fake-mcs")
	st := s.Store()
	waitFor(t, "cluster synced", func() bool { return read(st, model.View.Synced) })
	if got := imports(st, "ns", "web"); got != nil {
		t.Fatalf("imports read before Enable: %v", got)
	}
	if err := s.Enable(model.KindMultiCluster); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "multicluster synced", func() bool {
		return read(st, func(v model.View) bool { return v.KindSynced(model.KindMultiCluster) })
	})
	if got, want := imports(st, "ns", "web"), []string{"web=10.9.0.1", "web@c1=10.2.0.1"}; !slices.Equal(got, want) {
		t.Fatalf("after sync, imports %v, want %v", got, want)
	}
	if got := endpoints(st, model.Key{Namespace: "ns", Name: "web"}); !slices.Equal(got, []string{"own=10.1.0.1"}) {
		t.Fatalf("the cluster's own endpoints of web: %v", got)
	}
	waitFor(t, "serviceimport watch", f.w.started("serviceimports"))
	waitFor(t, "both endpointslice watches", func() bool { f.w.mu.Lock(); defer f.w.mu.Unlock(); return f.w.m["endpointslices"] >= 2 })

	if _, err := imp.Create(ctx, serviceImport("ns", "db", "10.9.0.2"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cs.DiscoveryV1().EndpointSlices("ns").Create(ctx, importSlice("ns", "web-c2", "web", "c2", "10.3.0.1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := imp.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "import added and deleted, slice added", func() bool {
		return slices.Equal(imports(st, "ns", "web", "db"), []string{"db=10.9.0.2", "web@c1=10.2.0.1", "web@c2=10.3.0.1"})
	})
}

func TestEnableMultiClusterWithoutCRD(t *testing.T) {
	f := mcsFakes()
	f.cs.Resources = nil // multicluster.x-k8s.io not served
	s := f.start(t, "fake-nomcs")
	if err := s.Enable(model.KindMultiCluster); err != nil {
		t.Fatal(err)
	}
	// no ServiceImports is complete knowledge: synced once the slices are listed
	waitFor(t, "multicluster synced", func() bool {
		return read(s.Store(), func(v model.View) bool { return v.KindSynced(model.KindMultiCluster) })
	})
	if got := imports(s.Store(), "ns", "web"); !slices.Equal(got, []string{"web@c1=10.2.0.1"}) {
		t.Fatalf("imports %v", got)
	}
}
