// Package follow follows what operators edit while the server runs — zone files, manifest
// files, a kube-dns ConfigMap — and hands over its parsed content only once it is whole.
//
// It is ours and not CoreDNS's: the file plugin's reload (plugin/file/reload.go) parses the
// file at each tick as it finds it and takes it if it parses with a higher serial, so a zone
// caught half-written by an editor, `cp` or a slow writer is served when the cut falls after
// the SOA and between records (or in a comment); manifests and ConfigMaps have no serial at
// all. Here:
//
//   - A look stats, reads and stats again; a file whose stamp (inode, size, times) moved
//     during the read is being written, and the look is discarded.
//   - Content is taken once it has settled: the same stamp and hash on two looks at least
//     Settle (500 ms) apart. A writer would have to stall that long mid-way to be caught.
//   - What was replaced whole is taken at first sight: a file renamed into place after it
//     was written (a new inode whose ctime is after its mtime: a write sets both), or a
//     new version of a mounted ConfigMap (its ..data symlink moved: the kubelet writes the
//     version's files before it swaps the link).
//   - Content that looks like a mistake (Suspect: a zone that lost its SOA, a manifest with
//     far fewer objects) settles a second time before it is believed.
//   - Content that cannot be read or parsed leaves the last good content in place, and each
//     distinct error is reported once.
//   - At start the content must settle too, within StartWait: a file not modified for
//     Settle by its mtime is whole already; otherwise it is looked at again until it is.
//
// Looks take a stat while nothing changes, and a read and a hash while something does.
package follow

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Defaults of Options.
const (
	// Settle is how long content must stay the same before it is taken: long enough for
	// any writer that is not stalled to finish, short enough that an edit is served in
	// about a second.
	Settle = 500 * time.Millisecond
	// StartWait bounds how long a start waits for a file being written to settle.
	StartWait = 5 * time.Second
)

// Options tune a File. The zero value holds the defaults.
type Options struct {
	Settle    time.Duration // 0: Settle
	StartWait time.Duration // 0: StartWait
	Clock     Clock         // nil: the system clock
	// OnError is called once per distinct error (reading or parsing) while the last good
	// content stays in place; nil ignores them.
	OnError func(error)
}

// ParseError is what Start returns for content that was read but did not parse.
type ParseError struct{ Err error }

func (e *ParseError) Error() string { return e.Err.Error() }
func (e *ParseError) Unwrap() error { return e.Err }

// errBusy is a look that saw the stamp move as it read: a writer is at work.
var errBusy = errors.New("changing while read")

// File follows one Source and keeps the last good T parsed from it.
type File[T any] struct {
	src     Source
	parse   func([]byte) (T, error)
	suspect func(last, next T) bool
	opts    Options

	value    T
	have     bool     // value holds good content
	taken    state    // the content value was parsed from
	rejected state    // content that did not parse, not parsed again
	prev     Stamp    // the stamp of the last whole look
	pending  *pending // content seen, not yet settled
	retry    bool     // the last look was busy: look again soon
	reported string   // the error last reported
}

type state struct {
	stamp Stamp
	sum   [sha256.Size]byte
	set   bool
}

type pending struct {
	state
	since time.Time
	again bool // suspect content, settling a second time
}

// New follows src, parsing its content with parse. suspect may be nil.
func New[T any](src Source, parse func([]byte) (T, error), suspect func(last, next T) bool, opts Options) *File[T] {
	if opts.Settle <= 0 {
		opts.Settle = Settle
	}
	if opts.StartWait <= 0 {
		opts.StartWait = StartWait
	}
	if opts.Clock == nil {
		opts.Clock = System
	}
	return &File[T]{src: src, parse: parse, suspect: suspect, opts: opts}
}

// Value returns the last good content, and whether there is any.
func (f *File[T]) Value() (T, bool) { return f.value, f.have }

// Start reads the content until it settles and parses it. It returns the error of content
// that cannot be read, that does not parse (a *ParseError), or that is still changing
// after StartWait. Call it once, before Check.
func (f *File[T]) Start() error {
	clock := f.opts.Clock
	deadline := clock.Now().Add(f.opts.StartWait)
	for {
		now := clock.Now()
		next, changed, err := f.check(now, true)
		switch {
		case changed:
			return nil
		case err != nil && !errors.Is(err, errBusy):
			f.reported = err.Error() // the caller has it: Check does not report it again
			return err
		case !now.Before(deadline):
			return fmt.Errorf("%s: still changing after %v", f.src, f.opts.StartWait)
		}
		if next.IsZero() || next.After(deadline) {
			next = deadline
		}
		<-clock.After(next.Sub(now))
	}
}

