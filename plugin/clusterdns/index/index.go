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

	"github.com/miekg/dns"
)

// Config is what one clusterdns block serves.
type Config struct {
	PrimaryZone  string          // the first forward zone, lowercase, fully qualified: PTR targets use it
	Reverse      bool            // build reverse (PTR) names
	Namespaces   map[string]bool // only these namespaces; empty means all
	PodsInsecure bool
	LocalIPs     []netip.Addr // addresses this server listens on, for NS records
	// Published is called after every publication with its duration (metrics).
	Published func(time.Duration)
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
	owned   map[model.Key]*owned
	ptrs    map[netip.Addr][]ptrClaim // a slice, not a map: nearly every address has one claim
	localNS []Addr
	freed   bool // the garbage of the initial build was returned to the OS
}

// owned is what one Service contributed to the Snapshot, so a rebuild can remove it.
type owned struct {
	names []string
	ips   []netip.Addr
}

// ptrClaim is one Service's reverse targets for an address.
type ptrClaim struct {
	svc       model.Key
	clusterIP bool
	targets   []string
}

// New returns an Index for cfg. Until Start, its Snapshot is empty and not synced.
func New(cfg Config) *Index {
	ix := &Index{
		cfg:      cfg,
		dirtySvc: map[model.Key]struct{}{}, dirtyNS: map[string]struct{}{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
		owned: map[model.Key]*owned{}, ptrs: map[netip.Addr][]ptrClaim{},
	}
	ix.snap.Store(&Snapshot{Names: new(pmap.Map[*Node])})
	return ix
}

// Snapshot returns the current Snapshot.
func (ix *Index) Snapshot() *Snapshot { return ix.snap.Load() }

// Start subscribes to store, queues a full build and starts applying changes. localIPs are
// the addresses the server listens on, known only once it starts (for NS records).
func (ix *Index) Start(store *model.Store, localIPs []netip.Addr) {
	ix.store, ix.cfg.LocalIPs = store, localIPs
	ix.store.Subscribe(ix)
	ix.store.Read(func(v model.View) {
		ix.mu.Lock()
		v.ServiceKeys(func(k model.Key) { ix.dirtySvc[k] = struct{}{} })
		v.Namespaces(func(n string) { ix.dirtyNS[n] = struct{}{} })
		ix.mu.Unlock()
	})
	ix.names = ix.staticNames()
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
	ix.mu.Lock()
	if c.Service.Name != "" {
		ix.dirtySvc[c.Service] = struct{}{}
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
	tx := ix.names.Txn()
	for ns := range nss {
		ix.namespaceNodes(v, tx, ns)
		for name := range v.ServiceNames(ns) {
			svcs[model.Key{Namespace: ns, Name: name}] = struct{}{}
		}
	}
	dirtyIPs := map[netip.Addr]struct{}{}
	for k := range svcs {
		ix.rebuild(v, tx, k, dirtyIPs)
	}
	localChanged := false
	for ip := range dirtyIPs {
		ix.ptrNode(tx, ip)
		if slices.Contains(ix.cfg.LocalIPs, ip) {
			localChanged = true
		}
	}
	if localChanged || ix.localNS == nil {
		ix.localNS = ix.nsAddrs(v)
	}
	ix.names = tx.Commit()
	ix.snap.Store(&Snapshot{
		Names:  ix.names,
		NS:     ix.localNS,
		Serial: uint32(v.Modified().Unix()), // #nosec G115 -- Unix time as SOA serial, as CoreDNS
		Synced: v.Synced(),
	})
	if v.Synced() && !ix.freed {
		// The initial list and build leave much garbage; give it back now rather than when
		// the scavenger gets to it, so a pod's memory settles right after start.
		ix.freed = true
		if len(svcs) > 1000 {
			go debug.FreeOSMemory()
		}
	}
}

func (ix *Index) exposed(ns string) bool {
	return len(ix.cfg.Namespaces) == 0 || ix.cfg.Namespaces[ns]
}

// rebuild replaces the names of one Service.
func (ix *Index) rebuild(v model.View, tx *pmap.Txn[*Node], k model.Key, dirtyIPs map[netip.Addr]struct{}) {
	if old := ix.owned[k]; old != nil {
		for _, n := range old.names {
			tx.Delete(n)
		}
		for _, ip := range old.ips {
			ix.ptrs[ip] = slices.DeleteFunc(ix.ptrs[ip], func(c ptrClaim) bool { return c.svc == k })
			dirtyIPs[ip] = struct{}{}
		}
		delete(ix.owned, k)
	}
	svc := v.Service(k)
	if svc == nil || !ix.exposed(k.Namespace) || !v.NamespaceExists(k.Namespace) {
		return
	}
	claims := map[netip.Addr]ptrClaim{}
	nodes := serviceNames(svc, v.Slices(k), ix.cfg.PrimaryZone, func(ip netip.Addr, target string, clusterIP bool) {
		if !ix.cfg.Reverse && !slices.Contains(ix.cfg.LocalIPs, ip) {
			return // only reverse zones and NS records need to know who owns an address
		}
		c := claims[ip]
		c.svc, c.clusterIP = k, c.clusterIP || clusterIP
		if !slices.Contains(c.targets, target) {
			c.targets = append(c.targets, target)
		}
		claims[ip] = c
	})
	own := &owned{names: make([]string, 0, len(nodes)), ips: make([]netip.Addr, 0, len(claims))}
	for name, n := range nodes {
		tx.Set(name, n)
		own.names = append(own.names, name)
	}
	for ip, c := range claims {
		ix.ptrs[ip] = append(ix.ptrs[ip], c)
		own.ips = append(own.ips, ip)
		dirtyIPs[ip] = struct{}{}
	}
	ix.owned[k] = own
}

// ptrNode recomputes the reverse name of ip: the Service whose ClusterIP it is, else every
// endpoint name with that address, as CoreDNS's serviceRecordForIP.
func (ix *Index) ptrNode(tx *pmap.Txn[*Node], ip netip.Addr) {
	claims := ix.ptrs[ip]
	if len(claims) == 0 {
		delete(ix.ptrs, ip)
	}
	if !ix.cfg.Reverse {
		return
	}
	rev, _ := dns.ReverseAddr(ip.String())
	var svcTarget string
	var targets []string // fully qualified: built in the primary zone
	for _, c := range claims {
		if c.clusterIP && (svcTarget == "" || c.targets[0] < svcTarget) {
			svcTarget = c.targets[0]
		}
		if !c.clusterIP {
			targets = append(targets, c.targets...)
		}
	}
	switch {
	case svcTarget != "":
		tx.Set(rev, &Node{PTR: []string{svcTarget}})
	case len(targets) > 0:
		slices.Sort(targets)
		tx.Set(rev, &Node{PTR: slices.Compact(targets)})
	default:
		tx.Delete(rev)
	}
}

// namespaceNodes marks NS.svc (and NS.pod with pods insecure) as existing while the
// namespace exists and is exposed.
func (ix *Index) namespaceNodes(v model.View, tx *pmap.Txn[*Node], ns string) {
	exists := v.NamespaceExists(ns) && ix.exposed(ns)
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

// nsAddrs finds the name server addresses as CoreDNS's nsAddrs does: a ClusterIP Service
// with an endpoint on a local address (the cluster DNS Service), else the local addresses
// under ns.dns.
func (ix *Index) nsAddrs(v model.View) []Addr {
	var out []Addr
	for _, ip := range ix.cfg.LocalIPs {
		for _, c := range ix.ptrs[ip] {
			if c.clusterIP {
				continue
			}
			k := c.svc
			svc := v.Service(k)
			if svc == nil || svc.Headless || svc.ExternalName != "" {
				continue
			}
			for _, cip := range svc.ClusterIPs {
				out = append(out, Addr{Target: k.Name + "." + k.Namespace + ".svc.", IP: IP(cip)})
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
