package kubedns

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/follow"

	clog "github.com/coredns/coredns/plugin/pkg/log"
)

var log = clog.NewWithPlugin("clusterdns")

// Watcher follows a ConfigMap (see package follow). It polls: a mounted ConfigMap changes by
// a symlink swap, which file notifications on its keys do not report reliably.
type Watcher struct {
	path     string
	onChange func(*Config)
	good     *Config // the configuration last handed to onChange
	stop     func()
}

// Watch reads the ConfigMap at path (see Load), hands its configuration to onChange before
// it returns, and then checks it every interval, calling onChange again from its own
// goroutine each time the configuration changes. A new version of a mounted ConfigMap is
// taken at once; a manifest or a plain file edited in place once it has settled. A path
// that cannot be read, or is not a ConfigMap, is an error. Content that does not validate
// is logged once and ignored: at start the configuration is then empty, as kube-dns starts
// with its defaults; later the last good one stays.
func Watch(path string, interval time.Duration, onChange func(*Config)) (*Watcher, error) {
	return watch(path, interval, onChange, nil)
}

func watch(path string, interval time.Duration, onChange func(*Config), clock follow.Clock) (*Watcher, error) {
	w := &Watcher{path: path, onChange: onChange}
	f := follow.New(configMap(path), parseJSON, nil, follow.Options{
		Clock: clock,
		OnError: func(err error) {
			log.Errorf("stubdomains %s: %v; keeping the last good stub domains", path, err)
		},
	})
	var bad *follow.ParseError
	switch err := f.Start(); {
	case errors.As(err, &bad):
		log.Errorf("stubdomains %s: %v; no stub domains until it is fixed", path, err)
	case err != nil:
		return nil, fmt.Errorf("stubdomains: %w", err)
	}
	cfg, ok := f.Value()
	if !ok {
		cfg = &Config{}
	}
	w.apply(cfg)
	w.stop = f.Follow(interval, w.apply)
	return w, nil
}

// Stop stops polling; onChange is not called once Stop returns.
func (w *Watcher) Stop() {
	w.stop()
}

// apply hands a new configuration to onChange; content that changed but says the same is
// not one.
func (w *Watcher) apply(cfg *Config) {
	if w.good != nil && reflect.DeepEqual(cfg, w.good) {
		return
	}
	w.good = cfg
	log.Infof("stubdomains %s: %d stub domains, %d upstream nameservers", w.path, len(cfg.Stubs), len(cfg.Upstreams))
	w.onChange(cfg)
}

// configMap is the follow.Source of the ConfigMap at a path: its data as JSON.
type configMap string

func (c configMap) String() string { return string(c) }

func (c configMap) Read() ([]byte, error) {
	data, err := read(string(c))
	if err != nil {
		return nil, err
	}
	return json.Marshal(data)
}

func parseJSON(b []byte) (*Config, error) {
	var data map[string]string
	if err := json.Unmarshal(b, &data); err != nil {
		return nil, err
	}
	return Parse(data)
}

// Stat stamps a manifest as a file, a kubelet mount by the version its ..data points at, and
// a directory of plain files by the stamps of its keys.
func (c configMap) Stat() (follow.Stamp, error) {
	dir := string(c)
	fi, err := os.Stat(dir)
	if err != nil {
		return follow.Stamp{}, err
	}
	if !fi.IsDir() {
		return follow.Path(dir).Stat()
	}
	target, err := follow.DataTarget(dir)
	if err != nil || target != "" {
		return follow.Stamp{Target: target}, err
	}
	// No inode and change time of its own: such a directory always settles.
	var st follow.Stamp
	h := fnv.New64a()
	for _, key := range []string{stubDomainsKey, upstreamsKey} {
		k, err := follow.Path(filepath.Join(dir, key)).Stat()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return follow.Stamp{}, err
		}
		fmt.Fprintln(h, key, k.Dev, k.Ino, k.Size, k.Mod, k.Change)
		st.Size += k.Size
		st.Mod = max(st.Mod, k.Mod)
	}
	st.Dev = h.Sum64()
	return st, nil
}
