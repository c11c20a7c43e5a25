package follow

import "time"

// Clock is the time a File and a Loop go by; tests drive their own.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// System is the system clock.
var System Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
