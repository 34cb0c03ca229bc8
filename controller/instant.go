package controller

import (
	"math"
	"time"
)

// instant is a time on the engine's own clock: nanoseconds since its
// epoch, the first time it was given. The engine compares and offsets
// times many times a fix; as an int64 each is an instruction, where
// time.Time (wall and monotonic readings, a location) took a tenth of
// Step. Times come in and go out as time.Time: an instant is made only
// from a driver's now (instantAt), so the differences between instants are
// exactly time.Time's (Sub: on monotonic readings when both have them).
// Arithmetic saturates, as time.Time's Sub does, so that no input, however
// far in time, wraps an instant round: only a clock ±292 years from the
// epoch would saturate, and then deadlines come due early, never late.
type instant int64

// never is no time: the instant of no wakeup, no deadline.
const never instant = math.MaxInt64

// add is t+d, saturated.
func (t instant) add(d time.Duration) instant {
	s := t + instant(d)
	if d > 0 && s < t {
		return never
	}
	if d < 0 && s > t {
		return math.MinInt64
	}
	return s
}

// sub is t-u, saturated.
func (t instant) sub(u instant) time.Duration {
	d := time.Duration(t - u)
	if (u < 0 && d < time.Duration(t)) || (u > 0 && d > time.Duration(t)) {
		if u < 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return d
}

// instantAt is now on the engine's clock; the first time asked sets the
// epoch. It never goes back: a now at or after the engine's (the engine
// refuses earlier ones) whose monotonic reading disagrees with its wall
// clock, against the epoch's, could otherwise come out earlier.
func (e *Engine) instantAt(now time.Time) instant {
	if !e.epochSet {
		e.epoch, e.epochSet = now, true
	}
	return max(instant(now.Sub(e.epoch)), e.nowI)
}

// setNow makes now (whose instant is i) the engine's time.
func (e *Engine) setNow(now time.Time, i instant) {
	e.now, e.nowI = now, i
}

// timeOf is instant i as a time.Time: an offset from the engine's now, so
// that the times it sends (expires_at, the next wakeup) are in the
// location of the now they were decided at, with its monotonic reading.
func (e *Engine) timeOf(i instant) time.Time {
	return e.now.Add(i.sub(e.nowI))
}

// seconds converts a float number of seconds to a duration (truncating
// below the nanosecond).
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
