package stub

import (
	"context"
	"strconv"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/explain"

	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// Explain asks the zone's resolvers as a client's query would (healthy ones, in policy
// order) and names the one whose reply it is. The reply is not cached for serve_stale: it
// was asked for a person, not a client.
func (s *Stub) Explain(ctx context.Context, qname string, qtype uint16) explain.Answer {
	a := explain.Answer{Name: qname, Type: dns.TypeToString[qtype], Zone: s.zone, Kind: "stub"}
	if a.Type == "" {
		a.Type = "TYPE" + strconv.Itoa(int(qtype))
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(qname), qtype)
	reply, from, err := s.resolve(ctx, request.Request{W: probeWriter{}, Req: m})
	if reply == nil {
		a.Rcode = dns.RcodeToString[dns.RcodeServerFailure]
		a.Note = "no resolver answered: " + err.Error()
		if s.stale != nil {
			a.Note += " (clients get a stale answer if one is kept)"
		}
		return a
	}
	a.Rcode = dns.RcodeToString[reply.Rcode]
	for _, sec := range []struct {
		name string
		rrs  []dns.RR
	}{{"answer", reply.Answer}, {"authority", reply.Ns}} {
		for _, rr := range sec.rrs {
			a.Records = append(a.Records, explain.Record{RR: rr.String(), Section: sec.name, Source: "stub " + from})
		}
	}
	if len(a.Records) == 0 {
		a.Note = "answered by stub " + from
	}
	return a
}
