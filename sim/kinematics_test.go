package sim

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testKin = Kinematics{Accel: 2.5, Decel: 3.5, SpeedFactor: 1.2, StepS: 0.1}

func TestKinematicsAcceleratesToDesiredSpeed(t *testing.T) {
	pos, v := 0.0, 0.0
	for range 40 { // 4 s at 2.5 m/s² would reach 10 m/s
		pos, v = testKin.Next(pos, v, 20, NoTarget)
	}
	assert.InDelta(t, 10, v, 1e-9)
	assert.InDelta(t, 2.5*0.1*0.1*40*41/2, pos, 1e-9, "x' = x + v'·dt summed over the steps")
	for range 100 {
		pos, v = testKin.Next(pos, v, 20, NoTarget)
	}
	assert.Equal(t, 20.0, v, "never above the desired speed")
	_, v = testKin.Next(pos, v, 15, NoTarget)
	assert.InDelta(t, 20-0.35, v, 1e-9, "a slower road is met at the comfortable deceleration")
}

// A vehicle that starts braking for a target exactly at its stopping
// distance stands at the target without exceeding the comfortable
// deceleration and without passing it.
func TestKinematicsStopsWithinStoppingDistance(t *testing.T) {
	for _, v0 := range []float64{5, 13.9, 16.7, 20} {
		target := testKin.StoppingDistance(v0)
		pos, v := 0.0, v0
		steps := 0
		for v > 0 && steps < 1000 {
			prev := v
			pos, v = testKin.Next(pos, v, v0, target)
			require.LessOrEqual(t, pos, target, "v0=%v: passed the target", v0)
			if v > 0 { // the last step snaps to standing at the target (SnapM)
				require.LessOrEqual(t, prev-v, testKin.Decel*testKin.StepS+1e-9, "v0=%v: braked harder than Decel", v0)
			}
			steps++
		}
		assert.InDelta(t, target, pos, 1e-9, "v0=%v: stands at the target", v0)
		assert.Less(t, steps, 1000)
	}
}

func TestKinematicsHardStopNeverPassesTarget(t *testing.T) {
	// A red that appears 5 m ahead at 16.7 m/s: physics says the vehicle
	// cannot stop comfortably; the model clamps it to the line.
	pos, v := testKin.Next(100, 16.7, 16.7, 105)
	assert.LessOrEqual(t, pos, 105.0)
	assert.GreaterOrEqual(t, v, 0.0)
	assert.Greater(t, testKin.StoppingDistance(16.7), 5.0)
}

func TestKinematicsStandsAtTarget(t *testing.T) {
	pos, v := testKin.Next(50, 0, 15, 50.01)
	assert.Equal(t, 50.01, pos)
	assert.Equal(t, 0.0, v)
}

// The correlated GPS error keeps its σ and is correlated from fix to fix
// as exp(-Δt/τ).
func TestGaussMarkovKeepsSigma(t *testing.T) {
	rng := RNGFor(1, "test")
	const sigma, dt, tau, n = 25.0, 1.0, 20.0, 200000
	e := rng.NormFloat64() * sigma
	var sum2, lag float64
	for range n {
		next := GaussMarkov(e, rng.NormFloat64()*sigma, dt, tau)
		sum2 += next * next
		lag += next * e
		e = next
	}
	assert.InDelta(t, sigma, math.Sqrt(sum2/n), 0.5)
	assert.InDelta(t, math.Exp(-dt/tau), lag/sum2, 0.02)
}
