package index

import (
	"net/netip"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/pmap"
)

// Config is what one clusterdns block serves.
type Config struct {
	PrimaryZone  string           // the first forward zone, lowercase, fully qualified: PTR targets use it
	Reverse      bool             // build reverse (PTR) names
	Namespaces   model.Namespaces // only these namespaces; empty means all
	PodsInsecure bool
	// EndpointPodNames names endpoints without a hostname after their pod (targetRef), as
	// the kubernetes plugin's endpoint_pod_names; the source must keep pod names.
	EndpointPodNames bool
	// NoEndpoints serves no endpoint names, as if there were no EndpointSlices (noendpoints).
	NoEndpoints bool
	// IgnoreEmptyService answers NXDOMAIN for a Service with a ClusterIP and no served
	// endpoint (ignore empty_service).
	IgnoreEmptyService bool
	// Zonal answers the zone-scoped names of headless Services (ZONE.pin|prefer._zone.
	// SERVICE), as the kubernetes plugin's zonal option; the source must keep zones.
	Zonal    bool
	LocalIPs []netip.Addr // addresses this server listens on, for NS records
	// MultiCluster builds a multicluster zone (KEP-1645) instead of the cluster zone: the
	// names of ServiceImports and their EndpointSlices, below the same svc.NS names, with
	// endpoint.cluster names. It keeps no reverse names and no name servers.
	MultiCluster bool
	// Published is called after every publication with its duration (metrics).
	Published func(time.Duration)
	// Ready is called once, after the first synced Snapshot is published (the cold-start
	// log line).
	Ready func(ColdStart)
}

// ColdStart is what the first synced publication took.
type ColdStart struct {
	Services, Slices int
	// Listed is from the Store's creation (the source's start) to its initial lists all
	// being in; Built from then, or from the Index's start when that came later (a reload),
	// to the first synced Snapshot.
	Listed, Built time.Duration
}

// Index keeps the Snapshot of one block current. Store changes are queued by Notify and
// applied in batches by one goroutine, which publishes a new Snapshot after each batch.
type Index struct {
	cfg   Config
	store *model.Store
	snap  atomic.Pointer[Snapshot]

	mu       sync.Mutex
	dirtySvc map[model.Key]struct{}
	dirtyNS  map[string]struct{}
	wake     chan struct{}
	stop     chan struct{}
	stopped  chan struct{}

	// owned by the run goroutine
	names   *pmap.Map[*Node]
	owners  *pmap.Map[Owners]
	localNS []Addr
	// hidden holds the Services that ignore empty_service keeps out of the names but whose
	// ClusterIPs keep their PTR records, by name, so a rebuild can drop their claims.
	hidden  map[string]*svcEntry
	freed   bool // the garbage of the initial build was returned to the OS
	started time.Time
	ready   bool // the first synced Snapshot is published
}

// New returns an Index for cfg. Until Start, its Snapshot is empty and not synced.
func New(cfg Config) *Index {
	ix := &Index{
		cfg:      cfg,
		dirtySvc: map[model.Key]struct{}{}, dirtyNS: map[string]struct{}{},
		hidden: map[string]*svcEntry{},
		wake:   make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
	}
	ix.snap.Store(&Snapshot{Names: new(pmap.Map[*Node]), Owners: new(pmap.Map[Owners])})
	return ix
}

// Snapshot returns the current Snapshot.
func (ix *Index) Snapshot() *Snapshot { return ix.snap.Load() }

