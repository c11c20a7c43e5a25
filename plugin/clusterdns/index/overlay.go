package index

import (
	"net"
	"net/netip"
	"slices"
)

// Overlay returns a Snapshot that answers base's names and those of extra (relative names,
// as Names holds them). A name in both answers the records of both, base's first: the peer
// option adds peer clusters' exported Services to a multicluster zone's ServiceImports, the
// local cluster's answers before the peers'. The names below a Service of base (its ports
// and endpoints) keep being answered from base.
func Overlay(base *Snapshot, extra map[string]*Node, serial uint32) *Snapshot {
	tx := base.Names.Txn()
	for name, n := range extra {
		if b := base.Lookup(name); b != nil {
			n = merge(b, n)
		}
		tx.Set(name, n)
	}
	return &Snapshot{Names: tx.Commit(), Owners: base.Owners, PTRZone: base.PTRZone, NS: base.NS,
		Serial: max(base.Serial, serial), Synced: base.Synced}
}

// merge returns the records of a then b, each once, keeping a's ExternalName, TXT and
// Service entry.
func merge(a, b *Node) *Node {
	if b == Empty {
		return a
	}
	if a == Empty {
		return b
	}
	n := &Node{Rare: a.Rare, entry: a.entry} // Rare holds the PTR targets too
	n.A = appendNew(slices.Clone(a.A), b.A, net.IP.Equal)
	n.AAAA = appendNew(slices.Clone(a.AAAA), b.AAAA, net.IP.Equal)
	n.SRV = appendNew(slices.Clone(a.SRV), b.SRV, func(x, y SRV) bool { return x.Port == y.Port && x.Target == y.Target })
	n.Extra = appendNew(slices.Clone(a.Extra), b.Extra, func(x, y Addr) bool { return x.Target == y.Target && x.IP.Equal(y.IP) })
	return n
}

func appendNew[T any, S ~[]T](to, from S, eq func(T, T) bool) S {
	for _, x := range from {
		if !slices.ContainsFunc(to, func(y T) bool { return eq(x, y) }) {
			to = append(to, x)
		}
	}
	return to
}

// EndpointLabel is the label of an endpoint without a name of its own, made from its
// address as the cluster zone names it (10-0-0-1).
func EndpointLabel(ip netip.Addr) string { return string(appendLabel(nil, ip)) }
