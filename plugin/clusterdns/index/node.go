// Package index turns the model of one source into the answers of one clusterdns block,
// kept as an immutable Snapshot that queries read without locks. Every change rebuilds only
// the names of the Services it touches.
package index

import (
	"iter"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/pmap"
)

// Node is everything a name answers. A Node with no data exists (NODATA), a name without
// a Node does not (NXDOMAIN).
type Node struct {
	A, AAAA []net.IP // shared by every reply: never modified
	SRV     []SRV
	Extra   []Addr // addresses of SRV targets, for the additional section
	*Rare          // nil for all but a few names: keeps the common Node small
	// entry is set on the name of a Service: the names below it (_port._proto and
	// endpoint names) are answered from it when asked, not stored one by one.
	entry *svcEntry
}

// Rare holds what few names have.
type Rare struct {
	CNAME string // ExternalName target, fully qualified
	TXT   string
	// PTR holds the fully qualified targets of a reverse name: made per query (Reverse),
	// never stored, so no stored Node carries their slice (a Node of 144 bytes is one of 112).
	PTR []string
}

// Empty is the Node of names that exist without records (empty non-terminals, namespaces).
var Empty = &Node{}

// CNAMETarget returns the ExternalName target, or "".
func (n *Node) CNAMETarget() string {
	if n.Rare == nil {
		return ""
	}
	return n.CNAME
}

// PTRs returns the PTR targets, or nil.
func (n *Node) PTRs() []string {
	if n.Rare == nil {
		return nil
	}
	return n.PTR
}

// Text returns the TXT data, or "".
func (n *Node) Text() string {
	if n.Rare == nil {
		return ""
	}
	return n.TXT
}

// SRV is one SRV record. Target is relative to the zone and ends in a dot
// ("web.default.svc."), so it can be completed with whichever zone the query used.
type SRV struct {
	Port, Weight uint16
	Target       string
}

// Addr is an address record for an SRV target (relative, as SRV.Target).
type Addr struct {
	Target string
	IP     net.IP
}

// Snapshot is one published state. It is never modified.
type Snapshot struct {
	// Names holds forward names relative to the zone without a trailing dot
	// ("web.default.svc"): Services, namespaces and the fixed names of the zone.
	Names *pmap.Map[*Node]
	// Owners holds who claims each address (keyed by its 4 or 16 bytes), for PTR records
	// and NS addresses.
	Owners *pmap.Map[Owners]
	// PTRZone completes PTR targets (the block's first forward zone).
	PTRZone string
	// NS holds the addresses of the name servers of the zone (relative owner names).
	NS     []Addr
	Serial uint32
	Synced bool
}

// Owner is a Service's claim on an address: its ClusterIP, or one of its endpoints.
type Owner struct {
	entry *svcEntry
	// ep is the endpoint; nil for a ClusterIP. Its label is made when a PTR query asks
	// (endpointLabel), not kept: most endpoints are named by their address, and a label
	// string per address was a fifth of what reverse names cost.
	ep *model.Endpoint
}

// label returns the owner's endpoint label, "" for a ClusterIP. Reverse names are not
// built for multicluster zones, so an owner's endpoint has no source cluster.
func (o Owner) label(buf *[64]byte, ip netip.Addr) string {
	if o.ep == nil {
		return ""
	}
	return o.entry.endpointLabel(buf, o.ep, ip, "")
}

// Owners is who claims one address. It is nearly always one Service: that claim is kept
// inline in the map's entry, not in a slice of its own (one allocation per address less).
// The zero value has no owner.
type Owners struct {
	first Owner
	more  *[]Owner // the claims after first, in the rare case of several
}

// Len returns the number of claims.
func (os Owners) Len() int {
	switch {
	case os.first.entry == nil:
		return 0
	case os.more == nil:
		return 1
	}
	return 1 + len(*os.more)
}

// All returns the claims.
func (os Owners) All() iter.Seq[Owner] {
	return func(yield func(Owner) bool) {
		if os.first.entry == nil || !yield(os.first) {
			return
		}
		if os.more != nil {
			for _, o := range *os.more {
				if !yield(o) {
					return
				}
			}
		}
	}
}

// with returns the claims and o.
func (os Owners) with(o Owner) Owners {
	if os.first.entry == nil {
		return Owners{first: o}
	}
	var more []Owner
	if os.more != nil {
		more = slices.Clip(*os.more)
	}
	more = append(more, o)
	return Owners{first: os.first, more: &more}
}