// Start subscribes to store, queues a full build and starts applying changes. localIPs are
// the addresses the server listens on, known only once it starts (for NS records).
func (ix *Index) Start(store *model.Store, localIPs []netip.Addr) {
	ix.store, ix.cfg.LocalIPs, ix.started = store, localIPs, time.Now()
	ix.store.Subscribe(ix)
	ix.store.Read(func(v model.View) {
		ix.mu.Lock()
		if ix.cfg.MultiCluster {
			v.ImportKeys(func(k model.Key) { ix.dirtySvc[k] = struct{}{} })
		} else {
			v.ServiceKeys(func(k model.Key) { ix.dirtySvc[k] = struct{}{} })
		}
		v.Namespaces(func(n string) { ix.dirtyNS[n] = struct{}{} })
		ix.mu.Unlock()
	})
	ix.names, ix.owners = ix.staticNames(), new(pmap.Map[Owners])
	ix.poke()
	go ix.run()
}

// Stop stops applying changes; the last Snapshot stays readable.
func (ix *Index) Stop() {
	if ix.store == nil {
		return
	}
	ix.store.Unsubscribe(ix)
	close(ix.stop)
	<-ix.stopped
}

// Notify implements model.Subscriber.
func (ix *Index) Notify(c model.Change) {
	svc := c.Service
	if ix.cfg.MultiCluster {
		svc = c.Import
	}
	if (c.Private || c.Import.Name != "" || c.Service.Name != "") && svc.Name == "" && c.Namespace == "" {
		return // Ingresses and VirtualServices are in no such zone, ServiceImports only in multicluster ones
	}
	ix.mu.Lock()
	if svc.Name != "" {
		ix.dirtySvc[svc] = struct{}{}
	}
	if c.Namespace != "" {
		ix.dirtyNS[c.Namespace] = struct{}{}
	}
	ix.mu.Unlock()
	ix.poke()
}

func (ix *Index) poke() {
	select {
	case ix.wake <- struct{}{}:
	default:
	}
}

func (ix *Index) run() {
	defer close(ix.stopped)
	for {
		select {
		case <-ix.stop:
			return
		case <-ix.wake:
		}
		ix.mu.Lock()
		svcs, nss := ix.dirtySvc, ix.dirtyNS
		ix.dirtySvc, ix.dirtyNS = map[model.Key]struct{}{}, map[string]struct{}{}
		ix.mu.Unlock()
		start := time.Now()
		ix.store.Read(func(v model.View) { ix.apply(v, svcs, nss) })
		if ix.cfg.Published != nil {
			ix.cfg.Published(time.Since(start))
		}
	}
}

// apply rebuilds what changed and publishes the result.
func (ix *Index) apply(v model.View, svcs map[model.Key]struct{}, nss map[string]struct{}) {
	b := &batch{names: ix.names.Txn(), owners: ix.owners.Txn()}
	if len(nss) > 0 {
		for ns := range nss {
			ix.namespaceNodes(v, b.names, ns)
		}
		// one scan of all keys per batch, not one per namespace: the Store keeps no names
		// by namespace, and the initial build has every namespace in its batch
		in := func(k model.Key) {
			if _, ok := nss[k.Namespace]; ok {
				svcs[k] = struct{}{}
			}
		}
		if ix.cfg.MultiCluster {
			v.ImportKeys(in)
		} else {
			v.ServiceKeys(in)
		}
	}
	for k := range svcs {
		ix.rebuild(v, b, k)
	}
	if !ix.cfg.MultiCluster && (b.localChanged || ix.localNS == nil) {
		// a multicluster zone's name servers are the cluster zone's (see ClusterDNS.snapshot)
		ix.localNS = ix.nsAddrs(b.owners)
		b.names.Set("ns.dns", nsNode(ix.localNS))
	}
	ix.names, ix.owners = b.names.Commit(), b.owners.Commit()
	ix.snap.Store(&Snapshot{
		Names:   ix.names,
		Owners:  ix.owners,
		PTRZone: ix.cfg.PrimaryZone,
		NS:      ix.localNS,
		Serial:  uint32(v.Modified().Unix()), // #nosec G115 -- Unix time as SOA serial, as CoreDNS
		Synced:  v.Synced() && (!ix.cfg.MultiCluster || v.KindSynced(model.KindMultiCluster)),
	})
	if snap := ix.snap.Load(); snap.Synced && !ix.ready {
		ix.ready = true
		ix.coldStart(v)
	}
	if v.Synced() && !ix.freed {
		// The initial list and build leave much garbage; give it back soon rather than when
		// the scavenger gets to it, so a pod's memory settles right after start. The delay
		// lets the informers drop the lists they were still holding.
		// Count what the source holds, not this batch: when the last list to finish is
		// the pods' (pods verified) the batch that completes the sync has no Service in it.
		ix.freed = true
		if n, _, _ := v.Counts(); n+ix.store.Pods().Len() > 1000 {
			time.AfterFunc(time.Second, debug.FreeOSMemory)
		}
	}
}

