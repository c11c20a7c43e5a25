package kube

import (
	"context"
	"errors"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/memlimit"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
)

// TestListsRunWithLowerGCTarget checks that GOGC is memlimit.ListGCPercent while a list is
// applied, a plain one or a streamed one, and back once it is applied or has failed.
func TestListsRunWithLowerGCTarget(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	var duringList atomic.Int32
	st := model.NewStore()
	r := newResource("services", &corev1.Service{}, nil,
		func(context.Context, metav1.ListOptions) (*corev1.ServiceList, error) {
			duringList.Store(int32(currentGCPercent()))
			return &corev1.ServiceList{ListMeta: metav1.ListMeta{ResourceVersion: "1"},
				Items: []corev1.Service{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a", ResourceVersion: "1"}}}}, nil
		},
		func(context.Context, metav1.ListOptions) (watch.Interface, error) { return watch.NewFake(), nil },
		model.ServiceFromAPI, st.UpsertService, st.DeleteService)
	r.lw.noWatchList = true
	synced := make(chan struct{})
	k := newSink("lists-test", r, clock.RealClock{}, func() { close(synced) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); k.reflect(ctx, clock.RealClock{}) }()
	defer func() { cancel(); <-done; forget("lists-test") }()
	select {
	case <-synced:
	case <-time.After(10 * time.Second):
		t.Fatal("the list was not applied within 10 s")
	}
	if got := duringList.Load(); got != memlimit.ListGCPercent {
		t.Errorf("GOGC during a plain list: %d, want %d", got, memlimit.ListGCPercent)
	}
	if got := currentGCPercent(); got != 100 {
		t.Errorf("GOGC once the list is applied: %d, want 100", got)
	}

	// A streamed list: from the watch that asks for the initial events until Replace, or
	// until the watch fails.
	for _, end := range []struct {
		name string
		do   func()
	}{
		{"applied", func() { _ = k.Replace(nil, "2") }},
		{"failed", func() { k.failed(errors.New("watch ended")) }},
	} {
		w, err := k.lw.WatchFuncWithContext(ctx, metav1.ListOptions{SendInitialEvents: ptr.To(true)})
		if err != nil {
			t.Fatal(err)
		}
		if got := currentGCPercent(); got != memlimit.ListGCPercent {
			t.Errorf("GOGC while a streamed list runs: %d, want %d", got, memlimit.ListGCPercent)
		}
		end.do()
		w.Stop()
		if got := currentGCPercent(); got != 100 {
			t.Errorf("GOGC after a streamed list %s: %d, want 100", end.name, got)
		}
	}
}

func currentGCPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}
