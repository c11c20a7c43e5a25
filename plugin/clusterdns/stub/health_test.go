package stub

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// The events that decide whether a resolver is in rotation, as queries and probes report
// them: a single failed query never takes it out, maxFails in a row sent after its last
// reply do, and so does a failed probe; a successful probe puts it back, whatever queries
// sent before it report afterwards.
func TestHealthBookkeeping(t *testing.T) {
	const (
		fail      = "a query fails"
		failOld   = "a query sent before the last reply fails"
		answer    = "a query is answered"
		probeOK   = "a probe succeeds"
		probeFail = "a probe fails"
		probeOld  = "a probe sent before the last reply succeeds"
	)
	errLost := errors.New("lost")
	tests := []struct {
		name   string
		events []string
		up     []bool // after each event
	}{
		{"one failed query", []string{fail}, []bool{true}},
		{"maxFails failed queries in a row", []string{fail, fail, fail}, []bool{true, true, false}},
		{"a reply in between", []string{fail, fail, answer, fail, fail}, []bool{true, true, true, true, true}},
		{"queries sent before a reply", []string{failOld, failOld, failOld, failOld}, []bool{true, true, true, true}},
		{"a failed probe", []string{probeFail}, []bool{false}},
		{"a probe puts it back", []string{fail, fail, fail, probeOK}, []bool{true, true, false, true}},
		{"a probe starts a new count", []string{fail, fail, probeOK, fail, fail}, []bool{true, true, true, true, true}},
		{"queries in flight fail after a probe succeeded", []string{probeFail, probeOK, failOld, failOld, failOld},
			[]bool{false, true, true, true, true}},
		{"an answer does not undo a failed probe", []string{probeFail, answer}, []bool{false, false}},
		{"a late reply to an older probe forgives nothing", []string{fail, probeOld, fail, fail}, []bool{true, true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newResolver("myco.com.", "127.0.0.1:1", nil)
			t.Cleanup(func() { healthy.DeleteLabelValues(r.zone, r.addr) })
			now := time.Unix(1_000_000, 0) // when the events' queries and probes are sent
			r.alive(now)                   // an answer before the events, for queries sent before it
			for i, ev := range tt.events {
				now = now.Add(time.Millisecond)
				switch ev {
				case fail:
					r.failed(errLost, now)
				case failOld:
					r.failed(errLost, time.Unix(0, r.answered.Load()-1))
				case answer:
					r.alive(now)
				case probeOK:
					r.setHealth(nil, now)
				case probeFail:
					r.setHealth(errLost, now)
				case probeOld:
					r.setHealth(nil, time.Unix(0, r.answered.Load()-1))
				}
				if got := r.up.Load(); got != tt.up[i] {
					t.Fatalf("after %q (event %d): up %v, want %v", ev, i+1, got, tt.up[i])
				}
				select {
				case <-r.recheck:
					if ev != fail && ev != failOld {
						t.Fatalf("%q asked for a probe", ev)
					}
				default:
					if ev == fail || ev == failOld {
						t.Fatalf("%q did not ask for a probe", ev)
					}
				}
			}
		})
	}
}

// Queries a resolver never answers (a firewall dropping some queries, such as AAAA) do not
// take it out of rotation while it answers others, or its probe: each such query waits out
// its readTimeout, and the other names are answered all along.
func TestDroppedQueriesKeepResolver(t *testing.T) {
	for _, otherQueries := range []bool{true, false} {
		f := startFake(t, "fake")
		s := startStub(t, nil, f.addr)
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() { ask(s, "dropped.myco.com.", dns.TypeAAAA, false) })
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		var left bool
		var answered, failed int
		for waiting := true; waiting; {
			select {
			case <-done:
				waiting = false
			case <-time.After(10 * time.Millisecond):
			}
			left = left || !up(s)[0]
			if otherQueries {
				if who(s) == "fake" {
					answered++
				} else {
					failed++
				}
			}
		}
		t.Logf("other queries %v: %d answered, %d failed while 10 were dropped", otherQueries, answered, failed)
		if left {
			t.Errorf("other queries %v: the resolver left rotation for dropped queries", otherQueries)
		}
		if failed > 0 {
			t.Errorf("%d queries for other names failed while some were dropped", failed)
		}
		if got := who(s); got != "fake" {
			t.Errorf("other queries %v: after the dropped queries, want fake, got %q", otherQueries, got)
		}
	}
}

