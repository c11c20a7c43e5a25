package kubedns

import (
	"bytes"
	"io"
	golog "log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/follow"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/follow/followtest"
)

const interval = 20 * time.Millisecond

// logBuffer collects the log lines written while a test runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func captureLog(t *testing.T) *logBuffer {
	b := &logBuffer{}
	golog.SetOutput(b)
	t.Cleanup(func() { golog.SetOutput(io.Discard) })
	return b
}

// waitLog waits up to 5s for a log line containing s.
func waitLog(t *testing.T, logs *logBuffer, s string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), s); {
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q in:\n%s", s, logs.String())
		}
		time.Sleep(interval)
	}
}

// summary is a configuration in short: "zone=resolver,resolver ... | upstreams".
func summary(c *Config) string {
	var parts []string
	for _, s := range c.Stubs {
		parts = append(parts, s.Zone+"="+strings.Join(s.Resolvers, ","))
	}
	return strings.Join(parts, " ") + " | " + strings.Join(c.Upstreams, ",")
}

// next returns the next configuration handed to the callback.
func next(t *testing.T, changes <-chan *Config) string {
	t.Helper()
	select {
	case c := <-changes:
		return summary(c)
	case <-time.After(5 * time.Second):
		t.Fatal("no configuration handed over within 5s")
		return ""
	}
}

// quiet checks that no configuration is handed over during ten polls.
func quiet(t *testing.T, changes <-chan *Config, why string) {
	t.Helper()
	select {
	case c := <-changes:
		t.Fatalf("%s: unexpected configuration %s", why, summary(c))
	case <-time.After(10 * interval):
	}
}

func TestWatch(t *testing.T) {
	logs := captureLog(t)
	dir := t.TempDir()
	mount(t, dir, map[string]string{stubDomainsKey: `{"acme.local": ["1.2.3.4"]}`})
	changes := make(chan *Config, 10)
	w, err := Watch(dir, interval, func(c *Config) { changes <- c })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if got, want := next(t, changes), "acme.local.=1.2.3.4:53 | "; got != want {
		t.Fatalf("at start: %q, want %q", got, want)
	}

	steps := []struct {
		what string
		data map[string]string
		want string // "": no configuration handed over
		log  string // a line the step logs
	}{
		{"a stub domain and upstreams added",
			map[string]string{stubDomainsKey: `{"acme.local": ["1.2.3.4"], "corp.example": ["10.0.0.1"]}`, upstreamsKey: `["8.8.8.8"]`},
			"acme.local.=1.2.3.4:53 corp.example.=10.0.0.1:53 | 8.8.8.8:53", "2 stub domains, 1 upstream nameservers"},
		{"the same, written differently",
			map[string]string{stubDomainsKey: "{\n  \"corp.example\": [\"10.0.0.1:53\"],\n  \"acme.local\": [\"1.2.3.4\"]\n}", upstreamsKey: `["8.8.8.8:53"]`},
			"", ""},
		{"broken",
			map[string]string{stubDomainsKey: `{"acme.local": ["ns.acme.local"]}`},
			"", `nameserver "ns.acme.local": host names are not supported, give its IP address; keeping the last good stub domains`},
		{"not JSON",
			map[string]string{stubDomainsKey: `{"acme.local": `},
			"", "stubDomains: unexpected end of JSON input; keeping the last good stub domains"},
		{"fixed, upstreams removed",
			map[string]string{stubDomainsKey: `{"corp.example": ["10.0.0.2"]}`},
			"corp.example.=10.0.0.2:53 | ", "1 stub domains, 0 upstream nameservers"},
	}
	for _, step := range steps {
		mount(t, dir, step.data)
		if step.log != "" {
			waitLog(t, logs, step.log)
		}
		if step.want == "" {
			quiet(t, changes, step.what)
		} else if got := next(t, changes); got != step.want {
			t.Fatalf("%s: %q, want %q", step.what, got, step.want)
		}
	}
	if n := strings.Count(logs.String(), "host names are not supported"); n != 1 {
		t.Errorf("the broken content was logged %d times, want once", n)
	}

	w.Stop()
	mount(t, dir, map[string]string{stubDomainsKey: `{"late.example": ["10.0.0.3"]}`})
	quiet(t, changes, "after Stop")
}

// Content that does not validate at start is logged, and the configuration is empty until
// it is fixed, as kube-dns starts with its defaults.
func TestWatchStartsEmptyOnBadContent(t *testing.T) {
	logs := captureLog(t)
	dir := t.TempDir()
	mount(t, dir, map[string]string{upstreamsKey: `["8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1"]`})
	changes := make(chan *Config, 10)
	w, err := Watch(dir, interval, func(c *Config) { changes <- c })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if got := next(t, changes); got != " | " {
		t.Errorf("at start: %q, want an empty configuration", got)
	}
	waitLog(t, logs, "kube-dns takes at most 3")
	mount(t, dir, map[string]string{upstreamsKey: `["8.8.8.8"]`})
	if got := next(t, changes); got != " | 8.8.8.8:53" {
		t.Errorf("fixed: %q", got)
	}
}

func TestWatchMissingPath(t *testing.T) {
	called := false
	_, err := Watch(filepath.Join(t.TempDir(), "missing"), interval, func(*Config) { called = true })
	if err == nil || called {
		t.Errorf("want an error and no configuration, got %v, called %v", err, called)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "stubdomains: ") {
		t.Errorf("error %q does not name the option", err)
	}
}

// A directory of plain files (a hostPath, a copy) edited in place: the new configuration is
// taken once it has settled, never from a file caught mid-way. On a clock of the test's own.
func TestWatchPlainDirectorySettles(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, stubDomainsKey)
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(key, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"acme.local": ["1.2.3.4"]}`)
	clock := followtest.NewClock(time.Now().Add(time.Hour)) // the file is old by then
	changes := make(chan *Config, 10)
	w, err := watch(dir, time.Second, func(c *Config) { changes <- c }, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if got := next(t, changes); got != "acme.local.=1.2.3.4:53 | " {
		t.Fatalf("at start: %q", got)
	}
	after := func(d time.Duration) {
		t.Helper()
		if !clock.Waiting(1) {
			t.Fatal("the watch is not waiting")
		}
		clock.Advance(d)
		if !clock.Waiting(1) {
			t.Fatal("the watch did not come back to wait")
		}
	}
	write(`{"acme.local": ["1.2.3.4"], "corp.ex`) // a writer caught mid-way
	after(time.Second)
	write(`{"acme.local": ["1.2.3.4"], "corp.example": ["10.0.0.1"]}`)
	after(follow.Settle)
	select {
	case c := <-changes:
		t.Fatalf("taken before it settled: %s", summary(c))
	default:
	}
	after(follow.Settle)
	select {
	case c := <-changes:
		if got, want := summary(c), "acme.local.=1.2.3.4:53 corp.example.=10.0.0.1:53 | "; got != want {
			t.Fatalf("settled: %q, want %q", got, want)
		}
	default:
		t.Fatal("not taken once settled")
	}
}
