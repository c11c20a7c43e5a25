package main

import (
	"bytes"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
)

// TestStoredServiceDecodes checks what the etcd writer stores: the storage envelope decodes
// back to the Service, with the defaults and the managedFields entry an API create leaves.
func TestStoredServiceDecodes(t *testing.T) {
	w := newEtcdWriter("http://127.0.0.1:0")
	for _, s := range plan(options{services: 5, headless: 0.2, prefix: "bench", namespaces: 2}) {
		want := storedService(s, time.Unix(1_700_000_000, 0))
		b, err := w.encode(want)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("k8s\x00")) {
			t.Fatalf("%s: no storage envelope: % x", s.name, b[:8])
		}
		obj, _, err := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Decode(b, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := obj.(*corev1.Service)
		if got.Name != s.name || got.Namespace != s.ns || got.Spec.ClusterIP != want.Spec.ClusterIP ||
			len(got.Spec.ClusterIPs) != 1 || got.Spec.Type != corev1.ServiceTypeClusterIP || got.Spec.IPFamilyPolicy == nil {
			t.Errorf("%s: decoded %+v", s.name, got.Spec)
		}
		if s.headless != (got.Spec.ClusterIP == corev1.ClusterIPNone) {
			t.Errorf("%s: headless %v, ClusterIP %s", s.name, s.headless, got.Spec.ClusterIP)
		}
		if len(got.ManagedFields) != 1 || got.ManagedFields[0].FieldsV1 == nil ||
			!bytes.Contains(got.ManagedFields[0].FieldsV1.GetRawBytes(), []byte(`"f:clusterIP"`)) {
			t.Errorf("%s: managedFields %+v", s.name, got.ManagedFields)
		}
	}
}
