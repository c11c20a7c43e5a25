package stub

import (
	"slices"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/pkg/dnstest"
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
		if opt := m.IsEdns0(); opt != nil {
			t.Errorf("%s: the OPT record of the resolver's reply was kept: %v", tt.state.Name(), opt)
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

// withCookie adds an OPT record with an EDNS cookie to m.
func withCookie(m *dns.Msg, size uint16, cookie string) *dns.Msg {
	opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	opt.SetUDPSize(size)
	opt.Option = append(opt.Option, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: cookie})
	m.Extra = append(m.Extra, opt)
	return m
}

// A stale answer carries the OPT record of the query it answers, never that of the query
// that brought it (another client's buffer size and cookie): the cache keeps no OPT record
// nor transaction signature, and the server's scrub writer gives the reply the client's, as
// for the cache plugin's answers.
func TestStaleAnswerTakesTheClientsOPT(t *testing.T) {
	c := newStaleCache(time.Hour)
	first := new(dns.Msg)
	first.SetQuestion("database.myco.com.", dns.TypeA)
	withCookie(first, 1232, "0102030405060708")
	kept := new(dns.Msg)
	kept.SetReply(first)
	kept.Answer = []dns.RR{test.A("database.myco.com. 300 IN A 10.1.0.10")}
	withCookie(kept, 4096, "0102030405060708aabbccddeeff0011")
	kept.SetTsig("key.", dns.HmacSHA256, 300, time.Now().Unix())
	c.add(request.Request{W: &test.ResponseWriter{}, Req: first}, kept)

	tests := []struct {
		name   string
		cookie string // the client's; "": a query without EDNS
	}{
		{"a client without EDNS", ""},
		{"a client with its own cookie", "ffffffffffffffff"},
	}
	for _, tt := range tests {
		q := new(dns.Msg)
		q.SetQuestion("database.myco.com.", dns.TypeA)
		if tt.cookie != "" {
			withCookie(q, 1232, tt.cookie)
		}
		m := c.answer(request.Request{W: &test.ResponseWriter{}, Req: q})
		if m == nil {
			t.Fatalf("%s: no stale answer", tt.name)
		}
		if len(m.Extra) != 0 {
			t.Errorf("%s: the kept reply's additional records were kept: %v", tt.name, m.Extra)
		}
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		if err := request.NewScrubWriter(q, rec).WriteMsg(m); err != nil {
			t.Fatal(err)
		}
		opt := rec.Msg.IsEdns0()
		if tt.cookie == "" {
			if opt != nil {
				t.Errorf("%s: the reply carries an OPT record: %v", tt.name, opt)
			}
			continue
		}
		if opt == nil || opt.UDPSize() != 1232 {
			t.Errorf("%s: want the client's OPT record, got %v", tt.name, opt)
			continue
		}
		for _, o := range opt.Option {
			if cookie, ok := o.(*dns.EDNS0_COOKIE); ok && cookie.Cookie != tt.cookie {
				t.Errorf("%s: the reply carries the cookie %s, not the client's", tt.name, cookie.Cookie)
			}
		}
	}
}
