package peer

import (
	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	peerSynced = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: "clusterdns", Name: "peer_synced",
		Help: "1 while the peer's API server answers and its initial lists are in, else 0 (its last known state is served).",
	}, []string{"peer"})
	lastContact = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: "clusterdns", Name: "peer_last_contact_timestamp_seconds",
		Help: "When the peer's API server last answered, in seconds since the epoch.",
	}, []string{"peer"})
	exportedServices = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: "clusterdns", Name: "peer_exported_services",
		Help: "Services the peer exports (ServiceExport or export annotation).",
	}, []string{"peer"})
)

func setSynced(name string, ok bool) {
	v := 0.0
	if ok {
		v = 1
	}
	peerSynced.WithLabelValues(name).Set(v)
}

func forgetMetrics(name string) {
	peerSynced.DeleteLabelValues(name)
	lastContact.DeleteLabelValues(name)
	exportedServices.DeleteLabelValues(name)
}
