package controller

import (
	"time"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// signalTiming is what the engine last heard of an intersection's greens
// through the optional green_since/green_until of its status (the facts of
// an SAE J2735 SPaT message). Without them the policy uses the worst case,
// so a roadside that does not report them is still served safely.
type signalTiming struct {
	normal     bool   // the unit runs its own plan (no preempt under way)
	greenMask  uint16 // phases green (bit p-1 for phase p)
	greenUntil time.Time
}

func (st *signalTiming) update(s *wire.Status) {
	*st = signalTiming{normal: s.State == wire.StateNormal, greenUntil: s.GreenUntil}
	for _, p := range s.GreenPhases {
		st.greenMask |= wire.PhaseBit(p)
	}
}

// greenWaveWant applies the green-wave rule to one signal ahead: whether
// to request it now, given the vehicle's ETA there, and if not, in how
// many seconds it would at the current pace.
//
// The rule is the worst-case lead: worst-case entry + queue flush + margin
// before the (optimistic) ETA. One refinement uses the roadside's status:
// when the vehicle's phase is green in the unit's own plan with a reported
// planned end, no entry is needed while it lasts (a preempt of a green
// phase holds it at once), so the request waits until that end is within
// the margin; a vehicle that gets through first needs no preempt at all.
// That removes the long holds of an already-green phase that operators
// see as "preempts that fire too early", at no cost to the vehicle.
//
// The other refinement one might make, asking later when a conflicting
// green has already run its minimum, was measured on the shipped corridor
// and rejected: it cut hold time but raised the ambulances' signal delay
// (the queue had less time to flush) and the cross-street queue delay,
// because it truncates side greens just as often.
func (e *Engine) greenWaveWant(is *intersectionState, phase int, flushS float64, eta routing.ETA) (want bool, untilS float64) {
	untilS = eta.MinS - (is.leadBaseS + flushS)
	st := &is.timing
	if !st.normal || st.greenMask&wire.PhaseBit(phase) == 0 || !st.greenUntil.After(e.now) {
		return untilS <= 0, untilS // unknown, conflicting, open-ended or stale: worst case
	}
	if untilEndS := st.greenUntil.Sub(e.now).Seconds() - e.cfg.Margin.Seconds(); untilEndS > untilS {
		untilS = untilEndS
	}
	return untilS <= 0, untilS
}
