package stub

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// zoneServer is an in-process authoritative server for myco.com, on UDP and TCP of one
// loopback port: the corporate resolver of the unit tests, where named would make them
// depend on an installed BIND (named stays the reference in test/integration). It answers
// from testdata/db.myco.com plus `who TXT NAME`, so a test can tell which resolver
// answered, shaped as BIND 9 shapes what these tests ask: the NS records and their glue
// with positive answers, the SOA with its TTL capped at its minimum with NXDOMAIN and
// NODATA (RFC 2308), UDP replies truncated to the client's buffer (CoreDNS's scrub). It can
// be stopped (its port then refuses, as a killed named's) and started again on its port,
// and told to answer every query with one rcode.
type zoneServer struct {
	Addr    string
	t       testing.TB
	records map[string][]dns.RR // by lowercase owner name
	ns      []dns.RR            // the apex NS set, for authority sections
	glue    []dns.RR            // addresses of the name servers
	negSOA  dns.RR
	rcode   atomic.Int32 // when not NOERROR, every reply has this rcode and no records
	mu      sync.Mutex
	servers []*dns.Server // nil while stopped
}

func startZoneServer(t testing.TB, name string) *zoneServer {
	t.Helper()
	f, err := os.Open("testdata/db.myco.com")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z := &zoneServer{t: t, records: map[string][]dns.RR{}}
	zp := dns.NewZoneParser(f, "myco.com.", f.Name())
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		z.add(rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	z.add(test.TXT(`who.myco.com. 300 IN TXT "` + name + `"`))
	for _, rr := range z.records["myco.com."] {
		switch rr := rr.(type) {
		case *dns.NS:
			z.ns = append(z.ns, rr)
			for _, a := range z.records[strings.ToLower(rr.Ns)] {
				if t := a.Header().Rrtype; t == dns.TypeA || t == dns.TypeAAAA {
					z.glue = append(z.glue, a)
				}
			}
		case *dns.SOA:
			soa := dns.Copy(rr)
			soa.Header().Ttl = min(rr.Hdr.Ttl, rr.Minttl)
			z.negSOA = soa
		}
	}
	z.Start()
	t.Cleanup(z.Stop)
	return z
}

func (z *zoneServer) add(rr dns.RR) {
	name := strings.ToLower(rr.Header().Name)
	z.records[name] = append(z.records[name], rr)
}

// Start serves on Addr (a free port the first time), UDP and TCP. The sockets are bound
// when Start returns, so queries sent then are queued, not refused.
func (z *zoneServer) Start() {
	z.t.Helper()
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.servers != nil {
		return
	}
	addr := z.Addr
	if addr == "" {
		addr = fmt.Sprintf("127.0.0.1:%d", harness.FreePort(z.t))
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		z.t.Fatal(err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		pc.Close()
		z.t.Fatal(err)
	}
	z.Addr = addr
	z.servers = []*dns.Server{{PacketConn: pc, Handler: z}, {Listener: l, Handler: z}}
	for _, s := range z.servers {
		go s.ActivateAndServe()
	}
}

// Stop closes the port.
func (z *zoneServer) Stop() {
	z.mu.Lock()
	defer z.mu.Unlock()
	for _, s := range z.servers {
		s.Shutdown()
	}
	z.servers = nil
}

func (z *zoneServer) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	switch rrs, exists := z.records[name]; {
	case z.rcode.Load() != dns.RcodeSuccess:
		m.Rcode = int(z.rcode.Load())
	case !dns.IsSubDomain("myco.com.", name):
		m.Rcode = dns.RcodeRefused
	default:
		m.Authoritative = true
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
		switch {
		case len(m.Answer) > 0:
			m.Ns, m.Extra = copies(z.ns), copies(z.glue)
		case !exists:
			m.Rcode = dns.RcodeNameError
			fallthrough
		default:
			m.Ns = []dns.RR{dns.Copy(z.negSOA)}
		}
	}
	request.NewScrubWriter(r, w).WriteMsg(m)
}

func copies(rrs []dns.RR) []dns.RR {
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
	}
	return out
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

// who returns the TXT of who.myco.com: the name of the resolver that answered, or "" when the
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
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stays polls cond for window and fails the test the first time it does not hold: for
// what must not happen, checked over time.
func stays(t testing.TB, window time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(window); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if !cond() {
			t.Fatalf("within %s: %s no longer holds", window, what)
		}
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
