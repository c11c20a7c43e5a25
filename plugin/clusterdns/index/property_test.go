package index

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

// TestIncrementalEqualsFromScratch applies random sequences of Service, EndpointSlice and
// namespace changes to a Store with an Index subscribed, and after every round compares the
// Index's Snapshot with the Snapshot of a fresh Index built from the same Store: every name
// the objects can produce must answer the same (forward names, names below Services,
// reverse names, the name servers). The objects come from small pools, so names are
// claimed, shared, moved between Services and dropped often.
func TestIncrementalEqualsFromScratch(t *testing.T) {
	for _, tc := range []struct {
		name string
		seed uint64
		cfg  Config
	}{
		{"all namespaces", 1, Config{}},
		{"namespace filter", 2, Config{Namespaces: map[string]bool{"ns0": true, "ns1": true, sentinelNS: true}}},
		{"pods insecure", 3, Config{PodsInsecure: true}},
		{"no reverse", 4, Config{Reverse: false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.PrimaryZone = "cluster.local."
			cfg.Reverse = tc.name != "no reverse"
			w := newWorld(rand.New(rand.NewPCG(tc.seed, 7)))
			store := model.NewStore()
			store.SetNamespace(sentinelNS, true)
			ix := startIndex(cfg, store, w.local)
			defer ix.Stop()
			answered := map[string]int{} // kinds of answers seen, so the comparison proves something
			for round := 1; round <= 300; round++ {
				for range 1 + w.r.IntN(12) {
					w.change(store)
				}
				if round == 5 {
					store.SetSynced()
				}
				store.UpsertService(sentinel(round))
				got := ix.wait(t, round)

				scratch := startIndex(cfg, store, w.local)
				want := scratch.wait(t, round)
				scratch.Stop()
				if diff := compare(got, want, w); diff != "" {
					t.Fatalf("seed %d, round %d: incremental snapshot differs from one built from scratch:\n%s\nlast changes:\n%s",
						tc.seed, round, diff, strings.Join(w.log[max(0, len(w.log)-20):], "\n"))
				}
				tally(answered, want, w)
			}
			t.Logf("answers compared, by kind, over all rounds: %v", answered)
			for _, kind := range []string{"A", "AAAA", "SRV", "extra", "CNAME", "PTR", "NODATA", "NXDOMAIN", "service"} {
				if answered[kind] < 50 {
					t.Errorf("only %d answers with %s over all rounds: the comparison proves too little", answered[kind], kind)
				}
			}
		})
	}
}

const sentinelNS = "zz-sentinel"

// sentinel is a Service whose address says which round it was written in: once the Index
// answers it, it has applied every change made before it.
func sentinel(round int) *model.Service {
	s := &model.Service{ClusterIPs: []netip.Addr{netip.AddrFrom4([4]byte{10, 255, byte(round >> 8), byte(round)})}}
	s.Namespace, s.Name = sentinelNS, "sentinel"
	return s
}

type testIndex struct {
	*Index
	published chan struct{}
}

func startIndex(cfg Config, store *model.Store, local []netip.Addr) *testIndex {
	ti := &testIndex{published: make(chan struct{}, 1)}
	cfg.Published = func(time.Duration) {
		select {
		case ti.published <- struct{}{}:
		default:
		}
	}
	ti.Index = New(cfg)
	ti.Start(store, local)
	return ti
}

// wait returns the first Snapshot that answers the sentinel of round, waking on every
// publication.
func (ti *testIndex) wait(t *testing.T, round int) *Snapshot {
	t.Helper()
	want := sentinel(round).ClusterIPs[0].AsSlice()
	deadline := time.After(10 * time.Second)
	for {
		s := ti.Snapshot()
		if n := s.Get("sentinel." + sentinelNS + ".svc"); n != nil && len(n.A) == 1 && n.A[0].Equal(want) {
			return s
		}
		select {
		case <-ti.published:
		case <-deadline:
			t.Fatalf("round %d: the index did not publish the sentinel within 10s", round)
		}
	}
}

// world generates random objects from small pools and remembers every name they can have.
type world struct {
	r                *rand.Rand
	namespaces       []string
	services         []string // names, in every namespace
	sliceNames       []string
	addrs, clusterIP []netip.Addr
	local            []netip.Addr // the addresses the server listens on (NS records)
	version          int
	log              []string
}

