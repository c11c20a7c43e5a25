package follow_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/follow"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/follow/followtest"
)

const settle = follow.Settle

// words parses content as a list of words; "bad" anywhere is an error naming its word.
func words(data []byte) ([]string, error) {
	w := strings.Fields(string(data))
	for i, x := range w {
		if strings.HasPrefix(x, "bad") {
			return nil, fmt.Errorf("word %d: %s", i+1, x)
		}
	}
	return w, nil
}

// shrunk is the manifest rule: far fewer entries than the last good content.
func shrunk(last, next []string) bool { return len(next) < len(last)/2 }

type fixture struct {
	t      *testing.T
	path   string
	clock  *followtest.Clock
	f      *follow.File[[]string]
	errors []string
}

// newFixture writes content to a file last modified an hour ago and starts following it.
func newFixture(t *testing.T, content string) *fixture {
	t.Helper()
	x := &fixture{t: t, path: filepath.Join(t.TempDir(), "f"), clock: followtest.NewClock(time.Now())}
	x.write(content)
	x.age()
	x.f = follow.New(follow.Path(x.path), words, shrunk, follow.Options{Clock: x.clock, OnError: func(err error) {
		x.errors = append(x.errors, err.Error())
	}})
	if err := x.f.Start(); err != nil {
		t.Fatal(err)
	}
	x.want("at start", content)
	return x
}

// write rewrites the file in place, as an editor or `cp` does: the same inode.
func (x *fixture) write(content string) {
	x.t.Helper()
	if err := os.WriteFile(x.path, []byte(content), 0o644); err != nil {
		x.t.Fatal(err)
	}
}

// age sets the file's modification time an hour back.
func (x *fixture) age() {
	x.t.Helper()
	old := x.clock.Now().Add(-time.Hour)
	if err := os.Chtimes(x.path, old, old); err != nil {
		x.t.Fatal(err)
	}
}

// check looks at the file after d and reports whether it took new content.
func (x *fixture) check(d time.Duration) bool {
	x.clock.Advance(d)
	_, changed := x.f.Check(x.clock.Now())
	return changed
}

func (x *fixture) want(when, content string) {
	x.t.Helper()
	got, _ := x.f.Value()
	if strings.Join(got, " ") != strings.Join(strings.Fields(content), " ") {
		x.t.Fatalf("%s: value %q, want %q", when, got, content)
	}
}

func TestSettle(t *testing.T) {
	x := newFixture(t, "a b c")
	if x.check(settle) {
		t.Fatal("changed with nothing written")
	}
	x.write("a b c d")
	if x.check(0) {
		t.Fatal("taken at first sight")
	}
	if x.check(settle - time.Millisecond) {
		t.Fatal("taken before it settled")
	}
	if !x.check(time.Millisecond) {
		t.Fatal("not taken once settled")
	}
	x.want("settled", "a b c d")
	if x.check(settle) {
		t.Fatal("taken twice")
	}
}

// A writer caught mid-way is never published: every look sees another content until the
// writer is done, and what it is done with settles.
func TestHalfWrittenNeverTaken(t *testing.T) {
	x := newFixture(t, "a b c d e f")
	full := "a b c d e f g h"
	for i := 1; i < len(full); i++ {
		x.write(full[:i]) // a truncate, then one chunk more each look
		if x.check(settle) {
			x.want(fmt.Sprintf("after %d bytes", i), "never taken")
		}
	}
	x.write(full)
	if x.check(settle) {
		t.Fatal("the finished file taken at first sight")
	}
	if !x.check(settle) {
		t.Fatal("the finished file not taken once settled")
	}
	x.want("done", full)
}

