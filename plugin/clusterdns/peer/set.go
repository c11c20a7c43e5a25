package peer

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/index"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/pmap"
)

// Set answers the peers of one clusterdns block in its zone: it keeps a Snapshot of the
// zone's names, rebuilt when a peer or the base (the multicluster zone's ServiceImports)
// changes.
type Set struct {
	Zone    string // lowercase, fully qualified
	configs []*Config

	base     func() *index.Snapshot
	clusters []*Cluster
	snap     atomic.Pointer[index.Snapshot]
	wake     chan struct{}
	stop     chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
	started  bool
}

// empty is the base of a zone with no ServiceImports: it has svc and nothing else.
var empty = func() *index.Snapshot {
	tx := new(pmap.Map[*index.Node]).Txn()
	tx.Set("svc", index.Empty)
	return &index.Snapshot{Names: tx.Commit(), Owners: new(pmap.Map[index.Owners]), Synced: true}
}()

// NewSet returns the Set of a block's peers, answering in zone. Until Start it answers the
// base alone.
func NewSet(zone string, configs []*Config) *Set {
	s := &Set{Zone: zone, configs: configs, base: func() *index.Snapshot { return empty },
		wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	s.snap.Store(empty)
	return s
}

// Start connects to the peers (see startCluster for what is an error) and starts keeping
// the Snapshot current. base, when not nil, returns the multicluster zone's current
// Snapshot, whose names come first; call Poke when it changes. main is the cluster zone's
// Store, where the local cluster's exported Services are read.
func (s *Set) Start(base func() *index.Snapshot, main *model.Store) error {
	if base != nil {
		s.base = base
	}
	for _, cfg := range s.configs {
		c, err := acquire(*cfg, main)
		if err != nil {
			return err
		}
		s.clusters = append(s.clusters, c)
		c.subscribe(s)
	}
	s.Poke()
	s.started = true
	go s.run()
	return nil
}

// Stop stops rebuilding and releases the peers; the last Snapshot stays readable.
func (s *Set) Stop() {
	s.stopOnce.Do(func() {
		// the rebuilds first: a rebuild after a release would set the metrics of a peer
		// that is gone
		close(s.stop)
		if s.started {
			<-s.stopped
		}
		for _, c := range s.clusters {
			c.unsubscribe(s)
			release(c)
		}
	})
}

// Poke asks for a rebuild. It never blocks.
func (s *Set) Poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Snapshot returns the zone's current Snapshot.
func (s *Set) Snapshot() *index.Snapshot { return s.snap.Load() }

func (s *Set) run() {
	defer close(s.stopped)
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
		}
		s.snap.Store(s.build())
	}
}

// build merges the base and every peer's exported Services, peers in the Corefile's order.
func (s *Set) build() *index.Snapshot {
	b := newBuilder()
	for _, c := range s.clusters {
		n := 0
		c.exported(func(v model.View, svc *model.PeerService, sl []*model.EndpointSlice) {
			n++
			if !b.service(&c.cfg, v, svc, sl) {
				c.unreachable(svc)
			}
		})
		exportedServices.WithLabelValues(c.cfg.Name).Set(float64(n))
	}
	b.weigh()
	return index.Overlay(s.base(), b.names, uint32(time.Now().Unix())) // #nosec G115 -- Unix time as SOA serial
}
