package memlimit

import (
	"runtime/debug"
	"sync"
)

// ListGCPercent is the garbage collector's target (GOGC) while any list is applied.
//
// A list leaves the heap fragmented: each decoded API object is garbage as soon as it is
// converted, and it was allocated between the model objects that stay, in the same size
// classes. After the list, a span with one live object among the garbage stays in use. How
// much garbage lies between the live objects is what one collection cycle lets accumulate:
// with GOGC=100 up to the live heap again. Measured with 50,000 Services (test/bench,
// /debug/pprof/heap after a GC): 98 MB live in 161 MB of spans in use with GOGC=100; with
// 25, 128 MB (RSS of anonymous memory 132 against 166 MiB), for a list 30% longer (7.7
// against 5.9 s); with 10, 116 MB and 11.3 s. Only the lists run at 25: serving allocates
// little, and the usual target keeps its collector cost low.
const ListGCPercent = 25

// lists counts the lists being applied, process-wide: the Corefile's server blocks list
// concurrently and GOGC is the process's.
var lists struct {
	sync.Mutex
	n    int
	prev int // GOGC before the first of the lists began
}

// BeginList lowers GOGC to ListGCPercent until the matching EndList, unless it is lower
// already or off (GOGC=off, or a memory limit alone drives the collector).
func BeginList() {
	lists.Lock()
	defer lists.Unlock()
	lists.n++
	if lists.n == 1 {
		lists.prev = debug.SetGCPercent(ListGCPercent)
		if lists.prev < 0 || lists.prev <= ListGCPercent {
			debug.SetGCPercent(lists.prev)
		}
	}
}

// EndList ends what a BeginList began; the last one restores GOGC.
func EndList() {
	lists.Lock()
	defer lists.Unlock()
	if lists.n == 0 {
		return
	}
	lists.n--
	if lists.n == 0 {
		debug.SetGCPercent(lists.prev)
	}
}
