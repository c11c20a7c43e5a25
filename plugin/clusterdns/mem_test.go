package clusterdns

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
)

// heapBudget is the live heap allowed for the store and index of 5,000 Services with
// 20,000 endpoints: 9.4 MiB measured when the budget was set (10.0 MiB under -race), so a
// change that makes every Service or endpoint markedly bigger fails here.
const heapBudget = 12 << 20

// TestIndexHeap holds the live heap of a 5,000-service store and index to heapBudget. With
// CLUSTERDNS_HEAPPROFILE=file it also writes a heap profile, to see where it goes.
func TestIndexHeap(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h, st := benchHandler(t)
	runtime.GC()
	runtime.ReadMemStats(&after)
	live := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("store + index for 5,000 services, 20,000 endpoints: %.1f MiB live heap, %d bytes per service",
		float64(live)/(1<<20), live/5000)
	if live > heapBudget {
		t.Errorf("live heap %.1f MiB, budget %.1f MiB", float64(live)/(1<<20), float64(heapBudget)/(1<<20))
	}
	if f := os.Getenv("CLUSTERDNS_HEAPPROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(out); err != nil {
			t.Fatal(err)
		}
		out.Close()
	}
	runtime.KeepAlive(h)
	runtime.KeepAlive(st)
}