func newWorld(r *rand.Rand) *world {
	w := &world{
		r:          r,
		namespaces: []string{"ns0", "ns1", "ns2"},
		services:   []string{"a", "b", "c", "d"},
		sliceNames: []string{"s0", "s1", "s2", "s3", "s4", "s5"},
	}
	for _, a := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "fd00::1", "fd00::2"} {
		w.addrs = append(w.addrs, netip.MustParseAddr(a))
	}
	for _, a := range []string{"10.96.0.1", "10.96.0.2", "10.96.0.3", "fd00:96::1"} {
		w.clusterIP = append(w.clusterIP, netip.MustParseAddr(a))
	}
	w.local = []netip.Addr{w.addrs[0]}
	return w
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// change makes one random change to store.
func (w *world) change(store *model.Store) {
	r := w.r
	ns, name := pick(r, w.namespaces), pick(r, w.services)
	w.version++
	rv := fmt.Sprint(w.version)
	if r.IntN(8) == 0 {
		rv = "" // compared by content: an identical object is no change
	}
	switch op := r.IntN(10); {
	case op < 3:
		s := w.service(ns, name, rv)
		w.logf("upsert service %s/%s %+v", ns, name, *s)
		store.UpsertService(s)
	case op < 4:
		w.logf("delete service %s/%s", ns, name)
		store.DeleteService(model.Key{Namespace: ns, Name: name})
	case op < 7:
		s := w.slice(ns, pick(r, w.sliceNames), name, rv)
		w.logf("upsert slice %s/%s of %s %+v", ns, s.Name, name, *s)
		store.UpsertSlice(s)
	case op < 9:
		sl := pick(r, w.sliceNames)
		w.logf("delete slice %s/%s", ns, sl)
		store.DeleteSlice(model.Key{Namespace: ns, Name: sl})
	default:
		exists := r.IntN(3) > 0
		w.logf("namespace %s exists=%v", ns, exists)
		store.SetNamespace(ns, exists)
	}
}

func (w *world) logf(format string, args ...any) { w.log = append(w.log, fmt.Sprintf(format, args...)) }

var (
	portNames = []string{"", "http", "dns"}
	protocols = []string{"TCP", "UDP"}
	numbers   = []int32{80, 53, 8080, -1}
	hostnames = []string{"", "", "h0", "h1"}
)

func (w *world) ports() []model.Port {
	var ps []model.Port
	for range w.r.IntN(3) {
		ps = append(ps, model.Port{Name: pick(w.r, portNames), Protocol: pick(w.r, protocols), Port: pick(w.r, numbers)})
	}
	return ps
}

func (w *world) service(ns, name, rv string) *model.Service {
	s := &model.Service{Ports: w.ports()}
	s.Namespace, s.Name, s.ResourceVersion = ns, name, rv
	switch w.r.IntN(6) {
	case 0:
		s.Headless = true
	case 1:
		s.ExternalName = pick(w.r, []string{"db.example.com", "10.1.2.3", "b.ns1.svc.cluster.local."})
	default:
		for range 1 + w.r.IntN(2) {
			s.ClusterIPs = append(s.ClusterIPs, pick(w.r, w.clusterIP))
		}
	}
	return s
}

func (w *world) slice(ns, name, service, rv string) *model.EndpointSlice {
	s := &model.EndpointSlice{Service: service, Ports: w.ports()}
	s.Namespace, s.Name, s.ResourceVersion = ns, name, rv
	for range w.r.IntN(4) {
		e := model.Endpoint{Hostname: pick(w.r, hostnames)}
		for range 1 + w.r.IntN(2) {
			e.Addresses = append(e.Addresses, pick(w.r, w.addrs))
		}
		s.Endpoints = append(s.Endpoints, e)
	}
	return s
}

// names returns every forward name the world's objects can have, relative to the zone.
func (w *world) names() []string {
	names := []string{"svc", "pod", "dns-version", "ns.dns", "nope", sentinelNS + ".svc"}
	below := slices.Clone(hostnames[2:])
	for _, a := range w.addrs {
		below = append(below, string(appendLabel(nil, a)))
	}
	below = append(below, "nope", "_tcp", "_udp", "_sctp")
	for _, p := range portNames {
		for _, proto := range slices.Concat(protocols, []string{"SCTP"}) {
			below = append(below, "_"+p+"._"+strings.ToLower(proto))
		}
	}
	for _, ns := range slices.Concat(w.namespaces, []string{"missing"}) {
		names = append(names, ns+".svc", ns+".pod")
		for _, s := range slices.Concat(w.services, []string{"missing"}) {
			base := s + "." + ns + ".svc"
			names = append(names, base)
			for _, b := range below {
				names = append(names, b+"."+base)
			}
		}
	}
	return names
}

