package stub

import (
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
		Help: "1 when a stub zone's resolver is used, 0 while its health probes fail.",
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
