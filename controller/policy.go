package controller

import (
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// passageState is where one vehicle's passage through one intersection
// stands.
type passageState uint8

const (
	statePlanned   passageState = iota // on the path, not requested
	stateRequested                     // a preempt is live, no hold reported
	stateGranted                       // a preempt is live and the roadside holds its phase
	stateDenied                        // wanted, refused: no command; waits for the intersection
	stateReleased                      // let go before the vehicle passed
)

var stateNames = [...]string{wire.SignalPlanned, wire.SignalRequested, wire.SignalGranted, wire.SignalDenied, wire.SignalReleased}

func (s passageState) live() bool { return s == stateRequested || s == stateGranted }

// passage is one vehicle's passage through one intersection on its path:
// the unit a request_id names.
type passage struct {
	v           *vehicle
	inter       int32
	approach    string
	phase       int
	alongM      float64 // stop line, along the vehicle's current path
	sig         int     // its index in the path's Signals(): an ETA to it need not search the path
	queueFlushS float64 // the approach's, 0 for the default
	state       passageState
	final       bool // released at max hold: not requested again before the vehicle passes
	wants       bool // the policy wanted it at the last evaluation
	listed      bool // in the intersection's passages

	requestID string
	// holdUntil: when the hold reaches the intersection's limit, counted
	// from the first preempt of this request_id; no expires_at goes past
	// it. Kept rather than derived from the first preempt's time: every
	// fix checks it, and deriving it reads the intersection's state.
	holdUntil instant
	refreshAt instant // when the last preempt sent is due for a refresh

	// At the last evaluation:
	arriveAt instant // absolute ETA, comparable between vehicles
	distM    float64
	leadS    float64
}

// first returns the index of the first signal of v's path not yet passed
// by PassedMarginM at along.
func (e *Engine) firstAhead(v *vehicle, along float64) int {
	sigs := v.path.Signals()
	i := v.cursor.NextSignal()
	for i > 0 && sigs[i-1].AlongM+e.cfg.PassedMarginM >= along {
		i--
	}
	for i < len(sigs) && sigs[i].AlongM+e.cfg.PassedMarginM < along {
		i++
	}
	return i
}

func (v *vehicle) speedForETA() float64 {
	if v.speedKnown {
		return v.speed
	}
	return math.NaN()
}

// evaluate applies the policy to v at along (its located position when
// located, else a dead-reckoned one, which never counts as passing a stop
// line): releases what it has passed, keeps live preempts alive, and
// requests the signals whose lead time has come.
func (e *Engine) evaluate(v *vehicle, along float64, located bool) {
	v.nextCross = never
	if v.path == nil || !v.onPath || e.isSilent(v) {
		return // silence is handled (released) by tickVehicle
	}
	// Every estimate of this evaluation starts from the same position.
	origin := e.etaOrigin(v, along)
	kept := v.passages[:0]
	for _, p := range v.passages {
		if located && along > p.alongM+e.cfg.PassedMarginM {
			e.release(p, ReasonPassed)
			e.freePassage(p)
			continue
		}
		kept = append(kept, p)
		if p.state.live() {
			e.keepAlive(p, along, &origin)
		}
	}
	clear(v.passages[len(kept):])
	v.passages = kept

	if !v.emergency {
		return // nothing is wanted off an emergency run (serve checks too)
	}
	sigs := v.path.Signals()
	for i := e.firstAhead(v, along); i < len(sigs); i++ {
		s := &sigs[i]
		dist := s.AlongM - along
		if dist > e.cfg.LookaheadM {
			break
		}
		p := v.passageAt(s)
		if p != nil && (p.state.live() || p.final) {
			continue
		}
		// Whether the policy wants the signal now, and if not, in how
		// many seconds it would at the current pace (for the wakeup that
		// dead-reckons a silent vehicle into its lead time) and whether
		// every signal further on is out of reach too.
		var want, beyond bool
		var untilS float64
		if e.cfg.Policy == PolicyRange {
			want = dist <= e.cfg.RangeM
			beyond = !want
			untilS = math.Inf(1)
			if v.speedKnown && v.speed > 0.5 {
				untilS = (dist - e.cfg.RangeM) / v.speed
			}
		} else {
			eta := origin.ToSignal(i)
			want, untilS = e.greenWaveWant(&e.inters[s.Intersection], s.Phase, e.queueFlushS(s.QueueFlushS), eta)
			beyond = eta.MinS > e.maxLeadS
		}
		if p != nil {
			p.wants = want
		}
		if !want {
			if p == nil && v.nextCross == never && untilS < math.Inf(1) {
				v.nextCross = e.nowI.add(time.Duration(math.Max(untilS, 0.1) * float64(time.Second)))
			}
			if beyond {
				break // ETAs and distances grow along the path
			}
			continue
		}
		if p == nil {
			p = e.newPassage(v, i)
			p.wants = true
		}
		e.estimate(p, along, &origin)
		e.tryRequest(p)
	}
}

// estimate refreshes p's ETA, distance and lead time from along, the
// position of origin.
func (e *Engine) estimate(p *passage, along float64, origin *routing.ETAOrigin) {
	eta := origin.ToSignal(p.sig)
	p.arriveAt = e.nowI.add(time.Duration(clampETA(eta.S) * float64(time.Second)))
	p.distM = math.Max(0, p.alongM-along)
	p.leadS = e.inters[p.inter].leadBaseS + e.queueFlushS(p.queueFlushS)
}

// estimateNow is estimate from p's vehicle's dead-reckoned position now.
func (e *Engine) estimateNow(p *passage) {
	along := e.deadReckon(p.v)
	origin := e.etaOrigin(p.v, along)
	e.estimate(p, along, &origin)
}

// etaOrigin is the origin of v's estimates from along at its current
// speed. The last one made is kept: a fix's advisory estimates from where
// its evaluation did, and an ETA depends only on the path, the position
// and the speed, so reusing it when all three match changes nothing.
func (e *Engine) etaOrigin(v *vehicle, along float64) routing.ETAOrigin {
	speed := v.speedForETA()
	o := &e.lastOrigin
	if o.Path() != v.path || o.FromAlong() != along || o.SpeedMps() != speed {
		*o = v.cursor.ETAOrigin(along, speed)
	}
	return *o
}

func clampETA(s float64) float64 {
	if !(s > 0) {
		return 0
	}
	return math.Min(s, wire.MaxEtaSeconds)
}

func (v *vehicle) passageAt(s *routing.PathSignal) *passage {
	for _, p := range v.passages {
		if p.inter == s.Intersection && p.alongM == s.AlongM {
			return p
		}
	}
	return nil
}

// newPassage starts v's passage through signal i of its path.
func (e *Engine) newPassage(v *vehicle, i int) *passage {
	s := &v.path.Signals()[i]
	var p *passage
	if n := len(e.spare); n > 0 {
		p = e.spare[n-1]
		e.spare[n-1] = nil
		e.spare = e.spare[:n-1]
	} else {
		p = new(passage)
	}
	*p = passage{v: v, inter: s.Intersection, approach: s.Approach, phase: s.Phase, alongM: s.AlongM, sig: i, queueFlushS: s.QueueFlushS}
	v.passages = append(v.passages, p)
	return p
}

// freePassage takes p off its intersection's list and keeps it for reuse;
// the caller removes it from its vehicle's passages.
func (e *Engine) freePassage(p *passage) {
	e.unlist(p)
	*p = passage{}
	e.spare = append(e.spare, p)
}

func (e *Engine) list(p *passage) {
	if !p.listed {
		is := &e.inters[p.inter]
		is.passages = append(is.passages, p)
		p.listed = true
	}
}

func (e *Engine) unlist(p *passage) {
	if !p.listed {
		return
	}
	is := &e.inters[p.inter]
	for i, q := range is.passages {
		if q == p {
			copy(is.passages[i:], is.passages[i+1:])
			is.passages[len(is.passages)-1] = nil
			is.passages = is.passages[:len(is.passages)-1]
			break
		}
	}
	p.listed = false
}

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

// requestID names a vehicle's passage through an intersection:
// "{vehicle_id}.{intersection_id}.{n}", n counting the passages requested
// at that intersection (by any vehicle) since the engine started. A count
// per intersection rather than per vehicle keeps ids unique even for a
// vehicle that was forgotten and comes back: a roadside unit refuses a
// refreshed id whose hold it capped, so an id must never be reused for a
// new passage. Identifiers are at most 64
// characters, so when that is longer, the two ids are replaced by as much
// of the vehicle id as fits and a hash of both, which keeps the id unique
// and stable for the passage.
func requestID(vehicleID, intersectionID string, n uint32) string {
	num := strconv.FormatUint(uint64(n), 10)
	id := vehicleID + "." + intersectionID + "." + num
	if len(id) <= 64 {
		return id
	}
	h := fnv.New64a()
	h.Write([]byte(vehicleID))
	h.Write([]byte{0})
	h.Write([]byte(intersectionID))
	sum := strconv.FormatUint(h.Sum64(), 36)
	keep := 64 - len(sum) - len(num) - 2
	return vehicleID[:min(keep, len(vehicleID))] + "." + sum + "." + num
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
	p.refreshAt = e.nowI.add(e.cfg.RefreshPeriod)
	e.decide(Decision{At: e.now, Kind: kind, VehicleID: p.v.id, IntersectionID: is.id, RequestID: p.requestID,
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

// tickVehicle handles a vehicle whose wakeup has come: silence,
// refreshes and max-hold deadlines, and dead-reckoned requests.
func (e *Engine) tickVehicle(v *vehicle) {
	e.touch(v)
	if v.silent {
		return
	}
	if e.nowI >= v.heardAt.add(e.cfg.SilenceGrace) && v.hasFix {
		e.releaseAll(v, ReasonSilent)
		v.silent = true
		return
	}
	e.evaluate(v, e.deadReckon(v), false)
}

// sweep forgets the vehicles not heard from for ForgetAfter. It runs
// from Tick at most every ForgetAfter/4 and needs no wakeup of its own:
// an idle vehicle holds nothing (its passages were released at the end of
// its grace period), so forgetting it only frees memory.
func (e *Engine) sweep() {
	if e.nowI < e.nextSweep {
		return
	}
	e.nextSweep = e.nowI.add(e.cfg.ForgetAfter / 4)
	var idle []string
	for id, v := range e.vehicles {
		if e.nowI >= v.heardAt.add(e.cfg.ForgetAfter) {
			idle = append(idle, id)
		}
	}
	slices.Sort(idle) // map order is random; what follows must not be
	for _, id := range idle {
		v := e.vehicles[id]
		e.releaseAll(v, ReasonForgotten) // a no-op unless the grace period outlasts ForgetAfter
		for _, p := range v.passages {
			e.freePassage(p)
		}
		clear(v.passages)
		v.passages = nil
		if v.heapIdx >= 0 {
			e.wake.remove(v)
		}
		v.forgotten = true
		delete(e.vehicles, id)
	}
}

// schedule sets v's wakeup: the earliest of its refreshes, hold
// deadlines, the end of its grace period while it holds anything, and a
// dead-reckoned lead-time crossing within that grace; none when it holds
// nothing and nothing is coming up.
func (e *Engine) schedule(v *vehicle) {
	t := never
	if !v.silent {
		live := false
		for _, p := range v.passages {
			if p.state.live() {
				live = true
				t = min(t, p.refreshAt, p.holdUntil)
			}
		}
		grace := v.heardAt.add(e.cfg.SilenceGrace)
		if live {
			t = min(t, grace)
		}
		if v.nextCross < grace {
			t = min(t, v.nextCross)
		}
	}
	if t < e.nowI {
		t = e.nowI // due now (e.g. grace ran out while nothing woke it)
	}
	if v.heapIdx >= 0 && t == v.wakeAt {
		return // the usual case between refreshes: nothing to move
	}
	e.wake.set(v, t)
}

// isSilent reports whether v has gone without a fix for longer than the
// grace period, even if no Tick has marked it yet.
func (e *Engine) isSilent(v *vehicle) bool {
	return v.silent || (v.hasFix && e.nowI >= v.heardAt.add(e.cfg.SilenceGrace))
}

// stepStatus applies a roadside's status to the passages at its
// intersection: hold of their phase grants them; fault denies them (and
// releases what they held); the end of a fault offers the intersection
// again.
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
	if s.TS.Before(is.statusTS) {
		err := e.reject(now, "", ReasonStaleTS, "ts", "status ts "+formatTime(s.TS)+" is before the last one's "+formatTime(is.statusTS))
		e.aboutIntersection(s.IntersectionID)
		return err
	}
	e.setNow(now, e.instantAt(now))
	is.statusTS = s.TS
	is.timing.update(s)
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
