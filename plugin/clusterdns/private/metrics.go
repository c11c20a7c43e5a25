package private

import (
	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The private zones' metrics carry the labels of claims_conflicts (conflicts.go): the zone
// and the view, so that the pods' (inside) and the peered view of one zone stay apart.
var (
	zoneRecords = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: "clusterdns", Name: "private_zone_records",
		Help: "Records the private zone serves now (the file's and the cluster's, SOA included).",
	}, []string{"zone", "view"})
	zoneSerial = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: "clusterdns", Name: "private_zone_serial",
		Help: "The SOA serial the private zone serves now.",
	}, []string{"zone", "view"})
	zoneRebuilds = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: "clusterdns", Name: "private_zone_rebuilds_total",
		Help: "Rebuilds of the private zone after a change of its file or of the cluster, whether or not its records changed.",
	}, []string{"zone", "view"})
	zoneRebuildDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: plugin.Namespace, Subsystem: "clusterdns", Name: "private_zone_rebuild_duration_seconds",
		Help:    "Time to merge the private zone's file and the cluster's claims and publish the result.",
		Buckets: prometheus.ExponentialBuckets(0.00001, 4, 10), // 10µs to 2.6s, as snapshot_publish_duration_seconds
	}, []string{"zone", "view"})
	zoneBuildFailures = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: "clusterdns", Name: "private_zone_build_failures_total",
		Help: "Rebuilds that could not publish the merged zone: the zone kept its last serial, or served its file without the cluster's records.",
	}, []string{"zone", "view"})
	zoneNotifies = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: "clusterdns", Name: "private_zone_notify_total",
		Help: "NOTIFY rounds to the private zone's transfer peers, by result (sent, failed: a peer did not acknowledge).",
	}, []string{"zone", "view", "result"})
)
