package stub

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/bindtest"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// startBind starts named serving testdata/db.myco.com plus `who TXT NAME`, so a test can
// tell which resolver answered.
func startBind(t testing.TB, name string) *bindtest.Server {
	t.Helper()
	zone, err := os.ReadFile("testdata/db.myco.com")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "db.myco.com")
	zone = append(zone, []byte("who       IN TXT  \""+name+"\"\n")...)
	if err := os.WriteFile(file, zone, 0o644); err != nil {
		t.Fatal(err)
	}
	return bindtest.Start(t, bindtest.Zone{Origin: "myco.com.", File: file})
}

// startStub starts a stub zone myco.com with these resolvers; edit changes the defaults.
func startStub(t testing.TB, edit func(*Config), resolvers ...string) *Stub {
	t.Helper()
	cfg, err := NewConfig("myco.com", resolvers...)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(cfg)
	}
	s := New(cfg)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// result is what ServeDNS did with one query.
type result struct {
	msg   *dns.Msg // nil when nothing was written
	rcode int
	err   error
	took  time.Duration
}

// ask sends one query through s.ServeDNS as a client over UDP (or TCP).
func ask(s *Stub, name string, qtype uint16, tcp bool) result {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return serve(s, m, tcp)
}

func serve(s *Stub, m *dns.Msg, tcp bool) result {
	rec := dnstest.NewRecorder(&test.ResponseWriter{TCP: tcp})
	start := time.Now()
	rcode, err := s.ServeDNS(context.Background(), rec, m)
	return result{msg: rec.Msg, rcode: rcode, err: err, took: time.Since(start)}
}

// who returns the TXT of who.myco.com: the name of the named that answered, or "" when the
// query failed.
func who(s *Stub) string {
	res := ask(s, "who.myco.com.", dns.TypeTXT, false)
	if res.msg == nil || len(res.msg.Answer) != 1 {
		return ""
	}
	if txt, ok := res.msg.Answer[0].(*dns.TXT); ok && len(txt.Txt) == 1 {
		return txt.Txt[0]
	}
	return ""
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// up reports which resolvers of s are in rotation, in configuration order.
func up(s *Stub) []bool {
	var ups []bool
	for _, r := range s.resolvers {
		ups = append(ups, r.up.Load())
	}
	return ups
}
