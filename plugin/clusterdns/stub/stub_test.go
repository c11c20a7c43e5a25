package stub

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// fastChecks probes every 200ms, so tests see resolvers come back quickly.
func fastChecks(c *Config) { c.HealthCheck = 200 * time.Millisecond }

// sent returns how many queries the stub sent to the resolver at addr.
func sent(addr string) float64 {
	return value(requests.WithLabelValues("myco.com.", addr))
}

func value(c prometheus.Counter) float64 {
	var m dto.Metric
	c.Write(&m)
	return m.GetCounter().GetValue()
}

func TestAnswers(t *testing.T) {
	a := startZoneServer(t, "a")
	s := startStub(t, nil, a.Addr)
	authority := []dns.RR{test.NS("myco.com. 300 IN NS ns1.myco.com.")}
	glue := []dns.RR{test.A("ns1.myco.com. 300 IN A 10.1.0.53")}
	soa := []dns.RR{test.SOA("myco.com. 60 IN SOA ns1.myco.com. hostmaster.myco.com. 1 7200 1800 86400 60")}
	tests := []struct {
		tc  test.Case
		tcp bool
	}{
		{tc: test.Case{Qname: "database.myco.com.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("database.myco.com. 300 IN A 10.1.0.10")}, Ns: authority, Extra: glue}},
		{tc: test.Case{Qname: "database.myco.com.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("database.myco.com. 300 IN A 10.1.0.10")}, Ns: authority, Extra: glue}, tcp: true},
		{tc: test.Case{Qname: "missing.myco.com.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa}},
		{tc: test.Case{Qname: "database.myco.com.", Qtype: dns.TypeAAAA, Ns: soa}}, // NODATA
	}
	for _, tt := range tests {
		res := serve(s, tt.tc.Msg(), tt.tcp)
		if res.err != nil || res.msg == nil {
			t.Errorf("%s %s: rcode %d, %v, nothing written", tt.tc.Qname, dns.TypeToString[tt.tc.Qtype], res.rcode, res.err)
			continue
		}
		if err := test.SortAndCheck(res.msg, tt.tc); err != nil {
			t.Errorf("%s %s (tcp %v): %v", tt.tc.Qname, dns.TypeToString[tt.tc.Qtype], tt.tcp, err)
		}
	}
}

// A UDP client without EDNS allows 512 bytes: the resolver truncates the 60 addresses of big, the
// stub asks again over TCP and writes them all; the server's scrub writer then fits them to
// the client, which retries over TCP.
func TestTruncatedAnswerRetriedOverTCP(t *testing.T) {
	a := startZoneServer(t, "a")
	s := startStub(t, nil, a.Addr)
	for _, tcp := range []bool{false, true} {
		res := ask(s, "big.myco.com.", dns.TypeA, tcp)
		if res.msg == nil || res.msg.Truncated || len(res.msg.Answer) != 60 {
			t.Fatalf("tcp %v: want 60 addresses, not truncated; got %v, %v", tcp, res.msg, res.err)
		}
	}

	m := new(dns.Msg)
	m.SetQuestion("big.myco.com.", dns.TypeA)
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	if _, err := s.ServeDNS(context.Background(), request.NewScrubWriter(m, rec), m); err != nil {
		t.Fatal(err)
	}
	if !rec.Msg.Truncated || len(rec.Msg.Answer) == 0 || len(rec.Msg.Answer) >= 60 {
		t.Errorf("through the scrub writer: want a truncated reply with the addresses that fit, got TC=%v and %d", rec.Msg.Truncated, len(rec.Msg.Answer))
	}
}

// Stopping the first of two resolvers: the queries that meet the dead one fail over to
// the second within the same ServeDNS call, and the dead one is skipped after maxFails of
// them or its probe, whichever comes first.
func TestFailoverWhenResolverStops(t *testing.T) {
	a, b := startZoneServer(t, "a"), startZoneServer(t, "b")
	s := startStub(t, fastChecks, a.Addr, b.Addr)
	if got := who(s); got != "a" {
		t.Fatalf("sequential: want a, got %q", got)
	}

	// The first probe, started with the stub, must have landed: a probe's late success
	// forgives the failures of queries sent after it started (the count would reach maxFails
	// one query later).
	waitFor(t, 5*time.Second, "the first probe of a", func() bool { v, ok := healthyGauge(t, a.Addr); return ok && v == 1 })
	a.Stop()
	stopped, sentToA := time.Now(), sent(a.Addr)
	var failed int
	var slowest time.Duration
	for range 200 {
		res := ask(s, "who.myco.com.", dns.TypeTXT, false)
		slowest = max(slowest, res.took)
		if res.msg == nil || len(res.msg.Answer) != 1 || res.msg.Answer[0].(*dns.TXT).Txt[0] != "b" {
			failed++
		}
	}
	t.Logf("resolver a stopped: %d of 200 queries failed, slowest %v, %v for all", failed, slowest, time.Since(stopped))
	if failed > 0 {
		t.Errorf("%d queries failed after a stopped; want b to answer them all", failed)
	}
	if n := sent(a.Addr) - sentToA; n > maxFails {
		t.Errorf("%v queries went to the stopped resolver; want at most the %d that found it down", n, maxFails)
	}

	a.Start()
	restarted := time.Now()
	waitFor(t, 5*time.Second, "a back in use after its restart", func() bool { return who(s) == "a" })
	t.Logf("resolver a restarted: in use again after %v (health_check 200ms)", time.Since(restarted))
}

// A resolver that goes silent (no reply, no ICMP error) is skipped within 2 seconds: the
// query that waits on it has it probed after suspectAfter, and the probe fails after
// probeTimeout, before the query's own readTimeout runs out. Only that query waits on it.
func TestSilentResolverSkipped(t *testing.T) {
	if suspectAfter+probeTimeout >= readTimeout {
		t.Fatalf("suspectAfter %v + probeTimeout %v: a silent resolver is not out before a query's readTimeout %v", suspectAfter, probeTimeout, readTimeout)
	}
	f, b := startFake(t, "fake"), startZoneServer(t, "b")
	s := startStub(t, nil, f.addr, b.Addr) // default health_check 2s
	if got := who(s); got != "fake" {
		t.Fatalf("sequential: want fake, got %q", got)
	}

	f.silent.Store(true)
	silenced, sentBefore := time.Now(), sent(f.addr)
	skipped := make(chan time.Duration, 1) // when it left rotation, as seen every 10ms
	go func() {
		for up(s)[0] && time.Since(silenced) < 2*readTimeout {
			time.Sleep(10 * time.Millisecond)
		}
		skipped <- time.Since(silenced)
	}()
	var failed int
	var slowest time.Duration
	for time.Since(silenced) < readTimeout+time.Second {
		res := ask(s, "who.myco.com.", dns.TypeTXT, false)
		slowest = max(slowest, res.took)
		if res.msg == nil || len(res.msg.Answer) != 1 {
			failed++
		}
	}
	skippedAfter := <-skipped
	t.Logf("resolver silent: out of rotation %v after, slowest query %v, %d failed", skippedAfter, slowest, failed)
	if up(s)[0] {
		t.Fatal("the silent resolver is still in rotation")
	}
	if failed > 0 {
		t.Errorf("%d queries failed; want b to answer after the silent one timed out", failed)
	}
	if n := sent(f.addr) - sentBefore; n != 1 {
		t.Errorf("%v queries went to the silent resolver; want only the first, out of rotation before it timed out", n)
	}
	sentToFake := sent(f.addr)
	for range 20 {
		if got := who(s); got != "b" {
			t.Fatalf("want b while fake is silent, got %q", got)
		}
	}
	if sent(f.addr) != sentToFake {
		t.Errorf("queries still go to the silent resolver")
	}

	f.silent.Store(false)
	waitFor(t, 2*DefaultHealthCheck+time.Second, "fake back once it answers its probe", func() bool { return who(s) == "fake" })
}

// With every resolver down a query sends nothing and fails at once; answers resume when a
// probe finds a resolver again.
func TestAllResolversDown(t *testing.T) {
	a, b := startZoneServer(t, "a"), startZoneServer(t, "b")
	s := startStub(t, fastChecks, a.Addr, b.Addr)
	if got := who(s); got != "a" {
		t.Fatalf("want a, got %q", got)
	}
	a.Stop()
	b.Stop()
	waitFor(t, 5*time.Second, "both resolvers down", func() bool { return slices.Equal(up(s), []bool{false, false}) })

	sentBefore := sent(a.Addr) + sent(b.Addr)
	var took time.Duration
	for range 100 {
		res := ask(s, "database.myco.com.", dns.TypeA, false)
		took += res.took
		if res.rcode != dns.RcodeServerFailure || res.msg != nil || !errors.Is(res.err, ErrNoHealthy) {
			t.Fatalf("want SERVFAIL left to the caller and ErrNoHealthy, got rcode %d, %v, written %v", res.rcode, res.err, res.msg)
		}
	}
	t.Logf("all down: 100 SERVFAILs in %v", took)
	if n := sent(a.Addr) + sent(b.Addr) - sentBefore; n != 0 {
		t.Errorf("%v queries sent to resolvers that are down", n)
	}

	b.Start()
	waitFor(t, 5*time.Second, "answers from b once it is back", func() bool { return who(s) == "b" })
}

func TestServeStale(t *testing.T) {
	a := startZoneServer(t, "a")
	s := startStub(t, func(c *Config) { c.ServeStale = time.Hour; fastChecks(c) }, a.Addr)
	now := time.Unix(1_000_000, 0) // the stale cache's clock: only this goroutine queries
	s.stale.now = func() time.Time { return now }
	for _, q := range []string{"database.myco.com.", "short.myco.com.", "missing.myco.com."} {
		if res := ask(s, q, dns.TypeA, false); res.msg == nil {
			t.Fatalf("%s: %v", q, res.err)
		}
	}
	a.Stop()
	waitFor(t, 5*time.Second, "resolver down", func() bool { return !up(s)[0] })
	now = now.Add(1100 * time.Millisecond) // short (TTL 1) expires

	tests := []struct {
		name           string
		rcode          int
		minTTL, maxTTL uint32 // of every record but OPT
	}{
		{"database.myco.com.", dns.RcodeSuccess, 299, 299}, // fresh: its TTL counts down
		{"short.myco.com.", dns.RcodeSuccess, staleTTL, staleTTL},
		{"missing.myco.com.", dns.RcodeNameError, 59, 59}, // the SOA's negative TTL, 60
	}
	for _, tt := range tests {
		res := ask(s, tt.name, dns.TypeA, false)
		if res.msg == nil || res.msg.Rcode != tt.rcode || res.rcode != dns.RcodeSuccess {
			t.Errorf("%s: want rcode %s written, got %v (%v)", tt.name, dns.RcodeToString[tt.rcode], res.msg, res.err)
			continue
		}
		if tt.rcode == dns.RcodeSuccess && len(res.msg.Answer) != 1 {
			t.Errorf("%s: want its address, got %v", tt.name, res.msg.Answer)
		}
		for _, rr := range slices.Concat(res.msg.Answer, res.msg.Ns, res.msg.Extra) {
			if ttl := rr.Header().Ttl; rr.Header().Rrtype != dns.TypeOPT && (ttl < tt.minTTL || ttl > tt.maxTTL) {
				t.Errorf("%s: TTL %d not in [%d, %d]: %v", tt.name, ttl, tt.minTTL, tt.maxTTL, rr)
			}
		}
	}
	if res := ask(s, "never-asked.myco.com.", dns.TypeA, false); res.rcode != dns.RcodeServerFailure || res.msg != nil {
		t.Errorf("a question never answered: want SERVFAIL left to the caller, got %d %v", res.rcode, res.msg)
	}
	if n := value(staleAnswers.WithLabelValues("myco.com.")); n < 3 {
		t.Errorf("stale answers counted %v, want at least 3", n)
	}
}

// A resolver that answers the zone's SOA with SERVFAIL (its copy of the zone is broken) or
// REFUSED (it does not serve the zone) is taken out of rotation, though it replies.
func TestErrorRepliesAreUnhealthy(t *testing.T) {
	good := startZoneServer(t, "good")
	for _, rcode := range []int{dns.RcodeRefused, dns.RcodeServerFailure} {
		t.Run(dns.RcodeToString[rcode], func(t *testing.T) {
			bad := startZoneServer(t, "bad")
			bad.rcode.Store(int32(rcode))
			s := startStub(t, fastChecks, bad.Addr, good.Addr)
			waitFor(t, 5*time.Second, "the erring resolver out of rotation", func() bool { return slices.Equal(up(s), []bool{false, true}) })
			sentToBad := sent(bad.Addr)
			for range 10 {
				if got := who(s); got != "good" {
					t.Fatalf("want good, got %q", got)
				}
			}
			if sent(bad.Addr) != sentToBad {
				t.Errorf("queries still go to the erring resolver")
			}
		})
	}
}

func TestPolicies(t *testing.T) {
	a, b := startZoneServer(t, "a"), startZoneServer(t, "b")
	tests := []struct {
		policy  Policy
		queries int
		check   func(answers []string) bool
	}{
		{Sequential, 10, func(w []string) bool { return slices.Equal(w, slices.Repeat([]string{"a"}, 10)) }},
		{RoundRobin, 10, func(w []string) bool { return slices.Equal(w, slices.Repeat([]string{"a", "b"}, 5)) }},
		// Both answer: all 64 from one has probability 2^-63.
		{Random, 64, func(w []string) bool { return slices.Contains(w, "a") && slices.Contains(w, "b") }},
	}
	for _, tt := range tests {
		s := startStub(t, func(c *Config) { c.Policy = tt.policy }, a.Addr, b.Addr)
		var answers []string
		for range tt.queries {
			answers = append(answers, who(s))
		}
		if !tt.check(answers) {
			t.Errorf("%s: unexpected answerers %v", tt.policy, answers)
		}
	}
}

// max_concurrent as forward's: beyond N queries in flight, REFUSED is left to the caller.
func TestMaxConcurrent(t *testing.T) {
	f := startFake(t, "fake")
	s := startStub(t, func(c *Config) { c.MaxConcurrent = 2 }, f.addr)

	var wg sync.WaitGroup
	held := make([]result, 2)
	for i := range held {
		wg.Go(func() { held[i] = ask(s, "slow.myco.com.", dns.TypeA, false) })
	}
	waitFor(t, 5*time.Second, "two queries in flight", func() bool { return s.inFlight.Load() == 2 })

	res := ask(s, "who.myco.com.", dns.TypeTXT, false)
	if res.rcode != dns.RcodeRefused || res.msg != nil || !errors.Is(res.err, s.errLimit) {
		t.Errorf("third query: want REFUSED left to the caller, got rcode %d, %v, %v", res.rcode, res.msg, res.err)
	}
	close(f.release)
	wg.Wait()
	for i, r := range held {
		if r.msg == nil || len(r.msg.Answer) != 1 {
			t.Errorf("held query %d: want its answer, got %v %v", i, r.msg, r.err)
		}
	}
	if got := who(s); got != "fake" {
		t.Errorf("after the held queries: want an answer, got %q", got)
	}
}

// A SERVFAIL for one name is passed on; it has the resolver probed, but no more than once
// per recheckGap however many queries fail, and the resolver stays in rotation.
func TestServfailForOneName(t *testing.T) {
	f := startFake(t, "fake")
	s := startStub(t, nil, f.addr)
	waitFor(t, 5*time.Second, "the first probe", func() bool { return f.probes.Load() > 0 })

	probesBefore, start := f.probes.Load(), time.Now()
	queries := 0
	for time.Since(start) < time.Second { // half the health_check interval
		res := ask(s, "broken.myco.com.", dns.TypeA, false)
		if res.rcode != dns.RcodeSuccess || res.msg == nil || res.msg.Rcode != dns.RcodeServerFailure {
			t.Fatalf("want the resolver's SERVFAIL written, got rcode %d, %v, %v", res.rcode, res.msg, res.err)
		}
		queries++
	}
	elapsed := time.Since(start)
	probes := f.probes.Load() - probesBefore
	t.Logf("%d SERVFAILs in %v: %d probes", queries, elapsed, probes)
	if most := int64(elapsed/recheckGap) + 2; probes < 1 || probes > most {
		t.Errorf("%d probes in %v, want from 1 to %d", probes, elapsed, most)
	}
	if !up(s)[0] {
		t.Error("the resolver left rotation")
	}
	if got := who(s); got != "fake" {
		t.Errorf("other names: want fake, got %q", got)
	}
}

// Only standard queries are forwarded: other opcodes and zone transfers are refused at
// once, sent to no resolver, and never answered from serve_stale.
func TestOnlyQueriesForwarded(t *testing.T) {
	f := startFake(t, "fake")
	s := startStub(t, func(c *Config) { c.ServeStale = time.Hour }, f.addr)
	if got := who(s); got != "fake" { // now kept for serve_stale
		t.Fatalf("want fake, got %q", got)
	}
	status := new(dns.Msg)
	status.SetQuestion("who.myco.com.", dns.TypeTXT)
	status.Opcode = dns.OpcodeStatus
	notify := new(dns.Msg)
	notify.SetNotify("myco.com.")
	update := new(dns.Msg)
	update.SetUpdate("myco.com.")
	update.Insert([]dns.RR{test.A("new.myco.com. 300 IN A 10.1.0.1")})
	axfr := new(dns.Msg)
	axfr.SetAxfr("myco.com.")
	ixfr := new(dns.Msg)
	ixfr.SetIxfr("myco.com.", 1, "ns1.myco.com.", "hostmaster.myco.com.")
	tests := []struct {
		name string
		msg  *dns.Msg
		tcp  bool
	}{
		{"STATUS, with a question kept for serve_stale", status, false},
		{"NOTIFY", notify, false},
		{"UPDATE", update, false},
		{"AXFR", axfr, true},
		{"IXFR over TCP", ixfr, true},
		{"IXFR over UDP", ixfr, false},
	}
	sentBefore := sent(f.addr)
	for _, tt := range tests {
		if res := serve(s, tt.msg, tt.tcp); res.rcode != dns.RcodeRefused || res.msg != nil {
			t.Errorf("%s: want REFUSED left to the caller, got rcode %d, %v, %v", tt.name, res.rcode, res.msg, res.err)
		}
	}
	if n := sent(f.addr) - sentBefore; n != 0 {
		t.Errorf("%v of them sent to the resolver", n)
	}
}
