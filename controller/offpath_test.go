package controller

import (
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A fix 45 m off the road is noise when the unit says it is good to only
// 25 m, and a departure when it claims the usual accuracy (or none): the
// off-path tolerance widens with the reported accuracy.
func TestOffPathToleranceFollowsReportedAccuracy(t *testing.T) {
	for _, tc := range []struct {
		name      string
		accuracy  *float64
		wantLeave bool
	}{
		{"poor fix: noise", new(25.0), false},
		{"no accuracy: left", nil, true},
		{"good fix: left", new(5.0), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(Config{ControllerID: "cc-1"}, crossMap(t, 60))
			require.NoError(t, err)
			t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
			speed, heading := 10.0, 90.0
			fix := func(s int, y float64, acc *float64) {
				now := t0.Add(time.Duration(s) * time.Second)
				ll := lonLatAt(-200+10*float64(s), y)
				require.NoError(t, e.Step(now, PositionInput(wire.Position{VehicleID: "amb-1", Seq: uint64(s), TS: now,
					Lat: ll[1], Lon: ll[0], SpeedMps: &speed, HeadingDeg: &heading, AccuracyM: acc, Emergency: true})))
			}
			for s := 1; s <= 4; s++ {
				fix(s, 0, tc.accuracy)
			}
			require.Len(t, e.LiveRequestIDs(nil), 1, "X is requested on the way in")
			e.Ready()
			fix(5, 45, tc.accuracy)
			var leftPath bool
			for _, d := range e.Ready().Decisions {
				leftPath = leftPath || d.Kind == DecisionRelease && d.Reason == ReasonLeftPath
			}
			assert.Equal(t, tc.wantLeave, leftPath)
		})
	}
}
