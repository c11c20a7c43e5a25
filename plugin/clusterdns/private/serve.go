package private

import (
	"context"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// ServeDNS implements plugin.Handler: it answers a query whose zone (the longest match among
// the block's zones) is this one. A name that does not exist goes on to Next when Fall
// says so, as the clusterdns block's other zones do.
func (z *Zone) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	state := request.Request{W: w, Req: r}
	if qt := state.QType(); qt == dns.TypeAXFR || qt == dns.TypeIXFR {
		return z.serveTransfer(state)
	}
	m := new(dns.Msg)
	m.SetReply(r)
	if !z.Ready() {
		m.Rcode = dns.RcodeServerFailure
		w.WriteMsg(m)
		return dns.RcodeSuccess, nil
	}
	res := z.Current().Lookup(state.QName(), state.QType())
	if z.cfg.Magic && res.Rcode == dns.RcodeNameError {
		res = z.magic(state.QName(), state.QType(), res)
	}
	if res.Rcode == dns.RcodeNameError && z.Fall.Through(state.Name()) {
		return plugin.NextOrFailure(z.Name(), z.Next, ctx, w, r)
	}
	m.Rcode, m.Authoritative = res.Rcode, res.Authoritative
	m.Answer, m.Ns, m.Extra = res.Answer, res.Ns, res.Extra
	m.Extra = append(m.Extra, z.nodeExtra(m.Answer)...)
	w.WriteMsg(m)
	return dns.RcodeSuccess, nil
}

// Name implements plugin.Handler: a private zone is part of the clusterdns plugin.
func (z *Zone) Name() string { return "clusterdns" }

var _ plugin.Handler = (*Zone)(nil)

// serveTransfer answers the AXFR and IXFR requests CoreDNS's transfer plugin did not take
// (it takes those of a zone it is configured for, from an allowed peer, over TCP): NOTAUTH
// for a name below the apex, as a transfer is of a whole zone asked by its name (RFC 5936
// §2.2.1), and REFUSED for the zone itself.
func (z *Zone) serveTransfer(state request.Request) (int, error) {
	if state.Name() != z.Origin() {
		m := new(dns.Msg)
		m.SetRcode(state.Req, dns.RcodeNotAuth)
		state.W.WriteMsg(m)
		return dns.RcodeSuccess, nil
	}
	return dns.RcodeRefused, nil
}
