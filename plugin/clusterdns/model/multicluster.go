package model

import (
	"net/netip"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The Multi-Cluster Services API (KEP-1645, sigs.k8s.io/mcs-api). Its names are written out
// here rather than imported: the module's typed clientset would bring a second copy of the
// client machinery for one list and one watch, which the dynamic client does already.
const (
	// LabelMultiClusterService names the ServiceImport an EndpointSlice belongs to.
	LabelMultiClusterService = "multicluster.kubernetes.io/service-name"
	// LabelSourceCluster names the cluster an imported EndpointSlice comes from: its
	// endpoints' names are hostname.CLUSTER.service.namespace.svc.ZONE.
	LabelSourceCluster = "multicluster.kubernetes.io/source-cluster"
	// KindMultiCluster is the optional kind of ServiceImports and their EndpointSlices,
	// read only when a block has multicluster zones.
	KindMultiCluster Kind = "ServiceImport"
)

// ServiceImportGroup is the resource ServiceImports are read from.
var ServiceImportGroup = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1alpha1", Resource: "serviceimports"}

// ServiceImport is what DNS needs of a multicluster.x-k8s.io ServiceImport.
type ServiceImport struct {
	Meta
	Headless bool         // type Headless; otherwise ClusterSetIP
	IPs      []netip.Addr // the ClusterSetIPs
	Ports    []Port
}

// ServiceImportFromUnstructured converts a ServiceImport read with the dynamic client.
// Fields of the wrong type are ignored, not fatal: a bad object must not stop the others.
func ServiceImportFromUnstructured(u *unstructured.Unstructured) *ServiceImport {
	out := &ServiceImport{Meta: Meta{Name: u.GetName(), Namespace: u.GetNamespace(), ResourceVersion: u.GetResourceVersion()}}
	typ, _, _ := unstructured.NestedString(u.Object, "spec", "type")
	out.Headless = typ == "Headless"
	ips, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "ips")
	for _, ip := range ips {
		if a, err := netip.ParseAddr(ip); err == nil {
			out.IPs = append(out.IPs, a.Unmap())
		}
	}
	ports, _, _ := unstructured.NestedSlice(u.Object, "spec", "ports")
	for _, p := range ports {
		m, ok := p.(map[string]any)
		if !ok {
			continue
		}
		port := Port{Port: -1}
		port.Name, _ = m["name"].(string)
		port.Protocol, _ = m["protocol"].(string)
		if port.Protocol == "" {
			port.Protocol = "TCP" // the CRD's default, which an object read before defaulting lacks
		}
		switch n := m["port"].(type) {
		case int64:
			port.Port = int32(n) // #nosec G115 -- the CRD bounds ports to 1..65535
		case float64:
			port.Port = int32(n)
		}
		out.Ports = append(out.Ports, port)
	}
	return out
}

// MultiClusterSliceFromAPI converts an EndpointSlice of a ServiceImport: the slice belongs
// to the import its multicluster.kubernetes.io/service-name label names, and Cluster is
// its source cluster. podNames and zones keep pod names and topology zones, as
// EndpointSliceConverter.
func MultiClusterSliceFromAPI(s *discoveryv1.EndpointSlice, podNames, zones bool) *EndpointSlice {
	out := endpointSliceFromAPI(s, podNames, zones)
	out.Service = s.Labels[LabelMultiClusterService]
	out.Cluster = strings.ToLower(s.Labels[LabelSourceCluster])
	return out
}

// UpsertImport adds or replaces a ServiceImport.
func (st *Store) UpsertImport(s *ServiceImport) {
	st.mu.Lock()
	defer st.done()
	k := Key{s.Namespace, s.Name}
	if old := st.imports[k]; old != nil && sameVersion(old.ResourceVersion, s.ResourceVersion, old, s) {
		return
	}
	st.imports[k] = s
	st.notify(Change{Import: k})
}

// DeleteImport removes a ServiceImport.
func (st *Store) DeleteImport(k Key) {
	st.mu.Lock()
	defer st.done()
	if _, ok := st.imports[k]; !ok {
		return
	}
	delete(st.imports, k)
	st.notify(Change{Import: k})
}

// UpsertImportSlice adds or replaces an EndpointSlice of a ServiceImport. These slices are
// kept apart from the cluster's own: a name in the cluster zone never sees them, nor a
// name in a multicluster zone the cluster's own.
func (st *Store) UpsertImportSlice(s *EndpointSlice) {
	st.mu.Lock()
	defer st.done()
	st.mcSlices.upsert(s, func(k Key) { st.notify(Change{Import: k}) })
}

// DeleteImportSlice removes an EndpointSlice of a ServiceImport.
func (st *Store) DeleteImportSlice(k Key) {
	st.mu.Lock()
	defer st.done()
	st.mcSlices.remove(k, func(k Key) { st.notify(Change{Import: k}) })
}

// Import returns the ServiceImport k, or nil.
func (v View) Import(k Key) *ServiceImport { return v.st.imports[k] }

// ImportSlices returns the EndpointSlices of ServiceImport k, sorted by name. The slice
// must not be modified or kept after Read returns.
func (v View) ImportSlices(k Key) []*EndpointSlice { return v.st.mcSlices.bySvc[k] }

// ImportKeys calls fn for every ServiceImport and every import key that has EndpointSlices.
func (v View) ImportKeys(fn func(Key)) {
	for k := range v.st.imports {
		fn(k)
	}
	for k := range v.st.mcSlices.bySvc {
		if v.st.imports[k] == nil {
			fn(k)
		}
	}
}

func (s *ServiceImport) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (s *ServiceImport) DeepCopyObject() runtime.Object { return s }
