package zone

import (
	"bytes"
	"crypto/sha256"
	"os"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/poll"

	"github.com/miekg/dns"
)

// DefaultPoll is how often Watch checks its file when given no interval.
const DefaultPoll = 2 * time.Second

// Watch reads the zone file at path for origin (see Parse) and calls onChange with its
// records before returning; an error there is returned, so that a bad file fails at
// startup. Then it checks the file every interval (DefaultPoll if interval ≤ 0): when its
// modification time or size changed and its content did too, it parses it again and calls
// onChange with the new records. A file that fails to parse or to read is logged through
// logf (`FILE:LINE: message`) once per failure, and the last good records stay in place:
// onChange only ever sees good data. Calls to onChange do not overlap. logf may be nil.
//
// stop ends the watch; once it returns, onChange is not called again.
func Watch(path, origin string, interval time.Duration, onChange func([]dns.RR), logf func(format string, args ...any)) (stop func(), err error) {
	w := &watcher{path: path, origin: origin}
	rrs, _, err := w.load()
	if err != nil {
		return nil, err
	}
	onChange(rrs)
	if interval <= 0 {
		interval = DefaultPoll
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	var failed string // the failure last logged
	return poll.Every(interval, func() {
		rrs, changed, err := w.load()
		switch {
		case err != nil:
			if err.Error() != failed {
				failed = err.Error()
				logf("%s", failed)
			}
		case changed:
			failed = ""
			onChange(rrs)
		}
	}), nil
}

type watcher struct {
	path, origin string
	modTime      time.Time
	size         int64
	sum          [sha256.Size]byte // of the content last parsed, good or not
}

// load parses the file if it changed since the last call.
func (w *watcher) load() (rrs []dns.RR, changed bool, err error) {
	fi, err := os.Stat(w.path)
	if err != nil {
		w.modTime, w.size = time.Time{}, 0 // read it again when it comes back
		return nil, false, err
	}
	if fi.ModTime().Equal(w.modTime) && fi.Size() == w.size {
		return nil, false, nil
	}
	data, err := os.ReadFile(w.path)
	if err != nil {
		return nil, false, err
	}
	w.modTime, w.size = fi.ModTime(), fi.Size()
	sum := sha256.Sum256(data)
	if sum == w.sum {
		return nil, false, nil // touched, or rewritten with the same content
	}
	w.sum = sum
	rrs, err = Parse(bytes.NewReader(data), w.origin, w.path)
	return rrs, err == nil, err
}
