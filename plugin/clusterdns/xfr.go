package clusterdns

import (
	"errors"
	"slices"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/zonename"

	"github.com/coredns/coredns/plugin/transfer"

	"github.com/miekg/dns"
)

// xfrBatch is the number of records sent on the transfer channel at once: the transfer
// plugin packs them into messages itself, so this only saves channel operations.
const xfrBatch = 256

var errNotSynced = errors.New("cluster zone not synced yet")

// transferCluster is the cluster zone's part of Transfer, as the kubernetes plugin's: the
// SOA, the NS records and their addresses, the Services' records (index.Snapshot.Records)
// and the SOA again, all from one snapshot. An IXFR from a serial that is not behind ours
// gets the SOA alone; from an older one the whole zone (RFC 1995 §4: there is no history to
// send differences from). Reverse zones are not transferred, as their names are made from
// the addresses asked (the kubernetes plugin would send the forward names under them). A
// zone not synced yet is an error (SERVFAIL), so a secondary never takes a partial zone.
func (c *ClusterDNS) transferCluster(zone string, serial uint32) (<-chan []dns.RR, error) {
	if c.index == nil || !slices.Contains(c.cfg.zones, zone) || zonename.IsReverse(zone) {
		return nil, transfer.ErrNotAuthoritative
	}
	snap := c.snapshot(zone)
	if !snap.Synced {
		return nil, errNotSynced
	}
	soa := c.soa(zone, snap)
	ch := make(chan []dns.RR)
	go func() {
		defer close(ch)
		ch <- []dns.RR{soa}
		if serial != 0 && !serialAfter(snap.Serial, serial) {
			return
		}
		ns, glue := c.ns(zone, zone, snap)
		ch <- append(ns, glue...)
		batch := make([]dns.RR, 0, xfrBatch)
		snap.Records(zone, c.TTL, func(rr dns.RR) {
			if batch = append(batch, rr); len(batch) == xfrBatch {
				ch <- batch
				batch = make([]dns.RR, 0, xfrBatch)
			}
		})
		ch <- append(batch, soa)
	}()
	return ch, nil
}

// serialAfter reports whether serial a is after b in RFC 1982 arithmetic.
func serialAfter(a, b uint32) bool { return a != b && a-b < 1<<31 }
