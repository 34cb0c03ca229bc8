package controller

import (
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// firstRequestAt drives an eastbound vehicle from x=-700 at 13.9 m/s
// towards junction X, whose eastbound phase 2 turned red at t=1 s (and
// stays red), and returns when the engine first requested X.
func firstRequestAt(t *testing.T, queueAware bool, flowVehH float64) time.Duration {
	t.Helper()
	inter := fourWay("X", 0, 0, 90)
	inter.Approaches[0].FlowVehH, inter.Approaches[0].SatFlowVehH = flowVehH, 1800
	inv := &routing.Inventory{Intersections: []routing.Intersection{inter}, Roads: []routing.Road{
		road("west", 13.9, [2]float64{-1000, 0}, [2]float64{0, 0}),
		road("east", 13.9, [2]float64{0, 0}, [2]float64{1000, 0}),
		road("south", 13.9, [2]float64{0, -1000}, [2]float64{0, 0}),
		road("north", 13.9, [2]float64{0, 0}, [2]float64{0, 1000}),
	}}
	net, err := routing.Build(inv)
	require.NoError(t, err)
	e, err := New(Config{ControllerID: "c", QueueAwareLead: queueAware}, net)
	require.NoError(t, err)
	at := func(s float64) time.Time { return scriptEpoch.Add(time.Duration(s * float64(time.Second))) }
	status := func(s float64, green ...int) {
		require.NoError(t, e.Step(at(s), StatusInput(wire.Status{IntersectionID: "X", TS: at(s), State: wire.StateNormal, GreenPhases: green})))
	}
	status(0, 2, 6)
	status(1, 4, 8)
	require.NoError(t, e.Step(at(1), RouteInput(wire.Route{VehicleID: "amb", TS: at(1),
		Path: []orb.Point{lonLatAt(-1000, 0), lonLatAt(1000, 0)}})))
	speed, heading := 13.9, 90.0
	for s := 2.0; s < 60; s++ {
		ll := lonLatAt(-700+13.9*(s-2), 0)
		require.NoError(t, e.Step(at(s), PositionInput(wire.Position{VehicleID: "amb", Seq: uint64(s), TS: at(s),
			Lon: ll[0], Lat: ll[1], SpeedMps: &speed, HeadingDeg: &heading, Emergency: true})))
		for _, d := range e.Ready().Decisions {
			if d.Kind == DecisionRequest && d.IntersectionID == "X" {
				return at(s).Sub(scriptEpoch)
			}
		}
	}
	t.Fatal("X never requested")
	return 0
}

// TestQueueAwareLead: with the option on and the approach's flow in the
// map, a phase red for long is requested earlier (its queue needs longer
// to clear); without the flow, or with the option off, the fixed flush
// applies.
func TestQueueAwareLead(t *testing.T) {
	off := firstRequestAt(t, false, 900)
	on := firstRequestAt(t, true, 900)
	noFlow := firstRequestAt(t, true, 0)
	require.Equal(t, off, noFlow, "no flow in the map: the fixed flush")
	require.Less(t, on, off-5*time.Second, "a 900 veh/h approach red for half a minute needs a longer lead")
}

func TestRedClock(t *testing.T) {
	var rc redClock
	t0 := scriptEpoch
	rc.observe(&wire.Status{TS: t0, GreenPhases: []int{2, 6}})
	require.Zero(t, rc.known, "nothing has turned red yet")
	rc.observe(&wire.Status{TS: t0.Add(time.Second), GreenPhases: []int{4, 8}})
	require.Equal(t, wire.PhaseBit(2)|wire.PhaseBit(6), rc.known)
	require.Equal(t, t0.Add(time.Second), rc.since[2])
	rc.observe(&wire.Status{TS: t0.Add(5 * time.Second), GreenPhases: []int{2}})
	require.Equal(t, wire.PhaseBit(4)|wire.PhaseBit(6)|wire.PhaseBit(8), rc.known, "2 green again; 4 and 8 red since t0+5")
	require.Equal(t, t0.Add(5*time.Second), rc.since[4])
	require.Equal(t, t0.Add(time.Second), rc.since[6], "6 still red since t0+1")
}
