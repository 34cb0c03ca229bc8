package demo

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/brokertest"
)

// The demo runs end to end on the shipped map, against the embedded broker
// and against Mosquitto, and its summary adds up: every signal on the
// route is met, every one is requested, the live trip is no faster than
// free flow, and preemption does not make the trip slower than without.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo (a few seconds); skipped with -short")
	}
	run := func(t *testing.T, brokerURL string) {
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sum, err := Run(ctx, Options{BrokerURL: brokerURL, Speedup: 40, Vehicles: 2, Out: &out})
		require.NoError(t, err, out.String())
		require.Len(t, sum.Vehicles, 2)
		for _, v := range sum.Vehicles {
			assert.GreaterOrEqual(t, v.Signals, 4)
			// Most signals are requested: not perhaps the first (the trip
			// starts in it and may be out before a request is made), nor
			// one the other ambulance holds on a conflicting phase (the
			// engine denies the later one there).
			assert.GreaterOrEqual(t, v.Preempts, v.Signals/2, "%s: signals on the route requested", v.ID)
			assert.LessOrEqual(t, v.Preempts, v.Signals, "%s: a signal requested twice", v.ID)
			assert.Greater(t, v.Granted, 0)
			assert.LessOrEqual(t, v.GreenArrivals, v.Signals)
			assert.Greater(t, v.TravelS, 0.0)
			assert.GreaterOrEqual(t, v.TravelS, v.Off.FreeFlowS-1, "%s: faster than free flow", v.ID)
			assert.Greater(t, v.Off.TravelTimeS, 0.0)
			assert.LessOrEqual(t, v.TravelS, v.Off.TravelTimeS+1, "%s: preemption made it slower", v.ID)
		}
		assert.Contains(t, out.String(), "summary")
		assert.Contains(t, out.String(), "time saved")
	}
	t.Run("embedded", func(t *testing.T) { run(t, "") })
	t.Run("mosquitto", func(t *testing.T) { run(t, brokertest.Mosquitto(t).URL()) })
}

func TestFindDefaultMapFromASubdirectory(t *testing.T) {
	// The test runs in internal/demo: the map is two levels up.
	p, err := FindDefaultMap()
	require.NoError(t, err)
	assert.FileExists(t, p)
}

func TestRejectsBadOptions(t *testing.T) {
	_, err := Run(context.Background(), Options{Speedup: 1000})
	assert.ErrorContains(t, err, "speed-up")
	_, err = Run(context.Background(), Options{Vehicles: -1})
	assert.ErrorContains(t, err, "vehicles")
	_, err = Run(context.Background(), Options{BrokerURL: "localhost:1883"})
	assert.Error(t, err)
}
