package private

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

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
	if res.Rcode == dns.RcodeNameError && z.Fall.Through(state.Name()) {
		return plugin.NextOrFailure(z.Name(), z.Next, ctx, w, r)
	}
	m.Rcode, m.Authoritative = res.Rcode, res.Authoritative
	m.Answer, m.Ns, m.Extra = res.Answer, res.Ns, res.Extra
	w.WriteMsg(m)
	return dns.RcodeSuccess, nil
}

// Name implements plugin.Handler: a private zone is part of the clusterdns plugin.
func (z *Zone) Name() string { return "clusterdns" }

var _ plugin.Handler = (*Zone)(nil)

func (z *Zone) serveTransfer(state request.Request) (int, error) {
	qt := state.QType()
	if !transferAllowed(z.cfg.TransferTo, state.IP()) || !z.Ready() {
		return dns.RcodeRefused, nil
	}
	if state.Name() != z.Origin() {
		// a transfer is of a whole zone, asked by its name (RFC 5936 §2.2.1)
		m := new(dns.Msg)
		m.SetRcode(state.Req, dns.RcodeNotAuth)
		state.W.WriteMsg(m)
		return dns.RcodeSuccess, nil
	}
	records := z.Current().Records()
	if state.Proto() != "tcp" {
		if qt == dns.TypeAXFR {
			return dns.RcodeRefused, nil
		}
		// IXFR over UDP: the SOA alone tells the client to come back over TCP (RFC 1995 §2)
		m := new(dns.Msg)
		m.SetReply(state.Req)
		m.Authoritative = true
		m.Answer = records[:1]
		state.W.WriteMsg(m)
		return dns.RcodeSuccess, nil
	}
	return transfer(state, records)
}

// transfer writes a whole zone (AXFR; IXFR is answered the same way, RFC 1995 §4).
// records starts with the SOA, which also ends the transfer.
func transfer(state request.Request, records []dns.RR) (int, error) {
	ch := make(chan *dns.Envelope)
	tr := new(dns.Transfer)
	errc := make(chan error, 1)
	go func() { errc <- tr.Out(state.W, state.Req, ch) }()
	send := func(rrs []dns.RR) error {
		select {
		case ch <- &dns.Envelope{RR: rrs}:
			return nil
		case err := <-errc: // the peer went away: stop producing
			return err
		}
	}
	var batch []dns.RR
	size := 0
	for _, rr := range append(slices.Clone(records), records[0]) {
		// a message must stay under 64 KiB; the presentation form is longer than the wire form
		n := len(rr.String())
		if size+n > transferBatch && len(batch) > 0 {
			if err := send(batch); err != nil {
				close(ch)
				return dns.RcodeServerFailure, err
			}
			batch, size = nil, 0
		}
		batch = append(batch, rr)
		size += n
	}
	err := send(batch)
	close(ch)
	if err == nil {
		err = <-errc
	}
	if err != nil {
		return dns.RcodeServerFailure, err
	}
	state.W.Hijack()
	return dns.RcodeSuccess, nil
}

// transferBatch bounds the records of one transfer message, in characters of their text form.
const transferBatch = 16 << 10

// transferAllowed reports whether a peer (its IP as request.Request.IP gives it) may
// transfer a zone: listed by address, or "*".
func transferAllowed(to []string, peer string) bool {
	ip, err := netip.ParseAddr(peer)
	for _, t := range to {
		if t == "*" {
			return true
		}
		if ap, perr := netip.ParseAddrPort(t); err == nil && perr == nil && ap.Addr() == ip.Unmap() {
			return true
		}
	}
	return false
}

// notify tells the transfer peers of the zone that it changed (RFC 1996), trying each up
// to three times as §3.6 asks. It does not wait: a peer that misses every try picks the
// change up at its next SOA refresh.
func (z *Zone) notify() {
	zone := z.cfg.Zone
	for _, t := range z.cfg.TransferTo {
		if t == "*" {
			continue
		}
		go func() {
			m := new(dns.Msg)
			m.SetNotify(zone)
			c := &dns.Client{Timeout: 2 * time.Second}
			var err error
			for range 3 {
				var r *dns.Msg
				if r, _, err = c.Exchange(m, t); err == nil && r.Rcode == dns.RcodeSuccess {
					return
				} else if err == nil {
					err = fmt.Errorf("answered %s", dns.RcodeToString[r.Rcode])
				}
			}
			z.logf("NOTIFY %s to %s: %v", zone, t, err)
		}()
	}
}
