package controller

import (
	"math"
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInstantArithmeticSaturates(t *testing.T) {
	const minI = instant(math.MinInt64)
	for _, c := range []struct {
		t    instant
		d    time.Duration
		want instant
	}{
		{5, 3, 8},
		{5, -7, -2},
		{never - 1, 1, never},
		{never - 1, 2, never},
		{never, time.Hour, never},
		{minI + 1, -2, minI},
		{0, math.MaxInt64, never},
	} {
		assert.Equal(t, c.want, c.t.add(c.d), "%d + %d", c.t, c.d)
	}
	for _, c := range []struct {
		t, u instant
		want time.Duration
	}{
		{8, 5, 3},
		{5, 8, -3},
		{never, -1, math.MaxInt64},
		{minI, 1, math.MinInt64},
		{never, 0, math.MaxInt64},
		{-1, never, math.MinInt64},
	} {
		assert.Equal(t, c.want, c.t.sub(c.u), "%d - %d", c.t, c.u)
	}
}

// drive runs one emergency vehicle east along the corridor map at 14 m/s
// for a minute from start, a fix a second, ticking at the engine's
// wakeups, and returns the commands the engine sent.
func drive(t *testing.T, e *Engine, id string, start time.Time) []wire.Command {
	t.Helper()
	var cmds []wire.Command
	drain := func(now time.Time) {
		rd := e.Ready()
		cmds = append(cmds, rd.Commands...)
		if !rd.NextWakeup.IsZero() {
			require.False(t, rd.NextWakeup.Before(now), "next wakeup %v before now %v", rd.NextWakeup, now)
		}
	}
	for k := 0; k < 60; k++ {
		now := start.Add(time.Duration(k) * time.Second)
		for {
			next := e.Ready().NextWakeup
			if next.IsZero() || !next.Before(now) {
				break
			}
			e.Tick(next)
			drain(next)
		}
		ll := lonLatAt(14*float64(k), 0)
		require.NoError(t, e.Step(now, PositionInput(wire.Position{VehicleID: id, Seq: uint64(k + 1), TS: now,
			Lon: ll[0], Lat: ll[1], SpeedMps: new(14.0), Emergency: true})))
		drain(now)
	}
	return cmds
}

// The engine's clock starts at the first time it is given, so any year
// is served alike; a time more than 292 years from that start saturates
// the clock, and then the engine holds nothing rather than holding past a
// limit it can no longer count to.
func TestEngineClockFromItsFirstTime(t *testing.T) {
	countPreempts := func(cmds []wire.Command) (n int) {
		for _, c := range cmds {
			if c.Type == wire.CommandPreempt && c.VehicleID == "amb-1" {
				n++
			}
		}
		return n
	}
	net := corridorMap(t, 60)
	start2026 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	start2400 := time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC) // beyond UnixNano's range

	e, err := New(Config{ControllerID: "cc-1"}, net)
	require.NoError(t, err)
	base := drive(t, e, "amb-1", start2026)
	require.Positive(t, countPreempts(base))

	e, err = New(Config{ControllerID: "cc-1"}, net)
	require.NoError(t, err)
	later := drive(t, e, "amb-1", start2400)
	require.Equal(t, len(base), len(later), "a run in 2400 sends what the same run in 2026 does")
	for i := range base {
		assert.Equal(t, base[i].Type, later[i].Type)
		assert.Equal(t, base[i].ExpiresAt.Sub(base[i].IssuedAt), later[i].ExpiresAt.Sub(later[i].IssuedAt))
	}

	e, err = New(Config{ControllerID: "cc-1"}, net)
	require.NoError(t, err)
	drive(t, e, "amb-0", start2026)
	far := drive(t, e, "amb-1", start2400)
	assert.Zero(t, countPreempts(far), "with its clock saturated the engine requests nothing")
}
