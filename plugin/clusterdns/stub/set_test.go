package stub

import (
	"context"
	"slices"
	"testing"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// resolverAt starts an in-process resolver answering every A query with addr (its own
// handler: dnstest.NewServer shares dns.DefaultServeMux between servers).
func resolverAt(t *testing.T, addr string) string {
	t.Helper()
	s := dnstest.NewMultipleServer(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = []dns.RR{test.A(r.Question[0].Name + " 30 IN A " + addr)}
		w.WriteMsg(m)
	})
	t.Cleanup(s.Close)
	return s.Addr
}

func mustConfig(t *testing.T, zone, resolver string) *Config {
	t.Helper()
	cfg, err := NewConfig(zone, resolver)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// askSet sends an A query for name through the set and returns the address answered, or
// "" when no stub zone matches.
func askSet(t *testing.T, set *Set, name string) string {
	t.Helper()
	s, _ := set.Match(name)
	if s == nil {
		return ""
	}
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	if rcode, err := s.ServeDNS(context.Background(), rec, m); err != nil || rec.Msg == nil {
		t.Fatalf("%s: rcode %d, error %v", name, rcode, err)
	}
	if len(rec.Msg.Answer) != 1 {
		t.Fatalf("%s: answer %v", name, rec.Msg.Answer)
	}
	return rec.Msg.Answer[0].(*dns.A).A.String()
}

// The set follows its source: dynamic zones come and go, the Corefile's win over a
// dynamic zone of the same name, zones of the block are not taken over, and a zone whose
// configuration did not change keeps running.
func TestSet(t *testing.T) {
	one, two := resolverAt(t, "10.0.0.1"), resolverAt(t, "10.0.0.2")
	var update func([]*Config)
	followerStopped := false
	follow := &Follower{Name: "test", Follow: func(u func([]*Config)) (func(), error) {
		update = u
		u([]*Config{mustConfig(t, "dyn.example", two)})
		return func() { followerStopped = true }, nil
	}}
	set := NewSet([]*Config{mustConfig(t, "static.example", one)}, follow, []string{"cluster.local."}, []string{"private.example."})
	if err := set.Start(); err != nil {
		t.Fatal(err)
	}
	if got := set.Zones(); !slices.Equal(got, []string{"static.example.", "dyn.example."}) {
		t.Fatalf("zones %v after start", got)
	}
	if got := askSet(t, set, "a.static.example."); got != "10.0.0.1" {
		t.Fatalf("a.static.example. = %q", got)
	}
	if got := askSet(t, set, "a.dyn.example."); got != "10.0.0.2" {
		t.Fatalf("a.dyn.example. = %q", got)
	}
	if got := askSet(t, set, "a.other.example."); got != "" {
		t.Fatalf("a.other.example. matched a stub zone (%q)", got)
	}
	dyn, _ := set.Match("dyn.example.")

	update([]*Config{
		mustConfig(t, "dyn.example", two),       // unchanged: keeps running
		mustConfig(t, "static.example", two),    // the Corefile's wins
		mustConfig(t, "cluster.local", two),     // a cluster zone: ignored
		mustConfig(t, "a.private.example", two), // inside a private zone: ignored
		mustConfig(t, "new.example", one),
	})
	if got := set.Zones(); !slices.Equal(got, []string{"static.example.", "dyn.example.", "new.example."}) {
		t.Fatalf("zones %v after the update", got)
	}
	if s, _ := set.Match("x.dyn.example."); s != dyn {
		t.Fatal("an unchanged stub zone was restarted")
	}
	if got := askSet(t, set, "a.static.example."); got != "10.0.0.1" {
		t.Fatalf("a.static.example. = %q: the dynamic zone took over the Corefile's", got)
	}
	if got := askSet(t, set, "a.new.example."); got != "10.0.0.1" {
		t.Fatalf("a.new.example. = %q", got)
	}

	update(nil)
	if got := set.Zones(); !slices.Equal(got, []string{"static.example."}) {
		t.Fatalf("zones %v after the source emptied", got)
	}
	if dyn.lifecycle != stopped {
		t.Fatal("a removed stub zone was not stopped")
	}
	s, _ := set.Match("a.static.example.")
	set.Stop()
	if !followerStopped || s.lifecycle != stopped {
		t.Fatalf("Stop: follower stopped %v, stub zone %v", followerStopped, s.lifecycle)
	}
	if m, _ := set.Match("a.static.example."); m != nil {
		t.Fatal("a stopped set still matches")
	}
}

// A stub zone that cannot start fails the update and leaves the running set as it was.
func TestSetUpdateFails(t *testing.T) {
	set := NewSet([]*Config{mustConfig(t, "static.example", resolverAt(t, "10.0.0.1"))}, nil, nil, nil)
	if err := set.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(set.Stop)
	if err := set.Update([]*Config{{Zone: "broken.example."}}); err == nil {
		t.Fatal("a stub zone without resolvers started")
	}
	if got := set.Zones(); !slices.Equal(got, []string{"static.example."}) {
		t.Fatalf("zones %v after a failed update", got)
	}
}
