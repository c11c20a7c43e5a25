package clusterdns

import (
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	objects = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: name, Name: "objects",
		Help: "Kubernetes objects indexed, by source and kind (service, endpointslice, namespace, and the kinds private zones read once listed: ingress, httproute, dnsendpoint, ...).",
	}, []string{"source", "kind"})
	synced = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: name, Name: "informer_synced",
		Help: "1 when the source's initial list has been indexed, else 0.",
	}, []string{"source"})
	publications = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: name, Name: "snapshot_publications_total",
		Help: "Snapshots published, by the first zone of the block.",
	}, []string{"zone"})
	publishDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: plugin.Namespace, Subsystem: name, Name: "snapshot_publish_duration_seconds",
		Help:    "Time to apply a batch of changes and publish the snapshot.",
		Buckets: prometheus.ExponentialBuckets(0.00001, 4, 10), // 10µs to 2.6s
	}, []string{"zone"})
)

// observe keeps the object gauges of a source current.
func observe(source string, st *model.Store) {
	st.OnChange(func() {
		st.Read(func(v model.View) {
			s, e, n := v.Counts()
			objects.WithLabelValues(source, "service").Set(float64(s))
			objects.WithLabelValues(source, "endpointslice").Set(float64(e))
			objects.WithLabelValues(source, "namespace").Set(float64(n))
			v.KindCounts(func(kind string, n int) { objects.WithLabelValues(source, kind).Set(float64(n)) })
			if v.Synced() {
				synced.WithLabelValues(source).Set(1)
			} else {
				synced.WithLabelValues(source).Set(0)
			}
		})
	})
}

func forget(source string) {
	objects.DeletePartialMatch(prometheus.Labels{"source": source})
	synced.DeleteLabelValues(source)
}
