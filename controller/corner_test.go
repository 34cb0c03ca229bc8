package controller

import (
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/wire"
)

// TestSharpCornerFixStaysOnPath: a vehicle about to turn sharply (130°)
// at the end of a straight, whose fix GPS noise places just past the
// corner with its heading still along the straight, stays on its announced
// path; one that really drives the other way past the corner leaves it.
func TestSharpCornerFixStaysOnPath(t *testing.T) {
	for _, c := range []struct {
		name    string
		heading float64
		leaves  bool
	}{{"into the corner", 90, false}, {"away past the corner", 40, true}} {
		t.Run(c.name, func(t *testing.T) {
			e, err := New(Config{ControllerID: "c"}, corridorMap(t, 60))
			require.NoError(t, err)
			turn := (90.0 + 130) * math.Pi / 180
			corner := [2]float64{800, 0}
			after := func(d float64) orb.Point {
				return lonLatAt(corner[0]+d*math.Sin(turn), corner[1]+d*math.Cos(turn))
			}
			at := func(s float64) time.Time { return scriptEpoch.Add(time.Duration(s * float64(time.Second))) }
			require.NoError(t, e.Step(at(0), RouteInput(wire.Route{VehicleID: "amb", TS: at(0),
				Path: []orb.Point{lonLatAt(0, 0), lonLatAt(corner[0], corner[1]), after(300)}})))
			speed := 10.0
			fix := func(s float64, ll orb.Point, heading float64) {
				require.NoError(t, e.Step(at(s), PositionInput(wire.Position{VehicleID: "amb", Seq: uint64(s) + 1, TS: at(s),
					Lon: ll[0], Lat: ll[1], SpeedMps: &speed, HeadingDeg: &heading, Emergency: true})))
			}
			for s := 1.0; s <= 5; s++ {
				fix(s, lonLatAt(700+10*s, 0), 90)
			}
			e.Ready()
			fix(6, after(4), c.heading)
			left := false
			for _, d := range e.Ready().Decisions {
				left = left || d.Kind == DecisionRoute && d.Reason == ReasonRoadAhead
			}
			require.Equal(t, c.leaves, left, "decisions after the fix past the corner")
		})
	}
}

// TestNotPassedBeforeTurning: a vehicle whose path turns left at I2, placed
// 8 m into the road out (past the stop line by more than PassedMarginM)
// while still heading along the road in, keeps its preempt; once its
// heading is the road out's, the preempt is released as passed.
func TestNotPassedBeforeTurning(t *testing.T) {
	e, err := New(Config{ControllerID: "c"}, corridorMap(t, 60))
	require.NoError(t, err)
	at := func(s float64) time.Time { return scriptEpoch.Add(time.Duration(s * float64(time.Second))) }
	require.NoError(t, e.Step(at(0), RouteInput(wire.Route{VehicleID: "amb", TS: at(0),
		Path: []orb.Point{lonLatAt(600, 0), lonLatAt(1000, 0), lonLatAt(1000, 300)}})))
	speed := 10.0
	seq := uint64(0)
	fix := func(s, x, y, heading float64) []Decision {
		seq++
		require.NoError(t, e.Step(at(s), PositionInput(wire.Position{VehicleID: "amb", Seq: seq, TS: at(s),
			Lon: lonLatAt(x, y)[0], Lat: lonLatAt(x, y)[1], SpeedMps: &speed, HeadingDeg: &heading, Emergency: true})))
		return e.Ready().Decisions
	}
	released := func(ds []Decision) bool {
		for _, d := range ds {
			if d.Kind == DecisionRelease && d.IntersectionID == "I2" {
				return true
			}
		}
		return false
	}
	requested := false
	for s := 1.0; s <= 30; s++ {
		for _, d := range fix(s, 650+10*s, 0, 90) {
			requested = requested || d.Kind == DecisionRequest && d.IntersectionID == "I2"
		}
	}
	require.True(t, requested, "I2 requested on the way")
	require.False(t, released(fix(31, 1000, 8, 90)), "heading still east, 8 m past the node: not through yet")
	require.True(t, released(fix(32, 1000, 12, 0)), "heading north: through")
}
