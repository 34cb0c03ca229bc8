package controller

import (
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// firstPreemptAt drives one ambulance east at 10 m/s from x=-950 towards
// junction X (reached at about t=95 s), after the roadside reported
// status (if any), and returns when the first preempt was issued (zero if
// none) and how many preempts were issued in all.
func firstPreemptAt(t *testing.T, status *wire.Status) (time.Time, int) {
	t.Helper()
	e, err := New(Config{ControllerID: "cc-1"}, crossMap(t, 60))
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	if status != nil {
		require.NoError(t, e.Step(t0, StatusInput(*status)))
	}
	var first time.Time
	preempts := 0
	collect := func() time.Time {
		rd := e.Ready()
		for _, c := range rd.Commands {
			if c.Type == wire.CommandPreempt {
				preempts++
				if first.IsZero() {
					first = c.IssuedAt
				}
			}
		}
		return rd.NextWakeup
	}
	collect()
	speed, heading := 10.0, 90.0
	wake := time.Time{}
	for s := 1; s <= 110; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		for !wake.IsZero() && wake.Before(now) {
			e.Tick(wake)
			wake = collect()
		}
		ll := lonLatAt(-950+10*float64(s), 0)
		require.NoError(t, e.Step(now, PositionInput(wire.Position{VehicleID: "amb-1", Seq: uint64(s), TS: now,
			Lat: ll[1], Lon: ll[0], SpeedMps: &speed, HeadingDeg: &heading, Emergency: true})))
		wake = collect()
	}
	return first, preempts
}

func TestGreenWaveWaitsForThePlannedEndOfAGreenPhase(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	worst, n := firstPreemptAt(t, nil)
	require.NotZero(t, n, "without timing the worst-case lead must request")
	worstS := worst.Sub(t0).Seconds()
	require.Less(t, worstS, 85.0, "the worst-case lead (18 s, optimistic ETA) requests well before arrival at ~95 s")

	t.Run("green ends before arrival: request just before that end", func(t *testing.T) {
		st := wire.Status{IntersectionID: "X", TS: t0, State: wire.StateNormal, GreenPhases: []int{2, 6},
			GreenSince: t0.Add(-10 * time.Second), GreenUntil: t0.Add(88 * time.Second)}
		at, n := firstPreemptAt(t, &st)
		require.NotZero(t, n)
		atS := at.Sub(t0).Seconds()
		assert.GreaterOrEqual(t, atS, 84.0, "requested too early: the phase is green until 88 s")
		assert.Less(t, atS, 88.0, "requested too late: the green would have ended (margin 3 s)")
		assert.Greater(t, atS, worstS+2, "no later than the worst case")
	})
	t.Run("green lasts past arrival: no preempt at all", func(t *testing.T) {
		st := wire.Status{IntersectionID: "X", TS: t0, State: wire.StateNormal, GreenPhases: []int{2, 6},
			GreenSince: t0, GreenUntil: t0.Add(200 * time.Second)}
		_, n := firstPreemptAt(t, &st)
		assert.Zero(t, n)
	})
	t.Run("conflicting green: worst case", func(t *testing.T) {
		st := wire.Status{IntersectionID: "X", TS: t0, State: wire.StateNormal, GreenPhases: []int{4, 8},
			GreenSince: t0, GreenUntil: t0.Add(200 * time.Second)}
		at, _ := firstPreemptAt(t, &st)
		assert.Equal(t, worst, at)
	})
	t.Run("no planned end reported: worst case", func(t *testing.T) {
		st := wire.Status{IntersectionID: "X", TS: t0, State: wire.StateNormal, GreenPhases: []int{2, 6}}
		at, _ := firstPreemptAt(t, &st)
		assert.Equal(t, worst, at)
	})
}
