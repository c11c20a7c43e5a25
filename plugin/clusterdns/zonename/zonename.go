// Package zonename holds the rules about zone names that the parts of a clusterdns block
// share (the cluster zone, private zones, stub zones, the Corefile checks), so that each
// rule is written once.
package zonename

import (
	"github.com/coredns/coredns/plugin/pkg/dnsutil"

	"github.com/miekg/dns"
)

// Match returns the longest of zones that name (lowercase, fully qualified) is in, or "".
// It is plugin.Zones.Matches without the allocations of dns.Split: it runs per query.
func Match(zones []string, name string) string {
	best := ""
	for _, z := range zones {
		if len(z) <= len(best) || len(z) > len(name) || name[len(name)-len(z):] != z {
			continue
		}
		if len(z) == len(name) || z == "." || name[len(name)-len(z)-1] == '.' {
			best = z
		}
	}
	return best
}

// IsReverse reports whether zone (fully qualified) is in the reverse tree: in-addr.arpa.,
// ip6.arpa. or below. (dnsutil.IsReverse needs a label below them, so it says no for the
// usual zone "in-addr.arpa." itself.)
func IsReverse(zone string) bool {
	return dnsutil.IsReverse("x."+zone) > 0
}

// Overlap reports whether two zones are equal or one holds the other: then which of two
// parts of a block would answer a name is a trap.
func Overlap(a, b string) bool {
	return dns.IsSubDomain(a, b) || dns.IsSubDomain(b, a)
}
