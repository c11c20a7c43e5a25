package private

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zonename"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/fall"
	"github.com/coredns/coredns/plugin/transfer"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is one private block.
type Config struct {
	Sources
	File    string
	Forward []*Sources // for a reverse zone: the forward private zones whose addresses it maps

	Magic bool // names with an address written in them answer it (magic.go)
}

// Reverse reports whether the zone is in the reverse tree (it then holds PTRs).
func (c *Config) Reverse() bool {
	return zonename.IsReverse(c.Zone)
}

// ReadsCluster reports whether the zone reads Kubernetes objects (also through the
// forward zones it maps).
func (c *Config) ReadsCluster() bool {
	if c.Sources.Needs() {
		return true
	}
	for _, f := range c.Forward {
		if f.Needs() {
			return true
		}
	}
	return false
}

// Kinds returns the optional kinds the zone reads.
func (c *Config) Kinds() []model.Kind {
	var kinds []model.Kind
	for _, s := range append([]*Sources{&c.Sources}, c.Forward...) {
		if s.Ingresses {
			kinds = append(kinds, model.KindIngress)
		}
		if s.Mesh {
			kinds = append(kinds, model.KindVirtualService)
		}
		if s.Istio {
			kinds = append(kinds, model.KindVirtualService, model.KindIstioGateway, model.KindServiceEntry)
		}
		if s.Knative.Name != "" {
			kinds = append(kinds, model.KindKnativeRoute, model.KindDomainMapping)
		}
		if s.Gateways {
			kinds = append(kinds, model.KindGatewayAPI)
		}
		if s.DNSEndpoints {
			kinds = append(kinds, model.KindDNSEndpoint)
		}
		if s.NodePorts != NodePortsOff {
			kinds = append(kinds, model.KindNode)
		}
	}
	return kinds
}

// Zone serves one private zone: its file and what the cluster contributes, merged and
// rebuilt on every change of either, published as an immutable zone.Zone.
type Zone struct {
	cfg     *Config
	current atomic.Pointer[zone.Zone]
	ready   atomic.Bool // every source listed: the zone answers
	listed  atomic.Bool // Services and Namespaces listed (the optional kinds may still be out)
	logf    func(format string, args ...any)
	// Changed is called after every publication that changed the serial.
	Changed func(serial uint32)
	// Next and Fall are the clusterdns block's: a name that does not exist in the zone goes
	// on to the next plugin when the block's fallthrough covers it.
	Next plugin.Handler
	Fall fall.F
	// Xfer is the server block's transfer plugin, nil without one. Set before Start: the
	// zone asks its peers' serial at start and tells them of changes (NOTIFY) through it.
	Xfer *transfer.Transfer

	mu        sync.Mutex // held by rebuilds
	file      []dns.RR
	store     *model.Store
	serial    uint32
	wake      chan struct{}
	stop      chan struct{}
	done      chan struct{}
	stopWatch func()
	problems  map[string]bool // logged already
	running   bool            // run was started: Stop waits for it
	content   []dns.RR        // the file's and the cluster's records last published
	notifyc   chan struct{}   // a NOTIFY round is due
}

