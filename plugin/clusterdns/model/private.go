package model

import "strings"

// Kind names the optional kinds a source reads only when a private zone asks for them.
type Kind string

const (
	KindIngress        Kind = "Ingress"
	KindVirtualService Kind = "VirtualService"
)

// KindDNSEndpoint is external-dns's DNSEndpoint (private zones with dnsendpoints).
const KindDNSEndpoint Kind = "DNSEndpoint"

// UpsertIngress adds or replaces an Ingress.
func (st *Store) UpsertIngress(in *Ingress) { upsertPrivate(st, st.ingresses, in) }

// DeleteIngress removes an Ingress.
func (st *Store) DeleteIngress(k Key) { deletePrivate(st, st.ingresses, k) }

// UpsertVirtualService adds or replaces a VirtualService.
func (st *Store) UpsertVirtualService(v *VirtualService) { upsertPrivate(st, st.vservices, v) }

// DeleteVirtualService removes a VirtualService.
func (st *Store) DeleteVirtualService(k Key) { deletePrivate(st, st.vservices, k) }

// UpsertDNSEndpoint adds or replaces a DNSEndpoint.
func (st *Store) UpsertDNSEndpoint(d *DNSEndpoint) { upsertPrivate(st, st.dnsEndpoints, d) }

// DeleteDNSEndpoint removes a DNSEndpoint.
func (st *Store) DeleteDNSEndpoint(k Key) { deletePrivate(st, st.dnsEndpoints, k) }

// versioned is a model object of a kind only private zones read.
type versioned interface {
	*Ingress | *VirtualService | *IstioGateway | *ServiceEntry | *KnativeHost |
		*GatewayClass | *Gateway | *ListenerSet | *Route | *DNSEndpoint
	keyed
	GetResourceVersion() string
}

func upsertPrivate[T versioned](st *Store, m map[Key]T, o T) {
	st.mu.Lock()
	defer st.done()
	k := Key{o.GetNamespace(), o.GetName()}
	if old, ok := m[k]; ok && sameVersion(old.GetResourceVersion(), o.GetResourceVersion(), old, o) {
		return
	}
	m[k] = o
	st.notify(Change{Private: true})
}

func deletePrivate[T versioned](st *Store, m map[Key]T, k Key) {
	st.mu.Lock()
	defer st.done()
	if _, ok := m[k]; !ok {
		return
	}
	delete(m, k)
	st.notify(Change{Private: true})
}

// SetKindSynced marks the initial list of an optional kind as applied.
func (st *Store) SetKindSynced(k Kind) {
	st.mu.Lock()
	defer st.done()
	if !st.syncedKind[k] {
		st.syncedKind[k] = true
		// ServiceImports are not a private zone's: their sync state is a plain one
		st.notify(Change{Private: k != KindMultiCluster})
	}
}

// KindSynced reports whether the initial list of an optional kind is in.
func (v View) KindSynced(k Kind) bool { return v.st.syncedKind[k] }

// ExposedServices calls fn for every Service reachable from outside the cluster network.
func (v View) ExposedServices(fn func(*Service)) {
	for _, s := range v.st.exposed {
		fn(s)
	}
}

// Ingresses calls fn for every Ingress.
func (v View) Ingresses(fn func(*Ingress)) {
	for _, in := range v.st.ingresses {
		fn(in)
	}
}

// VirtualServices calls fn for every VirtualService.
func (v View) VirtualServices(fn func(*VirtualService)) {
	for _, vs := range v.st.vservices {
		fn(vs)
	}
}

// DNSEndpoints calls fn for every DNSEndpoint.
func (v View) DNSEndpoints(fn func(*DNSEndpoint)) {
	for _, d := range v.st.dnsEndpoints {
		fn(d)
	}
}

// KindCounts calls fn with the number of objects of each optional kind whose initial list
// is in (the kinds a private zone reads), lowercase: ingress, httproute, node, ... The
// source's object gauges read it on every change, so it only takes the maps' lengths.
func (v View) KindCounts(fn func(kind string, n int)) {
	st := v.st
	counts := []struct {
		kind Kind
		name string
		n    int
	}{
		{KindIngress, "ingress", len(st.ingresses)},
		{KindVirtualService, "virtualservice", len(st.vservices)},
		{KindIstioGateway, "gateway.networking.istio.io", len(st.istioGateways)},
		{KindServiceEntry, "serviceentry", len(st.serviceEntries)},
		{KindKnativeRoute, "route.serving.knative.dev", len(st.knativeRoutes)},
		{KindDomainMapping, "domainmapping", len(st.domainMappings)},
		{KindDNSEndpoint, "dnsendpoint", len(st.dnsEndpoints)},
		{KindNode, "node", len(st.nodes)},
		{KindMultiCluster, "serviceimport", len(st.imports)},
	}
	for _, c := range counts {
		if st.syncedKind[c.kind] {
			fn(c.name, c.n)
		}
	}
	if st.syncedKind[KindGatewayAPI] {
		fn("gatewayclass", len(st.gwapi.classes))
		fn("gateway", len(st.gwapi.gateways))
		fn("listenerset", len(st.gwapi.listenerSets))
		for kind, routes := range st.gwapi.routes {
			fn(strings.ToLower(kind), len(routes))
		}
	}
}
