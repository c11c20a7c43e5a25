package poll

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestEveryStops(t *testing.T) {
	var calls atomic.Int32
	stop := Every(time.Millisecond, func() { calls.Add(1) })
	for calls.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	stop()
	stop() // a second stop is harmless
	n := calls.Load()
	time.Sleep(10 * time.Millisecond)
	if calls.Load() != n {
		t.Fatal("called after stop returned")
	}
}
