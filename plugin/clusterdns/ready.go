package clusterdns

// Ready implements ready.Readiness: ready once the first complete snapshot is published.
func (c *ClusterDNS) Ready() bool { return c.index.Snapshot().Synced }
