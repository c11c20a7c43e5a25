package private

import (
	"errors"
	"reflect"

	"github.com/coredns/coredns/plugin/transfer"

	"github.com/miekg/dns"
)

// Transfer implements transfer.Transferer: the zone as it is now (AXFR), or its SOA alone
// when the peer's serial (IXFR, serial > 0) is not behind ours. IXFR is otherwise answered
// with the whole zone, which RFC 1995 §4 allows. A zone whose sources are not listed yet is
// an error (SERVFAIL): a secondary must not take it for the whole zone.
func (z *Zone) Transfer(zone string, serial uint32) (<-chan []dns.RR, error) {
	if zone != z.Origin() {
		return nil, transfer.ErrNotAuthoritative
	}
	if !z.Ready() {
		return nil, errNotReady
	}
	records := z.Current().Records() // the SOA first
	soa := records[0]
	ch := make(chan []dns.RR, 3)
	if serial != 0 && !serialAfter(soa.(*dns.SOA).Serial, serial) {
		ch <- []dns.RR{soa}
	} else {
		ch <- records
		ch <- []dns.RR{soa} // the SOA again ends the transfer
	}
	close(ch)
	return ch, nil
}

var errNotReady = errors.New("zone not complete: its cluster sources are not listed yet")

// notifier tells the zone's peers of changes through the transfer plugin (RFC 1996, three
// tries per peer), one round at a time: changes that arrive during a round are told in
// one more round, as a NOTIFY only says "ask for my SOA".
func (z *Zone) notifier() {
	for {
		select {
		case <-z.stop:
			return
		case <-z.notifyc:
			result := "sent"
			err := z.Xfer.Notify(z.cfg.Zone)
			if err != nil {
				result = "failed"
			}
			zoneNotifies.WithLabelValues(z.cfg.Zone, z.cfg.viewLabel(), result).Inc()
			if err != nil {
				z.logf("private zone %s: %v; the peers pick the change up at their next SOA refresh", z.cfg.Zone, err)
			}
		}
	}
}

// peers returns the addresses the transfer plugin notifies of changes to zone: the "to"
// list of its transfer block with the longest zone that holds zone, as its Notify chooses
// it, without "*".
//
// The transfer plugin keeps its blocks unexported, and the zone needs their addresses to
// ask the peers' serial before it publishes its first one (see peerSerial). They are read
// with reflection, which reads and never writes; TestPeers builds a transfer plugin from a
// Corefile and fails if CoreDNS's fields change, and here a change gives no peers (the
// serial then starts from the file and the clock, as without peers) rather than a panic.
func peers(t *transfer.Transfer, zone string) []string {
	if t == nil {
		return nil
	}
	xfrs := reflect.ValueOf(t).Elem().FieldByName("xfrs")
	if xfrs.Kind() != reflect.Slice {
		return nil
	}
	var best reflect.Value
	longest := -1
	for i := range xfrs.Len() {
		x := xfrs.Index(i)
		if x.Kind() != reflect.Pointer || x.Elem().Kind() != reflect.Struct {
			return nil
		}
		zones := x.Elem().FieldByName("Zones")
		if zones.Kind() != reflect.Slice {
			return nil
		}
		for j := range zones.Len() {
			if z := zones.Index(j).String(); len(z) > longest && dns.IsSubDomain(z, zone) {
				best, longest = x.Elem(), len(z)
			}
		}
	}
	if longest < 0 {
		return nil
	}
	to := best.FieldByName("to")
	if to.Kind() != reflect.Slice {
		return nil
	}
	var out []string
	for i := range to.Len() {
		if a := to.Index(i).String(); a != "*" {
			out = append(out, a)
		}
	}
	return out
}