// New returns a Zone for cfg; logf receives problems (conflicting claims, bad file edits).
func New(cfg *Config, logf func(format string, args ...any)) *Zone {
	return &Zone{cfg: cfg, logf: logf, wake: make(chan struct{}, 1), notifyc: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// Origin returns the zone's name.
func (z *Zone) Origin() string { return z.cfg.Zone }

// Config returns what the zone was configured with.
func (z *Zone) Config() *Config { return z.cfg }

// Current returns the zone being served, nil before Start.
func (z *Zone) Current() *zone.Zone { return z.current.Load() }

// Ready reports whether the zone is complete: its cluster sources have listed everything.
func (z *Zone) Ready() bool { return z.ready.Load() }

// Listed reports whether the source's Services are listed. The server's readiness waits for
// this, not for Ingresses or VirtualServices: a watch that cannot list them (RBAC, a broken
// CRD) must leave their zone answering SERVFAIL, not take every DNS pod out of service.
func (z *Zone) Listed() bool { return z.listed.Load() }

// Start loads the file (an error here fails the server start), builds the zone and keeps
// it current. store may be nil when the zone reads nothing from the cluster.
func (z *Zone) Start(store *model.Store, poll time.Duration) error {
	if z.cfg.File != "" {
		stop, err := zone.Watch(z.cfg.File, z.cfg.Zone, poll, func(rrs []dns.RR) {
			z.mu.Lock()
			z.file = rrs
			z.mu.Unlock()
			z.poke()
		}, z.logf)
		if err != nil {
			return err
		}
		z.stopWatch = stop
	}
	if z.cfg.ReadsCluster() {
		z.store = store
		store.Subscribe(z)
	}
	z.serial = z.peerSerial()
	if err := z.rebuild(); err != nil {
		z.Stop()
		return err
	}
	z.running = true
	go z.run()
	if z.Xfer != nil {
		go z.notifier()
	}
	return nil
}

// Stop stops following changes and waits for a rebuild under way; the last zone stays
// readable.
func (z *Zone) Stop() {
	if z.stopWatch != nil {
		z.stopWatch()
		z.stopWatch = nil
	}
	if z.store != nil {
		z.store.Unsubscribe(z)
	}
	select {
	case <-z.stop:
	default:
		close(z.stop)
		if z.running {
			<-z.done
		}
	}
}

// peerSerial returns the highest serial the transfer peers hold (those the transfer plugin
// notifies), so that a restarted server (whose serial starts again from the file and the
// clock) never goes back behind what its secondaries have: they would ignore its changes.
// Peers are asked at once and those that do not answer within a second are skipped, so
// unreachable peers delay a start by a second, not a second each.
func (z *Zone) peerSerial() uint32 {
	var (
		mu      sync.Mutex
		serials []uint32
		wg      sync.WaitGroup
	)
	for _, to := range peers(z.Xfer, z.cfg.Zone) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := new(dns.Msg)
			m.SetQuestion(z.cfg.Zone, dns.TypeSOA)
			r, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, to)
			if err != nil || r.Rcode != dns.RcodeSuccess {
				return
			}
			for _, rr := range r.Answer {
				if soa, ok := rr.(*dns.SOA); ok {
					mu.Lock()
					serials = append(serials, soa.Serial)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return highestSerial(serials)
}

// highestSerial returns the serial no other is after (RFC 1982), 0 for none. The first is
// taken as it is: compared with 0, a serial 2^31 or more ahead would not count as after.
func highestSerial(serials []uint32) uint32 {
	var highest uint32
	for i, s := range serials {
		if i == 0 || serialAfter(s, highest) {
			highest = s
		}
	}
	return highest
}

// serialAfter compares serials as RFC 1982 does: a is after b when it is less than 2^31 ahead.
func serialAfter(a, b uint32) bool { return a != b && a-b < 1<<31 }

// Notify implements model.Subscriber.
func (z *Zone) Notify(c model.Change) {
	if c.Private || (c.Service.Name == "" && c.Namespace == "") {
		z.poke()
	}
}

func (z *Zone) poke() {
	select {
	case z.wake <- struct{}{}:
	default:
	}
}

func (z *Zone) run() {
	defer close(z.done)
	for {
		select {
		case <-z.stop:
			return
		case <-z.wake:
			if err := z.rebuild(); err != nil {
				z.logf("%v; still serving serial %d", err, z.Current().Serial())
			}
		}
	}
}

// rebuild merges the file with the cluster's records and publishes the result.
func (z *Zone) rebuild() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	name, view := z.cfg.Zone, z.cfg.viewLabel()
	zoneRebuilds.WithLabelValues(name, view).Inc()
	// the counters that count rarely exist from the first build at 0, so that increase() and
	// rate() in alerts and dashboards see their first event
	zoneBuildFailures.WithLabelValues(name, view)
	zoneNotifies.WithLabelValues(name, view, "sent")
	zoneNotifies.WithLabelValues(name, view, "failed")
	defer prometheus.NewTimer(zoneRebuildDuration.WithLabelValues(name, view)).ObserveDuration()
	var generated []dns.RR
	ready, listed := true, true
	if z.store != nil {
		z.store.Read(func(v model.View) {
			ready, listed = v.Synced(), v.Synced()
			for _, k := range z.cfg.Kinds() {
				ready = ready && v.KindSynced(k)
			}
			generated = z.generate(v)
		})
	}
	content := append(slices.Clip(z.file), generated...)
	if z.current.Load() != nil && sameRecords(content, z.content) {
		z.ready.Store(ready)
		z.listed.Store(listed)
		return nil // nothing changed: same serial, no NOTIFY
	}
	serial := z.serial + 1
	rrs := make([]dns.RR, 0, len(content))
	for _, rr := range content {
		if soa, ok := rr.(*dns.SOA); ok {
			if serialAfter(soa.Serial, serial) {
				serial = soa.Serial
			}
			continue // added below with the zone's serial
		}
		rrs = append(rrs, rr)
	}
	if now := uint32(time.Now().Unix()); serialAfter(now, serial) { // #nosec G115 -- Unix time as serial until 2106
		serial = now
	}
	if soa := z.fileSOA(); soa != nil {
		soa = dns.Copy(soa).(*dns.SOA)
		soa.Serial = serial
		rrs = append(rrs, soa)
	}
	built, err := zone.New(z.cfg.Zone, rrs, zone.Options{TTL: z.cfg.TTL, Serial: serial})
	if err != nil && len(generated) > 0 {
		// The file loaded on its own, so the cluster's records are at fault; one bad object
		// must not freeze the zone: serve the file and say why.
		z.logf("private zone %s: %v; serving the zone file without the cluster's records until this is fixed", z.cfg.Zone, err)
		zoneBuildFailures.WithLabelValues(name, view).Inc()
		rrs = slices.DeleteFunc(rrs, func(rr dns.RR) bool { return slices.Contains(generated, rr) })
		built, err = zone.New(z.cfg.Zone, rrs, zone.Options{TTL: z.cfg.TTL, Serial: serial})
	}
	if err != nil {
		zoneBuildFailures.WithLabelValues(name, view).Inc()
		return fmt.Errorf("private zone %s: %w", z.cfg.Zone, err)
	}
	z.serial, z.content = serial, content
	z.current.Store(built)
	zoneSerial.WithLabelValues(name, view).Set(float64(serial))
	zoneRecords.WithLabelValues(name, view).Set(float64(built.Len()))
	// Ready only once the zone built from the listed sources is the one served: a transfer
	// or a query answered from the zone before it would miss the cluster's records.
	z.ready.Store(ready)
	z.listed.Store(listed)
	select {
	case z.notifyc <- struct{}{}:
	default: // a round is due already
	}
	if z.Changed != nil {
		z.Changed(serial)
	}
	return nil
}

// sameRecords reports whether two record lists are equal, TTLs included.
func sameRecords(a, b []dns.RR) bool {
	return slices.EqualFunc(a, b, func(x, y dns.RR) bool {
		return dns.IsDuplicate(x, y) && x.Header().Ttl == y.Header().Ttl
	})
}

func (z *Zone) fileSOA() *dns.SOA {
	for _, rr := range z.file {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa
		}
	}
	return nil
}

// generate computes the cluster's records. Problems are logged when they first appear,
// not again on every rebuild.
func (z *Zone) generate(v model.View) []dns.RR {
	var rrs []dns.RR
	var problems []string
	if z.cfg.Reverse() {
		for _, f := range z.cfg.Forward {
			noMesh := *f
			noMesh.Mesh = false                               // mesh hosts share the gateway's address: no PTR for each
			noMesh.Istio, noMesh.Knative = false, model.Key{} // so do istio and knative hosts
			noMesh.Gateways = false                           // and the hostnames of a Gateway's routes
			noMesh.NodePorts = NodePortsOff                   // and NodePort Services their nodes'
			fwd, _ := Records(&noMesh, v, nil)                // the forward zone reports its own problems
			rrs = append(rrs, PTRs(z.cfg.Zone, z.cfg.TTL, fwd)...)
		}
		if z.cfg.DNSEndpoints {
			// The zone's own claims, DNSEndpoint PTRs, say what an address's name is:
			// they replace the PTRs derived from the forward zones at their names.
			own, p := Records(&z.cfg.Sources, v, z.file)
			named := make(map[string]bool, len(own))
			for _, rr := range own {
				named[strings.ToLower(rr.Header().Name)] = true
			}
			rrs = slices.DeleteFunc(rrs, func(rr dns.RR) bool { return named[strings.ToLower(rr.Header().Name)] })
			rrs, problems = append(rrs, own...), p
		}
	} else {
		r := records(&z.cfg.Sources, v, z.file)
		rrs, problems = r.rrs, r.problems
		claimConflicts.WithLabelValues(z.cfg.Zone, z.cfg.viewLabel()).Set(float64(r.lost))
	}
	seen := make(map[string]bool, len(problems))
	for _, p := range problems {
		if !z.problems[p] {
			z.logf("%s", p)
		}
		seen[p] = true
	}
	z.problems = seen
	return rrs
}
