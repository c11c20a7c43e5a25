package private

import (
	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// claimConflicts is a gauge, not a counter: a conflict is a state that lasts as long as
// both objects do, and what an operator alerts on is "a name is contested now" (> 0), which
// falls back to 0 once the loser is fixed. Zones are rebuilt on every change, so a counter
// would count rebuilds; the log says when each conflict first appeared. The view label
// keeps the pods' (inside) and the peered view of one zone from overwriting each other.
var claimConflicts = promauto.NewGaugeVec(prometheus.GaugeOpts{
	Namespace: plugin.Namespace, Subsystem: "clusterdns", Name: "claims_conflicts",
	Help: "Claims on a private zone's names currently ignored because an older object or the zone file holds the name, by zone and view.",
}, []string{"zone", "view"})

func (c *Config) viewLabel() string {
	if c.Inside {
		return "inside"
	}
	return "outside"
}