// reverseNames returns the reverse names of every address the world's objects can have.
func (w *world) reverseNames() []string {
	var out []string
	for _, a := range slices.Concat(w.addrs, w.clusterIP, []netip.Addr{netip.MustParseAddr("192.0.2.1")}) {
		rev, _ := dns.ReverseAddr(a.String())
		out = append(out, rev)
	}
	return out
}

// tally counts the answers of s by kind of record.
func tally(kinds map[string]int, s *Snapshot, w *world) {
	var answers []string
	for _, name := range w.names() {
		answers = append(answers, render(s.Lookup(name)))
	}
	for _, name := range w.reverseNames() {
		answers = append(answers, render(s.Reverse(name)))
	}
	for _, a := range answers {
		for _, part := range strings.Split(a, "; ") {
			kind, _, _ := strings.Cut(part, " ")
			kinds[kind]++
		}
	}
}

// compare returns the differences between two Snapshots' answers, or "".
func compare(got, want *Snapshot, w *world) string {
	var diffs []string
	check := func(what, g, w string) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s:\n  incremental:  %s\n  from scratch: %s", what, g, w))
		}
	}
	for _, name := range w.names() {
		check(name, render(got.Lookup(name)), render(want.Lookup(name)))
	}
	for _, name := range w.reverseNames() {
		check(name, render(got.Reverse(name)), render(want.Reverse(name)))
	}
	// every stored name, including any the pools above do not think of
	keys := func(s *Snapshot) string {
		var k []string
		s.Names.Range(func(name string, _ *Node) bool { k = append(k, name); return true })
		slices.Sort(k)
		return strings.Join(k, " ")
	}
	check("stored names", keys(got), keys(want))
	owned := func(s *Snapshot) string {
		var k []string
		s.Owners.Range(func(key string, _ Owners) bool {
			ip, _ := netip.AddrFromSlice([]byte(key))
			k = append(k, ip.String())
			return true
		})
		slices.Sort(k)
		return strings.Join(k, " ")
	}
	check("owned addresses", owned(got), owned(want))
	ns := func(s *Snapshot) string {
		var out []string
		for _, a := range s.NS {
			out = append(out, a.Target+" "+a.IP.String())
		}
		slices.Sort(out)
		return strings.Join(out, ", ")
	}
	check("NS", ns(got), ns(want))
	check("synced, serial, PTR zone", fmt.Sprint(got.Synced, got.Serial, got.PTRZone), fmt.Sprint(want.Synced, want.Serial, want.PTRZone))
	return strings.Join(diffs, "\n")
}

// render writes what a Node answers. Records of one type are a set (RFC 2181 5): they are
// sorted, so only the order in which an address was claimed cannot make a difference.
func render(n *Node) string {
	if n == nil {
		return "NXDOMAIN"
	}
	var parts []string
	add := func(typ string, items []string) {
		slices.Sort(items)
		if len(items) > 0 {
			parts = append(parts, typ+" "+strings.Join(items, ", "))
		}
	}
	var a, aaaa, srv, extra []string
	for _, ip := range n.A {
		a = append(a, ip.String())
	}
	for _, ip := range n.AAAA {
		aaaa = append(aaaa, ip.String())
	}
	for _, s := range n.SRV {
		srv = append(srv, fmt.Sprintf("%d %d %s", s.Port, s.Weight, s.Target))
	}
	for _, e := range n.Extra {
		extra = append(extra, e.Target+" "+e.IP.String())
	}
	add("A", a)
	add("AAAA", aaaa)
	add("SRV", srv)
	add("extra", extra)
	add("PTR", slices.Clone(n.PTRs()))
	if c := n.CNAMETarget(); c != "" {
		parts = append(parts, "CNAME "+c)
	}
	if t := n.Text(); t != "" {
		parts = append(parts, "TXT "+t)
	}
	if n.entry != nil {
		parts = append(parts, "service")
	}
	if len(parts) == 0 {
		return "NODATA"
	}
	return strings.Join(parts, "; ")
}
