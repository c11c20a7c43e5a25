// Package clusterdns serves the Kubernetes cluster zone from a precomputed index: every
// answer is built when informer events arrive, and a query is one lookup in an immutable
// snapshot.
//
// This package holds setup (parse and wire), dispatch (ServeDNS hands a query to the stub
// zone, private zone or cluster zone it belongs to), the cluster-zone lookup, the sources
// shared by blocks, metrics, readiness, and what other plugins ask of the cluster zone:
// transfers (xfr.go), metadata keys (metadata.go) and autopath's search path
// (autopath.go). Private zones are served by package private (transfers through CoreDNS's
// transfer plugin), stub zones by package stub.
package clusterdns

import (
	"context"
	"slices"
	"sync"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/index"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/peer"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/private"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/stub"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zonename"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/fall"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

const name = "clusterdns"

// Upstreamer resolves CNAME targets outside the cluster zone (plugin/pkg/upstream).
type Upstreamer interface {
	Lookup(ctx context.Context, state request.Request, name string, typ uint16) (*dns.Msg, error)
}

// ClusterDNS is the handler of one clusterdns block.
type ClusterDNS struct {
	Next     plugin.Handler
	Zones    []string // lowercase, fully qualified; forward and reverse
	Fall     fall.F
	TTL      uint32
	Upstream Upstreamer
	// ClientPod finds a client's pod for autopath and the client metadata keys; set from
	// the pod index with pods verified, nil otherwise.
	ClientPod ClientPod

	index    *index.Index // nil when the block serves no cluster zone
	mc       *index.Index // the multicluster zones' names; nil when the block has none
	pods     *model.Pods  // set with pods verified
	privates map[string]*private.Zone
	stubs    *stub.Set
	cfg      *config
	soaNames map[string]zoneNames // by configured zone, built once
	stopOnce sync.Once
	acquired bool // holds a reference to a shared source

	peers *peer.Set // the peer option's zone; nil without peers

	unexplain func() // takes the block off the explain endpoint; nil when not on it
}

// ServeDNS implements plugin.Handler.
func (c *ClusterDNS) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	state := request.Request{W: w, Req: r}
	zone := zonename.Match(c.Zones, state.Name())
	if s, sz := c.stubs.Match(state.Name()); s != nil && len(sz) >= len(zone) {
		return s.ServeDNS(ctx, w, r)
	}
	if zone == "" {
		if c.index == nil && !c.Fall.Through(state.Name()) {
			// a block without cluster zones is the peered clients' view: it answers for its
			// own zones and nothing else, so it is never an open resolver
			return dns.RcodeRefused, nil
		}
		return plugin.NextOrFailure(c.Name(), c.Next, ctx, w, r)
	}
	if p := c.privates[zone]; p != nil {
		return p.ServeDNS(ctx, w, r)
	}
	if t := state.QType(); t == dns.TypeAXFR || t == dns.TypeIXFR {
		return dns.RcodeRefused, nil
	}
	m := c.answer(ctx, state, zone, c.snapshot(zone))
	if m.Rcode == dns.RcodeNameError && c.Fall.Through(state.Name()) {
		return plugin.NextOrFailure(c.Name(), c.Next, ctx, w, r)
	}
	w.WriteMsg(m)
	return dns.RcodeSuccess, nil
}

// snapshot returns the Snapshot that answers zone: for a multicluster zone the multicluster
// index's, which has no name servers of its own (see lookup.go's ns).
func (c *ClusterDNS) snapshot(zone string) *index.Snapshot {
	if c.peers != nil && zone == c.peers.Zone {
		return c.peers.Snapshot() // the peers' names over the multicluster zone's, if it is one
	}
	if c.mc == nil || !slices.Contains(c.cfg.mcZones, zone) {
		return c.index.Snapshot()
	}
	return c.mc.Snapshot()
}

// Transfer implements transfer.Transferer: CoreDNS's transfer plugin serves AXFR and IXFR
// of the block's private zones and of its forward cluster zones (xfr.go).
func (c *ClusterDNS) Transfer(zone string, serial uint32) (<-chan []dns.RR, error) {
	if p := c.privates[zone]; p != nil {
		return p.Transfer(zone, serial)
	}
	return c.transferCluster(zone, serial)
}

// Name implements plugin.Handler.
func (c *ClusterDNS) Name() string { return name }
