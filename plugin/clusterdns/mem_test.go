package clusterdns

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
)

// TestIndexHeap reports the live heap of a 5,000-service index (run with -v); with
// CLUSTERDNS_HEAPPROFILE=file it also writes a heap profile.
func TestIndexHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h, st := benchHandler(t)
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("store + index for 5,000 services, 20,000 endpoints: %.1f MiB live heap", float64(after.HeapAlloc-before.HeapAlloc)/(1<<20))
	if f := os.Getenv("CLUSTERDNS_HEAPPROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		pprof.WriteHeapProfile(out)
		out.Close()
	}
	runtime.KeepAlive(h)
	runtime.KeepAlive(st)
}