// A query the client gave up on says nothing of the resolver; one that timed out counts.
func TestCancelledQueryIsNoFailure(t *testing.T) {
	f := startFake(t, "fake")
	f.silent.Store(true)
	for _, cancelled := range []bool{true, false} {
		r := newResolver("myco.com.", f.addr, nil) // no health watcher: no probe forgives
		r.queries.SetReadTimeout(200 * time.Millisecond)
		r.queries.Start(time.Hour)
		ctx, cancel := context.WithCancel(context.Background())
		if cancelled {
			time.AfterFunc(20*time.Millisecond, cancel)
		}
		m := new(dns.Msg)
		m.SetQuestion("who.myco.com.", dns.TypeTXT)
		_, err := r.query(ctx, request.Request{W: &test.ResponseWriter{}, Req: m}, time.Now().Add(time.Second))
		cancel()
		r.queries.Stop()
		want := int32(1)
		if cancelled {
			want = 0
		}
		if err == nil || r.fails.Load() != want {
			t.Errorf("client gave up %v: want an error and %d failure, got %v and %d", cancelled, want, err, r.fails.Load())
		}
	}
}

// A resolver that TCP does not reach (a firewall lets only UDP through) answers a big name
// truncated: the reply is passed on with TC set, for the client to retry over TCP, and is
// no failure of the resolver.
func TestTruncatedReplyWhenTCPFails(t *testing.T) {
	f := startFake(t, "fake") // UDP only: TCP to its port is refused
	s := startStub(t, nil, f.addr)
	for range maxFails + 1 {
		res := ask(s, "big.myco.com.", dns.TypeA, false)
		if res.rcode != dns.RcodeSuccess || res.msg == nil || !res.msg.Truncated || res.msg.Rcode != dns.RcodeSuccess {
			t.Fatalf("want the truncated reply written, got rcode %d, %v, %v", res.rcode, res.msg, res.err)
		}
	}
	if !up(s)[0] || s.resolvers[0].fails.Load() != 0 {
		t.Errorf("the resolver is counted as failing: up %v, %d failures", up(s)[0], s.resolvers[0].fails.Load())
	}
	if got := who(s); got != "fake" {
		t.Errorf("other names: want fake, got %q", got)
	}
}

// holdListener accepts TCP connections and says nothing on them: a DNS over TLS resolver
// whose handshake never completes (a middlebox, an overloaded server).
func holdListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// A TLS resolver that never completes its handshake holds a query readTimeout, not the
// transport's 30-second dial timeout: the next resolver answers it within queryTimeout.
func TestTLSHandshakeDeadline(t *testing.T) {
	hold, f := holdListener(t), startFake(t, "fake")
	s := startStub(t, nil, "tls://"+hold, f.addr)
	res := ask(s, "who.myco.com.", dns.TypeTXT, false)
	t.Logf("first resolver silent after TCP connect: answered in %v", res.took)
	if res.msg == nil || len(res.msg.Answer) != 1 || res.msg.Answer[0].(*dns.TXT).Txt[0] != "fake" {
		t.Errorf("want fake's answer, got rcode %d, %v, %v", res.rcode, res.msg, res.err)
	}
	if res.took >= queryTimeout {
		t.Errorf("the query took %v, as long as queryTimeout %v", res.took, queryTimeout)
	}
}

// healthyGauge returns the value of the stub_healthy series of the resolver addr of
// myco.com., and whether the series exists (reading it by WithLabelValues would make it).
func healthyGauge(t *testing.T, addr string) (float64, bool) {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, family := range families {
		if family.GetName() != "coredns_clusterdns_stub_healthy" {
			continue
		}
		for _, m := range family.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["zone"] == "myco.com." && labels["to"] == addr {
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// A reload starts the new stubs before it stops the old: stopping the old stub keeps the
// healthy series of a resolver the new one probes, each probe sets it, and it goes with the
// last stub probing it. Stop returns once its probes are over.
func TestHealthyGaugeAcrossReload(t *testing.T) {
	f := startFake(t, "fake")
	start := func() *Stub {
		cfg, err := NewConfig("myco.com", f.addr)
		if err != nil {
			t.Fatal(err)
		}
		fastChecks(cfg)
		s := New(cfg)
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	isUp := func() bool { v, ok := healthyGauge(t, f.addr); return ok && v == 1 }

	old := start()
	waitFor(t, 5*time.Second, "the old stub's gauge", isUp)
	current := start()
	old.Stop()
	if _, ok := healthyGauge(t, f.addr); !ok {
		t.Error("stopping the old stub deleted the series of the running one")
	}
	healthy.DeleteLabelValues("myco.com.", f.addr) // as a stub stopping without the count did
	waitFor(t, 5*time.Second, "the series back with the next probe", isUp)

	current.Stop()
	probes := f.probes.Load()
	if _, ok := healthyGauge(t, f.addr); ok {
		t.Error("the last stub stopped and left its series behind")
	}
	stays(t, 3*200*time.Millisecond, "no probe after Stop returned (three health_check intervals)",
		func() bool { return f.probes.Load() == probes })
	if _, ok := healthyGauge(t, f.addr); ok {
		t.Error("the series came back after Stop")
	}
}
