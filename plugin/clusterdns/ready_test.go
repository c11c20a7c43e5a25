package clusterdns

import (
	"bytes"
	"io"
	golog "log"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/index"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/caddy"
)

// TestColdStartLogLine checks the line test/bench parses for the server-side cold start
// (its wording is an interface) and that a block logs it when its cluster zone is ready.
// That it is logged once is index.TestColdStartReportedOnce's.
func TestColdStartLogLine(t *testing.T) {
	out := &syncBuffer{}
	golog.SetOutput(out)
	defer golog.SetOutput(io.Discard) // as clog.Discard in log_test.go

	logColdStart(index.ColdStart{Services: 10000, Slices: 10001, Listed: 1500 * time.Millisecond, Built: 42 * time.Millisecond})
	want := regexp.MustCompile(`\[INFO\] plugin/clusterdns: cluster zone ready: 10000 services, 10001 endpoint slices; ` +
		`initial lists arrived in 1500 ms, index built and ready 42 ms after\n$`)
	if got := out.String(); !want.MatchString(got) {
		t.Errorf("got %q, want it to match %s", got, want)
	}

	out.Reset()
	cfg, err := parse(caddy.NewTestController("dns", "clusterdns cluster.local"))
	if err != nil {
		t.Fatal(err)
	}
	h, st := newClusterDNS(cfg), model.NewStore()
	h.index.Start(st, nil)
	defer h.index.Stop()
	st.SetSynced()
	line := regexp.MustCompile(`cluster zone ready: 0 services, 0 endpoint slices; initial lists arrived in \d+ ms, index built and ready \d+ ms after`)
	deadline := time.Now().Add(5 * time.Second)
	for !line.MatchString(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no cold-start line 5 s after the sync; logged:\n%s", out.String())
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
}

// syncBuffer is a bytes.Buffer the logger writes to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}