// without returns the claims that are not the named Service's.
func (os Owners) without(service string) Owners {
	var out Owners
	for o := range os.All() {
		if o.entry.Name != service {
			out = out.with(o)
		}
	}
	return out
}

// Get returns the stored Node of a name, or nil.
func (s *Snapshot) Get(name string) *Node {
	n, _ := s.Names.Get(name)
	return n
}

// Lookup returns the Node of a name relative to the zone, or nil: a stored name, or a
// name one label (endpoint, _proto) or two labels (_port._proto) below a Service.
func (s *Snapshot) Lookup(rel string) *Node {
	if n, ok := s.Names.Get(rel); ok {
		return n
	}
	first, rest, ok := strings.Cut(rel, ".")
	if !ok {
		return nil
	}
	if svc := s.service(rest); svc != nil {
		return svc.below(first)
	}
	second, base, ok := strings.Cut(rest, ".")
	if !ok {
		return nil
	}
	if n, _ := s.Names.Get(base); n != nil && n.entry != nil {
		svc := n.entry
		if svc.opts.MultiCluster && !strings.HasPrefix(first, "_") && !strings.HasPrefix(second, "_") {
			return svc.below(rel[:len(first)+1+len(second)]) // endpoint.cluster, as the kubernetes plugin's parseRequest
		}
		return svc.port(n, strings.TrimPrefix(first, "_"), strings.TrimPrefix(second, "_"))
	}
	return nil
}

// Zonal returns the Node of a zone-scoped name relative to the zone, or nil: with the
// kubernetes plugin's zonal option, ZONE.pin._zone.SERVICE.NS.svc has the addresses (and
// SRV records) of a headless Service's endpoints in topology zone ZONE, which may span
// labels; .prefer. falls back to all endpoints when none is there. Such names are made
// per query, from the Service's entry, rather than stored: the zones are unbounded.
func (s *Snapshot) Zonal(rel string) *Node {
	labels := strings.Split(rel, ".")
	n := len(labels)
	if n < 6 || labels[n-1] != "svc" || labels[n-4] != "_zone" {
		return nil
	}
	var prefer bool
	switch labels[n-5] {
	case "pin":
	case "prefer":
		prefer = true
	default:
		return nil // an unknown directive is too long a name, as in the plugin
	}
	svc := s.service(strings.Join(labels[n-3:], "."))
	if svc == nil || !svc.opts.Zonal || !svc.svc.Headless {
		return nil // zone-scoped names are defined for headless Services only
	}
	return svc.zonal(strings.Join(labels[:n-5], "."), prefer)
}

func (s *Snapshot) service(name string) *svcEntry {
	if n, _ := s.Names.Get(name); n != nil {
		return n.entry
	}
	return nil
}

// Reverse returns the Node of a reverse name (lowercase, fully qualified), or nil. A
// ClusterIP answers with its Service's name only; an endpoint address with every
// endpoint name it has, as CoreDNS's serviceRecordForIP.
func (s *Snapshot) Reverse(name string) *Node {
	ip, ok := addrFromReverse(name)
	if !ok || s.Owners == nil {
		return nil
	}
	owners := s.ownersOf(ip)
	if owners.Len() == 0 {
		return nil
	}
	var service string
	var targets []string
	var buf [64]byte
	for o := range owners.All() {
		if o.ep == nil {
			if t := o.entry.Name + "."; service == "" || t < service {
				service = t
			}
			continue
		}
		targets = append(targets, o.label(&buf, ip)+"."+o.entry.Name+"."+s.PTRZone)
	}
	if service != "" {
		return &Node{Rare: &Rare{PTR: []string{service + s.PTRZone}}}
	}
	slices.Sort(targets)
	return &Node{Rare: &Rare{PTR: slices.Compact(targets)}}
}

func (s *Snapshot) ownersOf(ip netip.Addr) Owners {
	var buf [16]byte
	o, _ := s.Owners.Get(string(buf[:addrBytes(&buf, ip)])) // converted on the stack
	return o
}

// addrBytes writes the key of an address in Owners, its 4 or 16 bytes, into buf and
// returns its length.
func addrBytes(buf *[16]byte, ip netip.Addr) int {
	if ip.Is4() {
		b := ip.As4()
		return copy(buf[:], b[:])
	}
	*buf = ip.As16()
	return 16
}

func addrKey(ip netip.Addr) string {
	var buf [16]byte
	return string(buf[:addrBytes(&buf, ip)])
}
