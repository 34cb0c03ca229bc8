package controller

import (
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engineWithLivePreempts drives two ambulances towards junction X, one
// from the west and one from the south, until both have asked for it: the
// later one is denied (conflicting phases), the first holds it.
func engineWithLivePreempts(t *testing.T) (*Engine, time.Time) {
	t.Helper()
	e, err := New(Config{ControllerID: "cc-1"}, crossMap(t, 60))
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	speed := 10.0
	east, north := 90.0, 0.0
	var now time.Time
	for s := 1; s <= 20; s++ {
		now = t0.Add(time.Duration(s) * time.Second)
		w := lonLatAt(-300+10*float64(s), 0)
		require.NoError(t, e.Step(now, PositionInput(wire.Position{VehicleID: "amb-w", Seq: uint64(s), TS: now,
			Lat: w[1], Lon: w[0], SpeedMps: &speed, HeadingDeg: &east, Emergency: true})))
		sth := lonLatAt(0, -320+10*float64(s))
		require.NoError(t, e.Step(now, PositionInput(wire.Position{VehicleID: "amb-s", Seq: uint64(s), TS: now,
			Lat: sth[1], Lon: sth[0], SpeedMps: &speed, HeadingDeg: &north, Emergency: true})))
		e.Ready()
	}
	return e, now
}

func TestReassertReissuesLivePreemptsWithFreshExpiry(t *testing.T) {
	e, now := engineWithLivePreempts(t)
	live := e.LiveRequestIDs(nil)
	require.Len(t, live, 1, "one of the two conflicting requests holds X, the other waits")

	later := now.Add(2 * time.Second)
	e.Reassert(later)
	rd := e.Ready()
	require.Len(t, rd.Commands, 1)
	c := rd.Commands[0]
	assert.Equal(t, wire.CommandPreempt, c.Type)
	assert.Equal(t, live[0], c.RequestID, "the same passage keeps its request id")
	assert.Equal(t, later, c.IssuedAt)
	assert.Equal(t, later.Add(DefaultLease), c.ExpiresAt)

	e.Reassert(now) // time going backwards: refused, nothing sent
	rd = e.Ready()
	assert.Empty(t, rd.Commands)
	require.Len(t, rd.Decisions, 1)
	assert.Equal(t, ReasonTimeBackwards, rd.Decisions[0].Reason)
}

func TestReleaseAllReleasesAndServesNobodyElse(t *testing.T) {
	e, now := engineWithLivePreempts(t)
	live := e.LiveRequestIDs(nil)
	require.NotEmpty(t, live)

	e.ReleaseAll(now.Add(time.Second), ReasonShutdown)
	rd := e.Ready()
	var released []string
	for _, c := range rd.Commands {
		require.Equal(t, wire.CommandRelease, c.Type, "releasing must not hand X to the waiting vehicle")
		released = append(released, c.RequestID)
	}
	assert.ElementsMatch(t, live, released)
	assert.Empty(t, e.LiveRequestIDs(nil))
	for _, d := range rd.Decisions {
		if d.Kind == DecisionRelease {
			assert.Equal(t, ReasonShutdown, d.Reason)
		}
	}
}
