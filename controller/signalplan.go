package controller

import (
	"math"
	"time"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/signals"
)

// SignalTiming converts an intersection's inventory timing (seconds, as
// map-format.md gives it) to the signal side's durations. Every user of a
// signals.Roadside for a map (the simulator, the roadside-unit simulator)
// converts through here, so they time the same junction the same way.
func SignalTiming(t routing.Timing) signals.Timing {
	d := func(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }
	return signals.Timing{MinGreen: d(t.MinGreenS), PedClearance: d(t.PedClearanceS), Yellow: d(t.YellowS),
		AllRed: d(t.AllRedS), MaxPreempt: d(t.MaxPreemptS)}
}

// Phases returns the distinct signal phases of an intersection's
// approaches, in approach order.
func Phases(in *routing.Intersection) []int {
	phases := make([]int, 0, len(in.Approaches))
	for _, a := range in.Approaches {
		seen := false
		for _, p := range phases {
			seen = seen || p == a.Phase
		}
		if !seen {
			phases = append(phases, a.Phase)
		}
	}
	return phases
}

// NormalPlan builds an intersection's fixed-time plan with
// signals.DefaultPlan for the given cycle and main-street share. A junction
// with more stages than that cycle can hold at their minimum greens gets
// the shortest longer cycle, in 10 s steps, that can: a traffic engineer
// would time such a junction on its own.
func NormalPlan(in *routing.Intersection, cycle time.Duration, mainShare float64) (signals.Plan, signals.Timing, error) {
	t := SignalTiming(in.Timing)
	phases := Phases(in)
	var lastErr error
	for c := cycle; c <= signals.MaxCycle; c += 10 * time.Second {
		plan, err := signals.DefaultPlan(phases, c, mainShare, t)
		if err == nil {
			return plan, t, nil
		}
		lastErr = err
	}
	return signals.Plan{}, t, lastErr
}
