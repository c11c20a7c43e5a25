package model

import (
	"iter"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// Change tells a Subscriber what to rebuild: the names of one Service, all Services of a
// namespace (the namespace appeared or disappeared), or nothing but the sync state.
type Change struct {
	Service   Key    // set when one Service's names may have changed
	Namespace string // set when a namespace was added or deleted
	Private   bool   // set when what private zones serve may have changed
	Import    Key    // set when one ServiceImport's names may have changed (multicluster zones)
}

// Subscriber is told of changes. Notify is called with the Store's lock held, so it must
// only record the change and return.
type Subscriber interface {
	Notify(Change)
}

// Store is the current state of one source (an API server or a set of manifest files).
// Writers are the source's event handlers; readers are indexes, through Read.
type Store struct {
	mu         sync.RWMutex
	services   map[Key]*Service
	slices     sliceSet
	namespaces map[string]bool
	exposed    map[Key]*Service // Services reachable from outside (private zones)
	ingresses  map[Key]*Ingress
	vservices  map[Key]*VirtualService
	gwapi      gatewayAPI // the Gateway API: classes, Gateways, ListenerSets, routes
	imports    map[Key]*ServiceImport
	mcSlices   sliceSet // the EndpointSlices of ServiceImports, by their multicluster label
	subs       map[Subscriber]struct{}
	pods       *Pods // read without the lock: see Pods
	synced     bool
	syncedKind map[Kind]bool // optional kinds (Ingress, VirtualService) whose initial list is in
	modified   time.Time
	onChange   func() // observes object counts (metrics)

	// the istio and knative options' kinds
	istioGateways  map[Key]*IstioGateway
	serviceEntries map[Key]*ServiceEntry
	knativeRoutes  map[Key]*KnativeHost
	domainMappings map[Key]*KnativeHost

	dnsEndpoints map[Key]*DNSEndpoint // private zones with dnsendpoints

	// created and listed time the initial lists, for the cold-start log line
	created, listed time.Time

	// the nodeports option's kind
	nodes map[Key]*Node
}

// NewStore returns an empty, unsynced Store.
func NewStore() *Store {
	return &Store{
		services:   map[Key]*Service{},
		slices:     newSliceSet(),
		imports:    map[Key]*ServiceImport{},
		mcSlices:   newSliceSet(),
		namespaces: map[string]bool{},
		exposed:    map[Key]*Service{},
		ingresses:  map[Key]*Ingress{},
		vservices:  map[Key]*VirtualService{},
		gwapi:      newGatewayAPI(),
		syncedKind: map[Kind]bool{},
		subs:       map[Subscriber]struct{}{},
		pods:       newPods(),
		modified:   time.Now(),

		// the istio and knative options' kinds
		istioGateways:  map[Key]*IstioGateway{},
		serviceEntries: map[Key]*ServiceEntry{},
		knativeRoutes:  map[Key]*KnativeHost{},
		domainMappings: map[Key]*KnativeHost{},

		dnsEndpoints: map[Key]*DNSEndpoint{},

		created: time.Now(),

		// the nodeports option's kind
		nodes: map[Key]*Node{},
	}
}

// Pods returns the Store's pod index, filled only by a source reading pods (pods verified).
func (st *Store) Pods() *Pods { return st.pods }

// Subscribe registers s; it is then told of every change. Callers rebuild from the current
// state after subscribing, so nothing is missed.
func (st *Store) Subscribe(s Subscriber) {
	st.mu.Lock()
	st.subs[s] = struct{}{}
	st.mu.Unlock()
}

// Unsubscribe removes s.
func (st *Store) Unsubscribe(s Subscriber) {
	st.mu.Lock()
	delete(st.subs, s)
	st.mu.Unlock()
}

// OnChange sets a function called (without the lock) after every change; for metrics.
func (st *Store) OnChange(fn func()) { st.mu.Lock(); st.onChange = fn; st.mu.Unlock() }

func (st *Store) notify(c Change) {
	st.modified = time.Now()
	for s := range st.subs {
		s.Notify(c)
	}
}

func (st *Store) done() {
	fn := st.onChange
	st.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// SetSynced marks the Store complete (the initial list of every kind has been applied).
func (st *Store) SetSynced() {
	st.mu.Lock()
	defer st.done()
	if !st.synced {
		st.synced, st.listed = true, time.Now()
		st.notify(Change{})
	}
}

// UpsertService adds or replaces a Service. Updates with an unchanged resourceVersion are skipped.
func (st *Store) UpsertService(s *Service) {
	st.mu.Lock()
	defer st.done()
	k := Key{s.Namespace, s.Name}
	if old := st.services[k]; old != nil && sameVersion(old.ResourceVersion, s.ResourceVersion, old, s) {
		return
	}
	private := st.exposed[k] != nil || s.Exposure != nil
	st.services[k] = s
	if s.Exposure != nil {
		st.exposed[k] = s
	} else {
		delete(st.exposed, k)
	}
	st.notify(Change{Service: k, Private: private})
}

// DeleteService removes a Service.
func (st *Store) DeleteService(k Key) {
	st.mu.Lock()
	defer st.done()
	if _, ok := st.services[k]; !ok {
		return
	}
	delete(st.services, k)
	_, private := st.exposed[k]
	delete(st.exposed, k)
	st.notify(Change{Service: k, Private: private})
}

// UpsertSlice adds or replaces an EndpointSlice.
func (st *Store) UpsertSlice(s *EndpointSlice) {
	st.mu.Lock()
	defer st.done()
	st.slices.upsert(s, func(k Key) { st.notify(Change{Service: k, Private: st.nodeLocal(k)}) })
}

// DeleteSlice removes an EndpointSlice.
func (st *Store) DeleteSlice(k Key) {
	st.mu.Lock()
	defer st.done()
	st.slices.remove(k, func(k Key) { st.notify(Change{Service: k, Private: st.nodeLocal(k)}) })
}

// sliceSet holds EndpointSlices by their own key and by the key of the service they belong to.
type sliceSet struct {
	byKey map[Key]*EndpointSlice   // by slice key
	bySvc map[Key][]*EndpointSlice // by service key, sorted by name: nearly always one
}

func newSliceSet() sliceSet {
	return sliceSet{byKey: map[Key]*EndpointSlice{}, bySvc: map[Key][]*EndpointSlice{}}
}

// upsert adds or replaces s and calls changed with each service key whose slices changed.
func (ss *sliceSet) upsert(s *EndpointSlice, changed func(Key)) {
	k := Key{s.Namespace, s.Name}
	old := ss.byKey[k]
	if old != nil && sameVersion(old.ResourceVersion, s.ResourceVersion, old, s) {
		return
	}
	if old != nil && old.Service != s.Service { // the service-name label moved
		ss.removeSlice(old)
		changed(old.ServiceKey())
	}
	ss.byKey[k] = s
	sk := s.ServiceKey()
	list := ss.bySvc[sk]
	if i, found := slices.BinarySearchFunc(list, s.Name, byName); found {
		list[i] = s
	} else {
		ss.bySvc[sk] = slices.Insert(list, i, s)
	}
	changed(sk)
}

func (ss *sliceSet) remove(k Key, changed func(Key)) {
	old := ss.byKey[k]
	if old == nil {
		return
	}
	ss.removeSlice(old)
	changed(old.ServiceKey())
}

func (ss *sliceSet) removeSlice(s *EndpointSlice) {
	delete(ss.byKey, Key{s.Namespace, s.Name})
	sk := s.ServiceKey()
	list := ss.bySvc[sk]
	if i, found := slices.BinarySearchFunc(list, s.Name, byName); found {
		if list = slices.Delete(list, i, i+1); len(list) == 0 {
			delete(ss.bySvc, sk)
		} else {
			ss.bySvc[sk] = list
		}
	}
}

// SetNamespace records that a namespace exists (or no longer does).
func (st *Store) SetNamespace(name string, exists bool) {
	st.mu.Lock()
	defer st.done()
	if st.namespaces[name] == exists {
		return
	}
	if exists {
		st.namespaces[name] = true
	} else {
		delete(st.namespaces, name)
	}
	st.notify(Change{Namespace: name})
}

// State is a complete set of objects, as a set of manifest files declares it.
type State struct {
	Services        []*Service
	Slices          []*EndpointSlice
	Namespaces      []string
	Ingresses       []*Ingress
	VirtualServices []*VirtualService
	DNSEndpoints    []*DNSEndpoint
}

// Replace makes the Store hold exactly the objects of s (manifest mode), telling
// subscribers only about what differs.
func (st *Store) Replace(s State) {
	st.mu.RLock()
	delSvc := missing(st.services, s.Services)
	delSl := missing(st.slices.byKey, s.Slices)
	delIng := missing(st.ingresses, s.Ingresses)
	delVS := missing(st.vservices, s.VirtualServices)
	delDE := missing(st.dnsEndpoints, s.DNSEndpoints)
	var delNs []string
	for n := range st.namespaces {
		if !slices.Contains(s.Namespaces, n) {
			delNs = append(delNs, n)
		}
	}
	st.mu.RUnlock()
	for _, n := range s.Namespaces {
		st.SetNamespace(n, true)
	}
	for _, o := range s.Services {
		st.UpsertService(o)
	}
	for _, o := range s.Slices {
		st.UpsertSlice(o)
	}
	for _, o := range s.Ingresses {
		st.UpsertIngress(o)
	}
	for _, o := range s.VirtualServices {
		st.UpsertVirtualService(o)
	}
	for _, o := range s.DNSEndpoints {
		st.UpsertDNSEndpoint(o)
	}
	for _, k := range delDE {
		st.DeleteDNSEndpoint(k)
	}
	for _, k := range delVS {
		st.DeleteVirtualService(k)
	}
	for _, k := range delIng {
		st.DeleteIngress(k)
	}
	for _, k := range delSl {
		st.DeleteSlice(k)
	}
	for _, k := range delSvc {
		st.DeleteService(k)
	}
	for _, n := range delNs {
		st.SetNamespace(n, false)
	}
}

// keyed is a model object with a namespaced name.
type keyed interface {
	GetNamespace() string
	GetName() string
}

// missing returns the keys of have that are not in want.
func missing[T keyed](have map[Key]T, want []T) []Key {
	keep := make(map[Key]bool, len(want))
	for _, o := range want {
		keep[Key{o.GetNamespace(), o.GetName()}] = true
	}
	var out []Key
	for k := range have {
		if !keep[k] {
			out = append(out, k)
		}
	}
	return out
}

// sameVersion reports whether an update changes nothing: equal resourceVersions from the
// API server, or (manifest objects have none) equal content.
func sameVersion(oldRV, newRV string, old, new any) bool {
	if oldRV != "" || newRV != "" {
		return oldRV == newRV
	}
	return reflect.DeepEqual(old, new)
}

// View reads a Store under its read lock; see Store.Read.
type View struct{ st *Store }

// Read calls fn with a consistent view of the Store.
func (st *Store) Read(fn func(View)) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	fn(View{st})
}

// Service returns the Service k, or nil.
func (v View) Service(k Key) *Service { return v.st.services[k] }

// Slices returns the EndpointSlices of Service k, sorted by name. The slice must not be
// modified or kept after Read returns.
func (v View) Slices(k Key) []*EndpointSlice { return v.st.slices.bySvc[k] }

func byName(s *EndpointSlice, name string) int { return strings.Compare(s.Name, name) }

// NamespaceExists reports whether the namespace exists.
func (v View) NamespaceExists(ns string) bool { return v.st.namespaces[ns] }

// ServiceNames returns the names of the Services in ns. It scans every Service: a set of
// names per namespace cost some 30 bytes per Service for what only a namespace's coming
// or going asks (the index scans once per batch instead, see ServiceKeys).
func (v View) ServiceNames(ns string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for k := range v.st.services {
			if k.Namespace == ns && !yield(k.Name) {
				return
			}
		}
	}
}