// A look whose stamp moves during its read is dropped, even if the content read is the
// same as at the previous look.
func TestBusyLookDropped(t *testing.T) {
	src := &fakeSource{content: "a b c d", stamp: follow.Stamp{Ino: 1, Size: 1}}
	clock := followtest.NewClock(time.Unix(1000, 0))
	f := follow.New(src, words, nil, follow.Options{Clock: clock})
	if err := f.Start(); err != nil { // Mod 0: not modified since long ago
		t.Fatal(err)
	}
	src.set("a b", 2)
	f.Check(clock.Now())
	src.mu.Lock()
	src.busy = 1 // the writer goes on as it is read
	src.mu.Unlock()
	clock.Advance(settle)
	if next, changed := f.Check(clock.Now()); changed || next.IsZero() {
		t.Fatalf("busy look: changed %v, next %v (want a look again soon)", changed, next)
	}
	clock.Advance(settle)
	if _, changed := f.Check(clock.Now()); changed {
		t.Fatal("taken after a busy look without settling again")
	}
	clock.Advance(settle)
	if _, changed := f.Check(clock.Now()); !changed {
		t.Fatal("not taken once settled")
	}
}

// Content far smaller than the last good one settles twice before it is believed; if it
// goes back meanwhile, it never was.
func TestSuspectSettlesTwice(t *testing.T) {
	x := newFixture(t, "a b c d e f")
	x.write("a")
	x.check(0)
	if x.check(settle) {
		t.Fatal("a shrunk file believed after one settle")
	}
	if !x.check(settle) {
		t.Fatal("a shrunk file not believed after two settles")
	}
	x.want("shrunk", "a")

	x = newFixture(t, "a b c d e f")
	x.write("a")
	x.check(0)
	x.check(settle)
	x.write("a b c d e f g")
	for range 3 {
		x.check(settle)
	}
	x.want("fixed", "a b c d e f g")
}

func TestErrorsOnce(t *testing.T) {
	x := newFixture(t, "a")
	settled := func(content string) {
		x.write(content)
		x.check(0)
		x.check(settle)
	}
	settled("a bad1")
	settled("a bad1 b") // another content, the same error
	x.age()             // touched
	x.check(settle)
	settled("bad2")
	settled("b")
	settled("a bad1")
	want := []string{"word 2: bad1", "word 1: bad2", "word 2: bad1"}
	if strings.Join(x.errors, "|") != strings.Join(want, "|") {
		t.Fatalf("errors %q, want %q", x.errors, want)
	}
	x.want("last good", "b")

	if err := os.Remove(x.path); err != nil {
		t.Fatal(err)
	}
	x.check(settle)
	x.check(settle)
	if len(x.errors) != 4 || !strings.Contains(x.errors[3], "no such file") {
		t.Fatalf("a removed file: errors %q", x.errors)
	}
	x.want("removed", "b")

	// back with the content it had, then gone again: the second outage is news
	x.write("b")
	x.check(settle)
	x.check(settle)
	if err := os.Remove(x.path); err != nil {
		t.Fatal(err)
	}
	x.check(settle)
	if len(x.errors) != 5 || !strings.Contains(x.errors[4], "no such file") {
		t.Fatalf("removed again: errors %q", x.errors)
	}
	x.want("removed again", "b")
}

