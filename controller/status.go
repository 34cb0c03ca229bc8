package controller

import (
	"strconv"
	"time"

	"github.com/greenwave-project/greenwave/wire"
)

// stepStatus applies a roadside's status to the passages at its
// intersection: hold of their phase grants them; fault (also an offline
// unit's Last Will) denies them (and releases what they held); the end of
// a fault offers the intersection again.
func (e *Engine) stepStatus(now time.Time, s *wire.Status) error {
	if err := s.Validate(); err != nil {
		err = e.rejectErr(now, "", err)
		e.aboutIntersection(s.IntersectionID)
		return err
	}
	ii, ok := e.net.IntersectionByID(s.IntersectionID)
	if !ok {
		err := e.reject(now, "", ReasonUnknownInter, "intersection_id", "no intersection "+strconv.Quote(s.IntersectionID)+" in the map")
		e.aboutIntersection(s.IntersectionID)
		return err
	}
	is := &e.inters[ii]
	// An offline status (the unit's Last Will) carries the ts of the
	// connection it was registered on, before everything the unit said
	// since: it is honoured whatever its ts.
	if s.TS.Before(is.statusTS) && !s.Offline {
		err := e.reject(now, "", ReasonStaleTS, "ts", "status ts "+formatTime(s.TS)+" is before the last one's "+formatTime(is.statusTS))
		e.aboutIntersection(s.IntersectionID)
		return err
	}
	e.setNow(now, e.instantAt(now))
	if s.TS.After(is.statusTS) {
		is.statusTS = s.TS
	}
	is.timing.update(s)
	if e.queueLeadExtraS > 0 { // only the opt-in queue-aware lead reads red starts
		is.red.observe(s)
	}
	e.observePlan(ii, s)
	if s.State == wire.StateFault {
		if !is.fault {
			is.fault = true
			for i := 0; i < len(is.passages); {
				p := is.passages[i]
				if p.state.live() {
					e.release(p, ReasonFault) // unlists p
					e.deny(p, ReasonFault, "")
					continue
				}
				i++
			}
		}
		return nil
	}
	if is.fault {
		is.fault = false
		e.markServe(ii)
	}
	for _, p := range is.passages {
		if !p.state.live() {
			continue
		}
		granted := s.State == wire.StateHold && (s.RequestID == p.requestID || containsPhase(s.GreenPhases, p.phase))
		switch {
		case granted && p.state != stateGranted:
			p.state = stateGranted
			e.decide(Decision{At: now, Kind: DecisionGrant, VehicleID: p.v.id, IntersectionID: is.id, RequestID: p.requestID})
			e.touch(p.v)
		case !granted && p.state == stateGranted:
			p.state = stateRequested
			e.touch(p.v)
		}
	}
	return nil
}

func containsPhase(phases []int, p int) bool {
	for _, q := range phases {
		if q == p {
			return true
		}
	}
	return false
}

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
