package zone

// WatchWithClock is Watch on a clock the test moves.
var WatchWithClock = watch
