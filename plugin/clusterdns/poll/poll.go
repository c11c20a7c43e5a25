// Package poll runs a function on a fixed interval until stopped: how manifest files, zone
// files and kube-dns ConfigMaps are followed (mounted ConfigMaps change by a symlink swap,
// which polling sees and inotify on the file does not).
package poll

import (
	"sync"
	"time"
)

// Every calls fn every interval, from one goroutine, until stop is called. Calls do not
// overlap, and once stop returns fn is not called again. stop may be called more than once.
func Every(interval time.Duration, fn func()) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fn()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-exited }) }
}
