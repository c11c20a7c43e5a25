package index

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
)

// BenchmarkColdStart measures the cold-start figure inside the process: the time
// from the initial lists being in the Store to the first synced Snapshot, at 10k and 50k
// Services with 4 endpoints each (every fifth Service headless). "listed" starts the Index
// on a Store that already holds everything (one full build); "streamed" starts it first and
// fills the Store as the informers do, so only what is still queued at SetSynced counts.
// The target (ready <= 2 s after the lists arrived at 10k) is checked against ns/op here
// and against the server's "cluster zone ready" log line in test/bench, not asserted.
func BenchmarkColdStart(b *testing.B) {
	for _, n := range []int{10_000, 50_000} {
		b.Run(fmt.Sprintf("listed/services=%d", n), func(b *testing.B) {
			st := model.NewStore()
			fill(st, n)
			st.SetSynced()
			b.ReportAllocs()
			for b.Loop() {
				ix, ready := readyIndex()
				ix.Start(st, nil)
				<-ready
				ix.Stop()
			}
		})
		b.Run(fmt.Sprintf("streamed/services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var built time.Duration
			for range b.N {
				b.StopTimer()
				st := model.NewStore()
				ix, ready := readyIndex()
				ix.Start(st, nil)
				fill(st, n)
				b.StartTimer()
				st.SetSynced()
				built += (<-ready).Built
				b.StopTimer()
				ix.Stop()
				b.StartTimer()
			}
			b.ReportMetric(float64(built.Microseconds())/1000/float64(b.N), "ms-built-after-sync")
		})
	}
}

// readyIndex returns an Index of a cluster zone with reverse names and a channel that
// receives its cold start when it first publishes a synced Snapshot.
func readyIndex() (*Index, chan ColdStart) {
	ready := make(chan ColdStart, 1)
	return New(Config{PrimaryZone: "cluster.local.", Reverse: true, Ready: func(c ColdStart) { ready <- c }}), ready
}

// fill adds n Services in 100 namespaces, each with one EndpointSlice of 4 endpoints, in
// the order an informer's list delivers them.
func fill(st *model.Store, n int) {
	for i := range 100 {
		st.SetNamespace(fmt.Sprintf("ns-%d", i), true)
	}
	ports := []model.Port{{Name: "http", Protocol: "TCP", Port: 80}}
	for i := range n {
		ns, name := fmt.Sprintf("ns-%d", i%100), fmt.Sprintf("svc-%d", i)
		s := &model.Service{Ports: ports}
		s.Name, s.Namespace = name, ns
		if i%5 == 0 {
			s.Headless = true
		} else {
			s.ClusterIPs = []netip.Addr{netip.AddrFrom4([4]byte{10, 96 + byte(i>>16), byte(i >> 8), byte(i)})}
		}
		st.UpsertService(s)
	}
	for i := range n {
		ns, name := fmt.Sprintf("ns-%d", i%100), fmt.Sprintf("svc-%d", i)
		sl := &model.EndpointSlice{Service: name, Ports: ports}
		sl.Name, sl.Namespace = name+"-1", ns
		for j := range 4 {
			sl.Endpoints = append(sl.Endpoints, model.Endpoint{
				Addresses: []netip.Addr{netip.AddrFrom4([4]byte{11 + byte(j), byte(i >> 16), byte(i >> 8), byte(i)})},
				Hostname:  fmt.Sprintf("pod-%d", j),
			})
		}
		st.UpsertSlice(sl)
	}
}
