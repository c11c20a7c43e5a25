package index

import (
	"net/netip"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
)

// TestColdStartReportedOnce checks that Ready reports the first synced publication with
// the Store's counts, and never again: a later change published after it (a sentinel the
// Snapshot provably holds) brings no second report.
func TestColdStartReportedOnce(t *testing.T) {
	st := model.NewStore()
	fill(st, 10)
	ix, ready := readyIndex()
	ix.Start(st, nil)
	defer ix.Stop()
	select {
	case c := <-ready:
		t.Fatalf("reported before the Store was synced: %+v", c)
	default:
	}
	st.SetSynced()
	var c ColdStart
	select {
	case c = <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("no cold start reported 5 s after the sync")
	}
	if c.Services != 10 || c.Slices != 10 || c.Listed <= 0 || c.Built < 0 {
		t.Errorf("got %+v, want 10 services, 10 slices, positive durations", c)
	}

	s := &model.Service{ClusterIPs: []netip.Addr{netip.MustParseAddr("10.255.0.1")}}
	s.Namespace, s.Name = "ns-0", "sentinel"
	st.UpsertService(s)
	deadline := time.Now().Add(5 * time.Second)
	for ix.Snapshot().Get("sentinel.ns-0.svc") == nil {
		if time.Now().After(deadline) {
			t.Fatal("sentinel not published after 5 s")
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
	select {
	case c := <-ready:
		t.Errorf("reported a second time: %+v", c)
	default:
	}
}
