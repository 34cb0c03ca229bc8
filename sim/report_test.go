package sim

import (
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/assert"
)

const sec = time.Second

// Plan: phase 4 (bit 8) green 0–30 s, phase 2 (bit 2) green 30–60 s.
var planLog = []maskAt{{0, wire.PhaseBit(4)}, {30 * sec, wire.PhaseBit(2)}, {60 * sec, wire.PhaseBit(4)}}

func TestGreenLostCountsOnlyPhasesNotServingTheEV(t *testing.T) {
	// A preempt for phase 2 holds it from 10 s to 60 s: phase 4 loses
	// 10–30 s of its planned green; phase 2 is the EV's, so it never
	// counts.
	actual := []maskAt{{0, wire.PhaseBit(4)}, {10 * sec, 0}, {16 * sec, wire.PhaseBit(2)}, {60 * sec, wire.PhaseBit(4)}}
	ev := []maskAt{{0, 0}, {10 * sec, wire.PhaseBit(2)}, {60 * sec, 0}}
	assert.InDelta(t, 20.0, greenLost(planLog, actual, ev, 90*sec), 1e-9)
	// Phase 2 never falls short of its planned green here, so the
	// attribution changes nothing.
	assert.InDelta(t, 20.0, greenLost(planLog, actual, nil, 90*sec), 1e-9)
	// The plan against itself loses nothing.
	assert.Zero(t, greenLost(planLog, planLog, nil, 90*sec))
	// Two cross phases green together count twice (phase-seconds).
	both := []maskAt{{0, wire.PhaseBit(4) | wire.PhaseBit(8)}}
	assert.InDelta(t, 20.0, greenLost(both, []maskAt{{0, 0}}, nil, 10*sec), 1e-9)
}

func TestRecoveryIsTimeToShowThePlansGreensAgain(t *testing.T) {
	// The preempt ends at 35 s keeping phase 2 green (the plan's green
	// too): recovered at once. One ending at 20 s with phase 2 green while
	// the plan shows phase 4 recovers at 30 s, when the plan reaches
	// phase 2.
	actual := []maskAt{{0, wire.PhaseBit(2)}, {60 * sec, wire.PhaseBit(4)}}
	got := appendRecoveries(nil, planLog, actual, []time.Duration{35 * sec, 20 * sec}, 90*sec)
	assert.Equal(t, []float64{0, 10}, got)
	// All red on both sides is not "back in the plan".
	allRed := []maskAt{{0, 0}, {40 * sec, wire.PhaseBit(2)}}
	plan := []maskAt{{0, 0}, {5 * sec, wire.PhaseBit(2)}}
	assert.Equal(t, []float64{40}, appendRecoveries(nil, plan, allRed, []time.Duration{0}, 90*sec))
	// Never recovered: counts until the end of the run.
	assert.Equal(t, []float64{50}, appendRecoveries(nil, planLog, []maskAt{{0, wire.PhaseBit(8)}}, []time.Duration{40 * sec}, 90*sec))
}

func TestMedian(t *testing.T) {
	assert.Zero(t, Median(nil))
	assert.Equal(t, 2.0, Median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, Median([]float64{4, 1, 3, 2}))
}