// coldStart reports the first synced publication to cfg.Ready.
func (ix *Index) coldStart(v model.View) {
	if ix.cfg.Ready == nil {
		return
	}
	created, listed := v.Listed()
	services, slices, _ := v.Counts() // the source's, also for a multicluster zone
	ix.cfg.Ready(ColdStart{Services: services, Slices: slices,
		Listed: listed.Sub(created), Built: time.Since(latest(listed, ix.started))})
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// batch is the state of one apply.
type batch struct {
	names        *pmap.Txn[*Node]
	owners       *pmap.Txn[Owners]
	localChanged bool // an address the server listens on changed owners
}

// served reports whether the block serves a namespace (its namespaces filter).
func (ix *Index) served(ns string) bool {
	return ix.cfg.Namespaces.Allow(ns)
}

// rebuild replaces the name of one Service and its claims on addresses.
func (ix *Index) rebuild(v model.View, b *batch, k model.Key) {
	name := k.Name + "." + k.Namespace + ".svc"
	if old := ix.hidden[name]; old != nil {
		delete(ix.hidden, name)
		old.addresses(func(ip netip.Addr, _ *model.Endpoint) { ix.disown(b, ip, name) })
	}
	if old, _ := b.names.Get(name); old != nil {
		b.names.Delete(name)
		if old.entry != nil {
			old.entry.addresses(func(ip netip.Addr, _ *model.Endpoint) { ix.disown(b, ip, name) })
		}
	}
	svc, sl := ix.service(v, k)
	if svc == nil || !ix.served(k.Namespace) || !v.NamespaceExists(k.Namespace) {
		return
	}
	n := newService(svc, sl, &ix.cfg)
	if n == nil {
		return
	}
	if ix.cfg.IgnoreEmptyService && n.entry != nil && !svc.Headless && n.entry.empty() {
		// NXDOMAIN, as the kubernetes plugin's findServices skips it; its reverse lookup
		// does not, so the ClusterIPs keep their PTR records
		ix.hidden[name] = n.entry
		n.entry.addresses(func(ip netip.Addr, ep *model.Endpoint) { ix.own(b, ip, Owner{n.entry, ep}) })
		return
	}
	b.names.Set(name, n)
	if n.entry != nil {
		n.entry.addresses(func(ip netip.Addr, ep *model.Endpoint) { ix.own(b, ip, Owner{n.entry, ep}) })
	}
}

// service returns the Service named by k and its EndpointSlices: in a multicluster zone
// its ServiceImport as a Service, so that its names are built as a Service's are.
func (ix *Index) service(v model.View, k model.Key) (*model.Service, []*model.EndpointSlice) {
	var sl []*model.EndpointSlice
	if !ix.cfg.MultiCluster {
		if !ix.cfg.NoEndpoints {
			sl = v.Slices(k)
		}
		return v.Service(k), sl
	}
	imp := v.Import(k)
	if imp == nil || (!imp.Headless && len(imp.Ports) == 0) {
		// the plugin builds a ClusterSetIP's records per port: none without ports (NXDOMAIN)
		return nil, nil
	}
	if !ix.cfg.NoEndpoints {
		sl = v.ImportSlices(k)
	}
	return &model.Service{Meta: imp.Meta, Headless: imp.Headless, ClusterIPs: imp.IPs, Ports: imp.Ports}, sl
}

// claimed reports whether the owners of ip are kept: for reverse zones, and for the
// addresses the server listens on (NS records).
func (ix *Index) claimed(b *batch, ip netip.Addr) bool {
	if ix.cfg.MultiCluster {
		return false
	}
	local := slices.Contains(ix.cfg.LocalIPs, ip)
	b.localChanged = b.localChanged || local
	return ix.cfg.Reverse || local
}

func (ix *Index) own(b *batch, ip netip.Addr, o Owner) {
	if !ix.claimed(b, ip) {
		return
	}
	key := addrKey(ip)
	old, _ := b.owners.Get(key)
	if old.Len() > 0 {
		var ob, hb [64]byte
		label := o.label(&ob, ip)
		for have := range old.All() {
			if have.entry == o.entry && have.label(&hb, ip) == label {
				return // one endpoint listed twice
			}
		}
	}
	b.owners.Set(key, old.with(o))
}

func (ix *Index) disown(b *batch, ip netip.Addr, service string) {
	if !ix.claimed(b, ip) {
		return
	}
	key := addrKey(ip)
	old, _ := b.owners.Get(key)
	kept := old.without(service)
	switch {
	case kept.Len() == old.Len():
	case kept.Len() == 0:
		b.owners.Delete(key)
	default:
		b.owners.Set(key, kept)
	}
}

// namespaceNodes marks NS.svc (and NS.pod with pods insecure) as existing while the
// namespace exists and is served.
func (ix *Index) namespaceNodes(v model.View, tx *pmap.Txn[*Node], ns string) {
	exists := v.NamespaceExists(ns) && ix.served(ns)
	for _, name := range []string{ns + ".svc", ns + ".pod"} {
		if exists && (name == ns+".svc" || ix.cfg.PodsInsecure) {
			tx.Set(name, Empty)
		} else {
			tx.Delete(name)
		}
	}
}

// staticNames are the names every cluster zone has.
func (ix *Index) staticNames() *pmap.Map[*Node] {
	tx := new(pmap.Map[*Node]).Txn()
	tx.Set("svc", Empty)
	tx.Set("pod", Empty)
	tx.Set("dns-version", &Node{Rare: &Rare{TXT: DNSSchemaVersion}})
	return tx.Commit()
}

// nsAddrs finds the name server addresses as CoreDNS's nsAddrs does: the ClusterIPs of a
// Service with an endpoint on a local address (the cluster DNS Service), for a headless one
// the endpoints of the slice holding that address, by their names; else the local addresses
// under ns.dns.
func (ix *Index) nsAddrs(owned *pmap.Txn[Owners]) []Addr {
	var out []Addr
	for _, ip := range ix.cfg.LocalIPs {
		owners, _ := owned.Get(addrKey(ip))
		for o := range owners.All() {
			if o.ep == nil {
				continue
			}
			if o.entry.svc.Headless {
				o.entry.sliceEndpoints(ip, func(label string, a netip.Addr) {
					out = append(out, Addr{Target: label + "." + o.entry.Name + ".", IP: IP(a)})
				})
				continue
			}
			for _, cip := range o.entry.svc.ClusterIPs {
				out = append(out, Addr{Target: o.entry.Name + ".", IP: IP(cip)})
			}
		}
	}
	if len(out) == 0 {
		for _, ip := range ix.cfg.LocalIPs {
			out = append(out, Addr{Target: "ns.dns.", IP: IP(ip)})
		}
	}
	if out == nil {
		out = []Addr{}
	}
	return out
}

// nsNode is the Node of ns.dns: the name servers' addresses, whatever names they have.
func nsNode(addrs []Addr) *Node {
	n := &Node{}
	for _, a := range addrs {
		if a.IP.To4() != nil {
			n.A = append(n.A, a.IP)
		} else {
			n.AAAA = append(n.AAAA, a.IP)
		}
	}
	return n
}
