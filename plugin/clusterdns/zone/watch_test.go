package zone_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"

	"github.com/miekg/dns"
)

const watchHead = "$TTL 60\n@ SOA ns hostmaster 1 7200 1800 86400 30\n@ NS ns\nns A 10.0.0.53\n"

func TestWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.example")
	stamp := time.Now().Add(-time.Hour)
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(watchHead+text), 0o644); err != nil {
			t.Fatal(err)
		}
		// A new modification time even where the clock is coarse.
		stamp = stamp.Add(time.Second)
		if err := os.Chtimes(path, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	changes, logs := make(chan []dns.RR, 10), make(chan string, 10)
	onChange := func(rrs []dns.RR) { changes <- rrs }
	logf := func(format string, args ...any) { logs <- fmt.Sprintf(format, args...) }

	write("www A 10.0.0.1\n")
	stop, err := zone.Watch(path, "example.test.", 10*time.Millisecond, onChange, logf)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if got := wwwAddress(t, <-changes); got != "10.0.0.1" {
		t.Fatalf("first load: www is %s", got)
	}

	write("www A 10.0.0.2\n")
	if got := wwwAddress(t, receive(t, changes)); got != "10.0.0.2" {
		t.Fatalf("after a change: www is %s", got)
	}

	write("www A 10.0.0.x\n")
	if got, want := receive(t, logs), path+`:5: bad A A: "10.0.0.x"`; got != want {
		t.Fatalf("logged %q, want %q", got, want)
	}
	write("www A 10.0.0.x\n") // the same content again: not logged again
	write("www A 10.0.0.3\n")
	if got := wwwAddress(t, receive(t, changes)); got != "10.0.0.3" {
		t.Fatalf("after the fix: www is %s", got)
	}
	select {
	case l := <-logs:
		t.Fatalf("logged again: %s", l)
	default:
	}

	stop()
	write("www A 10.0.0.4\n")
	time.Sleep(50 * time.Millisecond)
	select {
	case rrs := <-changes:
		t.Fatalf("onChange after stop: %v", rrs)
	default:
	}
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

func receive[T any](t *testing.T, c chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(5 * time.Second):
	}
	t.Fatal("nothing within 5s")
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
