package kube

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	clocktesting "k8s.io/utils/clock/testing"
)

// TestRetryWithinASecond fails every request of an API server that is away and checks, on a
// fake clock, that each failure is followed by another try at most 1 s later and none
// sooner than 200 ms, however many failures came before. client-go's default waits up to
// 60 s once it has failed a few times.
func TestRetryWithinASecond(t *testing.T) {
	for _, watchList := range []bool{true, false} { // streamed list, or list then watch
		t.Run(fmt.Sprintf("watchlist=%v", watchList), func(t *testing.T) {
			var tries atomic.Int32
			refused := fmt.Errorf("dial tcp 127.0.0.1:6443: connect: %w", syscall.ECONNREFUSED)
			st := model.NewStore()
			r := newResource("services", &corev1.Service{}, nil,
				func(context.Context, metav1.ListOptions) (*corev1.ServiceList, error) {
					tries.Add(1)
					return nil, refused
				},
				func(context.Context, metav1.ListOptions) (watch.Interface, error) {
					tries.Add(1)
					return nil, refused
				},
				model.ServiceFromAPI, st.UpsertService, st.DeleteService)
			r.lw.noWatchList = !watchList
			fc := clocktesting.NewFakeClock(time.Unix(1_000_000, 0))
			k := newSink("retry-test", r, fc, func() { t.Error("synced without a list") })
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); k.reflect(ctx, fc) }()
			defer func() { cancel(); fc.Step(time.Second); <-done; forget("retry-test") }()

			seen := int32(0)
			for i := range 12 {
				waitFor(t, "a failed try, then a wait on the clock", func() bool { return tries.Load() > seen && fc.HasWaiters() })
				seen = tries.Load()
				fc.Step(199 * time.Millisecond)
				if got := tries.Load(); got != seen || !fc.HasWaiters() {
					t.Fatalf("failure %d: retried within 199 ms (%d tries, was %d)", i+1, got, seen)
				}
				fc.Step(801 * time.Millisecond)
				waitFor(t, fmt.Sprintf("the retry 1 s after failure %d", i+1), func() bool { return tries.Load() > seen })
			}
			if got := testutil.ToFloat64(sourceSynced.WithLabelValues("retry-test", "services")); got != 0 {
				t.Errorf("source_synced = %v while every request fails, want 0", got)
			}
			if got := testutil.ToFloat64(requestErrors.WithLabelValues("retry-test", "services")); got < 12 {
				t.Errorf("source_request_errors_total = %v after 12 failures", got)
			}
		})
	}
}
