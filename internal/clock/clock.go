package clock

import (
	"time"
)

// Clock tells the time and makes timers that run on it.
type Clock interface {
	Now() time.Time
	// NewTimer returns a stopped-or-running timer that fires after d of
	// this clock's time. Read the time from Now, not from the channel.
	NewTimer(d time.Duration) *Timer
}

// Timer is a time.Timer whose durations are in its clock's time.
type Timer struct {
	t     *time.Timer
	scale float64 // clock seconds per real second
}

// C delivers when the timer fires.
func (t *Timer) C() <-chan time.Time { return t.t.C }

// Stop prevents the timer from firing; see time.Timer.Stop.
func (t *Timer) Stop() bool { return t.t.Stop() }

// Reset changes the timer to fire after d of clock time; see
// time.Timer.Reset (Go 1.23+ semantics: no stale value is received after
// a Reset).
func (t *Timer) Reset(d time.Duration) bool { return t.t.Reset(realDuration(d, t.scale)) }

func realDuration(d time.Duration, scale float64) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(float64(d) / scale)
}

// Wall is the real clock.
type Wall struct{}

// Now is time.Now.
func (Wall) Now() time.Time { return time.Now() }

// NewTimer is time.NewTimer.
func (Wall) NewTimer(d time.Duration) *Timer { return &Timer{t: time.NewTimer(d), scale: 1} }

// Scaled is a clock that starts at a given time and runs Factor times
// faster than the wall clock.
type Scaled struct {
	factor    float64
	origin    time.Time
	realStart time.Time
}

// NewScaled returns a clock reading origin now and running factor times
// faster than real time (factor 10: one real second is ten clock seconds).
// factor must be positive.
func NewScaled(origin time.Time, factor float64) *Scaled {
	if !(factor > 0) {
		panic("clock: scale factor must be positive")
	}
	return &Scaled{factor: factor, origin: origin, realStart: time.Now()}
}

// Factor is how many clock seconds pass per real second.
func (s *Scaled) Factor() float64 { return s.factor }

// Now is origin plus the real time elapsed since creation, scaled.
func (s *Scaled) Now() time.Time {
	elapsed := time.Since(s.realStart) // monotonic
	return s.origin.Add(time.Duration(float64(elapsed) * s.factor))
}

// NewTimer fires after d of clock time (d/factor of real time).
func (s *Scaled) NewTimer(d time.Duration) *Timer {
	return &Timer{t: time.NewTimer(realDuration(d, s.factor)), scale: s.factor}
}