// A file renamed into place, written before, is whole: it is taken at first sight.
func TestRenameTakenAtOnce(t *testing.T) {
	x := newFixture(t, "a b")
	tmp := x.path + ".tmp"
	if err := os.WriteFile(tmp, []byte("c d"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Its last write well before the rename, however coarse the file system's clock.
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(tmp, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, x.path); err != nil {
		t.Fatal(err)
	}
	if !x.check(0) {
		t.Fatal("a renamed file not taken at first sight")
	}
	x.want("renamed", "c d")
}

// A new version of a mounted ConfigMap is taken at first sight, through the key's symlink.
func TestSymlinkSwapTakenAtOnce(t *testing.T) {
	dir := t.TempDir()
	swap := func(version, content string) {
		t.Helper()
		if err := os.Mkdir(filepath.Join(dir, version), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, version, "key"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(version, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	swap("..v1", "a b")
	key := filepath.Join(dir, "key")
	if err := os.Symlink("..data/key", key); err != nil {
		t.Fatal(err)
	}
	clock := followtest.NewClock(time.Now())
	f := follow.New(follow.Path(key), words, nil, follow.Options{Clock: clock})
	if err := f.Start(); err != nil { // just written, but a version of a mount is whole
		t.Fatal(err)
	}
	swap("..v2", "c d")
	if _, changed := f.Check(clock.Now()); !changed {
		t.Fatal("a new version not taken at first sight")
	}
	if got, _ := f.Value(); strings.Join(got, " ") != "c d" {
		t.Fatalf("got %q", got)
	}
}

func TestStart(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("a bad"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := follow.New(follow.Path(bad), words, nil, follow.Options{Clock: followtest.NewClock(time.Now().Add(time.Hour))})
	var pe *follow.ParseError
	if err := f.Start(); !errors.As(err, &pe) || err.Error() != "word 2: bad" {
		t.Errorf("bad content: %v, want a ParseError", err)
	}
	f = follow.New(follow.Path(filepath.Join(dir, "absent")), words, nil, follow.Options{})
	if err := f.Start(); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent: %v", err)
	}

	// Just written: read again until it settles, the clock moved by the test.
	fresh := filepath.Join(dir, "fresh")
	if err := os.WriteFile(fresh, []byte("a b"), 0o644); err != nil {
		t.Fatal(err)
	}
	clock := followtest.NewClock(time.Now())
	f = follow.New(follow.Path(fresh), words, nil, follow.Options{Clock: clock})
	if err := startDriven(t, clock, f.Start, settle); err != nil {
		t.Fatal(err)
	}

	// Still being written after StartWait: an error naming the file.
	src := &fakeSource{content: "a", stamp: follow.Stamp{Ino: 1, Mod: time.Now().UnixNano()}, busy: -1}
	clock = followtest.NewClock(time.Now())
	f = follow.New(src, words, nil, follow.Options{Clock: clock})
	if err := startDriven(t, clock, f.Start, settle); err == nil || err.Error() != "fake: still changing after 5s" {
		t.Errorf("a file that never settles: %v", err)
	}
}

// startDriven runs start and moves the clock by step each time it waits; it returns
// start's error and fails if start waited more than StartWait.
func startDriven(t *testing.T, clock *followtest.Clock, start func() error, step time.Duration) error {
	t.Helper()
	done := make(chan struct{})
	defer close(done)
	t0 := clock.Now()
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if clock.Waiting(1) {
				clock.Advance(step)
			}
		}
	}()
	err := start()
	if waited := clock.Now().Sub(t0); waited > follow.StartWait {
		t.Errorf("start waited %v", waited)
	}
	return err
}

func TestLoop(t *testing.T) {
	clock := followtest.NewClock(time.Unix(0, 0))
	calls := make(chan time.Time)
	var soon atomic.Bool
	stop := follow.Loop(clock, 2*time.Second, func(now time.Time) time.Time {
		var next time.Time
		if soon.Load() {
			next = now.Add(100 * time.Millisecond)
		}
		calls <- now
		return next
	})
	tick := func(d time.Duration) time.Time {
		t.Helper()
		if !clock.Waiting(1) {
			t.Fatal("the loop is not waiting")
		}
		clock.Advance(d)
		return <-calls
	}
	if now := tick(2 * time.Second); now != time.Unix(2, 0) {
		t.Fatalf("first call at %v", now)
	}
	soon.Store(true)
	tick(2 * time.Second)
	if now := tick(100 * time.Millisecond); now != time.Unix(4, 100e6) {
		t.Fatalf("the sooner look at %v", now)
	}
	soon.Store(false)
	tick(100 * time.Millisecond)
	clock.Waiting(1)
	stop()
	stop() // a second stop is harmless
	clock.Advance(time.Hour)
	select {
	case now := <-calls:
		t.Fatalf("called at %v after stop returned", now)
	default:
	}
}

// fakeSource is content with a stamp set by the test. The next busy reads (all if busy is
// negative) move the stamp, as a writer at work would.
type fakeSource struct {
	mu      sync.Mutex
	content string
	stamp   follow.Stamp
	busy    int
}

func (s *fakeSource) set(content string, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.content, s.stamp.Size = content, size
}

func (s *fakeSource) Stat() (follow.Stamp, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stamp, nil
}

func (s *fakeSource) Read() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy != 0 {
		s.busy--
		s.stamp.Size++
	}
	return []byte(s.content), nil
}

func (s *fakeSource) String() string { return "fake" }