// Check looks at the content once, at time now. It reports whether new good content was
// taken (see Value), and when it wants to look again: the zero time if nothing is pending.
// Errors go to OnError, each distinct one once.
func (f *File[T]) Check(now time.Time) (next time.Time, changed bool) {
	next, changed, err := f.check(now, false)
	switch {
	case err == nil && f.pending == nil && !f.rejected.set:
		// the file is back to good content: a later failure, even the same one, is news
		f.reported = ""
	case err != nil && !errors.Is(err, errBusy) && err.Error() != f.reported:
		f.reported = err.Error()
		if f.opts.OnError != nil {
			f.opts.OnError(err)
		}
	}
	return next, changed
}

func (f *File[T]) check(now time.Time, start bool) (next time.Time, changed bool, err error) {
	st, data, err := f.look()
	if errors.Is(err, errBusy) {
		f.pending, f.retry = nil, true
		return now.Add(f.opts.Settle), false, err
	}
	f.retry = false
	if err != nil {
		f.pending = nil
		return time.Time{}, false, err
	}
	if data == nil {
		return time.Time{}, false, nil // not touched since the last look
	}
	cur := state{stamp: st, sum: sha256.Sum256(data), set: true}
	whole := st.replaces(f.prev)
	f.prev = st
	switch {
	case f.taken.set && cur.sum == f.taken.sum:
		f.taken, f.rejected, f.pending = cur, state{}, nil // touched, or written back as it was
		return time.Time{}, false, nil
	case f.rejected.set && cur.sum == f.rejected.sum:
		f.rejected, f.pending = cur, nil
		return time.Time{}, false, nil
	}
	p := f.pending
	settled := whole || (start && !now.Before(time.Unix(0, st.Mod).Add(f.opts.Settle)))
	if p != nil && p.state == cur {
		settled = settled || !now.Before(p.since.Add(f.opts.Settle))
	} else {
		p = nil
	}
	if !settled {
		if p == nil {
			f.pending = &pending{state: cur, since: now}
		}
		return f.pending.since.Add(f.opts.Settle), false, nil
	}
	v, err := f.parse(data)
	if err != nil {
		f.rejected, f.pending = cur, nil
		return time.Time{}, false, &ParseError{err}
	}
	if f.have && f.suspect != nil && f.suspect(f.value, v) && (p == nil || !p.again) {
		f.pending = &pending{state: cur, since: now, again: true}
		return now.Add(f.opts.Settle), false, nil
	}
	f.value, f.have, f.taken, f.rejected, f.pending = v, true, cur, state{}, nil
	return time.Time{}, true, nil
}

// look returns the stamp and content, or no content when the stamp is that of content
// already judged and nothing is pending.
func (f *File[T]) look() (Stamp, []byte, error) {
	st, err := f.src.Stat()
	if err != nil {
		return Stamp{}, nil, err
	}
	if f.pending == nil && !f.retry && ((f.taken.set && st == f.taken.stamp) || (f.rejected.set && st == f.rejected.stamp)) {
		return st, nil, nil
	}
	data, err := f.src.Read()
	if err != nil {
		return Stamp{}, nil, err
	}
	after, err := f.src.Stat()
	if err != nil {
		return Stamp{}, nil, err
	}
	if after != st {
		return Stamp{}, nil, fmt.Errorf("%s: %w", f.src, errBusy)
	}
	if data == nil {
		data = []byte{} // empty content is content
	}
	return st, data, nil
}

// Loop calls check every interval, or at the time it asks for when that is sooner, until
// stop is called. Calls do not overlap, and once stop returns check is not called again.
// stop may be called more than once.
func Loop(clock Clock, interval time.Duration, check func(now time.Time) (next time.Time)) (stop func()) {
	if clock == nil {
		clock = System
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		wait := interval
		for {
			select {
			case <-done:
				return
			case <-clock.After(wait):
			}
			select {
			case <-done:
				return
			default:
			}
			now := clock.Now()
			wait = interval
			if next := check(now); !next.IsZero() && next.Sub(now) < wait {
				wait = max(next.Sub(now), 0)
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-exited }) }
}

// Follow starts a Loop that checks f every interval and calls onChange with each new good
// content, from the loop's goroutine.
func (f *File[T]) Follow(interval time.Duration, onChange func(T)) (stop func()) {
	return Loop(f.opts.Clock, interval, func(now time.Time) time.Time {
		next, changed := f.Check(now)
		if changed {
			onChange(f.value)
		}
		return next
	})
}
