package controller

import (
	"math"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// advise emits v's advisory when the states of its signals ahead changed,
// or, while it is on an emergency run, when the last one is a refresh
// period old (with fresh ETAs).
func (e *Engine) advise(v *vehicle) {
	if e.isSilent(v) || !v.hasFix {
		return
	}
	along := e.deadReckon(v)
	var sigs []routing.PathSignal
	first := 0
	if v.path != nil && v.onPath {
		sigs = v.path.Signals()
		first = e.firstAhead(v, along)
	}
	last := len(sigs)
	if n := e.cfg.AdvisorySignals; first+n < last {
		last = first + n
	}
	for last > first && sigs[last-1].AlongM-along > e.cfg.LookaheadM {
		last--
	}
	// A signature of what the crew sees, so that an unchanged display is
	// not re-sent on every fix.
	h := uint64(14695981039346656037)
	mix := func(x uint64) { h = (h ^ x) * 1099511628211 }
	for i := first; i < last; i++ {
		state := statePlanned
		if p := v.passageAt(&sigs[i]); p != nil {
			state = p.state
		}
		mix(uint64(sigs[i].Intersection))
		mix(uint64(state))
	}
	mix(uint64(last - first))
	changed := !v.advHas || h != v.advSig
	switch {
	case !v.emergency && !v.advHas:
		return // never on a run: nothing to tell
	case !changed && (!v.emergency || e.nowI < v.advAt.add(e.cfg.RefreshPeriod)):
		return
	}
	v.advAt, v.advSig, v.advHas = e.nowI, h, true
	start := len(e.advSignals)
	var origin routing.ETAOrigin
	if last > first {
		origin = e.etaOrigin(v, along)
	}
	for i := first; i < last; i++ {
		s := &sigs[i]
		state := statePlanned
		if p := v.passageAt(s); p != nil {
			state = p.state
		}
		e.advSignals = append(e.advSignals, wire.AdvisorySignal{IntersectionID: s.ID,
			EtaS: round1(clampETA(origin.ToSignal(i).S)), DistanceM: round1(math.Max(0, s.AlongM-along)),
			State: stateNames[state]})
	}
	e.advisories = append(e.advisories, wire.Advisory{VehicleID: v.id, TS: e.now, RouteID: v.routeID,
		Signals: e.advSignals[start:len(e.advSignals):len(e.advSignals)]})
}
