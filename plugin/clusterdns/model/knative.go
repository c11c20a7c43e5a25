package model

import (
	"net/url"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The Knative Serving kinds a private zone's `knative` option reads, with the dynamic
// client. DomainMappings are served in v1beta1 only, not in the group's preferred v1.
const (
	KindKnativeRoute  Kind = "Route"
	KindDomainMapping Kind = "DomainMapping"
)

var (
	KnativeRouteGroup  = schema.GroupVersionResource{Group: "serving.knative.dev", Version: "v1", Resource: "routes"}
	DomainMappingGroup = schema.GroupVersionResource{Group: "serving.knative.dev", Version: "v1beta1", Resource: "domainmappings"}
)

// visibilityLabels mark a Route reachable only from inside the cluster: Knative's label and
// the older serving.knative.dev one it still honours.
var visibilityLabels = []string{"networking.knative.dev/visibility", "serving.knative.dev/visibility"}

// KnativeHost is what DNS needs of a Knative Route or DomainMapping: the one host name it
// serves, as its controller reports it (a Route's status.url) or as it is named (a
// DomainMapping's name is its domain).
type KnativeHost struct {
	Meta
	Created      time.Time
	Host         string // lowercase FQDN with trailing dot; empty until the Route has a URL
	ClusterLocal bool   // labelled cluster-local: not for clients outside the cluster
	Invalid      string // a host that is no DNS name, kept to be reported
}

// KnativeRouteFromUnstructured converts a serving.knative.dev Route.
func KnativeRouteFromUnstructured(u *unstructured.Unstructured) *KnativeHost {
	out := &KnativeHost{Meta: unstructuredMeta(u), Created: u.GetCreationTimestamp().Time}
	for _, l := range visibilityLabels {
		out.ClusterLocal = out.ClusterLocal || u.GetLabels()[l] == "cluster-local"
	}
	raw, _, _ := unstructured.NestedString(u.Object, "status", "url")
	if raw == "" {
		return out
	}
	if p, err := url.Parse(raw); err == nil && p.Hostname() != "" {
		out.setHost(p.Hostname())
	} else {
		out.Invalid = raw
	}
	return out
}

// DomainMappingFromUnstructured converts a serving.knative.dev DomainMapping.
func DomainMappingFromUnstructured(u *unstructured.Unstructured) *KnativeHost {
	out := &KnativeHost{Meta: unstructuredMeta(u), Created: u.GetCreationTimestamp().Time}
	out.setHost(u.GetName())
	return out
}

func (k *KnativeHost) setHost(h string) {
	if fq := HostName(h); ValidHost(fq, false) {
		k.Host = fq
	} else {
		k.Invalid = h
	}
}

// UpsertKnativeRoute adds or replaces a Knative Route.
func (st *Store) UpsertKnativeRoute(r *KnativeHost) { upsertPrivate(st, st.knativeRoutes, r) }

// DeleteKnativeRoute removes a Knative Route.
func (st *Store) DeleteKnativeRoute(k Key) { deletePrivate(st, st.knativeRoutes, k) }

// UpsertDomainMapping adds or replaces a Knative DomainMapping.
func (st *Store) UpsertDomainMapping(d *KnativeHost) { upsertPrivate(st, st.domainMappings, d) }

// DeleteDomainMapping removes a Knative DomainMapping.
func (st *Store) DeleteDomainMapping(k Key) { deletePrivate(st, st.domainMappings, k) }

// KnativeRoutes calls fn for every Knative Route.
func (v View) KnativeRoutes(fn func(*KnativeHost)) {
	for _, r := range v.st.knativeRoutes {
		fn(r)
	}
}

// DomainMappings calls fn for every Knative DomainMapping.
func (v View) DomainMappings(fn func(*KnativeHost)) {
	for _, d := range v.st.domainMappings {
		fn(d)
	}
}

func (k *KnativeHost) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (k *KnativeHost) DeepCopyObject() runtime.Object { return k }
