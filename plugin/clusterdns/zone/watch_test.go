package zone_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/follow"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/follow/followtest"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"

	"github.com/miekg/dns"
)

const watchHead = "$TTL 60\n@ SOA ns hostmaster 1 7200 1800 86400 30\n@ NS ns\nns A 10.0.0.53\n"

// TestWatch drives the watch on a clock of its own: each step writes the file in place,
// then moves the clock through a poll and the settle window, waiting each time for the
// watch to be back at rest, so what it took is known at every step.
func TestWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.example")
	clock := followtest.NewClock(time.Now())
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// after moves the clock by d once the watch waits, and waits for it to wait again.
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
	changes, logs := make(chan []dns.RR, 10), make(chan string, 10)
	onChange := func(rrs []dns.RR) { changes <- rrs }
	logf := func(format string, args ...any) { logs <- fmt.Sprintf(format, args...) }
	none := func(when string) {
		t.Helper()
		select {
		case rrs := <-changes:
			t.Fatalf("%s: onChange with %v", when, rrs)
		case l := <-logs:
			t.Fatalf("%s: logged %s", when, l)
		default:
		}
	}

	write(watchHead + "www A 10.0.0.1\n")
	old := clock.Now().Add(-time.Hour) // not modified since: whole at start
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	stop, err := zone.WatchWithClock(path, "example.test.", time.Second, onChange, logf, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if got := wwwAddress(t, take(t, changes)); got != "10.0.0.1" {
		t.Fatalf("first load: www is %s", got)
	}

	// A writer caught mid-way, then done: only what it is done with is taken.
	write(watchHead)
	after(time.Second)
	write(watchHead + "www A 10.0.0.2\n")
	after(follow.Settle)
	none("a writer caught mid-way")
	after(follow.Settle)
	if got := wwwAddress(t, take(t, changes)); got != "10.0.0.2" {
		t.Fatalf("after a change: www is %s", got)
	}

	write(watchHead + "www A 10.0.0.x\n")
	after(time.Second)
	after(follow.Settle)
	if got, want := take(t, logs), path+`:5: bad A A: "10.0.0.x"`; got != want {
		t.Fatalf("logged %q, want %q", got, want)
	}
	write(watchHead + "www A 10.0.0.x\n") // the same content again: not logged again
	after(time.Second)
	after(time.Second)
	none("the same broken content")
	write(watchHead + "www A 10.0.0.3\n")
	after(time.Second)
	after(follow.Settle)
	if got := wwwAddress(t, take(t, changes)); got != "10.0.0.3" {
		t.Fatalf("after the fix: www is %s", got)
	}

	// The SOA gone: believed only once it has settled twice.
	write(strings.Replace(watchHead, "@ SOA", "; @ SOA", 1) + "www A 10.0.0.4\n")
	after(time.Second)
	after(follow.Settle)
	none("a file that lost its SOA, settled once")
	after(follow.Settle)
	if got := wwwAddress(t, take(t, changes)); got != "10.0.0.4" {
		t.Fatalf("without an SOA: www is %s", got)
	}

	stop()
	write(watchHead + "www A 10.0.0.5\n")
	clock.Advance(time.Hour)
	none("after stop")
}

func TestWatchFirstLoad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "db.bad")
	if err := os.WriteFile(bad, []byte(watchHead+"www.other.test. A 10.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		bad:                          bad + ":5: www.other.test. A: out of zone example.test.",
		filepath.Join(dir, "absent"): "no such file or directory",
	} {
		called := false
		_, err := zone.Watch(path, "example.test.", time.Hour, func([]dns.RR) { called = true }, t.Logf)
		if err == nil || !strings.Contains(err.Error(), want) || called {
			t.Errorf("%s: got error %v (onChange called: %v), want %s", path, err, called, want)
		}
	}
}

// take returns what c holds, failing if it holds nothing: the watch is at rest, so what it
// was to send is sent.
func take[T any](t *testing.T, c chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	default:
	}
	t.Fatal("nothing sent")
	var none T
	return none
}

func wwwAddress(t *testing.T, rrs []dns.RR) string {
	t.Helper()
	for _, rr := range rrs {
		if a, ok := rr.(*dns.A); ok && a.Hdr.Name == "www.example.test." {
			return a.A.String()
		}
	}
	t.Fatalf("no www in %v", rrs)
	return ""
}
