package memlimit

import (
	"runtime/debug"
	"testing"
)

func TestListsLowerGOGCWhileAnyRuns(t *testing.T) {
	for _, tc := range []struct {
		name       string
		gogc       int
		duringList int
	}{
		{"default", 100, ListGCPercent},
		{"higher", 400, ListGCPercent},
		{"lower already", 10, 10},
		{"off", -1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer debug.SetGCPercent(debug.SetGCPercent(tc.gogc))
			BeginList()
			BeginList() // a second server block lists at the same time
			if got := gcPercent(); got != tc.duringList {
				t.Errorf("during two lists: GOGC %d, want %d", got, tc.duringList)
			}
			EndList()
			if got := gcPercent(); got != tc.duringList {
				t.Errorf("one list still running: GOGC %d, want %d", got, tc.duringList)
			}
			EndList()
			if got := gcPercent(); got != tc.gogc {
				t.Errorf("after the lists: GOGC %d, want %d back", got, tc.gogc)
			}
			EndList() // unmatched: ignored
			if got := gcPercent(); got != tc.gogc {
				t.Errorf("after an unmatched EndList: GOGC %d, want %d", got, tc.gogc)
			}
		})
	}
}

func gcPercent() int {
	p := debug.SetGCPercent(0)
	debug.SetGCPercent(p)
	return p
}
