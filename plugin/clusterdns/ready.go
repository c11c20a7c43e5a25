package clusterdns

// Ready implements ready.Readiness: ready once the first complete snapshot of the cluster
// zone is published and the private zones have their Services. Private zones still waiting
// for Ingresses or VirtualServices answer SERVFAIL but do not hold readiness back.
func (c *ClusterDNS) Ready() bool {
	if c.index != nil && !c.index.Snapshot().Synced {
		return false
	}
	if c.mc != nil && !c.mc.Snapshot().Synced {
		return false
	}
	for _, p := range c.privates {
		if !p.Listed() {
			return false
		}
	}
	return true
}
