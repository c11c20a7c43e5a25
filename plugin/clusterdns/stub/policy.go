package stub

import (
	"math/rand/v2"
	"sync/atomic"
)

// order returns the healthy resolvers in the order a query tries them. Resolvers that are
// down are left out: while all are down a query tries none (no storm of queries to dead
// resolvers), and each comes back when its probe succeeds.
type order struct {
	policy Policy
	robin  atomic.Uint32
}

func (o *order) healthy(all []*resolver) []*resolver {
	var up []*resolver // nil while all are down: failing fast allocates nothing
	for _, r := range all {
		if r.up.Load() {
			up = append(up, r)
		}
	}
	if len(up) < 2 {
		return up
	}
	switch o.policy {
	case RoundRobin:
		first := int((o.robin.Add(1) - 1) % uint32(len(up)))
		rotated := make([]*resolver, 0, len(up))
		return append(append(rotated, up[first:]...), up[:first]...)
	case Random:
		rand.Shuffle(len(up), func(i, j int) { up[i], up[j] = up[j], up[i] })
	}
	return up
}
