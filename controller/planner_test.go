package controller

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/greenwave-project/greenwave/routing"
)

// greedyPlan is the per-junction planner the joint one is measured
// against: at each signal in turn, the option best for that junction
// alone (its cost plus the price of its delay), given the delay the
// choices before it add; nothing downstream is weighed.
func (e *Engine) greedyPlan(v *vehicle, origin *routing.ETAOrigin, first int) []planChoice {
	sigs := v.path.Signals()
	price := min(v.price, maxPlanPrice)
	var out []planChoice
	var shift [planSamples]float64
	for k := 0; k < v.plan.n; k++ {
		i := first + k
		s := &sigs[i]
		m := e.inters[s.Intersection].model
		if !m.usable() {
			out = append(out, planChoice{})
			continue
		}
		lo, hi := e.plan.calib.scales()
		samples, _, _ := arrivalSamples(origin.ToSignal(i), false, lo, hi)
		var arr [planSamples]float64
		for j := range arr {
			arr[j] = samples[j] + shift[j]
		}
		opts := e.junctionOptions(v, m, s, &arr, price, "")
		best := 0
		for j := range opts {
			if opts[j].costVehS+price*opts[j].delayS < opts[best].costVehS+price*opts[best].delayS {
				best = j
			}
		}
		for j := range shift {
			shift[j] += opts[best].delays[j]
		}
		out = append(out, opts[best])
	}
	return out
}

func TestArrivalSamples(t *testing.T) {
	// A vehicle at its pace: the samples span the band around S, in order.
	s, lo, hi := arrivalSamples(routing.ETA{S: 30, MinS: 25, MaxS: 37}, false, 1, 1)
	assert.InDelta(t, 5, lo, 1e-9)
	assert.InDelta(t, 7, hi, 1e-9)
	for k := 1; k < planSamples; k++ {
		assert.Greater(t, s[k], s[k-1])
	}
	assert.Greater(t, s[0], 25.0)
	assert.Less(t, s[planSamples-1], 37.0)
	assert.InDelta(t, 30, s[planSamples/2], 0.6)
	// Narrower when calibrated so.
	n, _, _ := arrivalSamples(routing.ETA{S: 30, MinS: 25, MaxS: 37}, false, 0.2, 0.2)
	assert.Greater(t, n[0], s[0])
	assert.Less(t, n[planSamples-1], s[planSamples-1])
	// A vehicle slower than the road (S far beyond what road speed gives,
	// MinS·MaxS/S): centred on the road-speed time, not on S.
	slow, _, _ := arrivalSamples(routing.ETA{S: 90, MinS: 25, MaxS: 110}, false, 1, 1)
	assert.Less(t, slow[planSamples/2], 40.0)
	// Unless it is held at a red: then the band's own centre.
	held, _, _ := arrivalSamples(routing.ETA{S: 90, MinS: 25, MaxS: 110}, true, 1, 1)
	assert.Greater(t, held[planSamples/2], 70.0)
}

func TestPlanDelay(t *testing.T) {
	v := 15.0
	assert.Zero(t, planDelay(0, v))
	assert.Zero(t, planDelay(-3, v))
	// A slowdown costs far less than its lateness; a stop costs the
	// lateness past the braking time plus braking and accelerating again.
	assert.Less(t, planDelay(1, v), 0.5)
	stop := v / planDecelMps2
	assert.InDelta(t, planDelay(stop, v), v/(2*planDecelMps2)+v/(2*planAccelMps2), 1e-9)
	assert.InDelta(t, planDelay(stop+10, v), 10+v/(2*planDecelMps2)+v/(2*planAccelMps2), 1e-9)
	for tau := 0.1; tau < 20; tau += 0.1 {
		assert.GreaterOrEqual(t, planDelay(tau, v), planDelay(tau-0.1, v))
	}
}

func TestETACalibration(t *testing.T) {
	var c etaCalibration
	lo, hi := c.scales()
	assert.Equal(t, 1.0, lo)
	assert.Equal(t, 1.0, hi)
	var checks etaChecks
	path := &routing.Path{}
	// Vehicles arriving a little late, never early: the early side
	// narrows, the late side stays wide.
	for i := 0; i < 20; i++ {
		checks.expect(path, float64(100*i), instant(int64(i)*int64(1e9)*100), 8, 10)
		checks.observe(&c, path, float64(100*i)+10, 10, 5, instant(int64(i)*int64(1e9)*100+int64(3e9)))
	}
	assert.Empty(t, checks)
	lo, hi = c.scales()
	assert.Equal(t, etaScaleMin, lo)
	assert.Greater(t, hi, 0.5)
}
