package stub

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
	"time"

	"github.com/coredns/coredns/plugin/pkg/cache"
	"github.com/coredns/coredns/plugin/pkg/dnsutil"
	"github.com/coredns/coredns/plugin/pkg/response"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// staleTTL is the TTL of expired answers served while no resolver answers (RFC 8767 4).
const staleTTL = 30

// maxStaleEntries bounds a stub zone's serve_stale cache; a full cache evicts at random.
const maxStaleEntries = 10000

// staleCache keeps the last answer to each question, to be served only while no resolver
// answers: with its remaining TTL while fresh, with staleTTL for up to window past its
// expiry, then never again. A nil *staleCache (serve_stale off) keeps and serves nothing.
type staleCache struct {
	entries *cache.Cache[*staleEntry]
	window  time.Duration
	now     func() time.Time
}

type staleKey struct {
	name          string // lowercase
	qtype, qclass uint16
	do, cd        bool // DNSSEC records and unvalidated answers are other answers
}

type staleEntry struct {
	key     staleKey // entries are found by a hash of key: a collision must not answer
	msg     *dns.Msg
	stored  time.Time
	expires time.Time
}

func newStaleCache(window time.Duration) *staleCache {
	return &staleCache{entries: cache.New[*staleEntry](maxStaleEntries), window: window, now: time.Now}
}

func keyOf(state request.Request) staleKey {
	return staleKey{name: state.Name(), qtype: state.QType(), qclass: state.QClass(), do: state.Do(), cd: state.Req.CheckingDisabled}
}

func (k staleKey) hash() uint64 {
	h := fnv.New64a()
	h.Write([]byte(k.name))
	var b [6]byte
	binary.BigEndian.PutUint16(b[0:], k.qtype)
	binary.BigEndian.PutUint16(b[2:], k.qclass)
	if k.do {
		b[4] = 1
	}
	if k.cd {
		b[5] = 1
	}
	h.Write(b[:])
	return h.Sum64()
}

// add keeps a copy of a resolver's reply to state. Only whole answers and denials are kept,
// and without the records of the exchange that brought them (see perExchange).
func (c *staleCache) add(state request.Request, reply *dns.Msg) {
	if c == nil || reply.Truncated || (reply.Rcode != dns.RcodeSuccess && reply.Rcode != dns.RcodeNameError) {
		return
	}
	now := c.now()
	kind, _ := response.Typify(reply, now)
	m := reply.Copy()
	m.Extra = slices.DeleteFunc(m.Extra, perExchange)
	k := keyOf(state)
	c.entries.Add(k.hash(), &staleEntry{key: k, msg: m, stored: now, expires: now.Add(dnsutil.MinimalTTL(m, kind))})
}

// perExchange reports a record that belongs to one exchange, not to the answer: the OPT
// record (EDNS is hop by hop: it carries the buffer size, DO bit and cookies of the query
// that was forwarded, another client's) and transaction signatures. As for the cache
// plugin, the server's scrub writer gives a stale answer the OPT record of the query it
// answers.
func perExchange(rr dns.RR) bool {
	switch rr.Header().Rrtype {
	case dns.TypeOPT, dns.TypeTSIG, dns.TypeSIG:
		return true
	}
	return false
}

// answer returns the kept reply to state's question, its TTLs aged, or nil.
func (c *staleCache) answer(state request.Request) *dns.Msg {
	if c == nil {
		return nil
	}
	k := keyOf(state)
	e, ok := c.entries.Get(k.hash())
	if !ok || e.key != k {
		return nil
	}
	now := c.now()
	if now.After(e.expires.Add(c.window)) {
		c.entries.Remove(k.hash())
		return nil
	}
	m := e.msg.Copy()
	m.Id = state.Req.Id
	m.Question[0].Name = state.Req.Question[0].Name // the client's spelling
	fresh, age := now.Before(e.expires), uint32(now.Sub(e.stored)/time.Second)
	for _, section := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range section {
			if h := rr.Header(); fresh {
				h.Ttl -= min(h.Ttl, age)
			} else {
				h.Ttl = staleTTL
			}
		}
	}
	return m
}
