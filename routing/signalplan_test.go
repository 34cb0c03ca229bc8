package routing

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/signals"
)

func TestSignalTimingConvertsSeconds(t *testing.T) {
	got := Timing{MinGreenS: 7, YellowS: 3.5, AllRedS: 2, PedClearanceS: 12, MaxPreemptS: 90}.Signal()
	assert.Equal(t, signals.Timing{MinGreen: 7 * time.Second, Yellow: 3500 * time.Millisecond, AllRed: 2 * time.Second,
		PedClearance: 12 * time.Second, MaxPreempt: 90 * time.Second}, got)
}

func TestNormalPlanLengthensACycleTooShortForItsStages(t *testing.T) {
	in := Intersection{ID: "X", Timing: DefaultTiming(), Approaches: []Approach{
		{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "WB", BearingDeg: 270, Phase: 6},
		{ID: "NB", BearingDeg: 0, Phase: 4}, {ID: "SB", BearingDeg: 180, Phase: 8}, {ID: "NEB", BearingDeg: 45, Phase: 10},
		{ID: "EB2", BearingDeg: 95, Phase: 2}}}
	assert.Equal(t, []int{2, 6, 4, 8, 10}, in.Phases())

	plan, tm, err := in.NormalPlan(30*time.Second, 0.6)
	require.NoError(t, err)
	assert.Equal(t, 7*time.Second, tm.MinGreen)
	assert.Greater(t, plan.Cycle, 30*time.Second, "three stages cannot fit in 30 s at 7 s min green and 6 s clearance")
	for _, s := range plan.Stages {
		assert.GreaterOrEqual(t, s.Green, tm.MinGreen)
	}
	_, err = signals.NewRoadside("X", plan, tm)
	require.NoError(t, err)
}
