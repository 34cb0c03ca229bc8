package controller

import (
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ViewVehicle shows the path the engine follows a vehicle on and where on
// it the last fix was located; a vehicle driving east along the corridor
// is further along it a fix later, and its path changes when it leaves.
func TestViewVehicleFollowsTheEnginesPath(t *testing.T) {
	net := corridorMap(t, 60)
	e, err := New(Config{ControllerID: "cc-1"}, net)
	require.NoError(t, err)
	_, ok := e.ViewVehicle("amb-1")
	assert.False(t, ok, "an unknown vehicle has no view")

	fix := func(seq uint64, x, y, heading float64, emergency bool) {
		ll := lonLatAt(x, y)
		// Fixes 4 s apart, so that the turn into the alley, 195 m on, is
		// a plausible move (Config.MaxSpeedMps).
		now := scriptEpoch.Add(time.Duration(seq) * 4 * time.Second)
		require.NoError(t, e.Step(now, PositionInput(wire.Position{VehicleID: "amb-1", Seq: seq, TS: now,
			Lon: ll[0], Lat: ll[1], SpeedMps: new(13.9), HeadingDeg: new(heading), Emergency: emergency})))
		e.Ready()
	}
	fix(1, 100, 0, 90, true)
	v1, ok := e.ViewVehicle("amb-1")
	require.True(t, ok)
	require.NotNil(t, v1.Path, "the road ahead is followed")
	assert.True(t, v1.OnPath)
	assert.True(t, v1.Emergency)
	assert.NotEmpty(t, v1.Path.Signals())

	fix(2, 114, 0, 90, true)
	v2, _ := e.ViewVehicle("amb-1")
	assert.Same(t, v1.Path, v2.Path, "the same path while on it")
	assert.InDelta(t, v1.AlongM+14, v2.AlongM, 1)

	// Off onto the alley, heading north, lights off.
	fix(3, 300, 60, 0, false)
	fix(4, 300, 75, 0, false)
	v3, _ := e.ViewVehicle("amb-1")
	assert.False(t, v3.Emergency)
	assert.NotSame(t, v1.Path, v3.Path, "a new path on the alley")
}
