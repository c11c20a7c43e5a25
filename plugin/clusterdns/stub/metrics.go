package stub

import (
	"sync"

	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// subsystem is the clusterdns plugin's: stub zones are one of its features.
const subsystem = "clusterdns"

var (
	requests = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: subsystem, Name: "stub_requests_total",
		Help: "Queries sent to a stub zone's resolver, health probes excluded.",
	}, []string{"zone", "to"})
	responses = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: subsystem, Name: "stub_responses_total",
		Help: "Replies from a stub zone's resolver, by rcode.",
	}, []string{"zone", "to", "rcode"})
	requestDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: plugin.Namespace, Subsystem: subsystem, Name: "stub_request_duration_seconds",
		Help:    "Time from sending a query to a stub zone's resolver to its reply or failure.",
		Buckets: plugin.TimeBuckets,
	}, []string{"zone", "to"})
	healthy = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: subsystem, Name: "stub_healthy",
		Help: "1 when the last health probe of a stub zone's resolver succeeded, else 0.",
	}, []string{"zone", "to"})
	staleAnswers = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: subsystem, Name: "stub_stale_answers_total",
		Help: "Answers of a stub zone served from its serve_stale cache because no resolver answered.",
	}, []string{"zone"})
	concurrentRejects = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: subsystem, Name: "stub_max_concurrent_rejects_total",
		Help: "Queries of a stub zone refused because max_concurrent were in flight.",
	}, []string{"zone"})
)

// probers counts, by its labels (zone, to), the running stubs that probe a resolver and
// set its healthy gauge. A reload, or a change of kube-dns's ConfigMap, starts new stubs
// before it stops the old ones: the series goes when the last stub probing it stops, not
// when an older one does.
var probers = struct {
	sync.Mutex
	n map[[2]string]int
}{n: map[[2]string]int{}}

// holdHealthy records one more stub probing the resolver addr of zone.
func holdHealthy(zone, addr string) {
	probers.Lock()
	defer probers.Unlock()
	probers.n[[2]string{zone, addr}]++
}

// releaseHealthy records that a stub stopped probing the resolver addr of zone, once its
// prober is gone, and deletes the series if no other stub probes it.
func releaseHealthy(zone, addr string) {
	probers.Lock()
	defer probers.Unlock()
	k := [2]string{zone, addr}
	if probers.n[k]--; probers.n[k] > 0 {
		return
	}
	delete(probers.n, k)
	healthy.DeleteLabelValues(zone, addr)
}
