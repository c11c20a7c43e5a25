package kubedns

import (
	"fmt"
	"maps"
	"reflect"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/poll"

	clog "github.com/coredns/coredns/plugin/pkg/log"
)

var log = clog.NewWithPlugin("clusterdns")

// Watcher re-reads a ConfigMap when its content changes. It polls: a mounted ConfigMap
// changes by a symlink swap, which file notifications on its keys do not report reliably.
type Watcher struct {
	path      string
	onChange  func(*Config)
	data      map[string]string // as last read, valid or not: each change is parsed and logged once
	good      *Config           // the configuration last handed to onChange
	readError string            // the last error reading path, logged once while it lasts
	stop      func()
}

// Watch reads the ConfigMap at path (see Load), hands its configuration to onChange before
// it returns, and then polls every interval, calling onChange again from its own goroutine
// each time the configuration changes. A path that cannot be read, or is not a ConfigMap,
// is an error. Content that does not validate is logged and ignored: at start the
// configuration is then empty, as kube-dns starts with its defaults; later the last good
// one stays.
func Watch(path string, interval time.Duration, onChange func(*Config)) (*Watcher, error) {
	data, err := read(path)
	if err != nil {
		return nil, fmt.Errorf("stubdomains: %w", err)
	}
	w := &Watcher{path: path, onChange: onChange}
	w.apply(data)
	if w.good == nil {
		w.good = &Config{}
		onChange(w.good)
	}
	w.stop = poll.Every(interval, w.reload)
	return w, nil
}

// Stop stops polling; onChange is not called once Stop returns.
func (w *Watcher) Stop() {
	w.stop()
}

func (w *Watcher) reload() {
	data, err := read(w.path)
	if err != nil {
		if err.Error() != w.readError {
			w.readError = err.Error()
			log.Errorf("stubdomains %s: %v; keeping the last good stub domains", w.path, err)
		}
		w.data = nil // read again in full once readable
		return
	}
	w.readError = ""
	if w.data != nil && maps.Equal(data, w.data) {
		return
	}
	w.apply(data)
}

// apply parses data, new content, and hands a valid new configuration to onChange.
func (w *Watcher) apply(data map[string]string) {
	w.data = data
	cfg, err := Parse(data)
	if err != nil {
		log.Errorf("stubdomains %s: %v; keeping the last good stub domains", w.path, err)
		return
	}
	if reflect.DeepEqual(cfg, w.good) {
		return
	}
	w.good = cfg
	log.Infof("stubdomains %s: %d stub domains, %d upstream nameservers", w.path, len(cfg.Stubs), len(cfg.Upstreams))
	w.onChange(cfg)
}
