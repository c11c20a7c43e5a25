package model

import (
	"reflect"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestDNSEndpointFromUnstructured(t *testing.T) {
	created := time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "externaldns.k8s.io/v1alpha1",
		"kind":       "DNSEndpoint",
		"metadata": map[string]any{"namespace": "db", "name": "pg", "resourceVersion": "7",
			"creationTimestamp": created.Format(time.RFC3339), "annotations": map[string]any{"big": "dropped"}},
		"spec": map[string]any{"endpoints": []any{
			map[string]any{"dnsName": "PG.Example.Internal", "recordType": "a", "recordTTL": int64(60), "targets": []any{"10.1.0.5"},
				"setIdentifier": "x", "labels": map[string]any{"k": "v"}},
			map[string]any{"dnsName": "_pg._tcp.example.internal.", "recordType": "SRV", "targets": []any{"0 1 5432 pg.example.internal."}},
			map[string]any{"dnsName": 5, "recordType": "A", "targets": "not a list"}, // wrong types read as missing
			"not an object",
		}},
	}}
	got := DNSEndpointFromUnstructured(u)
	want := &DNSEndpoint{
		Meta:    Meta{Namespace: "db", Name: "pg", ResourceVersion: "7"},
		Created: metav1.NewTime(created).Time,
		Records: []DNSRecordSet{
			{Name: "pg.example.internal.", Type: "A", TTL: 60, Targets: []string{"10.1.0.5"}},
			{Name: "_pg._tcp.example.internal.", Type: "SRV", Targets: []string{"0 1 5432 pg.example.internal."}},
			{Type: "A"},
		},
	}
	if !got.Created.Equal(want.Created) {
		t.Errorf("created %v, want %v", got.Created, want.Created)
	}
	got.Created = want.Created
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// Manifests replace the whole set: a DNSEndpoint no longer declared goes.
func TestReplaceDNSEndpoints(t *testing.T) {
	st := NewStore()
	a := &DNSEndpoint{Meta: Meta{Namespace: "db", Name: "a"}}
	b := &DNSEndpoint{Meta: Meta{Namespace: "db", Name: "b"}}
	names := func() (out []string) {
		st.Read(func(v View) { v.DNSEndpoints(func(d *DNSEndpoint) { out = append(out, d.Name) }) })
		slices.Sort(out)
		return out
	}
	st.Replace(State{Namespaces: []string{"db"}, DNSEndpoints: []*DNSEndpoint{a, b}})
	if got := names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after the first Replace: %v", got)
	}
	st.Replace(State{Namespaces: []string{"db"}, DNSEndpoints: []*DNSEndpoint{b}})
	if got := names(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after the second Replace: %v", got)
	}
}
