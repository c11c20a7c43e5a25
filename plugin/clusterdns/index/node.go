// Package index turns the model of one source into the answers of one clusterdns block,
// kept as an immutable Snapshot that queries read without locks. Every change rebuilds only
// the names of the Services it touches.
package index

import (
	"net"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/pmap"
)

// Node is everything a name answers. A Node with no data exists (NODATA), a name without
// a Node does not (NXDOMAIN).
type Node struct {
	A, AAAA []net.IP // shared by every reply: never modified
	SRV     []SRV
	Extra   []Addr   // addresses of SRV targets, for the additional section
	PTR     []string // fully qualified targets
	*Rare            // nil for all but a few names: keeps the common Node small
}

// Rare holds what few names have.
type Rare struct {
	CNAME string // ExternalName target, fully qualified
	TXT   string
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
	// ("web.default.svc"), and reverse names fully qualified ("1.0.96.10.in-addr.arpa.").
	Names *pmap.Map[*Node]
	// NS holds the addresses of the name servers of the zone (relative owner names).
	NS     []Addr
	Serial uint32
	Synced bool
}

// Get returns the Node of a name, or nil.
func (s *Snapshot) Get(name string) *Node {
	n, _ := s.Names.Get(name)
	return n
}
