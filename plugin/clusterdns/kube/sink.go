package kube

import (
	"context"
	"sync"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/memlimit"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// sink is the store a Reflector writes for one resource. It converts each object and hands it
// to the model.Store, which skips updates whose resourceVersion it already has: a relist after
// an outage rewrites nothing that did not change, and holds no second copy of the state.
//
// keys records which objects the Store got from this resource, and in which list: Replace
// marks every listed key with a new generation and deletes the keys left on an older one, so
// a relist needs no second set of keys either. A resource whose keys the Store lists
// (storeBacked) keeps no keys here: Replace then collects the listed keys for the time of
// the relist. The Reflector calls the sink from one goroutine at a time; mu guards what the
// list and watch requests record.
type sink struct {
	res    resource
	source string
	lw     *listWatch
	keys   map[model.Key]uint32
	gen    uint32
	clock  clock.Clock
	synced func() // called once, after the first list

	mu      sync.Mutex
	listed  bool      // a list has been applied
	listing bool      // a list is under way: memlimit.BeginList was called
	down    time.Time // when the current outage began; zero while in sync
}

func newSink(source string, r resource, clk clock.Clock, synced func()) *sink {
	k := &sink{res: r, source: source, keys: map[model.Key]uint32{}, clock: clk, synced: synced}
	lw := *r.lw
	list, watchFn := lw.ListWithContextFunc, lw.WatchFuncWithContext
	lw.ListWithContextFunc = func(ctx context.Context, o metav1.ListOptions) (k8sruntime.Object, error) {
		k.setListing(true) // until Replace has applied it
		obj, err := list(ctx, o)
		if err != nil {
			k.setListing(false)
		}
		if err != nil && ctx.Err() == nil { // a list cut short by Stop is no outage
			k.failed(err)
		}
		return obj, err
	}
	lw.WatchFuncWithContext = func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
		w, err := watchFn(ctx, o)
		switch {
		case err != nil && ctx.Err() != nil: // Stop: no outage, and its metrics are gone
		case err != nil:
			k.failed(err)
		case o.SendInitialEvents == nil:
			// a watch resumed from the last resourceVersion: the server sends what we missed.
			// A streamed list (SendInitialEvents) is in sync only once it is applied.
			k.inSync()
		default:
			k.setListing(true) // a streamed list, until Replace or the watch fails
		}
		return w, err
	}
	k.lw = &lw
	return k
}

// reflect runs the Reflector until ctx is done. ListAndWatch returns when the watch ends for
// good or a list fails; we then wait retry's delay, where client-go's Run would wait its own.
// The same delay paces the Reflector's retries inside ListAndWatch (through its options).
func (k *sink) reflect(ctx context.Context, clk clock.WithTicker) {
	b := retry
	r := cache.NewReflectorWithOptions(k.lw, k.res.obj, k, cache.ReflectorOptions{
		Name:            "clusterdns/" + k.res.name,
		TypeDescription: k.res.name,
		Clock:           clk,
		Backoff:         &b,
	})
	delay := retry.DelayWithReset(clk, retryReset)
	defer k.setListing(false)
	for {
		err := r.ListAndWatchWithContext(ctx)
		if ctx.Err() != nil {
			return
		}
		k.failed(err)
		select {
		case <-ctx.Done():
			return
		case <-clk.After(delay()):
		}
	}
}

// failed records that a request failed or the watch ended (err nil): the Store keeps serving
// what it has, but no longer follows the API server.
func (k *sink) failed(err error) {
	k.setListing(false)
	k.mu.Lock()
	defer k.mu.Unlock()
	sourceSynced.WithLabelValues(k.source, k.res.name).Set(0)
	if err != nil {
		requestErrors.WithLabelValues(k.source, k.res.name).Inc()
	}
	if k.down.IsZero() {
		k.down = k.clock.Now()
		if err != nil {
			log.Warningf("%s of %s: %v; serving the last known state, retrying every second at most", k.res.name, k.source, err)
		}
	}
}

// inSync records that the Store follows the API server again, once it has been listed.
func (k *sink) inSync() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.listed {
		return
	}
	sourceSynced.WithLabelValues(k.source, k.res.name).Set(1)
	if !k.down.IsZero() {
		log.Infof("%s of %s: in sync again after %v", k.res.name, k.source, k.clock.Since(k.down).Round(time.Millisecond))
		k.down = time.Time{}
	}
}

func (k *sink) key(o any) (model.Key, bool) {
	m, ok := o.(metav1.Object)
	if !ok {
		return model.Key{}, false
	}
	return model.Key{Namespace: m.GetNamespace(), Name: m.GetName()}, true
}

func (k *sink) upsert(o any) (model.Key, bool) {
	o = k.res.conv(o)
	key, ok := k.key(o)
	if ok {
		if k.res.storedKeys == nil {
			k.keys[key] = k.gen
		}
		k.res.onUpsert(o)
	}
	return key, ok
}

func (k *sink) event() {
	lastEvent.WithLabelValues(k.source, k.res.name).Set(float64(k.clock.Now().UnixNano()) / 1e9)
}

// Add is a watch event.
func (k *sink) Add(o any) error { k.upsert(o); k.event(); return nil }

// Update is a watch event.
func (k *sink) Update(o any) error { k.upsert(o); k.event(); return nil }

// Delete is a watch event.
func (k *sink) Delete(o any) error {
	if key, ok := k.key(o); ok {
		delete(k.keys, key)
		k.res.onDelete(key)
	}
	k.event()
	return nil
}

// Bookmark is the server saying the watch is alive and current.
func (k *sink) Bookmark(string) error { k.event(); return nil }

// Replace applies a complete list: a first list, or a relist after an outage.
func (k *sink) Replace(list []any, _ string) error {
	k.gen++
	var listed map[model.Key]struct{}
	if k.res.storedKeys != nil {
		listed = make(map[model.Key]struct{}, len(list))
	}
	for i, o := range list {
		if key, ok := k.upsert(o); ok && listed != nil {
			listed[key] = struct{}{}
		}
		list[i] = nil // ours now (see cache.ReflectorStore); let the API object go
	}
	if listed != nil {
		var gone []model.Key
		k.res.storedKeys(func(key model.Key) {
			if _, ok := listed[key]; !ok {
				gone = append(gone, key)
			}
		})
		for _, key := range gone {
			k.res.onDelete(key)
		}
	}
	for key, g := range k.keys {
		if g != k.gen {
			delete(k.keys, key)
			k.res.onDelete(key)
		}
	}
	lastList.WithLabelValues(k.source, k.res.name).Set(float64(k.clock.Now().UnixNano()) / 1e9)
	k.mu.Lock()
	first := !k.listed
	k.listed = true
	k.mu.Unlock()
	k.inSync()
	k.setListing(false)
	if first {
		k.synced()
	}
	return nil
}

// setListing tells memlimit when this resource's list begins and ends: lists run with a lower
// GC target, which leaves the heap less fragmented (see memlimit.ListGCPercent).
func (k *sink) setListing(on bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.listing == on {
		return
	}
	k.listing = on
	if on {
		memlimit.BeginList()
	} else {
		memlimit.EndList()
	}
}

// Resync is never called: resync is off.
func (k *sink) Resync() error { return nil }

// Transformer makes the Reflector convert a streamed list item by item as it arrives.
func (k *sink) Transformer() cache.TransformFunc {
	return func(o any) (any, error) { return k.res.conv(o), nil }
}

var (
	_ cache.ReflectorStore         = (*sink)(nil)
	_ cache.TransformingStore      = (*sink)(nil)
	_ cache.ReflectorBookmarkStore = (*sink)(nil)
)
