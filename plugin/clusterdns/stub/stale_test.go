package stub

import (
	"slices"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

func question(name string, qtype uint16, do bool) request.Request {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if do {
		m.SetEdns0(1232, true)
	}
	return request.Request{W: &test.ResponseWriter{}, Req: m}
}

func reply(state request.Request, rcode int, answer, ns []dns.RR) *dns.Msg {
	m := new(dns.Msg)
	m.SetRcode(state.Req, rcode)
	m.Answer, m.Ns = answer, ns
	m.SetEdns0(1232, false)
	return m
}

func TestStaleCache(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	c := newStaleCache(time.Hour)
	c.now = func() time.Time { return now }

	db := question("database.myco.com.", dns.TypeA, false)
	c.add(db, reply(db, dns.RcodeSuccess,
		[]dns.RR{test.A("database.myco.com. 300 IN A 10.1.0.10")}, []dns.RR{test.NS("myco.com. 600 IN NS ns1.myco.com.")}))
	missing := question("missing.myco.com.", dns.TypeA, false)
	c.add(missing, reply(missing, dns.RcodeNameError,
		nil, []dns.RR{test.SOA("myco.com. 60 IN SOA ns1.myco.com. hostmaster.myco.com. 1 7200 1800 86400 60")}))
	failed := question("failed.myco.com.", dns.TypeA, false)
	c.add(failed, reply(failed, dns.RcodeServerFailure, nil, nil))
	big := question("big.myco.com.", dns.TypeA, false)
	truncated := reply(big, dns.RcodeSuccess, nil, nil)
	truncated.Truncated = true
	c.add(big, truncated)

	tests := []struct {
		at    time.Duration // after the answers were kept
		state request.Request
		ttls  []uint32 // of the answer and authority records; nil: no answer
	}{
		{0, db, []uint32{300, 600}},
		{100 * time.Second, db, []uint32{200, 500}}, // fresh: counts down
		{299 * time.Second, db, []uint32{1, 301}},
		{300 * time.Second, db, []uint32{staleTTL, staleTTL}}, // expired: stale
		{time.Hour + 300*time.Second, db, []uint32{staleTTL, staleTTL}},
		{time.Hour + 301*time.Second, db, nil}, // past serve_stale
		{20 * time.Second, missing, []uint32{40}},
		{2 * time.Hour, missing, nil},
		{0, failed, nil},
		{0, big, nil},
		{0, question("database.myco.com.", dns.TypeAAAA, false), nil},
		{0, question("database.myco.com.", dns.TypeA, true), nil}, // DO bit: another answer
		{0, question("other.myco.com.", dns.TypeA, false), nil},
	}
	start := now
	for _, tt := range tests {
		now = start.Add(tt.at)
		m := c.answer(tt.state)
		if m == nil {
			if tt.ttls != nil {
				t.Errorf("%s %s after %v: no answer", tt.state.Name(), tt.state.Type(), tt.at)
			}
			continue
		}
		if tt.ttls == nil {
			t.Errorf("%s %s after %v: want no answer, got %v", tt.state.Name(), tt.state.Type(), tt.at, m)
			continue
		}
		var ttls []uint32
		for _, rr := range slices.Concat(m.Answer, m.Ns) {
			ttls = append(ttls, rr.Header().Ttl)
		}
		if !slices.Equal(ttls, tt.ttls) {
			t.Errorf("%s %s after %v: TTLs %v, want %v", tt.state.Name(), tt.state.Type(), tt.at, ttls, tt.ttls)
		}
		if opt := m.IsEdns0(); opt == nil || opt.UDPSize() != 1232 || opt.Do() {
			t.Errorf("%s: the OPT record was changed: %v", tt.state.Name(), opt)
		}
	}
}

// A stale answer carries the client's ID and spelling, and serving it leaves the kept copy
// unchanged.
func TestStaleAnswerIsACopy(t *testing.T) {
	c := newStaleCache(time.Hour)
	db := question("database.myco.com.", dns.TypeA, false)
	c.add(db, reply(db, dns.RcodeSuccess, []dns.RR{test.A("database.myco.com. 300 IN A 10.1.0.10")}, nil))

	again := question("DataBase.MyCo.com.", dns.TypeA, false)
	again.Req.Id = 4242
	m := c.answer(again)
	if m == nil || m.Id != 4242 || m.Question[0].Name != "DataBase.MyCo.com." {
		t.Fatalf("want the client's ID and name, got %v", m)
	}
	m.Answer[0].Header().Ttl = 1
	if m := c.answer(db); m.Answer[0].Header().Ttl == 1 {
		t.Error("serving an answer changed the kept copy")
	}
}
