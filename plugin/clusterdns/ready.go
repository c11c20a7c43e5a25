package clusterdns

// Ready implements ready.Readiness: ready once the first complete snapshot of the cluster
// zone is published and every private zone has read its sources.
func (c *ClusterDNS) Ready() bool {
	if c.index != nil && !c.index.Snapshot().Synced {
		return false
	}
	for _, p := range c.privates {
		if !p.Ready() {
			return false
		}
	}
	return true
}
