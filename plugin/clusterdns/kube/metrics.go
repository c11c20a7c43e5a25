package kube

import (
	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The subsystem is the plugin's name, as for the metrics of the root package.
const subsystem = "clusterdns"

var (
	sourceSynced = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: subsystem, Name: "source_synced",
		Help: "1 while the resource is listed and watched, 0 while its list or watch is failing (the last state is still served).",
	}, []string{"source", "resource"})
	lastList = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: subsystem, Name: "source_last_list_timestamp_seconds",
		Help: "When the last complete list of the resource was applied, in seconds since the epoch.",
	}, []string{"source", "resource"})
	lastEvent = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: subsystem, Name: "source_last_watch_event_timestamp_seconds",
		Help: "When the last watch event or bookmark of the resource arrived, in seconds since the epoch.",
	}, []string{"source", "resource"})
	requestErrors = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: subsystem, Name: "source_request_errors_total",
		Help: "Failed list and watch requests, and watches that ended with an error.",
	}, []string{"source", "resource"})
)

// forget drops the metrics of a stopped source.
func forget(source string) {
	for _, v := range []*prometheus.MetricVec{sourceSynced.MetricVec, lastList.MetricVec, lastEvent.MetricVec, requestErrors.MetricVec} {
		v.DeletePartialMatch(prometheus.Labels{"source": source})
	}
}
