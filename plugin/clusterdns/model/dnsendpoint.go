package model

import (
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// DNSEndpointGroup is external-dns's DNSEndpoint resource, read with the dynamic client.
var DNSEndpointGroup = schema.GroupVersionResource{Group: "externaldns.k8s.io", Version: "v1alpha1", Resource: "dnsendpoints"}

// DNSEndpoint is what DNS needs of an external-dns DNSEndpoint: its record sets as written
// and its creation time (the oldest claim on a name wins). The targets stay strings: the
// private zone that serves a name parses them, so that a bad target is reported by the
// zone it would have gone to, and skipped there.
type DNSEndpoint struct {
	Meta
	Created time.Time
	Records []DNSRecordSet
}

// DNSRecordSet is one entry of a DNSEndpoint's spec.endpoints.
type DNSRecordSet struct {
	Name    string // dnsName, lowercase and fully qualified; empty when missing
	Type    string // recordType, upper case
	TTL     int64  // recordTTL; 0 when not set
	Targets []string
}

// DNSEndpointFromUnstructured converts a DNSEndpoint read with the dynamic client. Fields
// of the wrong type read as missing rather than failing the object: one bad entry must not
// take the others with it. labels, setIdentifier and providerSpecific are not DNS data.
func DNSEndpointFromUnstructured(u *unstructured.Unstructured) *DNSEndpoint {
	out := &DNSEndpoint{
		Meta:    Meta{Name: u.GetName(), Namespace: u.GetNamespace(), ResourceVersion: u.GetResourceVersion()},
		Created: u.GetCreationTimestamp().Time,
	}
	field, _, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "endpoints") // NestedSlice would copy it, and panic on values JSON does not make
	entries, _ := field.([]any)
	for _, e := range entries {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		var r DNSRecordSet
		if n, _, _ := unstructured.NestedString(m, "dnsName"); strings.TrimSpace(n) != "" {
			r.Name = HostName(n)
		}
		t, _, _ := unstructured.NestedString(m, "recordType")
		r.Type = strings.ToUpper(strings.TrimSpace(t))
		r.TTL, _, _ = unstructured.NestedInt64(m, "recordTTL")
		r.Targets, _, _ = unstructured.NestedStringSlice(m, "targets")
		out.Records = append(out.Records, r)
	}
	return out
}

func (d *DNSEndpoint) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (d *DNSEndpoint) DeepCopyObject() runtime.Object { return d }
