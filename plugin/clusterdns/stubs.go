package clusterdns

import (
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/kubedns"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/stub"

	"github.com/miekg/dns"
)

// stubdomainsPoll is how often a kube-dns ConfigMap is checked for changes.
var stubdomainsPoll = 2 * time.Second

// stubs are the stub zones of a block: those of its Corefile, and those of a kube-dns
// ConfigMap, which change while the server runs. Queries read the current set without locks.
type stubs struct {
	static  []*stub.Config
	path    string   // the kube-dns ConfigMap, or ""
	cluster []string // the block's cluster zones, which ConfigMap stubs may not take over
	private []string // the block's private zones, which ConfigMap stubs may not overlap
	current atomic.Pointer[stubSet]

	mu      sync.Mutex // serializes updates
	watcher *kubedns.Watcher
}

// stubSet is one immutable set of running stub zones.
type stubSet struct {
	zones  []string
	byZone map[string]*runningStub
}

type runningStub struct {
	cfg *stub.Config
	s   *stub.Stub
}

// start starts the Corefile's stub zones (an error fails the server start) and the
// ConfigMap's, and follows the ConfigMap.
func (st *stubs) start() error {
	st.current.Store(&stubSet{byZone: map[string]*runningStub{}})
	if err := st.update(nil); err != nil {
		return err
	}
	if st.path == "" {
		return nil
	}
	w, err := kubedns.Watch(st.path, stubdomainsPoll, func(cfg *kubedns.Config) {
		if err := st.update(cfg.Stubs); err != nil {
			log.Errorf("stubdomains %s: %v", st.path, err)
		}
	})
	if err != nil {
		return err
	}
	st.mu.Lock()
	st.watcher = w
	st.mu.Unlock()
	return nil
}

// update makes the running set the Corefile's stub zones plus dynamic ones. A stub zone
// whose configuration did not change keeps running, with its health state and stale answers.
func (st *stubs) update(dynamic []*stub.Config) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	old := st.current.Load()
	next := &stubSet{byZone: map[string]*runningStub{}}
	want := append([]*stub.Config(nil), st.static...)
	for _, d := range dynamic {
		if slices.ContainsFunc(want, func(c *stub.Config) bool { return c.Zone == d.Zone }) {
			log.Warningf("stubdomains %s: %s is a stub zone of the Corefile already; the Corefile's wins", st.path, d.Zone)
			continue
		}
		if z := st.overlap(d.Zone); z != "" {
			log.Warningf("stubdomains %s: %s overlaps the block's zone %s; ignoring it", st.path, d.Zone, z)
			continue
		}
		want = append(want, d)
	}
	var started []*stub.Stub
	for _, cfg := range want {
		if r := old.byZone[cfg.Zone]; r != nil && reflect.DeepEqual(r.cfg, cfg) {
			next.add(r)
			continue
		}
		s := stub.New(cfg)
		if err := s.Start(); err != nil {
			for _, s := range started {
				s.Stop()
			}
			return err
		}
		started = append(started, s)
		next.add(&runningStub{cfg, s})
	}
	st.current.Store(next)
	for zone, r := range old.byZone {
		if next.byZone[zone] != r {
			r.s.Stop()
		}
	}
	return nil
}

// overlap returns a zone of the block a ConfigMap's stub zone would take over or split, or
// "": the rules of checkZones, for stub zones that arrive at run time.
func (st *stubs) overlap(zone string) string {
	for _, z := range st.cluster {
		if z == zone {
			return z
		}
	}
	for _, z := range st.private {
		if dns.IsSubDomain(zone, z) || dns.IsSubDomain(z, zone) {
			return z
		}
	}
	return ""
}

func (set *stubSet) add(r *runningStub) {
	set.zones = append(set.zones, r.cfg.Zone)
	set.byZone[r.cfg.Zone] = r
}

// match returns the stub zone of a name (lowercase) and the zone, or nil.
func (st *stubs) match(name string) (*stub.Stub, string) {
	set := st.current.Load()
	if set == nil {
		return nil, ""
	}
	zone := matchZone(set.zones, name)
	if zone == "" {
		return nil, ""
	}
	return set.byZone[zone].s, zone
}

// stop stops following the ConfigMap and every stub zone.
func (st *stubs) stop() {
	st.mu.Lock()
	w := st.watcher
	st.watcher = nil
	st.mu.Unlock()
	if w != nil {
		w.Stop()
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if set := st.current.Load(); set != nil {
		for _, r := range set.byZone {
			r.s.Stop()
		}
		st.current.Store(&stubSet{byZone: map[string]*runningStub{}})
	}
}
