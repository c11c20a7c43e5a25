// Package zonename holds the rules about zone names that the parts of a clusterdns block
// share (the cluster zone, private zones, stub zones, the Corefile checks), so that each
// rule is written once.
package zonename

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
