package zone

import (
	"bytes"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/follow"

	"github.com/miekg/dns"
)

// DefaultPoll is how often Watch checks its file when given no interval.
const DefaultPoll = time.Second

// Watch reads the zone file at path for origin (see Parse) once it has settled (see
// package follow) and calls onChange with its records before returning; an error there is
// returned, so that a bad file fails at startup. Then it checks the file every interval
// (DefaultPoll if interval ≤ 0) and calls onChange with the records of each new content
// once it has settled; a file that lost its SOA settles twice before it is believed. A file
// that fails to read or parse is logged through logf (`FILE:LINE: message`) once per
// distinct error, and the last good records stay in place: onChange only ever sees good,
// whole data. Calls to onChange do not overlap. logf may be nil.
//
// stop ends the watch; once it returns, onChange is not called again.
func Watch(path, origin string, interval time.Duration, onChange func([]dns.RR), logf func(format string, args ...any)) (stop func(), err error) {
	return watch(path, origin, interval, onChange, logf, nil)
}

func watch(path, origin string, interval time.Duration, onChange func([]dns.RR), logf func(format string, args ...any), clock follow.Clock) (stop func(), err error) {
	if interval <= 0 {
		interval = DefaultPoll
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	parse := func(data []byte) ([]dns.RR, error) { return Parse(bytes.NewReader(data), origin, path) }
	f := follow.New(follow.Path(path), parse, lostSOA, follow.Options{
		Clock:   clock,
		OnError: func(err error) { logf("%v", err) },
	})
	if err := f.Start(); err != nil {
		return nil, err
	}
	rrs, _ := f.Value()
	onChange(rrs)
	return f.Follow(interval, onChange), nil
}

// lostSOA reports whether next lacks the SOA last has: a file cut short or mangled more
// likely than an operator who wants the serial synthesized from now on.
func lostSOA(last, next []dns.RR) bool {
	return hasSOA(last) && !hasSOA(next)
}

func hasSOA(rrs []dns.RR) bool {
	for _, rr := range rrs {
		if rr.Header().Rrtype == dns.TypeSOA {
			return true
		}
	}
	return false
}
