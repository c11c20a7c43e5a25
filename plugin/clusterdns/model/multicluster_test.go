package model

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestServiceImportFromUnstructured(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "svc1", "namespace": "testns", "resourceVersion": "7"},
		"spec": map[string]any{
			"type": "ClusterSetIP",
			"ips":  []any{"10.0.0.1", "::ffff:10.0.0.2", "bogus"},
			"ports": []any{
				map[string]any{"name": "http", "protocol": "TCP", "port": int64(80)},
				map[string]any{"name": "dns", "port": float64(53)}, // protocol defaulted
				"not a port",
			},
		},
	}}
	got := ServiceImportFromUnstructured(u)
	want := &ServiceImport{
		Meta:  Meta{Name: "svc1", Namespace: "testns", ResourceVersion: "7"},
		IPs:   []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")},
		Ports: []Port{{Name: "http", Protocol: "TCP", Port: 80}, {Name: "dns", Protocol: "TCP", Port: 53}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	u.Object["spec"] = map[string]any{"type": "Headless", "ips": "not a list"}
	if got := ServiceImportFromUnstructured(u); !got.Headless || got.IPs != nil {
		t.Fatalf("headless import with bad ips: got %+v", got)
	}
}

func TestMultiClusterSliceFromAPI(t *testing.T) {
	host := "Pod-1"
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "s1", Namespace: "ns", Labels: map[string]string{
			LabelMultiClusterService: "svc1", LabelSourceCluster: "Cluster1",
			discoveryv1.LabelServiceName: "other",
		}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"172.0.0.1"}, Hostname: &host}},
	}
	got := MultiClusterSliceFromAPI(s, false, false)
	if got.Service != "svc1" || got.Cluster != "cluster1" || len(got.Endpoints) != 1 || got.Endpoints[0].Hostname != "pod-1" {
		t.Fatalf("got %+v", got)
	}
}

// TestStoreKeepsImportsApart: the slices of imports and of the cluster's own Services
// never mix, and their changes name the import, not a Service.
func TestStoreKeepsImportsApart(t *testing.T) {
	st := NewStore()
	var got changes
	st.Subscribe(&got)
	k := Key{"ns", "a"}
	imp := &ServiceImport{Meta: Meta{Name: "a", Namespace: "ns", ResourceVersion: "1"}}

	st.UpsertImport(imp)
	st.UpsertImport(imp) // same resourceVersion: no change
	st.UpsertImportSlice(sl("ns", "m1", "a", "1"))
	st.UpsertSlice(sl("ns", "s1", "a", "1"))
	st.Read(func(v View) {
		if v.Import(k) != imp {
			t.Errorf("Import(%v) = %v", k, v.Import(k))
		}
		if s := v.ImportSlices(k); len(s) != 1 || s[0].Name != "m1" {
			t.Errorf("ImportSlices = %v, want only m1", s)
		}
		if s := v.Slices(k); len(s) != 1 || s[0].Name != "s1" {
			t.Errorf("Slices = %v, want only s1", s)
		}
		var keys []Key
		v.ImportKeys(func(k Key) { keys = append(keys, k) })
		if !slices.Equal(keys, []Key{k}) {
			t.Errorf("ImportKeys = %v", keys)
		}
	})
	st.DeleteImport(k)
	st.DeleteImportSlice(Key{"ns", "m1"})
	st.DeleteImportSlice(Key{"ns", "m1"}) // already gone
	st.Read(func(v View) {
		n := 0
		v.ImportKeys(func(Key) { n++ })
		if n != 0 || len(v.Slices(k)) != 1 {
			t.Errorf("after deletes: %d import keys, %d own slices; want 0, 1", n, len(v.Slices(k)))
		}
	})
	want := changes{{Import: k}, {Import: k}, {Service: k}, {Import: k}, {Import: k}}
	if !slices.Equal(got, want) {
		t.Fatalf("notifications\n got %v\nwant %v", got, want)
	}
}
