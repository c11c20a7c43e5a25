package stub

import (
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/zonename"
)

// Set is the stub zones of a clusterdns block: those of its Corefile, and those of a
// source that changes while the server runs (a kube-dns ConfigMap's stubDomains). Queries
// read the current set without locks; updates swap it whole.
type Set struct {
	static  []*Config
	follow  *Follower // nil: the Corefile's stub zones only
	cluster []string  // the block's cluster zones, which dynamic stub zones may not take over
	private []string  // the block's private zones, which dynamic stub zones may not overlap
	current atomic.Pointer[liveSet]

	mu   sync.Mutex // serializes updates
	stop func()     // stops following
}

// Follower is a source of stub zones that change while the server runs.
type Follower struct {
	Name string // names the source in log messages, e.g. "stubdomains /etc/kube-dns"
	// Follow calls update with the source's stub zones before it returns, and again from
	// its own goroutine each time they change, until stop is called.
	Follow func(update func([]*Config)) (stop func(), err error)
}

// liveSet is one immutable set of running stub zones.
type liveSet struct {
	zones  []string
	byZone map[string]*runningStub
}

type runningStub struct {
	cfg *Config
	s   *Stub
}

// NewSet returns the set of the Corefile's stub zones (static) and those of follow (which
// may be nil). cluster and private are the block's other zones: a dynamic stub zone equal
// to a cluster zone, or overlapping a private zone, is ignored with a warning, as the
// Corefile's are rejected.
func NewSet(static []*Config, follow *Follower, cluster, private []string) *Set {
	s := &Set{static: static, follow: follow, cluster: cluster, private: private}
	s.current.Store(&liveSet{byZone: map[string]*runningStub{}})
	return s
}

// Start starts the Corefile's stub zones (an error fails the server start) and the
// follower's, and follows it.
func (st *Set) Start() error {
	if err := st.Update(nil); err != nil {
		return err
	}
	if st.follow == nil {
		return nil
	}
	stop, err := st.follow.Follow(func(dynamic []*Config) {
		if err := st.Update(dynamic); err != nil {
			log.Errorf("%s: %v", st.follow.Name, err)
		}
	})
	if err != nil {
		return err
	}
	st.mu.Lock()
	st.stop = stop
	st.mu.Unlock()
	return nil
}

// Update makes the liveSet set the Corefile's stub zones plus dynamic ones. A stub zone
// whose configuration did not change keeps liveSet, with its health state and stale
// answers. When a new stub zone fails to start, the liveSet set stays as it was.
func (st *Set) Update(dynamic []*Config) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	old := st.current.Load()
	next := &liveSet{byZone: map[string]*runningStub{}}
	want := slices.Clone(st.static)
	for _, d := range dynamic {
		if slices.ContainsFunc(want, func(c *Config) bool { return c.Zone == d.Zone }) {
			log.Warningf("%s: %s is a stub zone of the Corefile already; the Corefile's wins", st.source(), d.Zone)
			continue
		}
		if z := st.overlap(d.Zone); z != "" {
			log.Warningf("%s: %s overlaps the block's zone %s; ignoring it", st.source(), d.Zone, z)
			continue
		}
		want = append(want, d)
	}
	var started []*Stub
	for _, cfg := range want {
		if r := old.byZone[cfg.Zone]; r != nil && reflect.DeepEqual(r.cfg, cfg) {
			next.add(r)
			continue
		}
		s := New(cfg)
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

// overlap returns a zone of the block a dynamic stub zone would take over or split, or "":
// the rules the Corefile's stub zones are checked by, for stub zones that arrive at run time.
func (st *Set) overlap(zone string) string {
	for _, z := range st.cluster {
		if z == zone {
			return z
		}
	}
	for _, z := range st.private {
		if zonename.Overlap(zone, z) {
			return z
		}
	}
	return ""
}

// source names where dynamic stub zones come from, for log messages.
func (st *Set) source() string {
	if st.follow == nil {
		return "dynamic stub zones"
	}
	return st.follow.Name
}

func (set *liveSet) add(r *runningStub) {
	set.zones = append(set.zones, r.cfg.Zone)
	set.byZone[r.cfg.Zone] = r
}

// Match returns the stub zone of a name (lowercase, fully qualified) and the zone, or nil.
func (st *Set) Match(name string) (*Stub, string) {
	set := st.current.Load()
	zone := zonename.Match(set.zones, name)
	if zone == "" {
		return nil, ""
	}
	return set.byZone[zone].s, zone
}

// Zones returns the zones of the liveSet set.
func (st *Set) Zones() []string { return slices.Clone(st.current.Load().zones) }

// Stop stops following and stops every stub zone.
func (st *Set) Stop() {
	st.mu.Lock()
	stop := st.stop
	st.stop = nil
	st.mu.Unlock()
	if stop != nil {
		stop() // outside the lock: a last update may be waiting for it
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, r := range st.current.Load().byZone {
		r.s.Stop()
	}
	st.current.Store(&liveSet{byZone: map[string]*runningStub{}})
}
