package controller

import (
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// outranks reports whether p should have the intersection rather than q:
// higher priority, then an earlier arrival by more than the hysteresis.
func (e *Engine) outranks(p, q *passage) bool {
	if p.v.priority != q.v.priority {
		return p.v.priority < q.v.priority
	}
	return p.arriveAt.add(e.cfg.ArbitrationHysteresis) < q.arriveAt
}

// tryRequest gives p the intersection if no live conflicting request
// outranks it, superseding those it outranks; otherwise p is denied.
func (e *Engine) tryRequest(p *passage) {
	is := &e.inters[p.inter]
	if is.fault {
		e.deny(p, ReasonFault, "")
		return
	}
	for _, q := range is.passages {
		if q == p || !q.state.live() || !is.conflicts(p.phase, q.phase) {
			continue
		}
		if !e.outranks(p, q) {
			e.deny(p, ReasonConflict, q.v.id)
			return
		}
	}
	for i := 0; i < len(is.passages); {
		q := is.passages[i]
		if q == p || !q.state.live() || !is.conflicts(p.phase, q.phase) {
			i++
			continue
		}
		// release unlists q, shifting the list: i stays.
		e.release(q, ReasonSuperseded)
		e.deny(q, ReasonConflict, p.v.id)
	}
	e.unlist(p)
	if p.requestID == "" {
		is.requests++
		p.requestID = requestID(p.v.id, is.id, is.requests)
		p.holdUntil = e.nowI.add(is.maxHold)
	}
	p.state = stateRequested
	p.final = false
	e.list(p)
	e.sendPreempt(p, DecisionRequest)
}

// deny marks p denied (no command) and lists it to be served when the
// intersection frees up.
func (e *Engine) deny(p *passage, reason Reason, holder string) {
	if p.state != stateDenied {
		p.state = stateDenied
		e.estimateNow(p) // for the record
		e.decide(Decision{At: e.now, Kind: DecisionDeny, VehicleID: p.v.id, IntersectionID: e.inters[p.inter].id,
			Reason: reason, Detail: holder, EtaS: clampETA(p.arriveAt.sub(e.nowI).Seconds()), LeadS: p.leadS, DistanceM: p.distM})
		e.touch(p.v)
	}
	e.list(p)
}

// keepAlive refreshes a live preempt when due, with a fresh ETA, and
// releases it at its hold deadline. Between refreshes the ETA is not
// re-estimated: it is kept as an absolute arrival time, which at a steady
// pace does not move, and arbitration compares those.
func (e *Engine) keepAlive(p *passage, along float64, origin *routing.ETAOrigin) {
	if e.nowI >= p.holdUntil {
		e.release(p, ReasonMaxHold)
		return
	}
	if e.nowI >= p.refreshAt {
		e.estimate(p, along, origin)
		e.sendPreempt(p, DecisionRefresh)
	}
}

// sendPreempt issues (or re-issues) p's preempt. Its expires_at is a lease
// from now, cut at the hold deadline, so a preempt outlives neither its
// controller nor its intersection's max_preempt_s.
func (e *Engine) sendPreempt(p *passage, kind DecisionKind) {
	expiresI := min(e.nowI.add(e.cfg.Lease), p.holdUntil)
	if expiresI <= e.nowI {
		e.release(p, ReasonMaxHold)
		return
	}
	expires := e.timeOf(expiresI)
	is := &e.inters[p.inter]
	eta := round1(clampETA(p.arriveAt.sub(e.nowI).Seconds()))
	e.commands = append(e.commands, wire.Command{Type: wire.CommandPreempt, RequestID: p.requestID,
		ControllerID: e.cfg.ControllerID, IntersectionID: is.id, VehicleID: p.v.id, Approach: p.approach,
		Phase: p.phase, Priority: p.v.priority, EtaS: eta, IssuedAt: e.now, ExpiresAt: expires})
	e.trackCommand(p.inter, &e.commands[len(e.commands)-1])
	p.refreshAt = e.nowI.add(e.cfg.RefreshPeriod)
	why := Reason(0)
	if kind == DecisionRequest {
		why = p.why
	}
	e.decide(Decision{At: e.now, Kind: kind, VehicleID: p.v.id, IntersectionID: is.id, RequestID: p.requestID, Reason: why,
		EtaS: eta, LeadS: p.leadS, DistanceM: p.distM, ExpiresAt: expires})
	e.touch(p.v)
}

// release lets p go: a release command if it holds a preempt, a release
// decision, and its intersection is offered to whoever waits. p stays in
// its vehicle's passages as released (final when the hold limit was
// reached); callers that drop it free it.
func (e *Engine) release(p *passage, reason Reason) {
	is := &e.inters[p.inter]
	if p.state.live() {
		e.commands = append(e.commands, wire.Command{Type: wire.CommandRelease, RequestID: p.requestID,
			ControllerID: e.cfg.ControllerID, IntersectionID: is.id, VehicleID: p.v.id, Approach: p.approach,
			Phase: p.phase, Priority: p.v.priority, IssuedAt: e.now})
		e.trackCommand(p.inter, &e.commands[len(e.commands)-1])
		e.decide(Decision{At: e.now, Kind: DecisionRelease, VehicleID: p.v.id, IntersectionID: is.id,
			RequestID: p.requestID, Reason: reason})
		e.markServe(p.inter)
	}
	if p.state != statePlanned {
		p.state = stateReleased
	}
	p.final = reason == ReasonMaxHold
	p.requestID = ""
	e.unlist(p)
	e.touch(p.v)
}

// releaseAll releases every passage of v, keeping them as released.
func (e *Engine) releaseAll(v *vehicle, reason Reason) {
	for _, p := range v.passages {
		e.release(p, reason)
	}
}

func (e *Engine) markServe(inter int32) {
	for _, i := range e.toServe {
		if i == inter {
			return
		}
	}
	e.toServe = append(e.toServe, inter)
}

// serve offers a freed intersection to its denied passages, best ranked
// first.
func (e *Engine) serve(inter int32) {
	is := &e.inters[inter]
	waiting := e.scratch[:0]
	for _, p := range is.passages {
		if p.state == stateDenied && p.wants && p.v.emergency && !e.isSilent(p.v) && p.v.onPath {
			e.estimateNow(p)
			waiting = append(waiting, p)
		}
	}
	// Insertion sort: a handful at most, and no allocation.
	for i := 1; i < len(waiting); i++ {
		for j := i; j > 0 && e.ranksBefore(waiting[j], waiting[j-1]); j-- {
			waiting[j], waiting[j-1] = waiting[j-1], waiting[j]
		}
	}
	for _, p := range waiting {
		if p.state == stateDenied {
			e.tryRequest(p)
		}
	}
	clear(waiting)
	e.scratch = waiting[:0]
}

func (e *Engine) ranksBefore(p, q *passage) bool {
	if p.v.priority != q.v.priority {
		return p.v.priority < q.v.priority
	}
	if p.arriveAt != q.arriveAt {
		return p.arriveAt < q.arriveAt
	}
	return p.v.id < q.v.id
}