// Namespaces calls fn for every namespace.
func (v View) Namespaces(fn func(string)) {
	for n := range v.st.namespaces {
		fn(n)
	}
}

// ServiceKeys calls fn for every Service and every service key that has EndpointSlices.
func (v View) ServiceKeys(fn func(Key)) {
	for k := range v.st.services {
		fn(k)
	}
	for k := range v.st.slices.bySvc {
		if v.st.services[k] == nil {
			fn(k)
		}
	}
}

// StoredService returns the Service k as the Store holds it, or nil. Sources use it to
// skip converting an object the Store already has at the same resourceVersion.
func (st *Store) StoredService(k Key) *Service {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.services[k]
}

// StoredSlice returns the EndpointSlice k as the Store holds it, or nil; see StoredService.
func (st *Store) StoredSlice(k Key) *EndpointSlice {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.slices.byKey[k]
}

// StoredServiceKeys calls fn with the key of every Service, under the read lock: fn must
// not call the Store. Sources use it to find what a relist no longer has.
func (st *Store) StoredServiceKeys(fn func(Key)) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	for k := range st.services {
		fn(k)
	}
}

// StoredSliceKeys calls fn with the key of every EndpointSlice; see StoredServiceKeys.
func (st *Store) StoredSliceKeys(fn func(Key)) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	for k := range st.slices.byKey {
		fn(k)
	}
}

// Synced reports whether the initial state is complete.
func (v View) Synced() bool { return v.st.synced }

// Modified returns the time of the last change.
func (v View) Modified() time.Time { return v.st.modified }

// Listed returns when the Store was created and when its initial lists were all in (zero
// until then).
func (v View) Listed() (created, listed time.Time) { return v.st.created, v.st.listed }

// Counts returns the number of services, endpoint slices and namespaces.
func (v View) Counts() (services, slices, namespaces int) {
	return len(v.st.services), len(v.st.slices.byKey), len(v.st.namespaces)
}
