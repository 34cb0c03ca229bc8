package sim

import "math"

// Kinematics is the emergency vehicle's longitudinal model, integrated with
// a fixed step (the scenario's ev.step_s, 0.1 s by default) as events:
//
//   - it accelerates at Accel (m/s²) towards its desired speed, the road's
//     free-flow speed times SpeedFactor (emergency vehicles run above the
//     limit); entering a slower road it slows at Decel;
//   - it must never pass its stop target (a red stop line, the back of the
//     queue standing there, or the end of its route): each step its speed
//     is capped at the largest speed from which it can still stop before
//     the target at Decel, counting the step it is about to drive. A target
//     that appears closer than that (a red it did not expect) is met with
//     harder braking: position is clamped to the target, never past it;
//   - the update is "speed first, then position at the new speed"
//     (x' = x + v'·dt), which keeps the stopping rule exact and the model
//     free of overshoot.
//
// The same integration without any signal gives the trip's free-flow time,
// so a vehicle's signal delay is exactly the time signals and queues cost
// it, zero when nothing ever made it brake.
type Kinematics struct {
	Accel       float64 // m/s²
	Decel       float64 // comfortable deceleration, m/s², positive
	SpeedFactor float64 // desired speed / road free-flow speed
	StepS       float64 // integration step, s
}

// DefaultKinematics is the model a scenario gets when its `ev` section
// leaves a field out, and the one the live demo's ambulances drive with, so
// that the demo's preemption-off comparison (run by the simulator) and its
// live trips drive alike: 2.5 m/s² acceleration, 3.5 m/s² comfortable
// braking, 1.2 times the road's free-flow speed, 0.1 s steps.
func DefaultKinematics() Kinematics {
	return Kinematics{Accel: 2.5, Decel: 3.5, SpeedFactor: 1.2, StepS: 0.1}
}

// NoTarget is the stop target of a vehicle with nothing ahead to stop for.
var NoTarget = math.Inf(1)

// SnapM is how close to its stop target a vehicle counts as standing at it.
// Without it the stopping rule approaches the target geometrically and
// never quite arrives.
const SnapM = 0.05

// Next returns the position and speed after one step, from position pos
// (m along the route) at speed v towards desired speed vDesired, not
// passing target (NoTarget when there is none).
func (k Kinematics) Next(pos, v, vDesired, target float64) (float64, float64) {
	var vn float64
	if v < vDesired {
		vn = math.Min(v+k.Accel*k.StepS, vDesired)
	} else {
		vn = math.Max(v-k.Decel*k.StepS, vDesired)
	}
	if gap := target - pos; gap < math.Inf(1) {
		if gap <= SnapM {
			return math.Max(pos, target), 0
		}
		vn = math.Min(vn, k.SafeSpeed(gap))
		if pos+vn*k.StepS >= target-SnapM {
			return target, 0
		}
	}
	return pos + vn*k.StepS, vn
}

// SafeSpeed is the largest speed v such that driving one step at v and then
// braking at Decel stops within gap: v·dt + v²/(2·Decel) = gap.
func (k Kinematics) SafeSpeed(gap float64) float64 {
	b, dt := k.Decel, k.StepS
	return -b*dt + math.Sqrt(b*b*dt*dt+2*b*gap)
}

// StoppingDistance is how far a vehicle at speed v travels before it stands
// when it starts braking at the next step: one step at v, then v²/(2·Decel).
// A yellow farther than this is stopped for; a nearer one is cleared.
func (k Kinematics) StoppingDistance(v float64) float64 {
	return v*k.StepS + v*v/(2*k.Decel)
}
