package model

// Kind names the optional kinds a source reads only when a private zone asks for them.
type Kind string

const (
	KindIngress        Kind = "Ingress"
	KindVirtualService Kind = "VirtualService"
)

// UpsertIngress adds or replaces an Ingress.
func (st *Store) UpsertIngress(in *Ingress) {
	st.mu.Lock()
	defer st.done()
	k := Key{in.Namespace, in.Name}
	if old := st.ingresses[k]; old != nil && sameVersion(old.ResourceVersion, in.ResourceVersion, old, in) {
		return
	}
	st.ingresses[k] = in
	st.notify(Change{Private: true})
}

// DeleteIngress removes an Ingress.
func (st *Store) DeleteIngress(k Key) {
	st.mu.Lock()
	defer st.done()
	if _, ok := st.ingresses[k]; !ok {
		return
	}
	delete(st.ingresses, k)
	st.notify(Change{Private: true})
}

// UpsertVirtualService adds or replaces a VirtualService.
func (st *Store) UpsertVirtualService(v *VirtualService) {
	st.mu.Lock()
	defer st.done()
	k := Key{v.Namespace, v.Name}
	if old := st.vservices[k]; old != nil && sameVersion(old.ResourceVersion, v.ResourceVersion, old, v) {
		return
	}
	st.vservices[k] = v
	st.notify(Change{Private: true})
}

// DeleteVirtualService removes a VirtualService.
func (st *Store) DeleteVirtualService(k Key) {
	st.mu.Lock()
	defer st.done()
	if _, ok := st.vservices[k]; !ok {
		return
	}
	delete(st.vservices, k)
	st.notify(Change{Private: true})
}

// SetKindSynced marks the initial list of an optional kind as applied.
func (st *Store) SetKindSynced(k Kind) {
	st.mu.Lock()
	defer st.done()
	if !st.syncedKind[k] {
		st.syncedKind[k] = true
		st.notify(Change{Private: true})
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
