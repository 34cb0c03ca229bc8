package controller

import (
	"math"
	"time"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// The green-wave planner. Where a roadside reports its coordinated plan
// (the optional status fields plan and in_step), the engine keeps a
// replica of the unit, a signals.Roadside running that plan, and forecasts
// with it what each way of serving the vehicle would do at that junction:
// when the vehicle could cross (behind the queue its approach has built),
// and what it would cost the traffic of every approach, with the same
// fluid queue model the simulator measures with (signals.Queue; the
// approaches' flows from the map, or defaults). The ways are:
//
//   - nothing: the plan's own green, its queue gone, meets the vehicle;
//   - extend: ask while the vehicle's phase is still green, just before
//     the plan would end it, and hold it until the vehicle has passed;
//   - early return: ask as late as lets the unit cut the conflicting
//     green (never below its minimum and pedestrian clearance) and bring
//     the vehicle's phase up in time for its queue to clear;
//   - the same, asked later on purpose, trading seconds of the vehicle's
//     delay for the cross traffic's (only at a finite price).
//
// The choice is made jointly for the next few signals of the vehicle's
// path (a small dynamic programme over the delay accumulated so far),
// because a delay taken at one junction moves the arrival at the next. It
// minimises cross-traffic vehicle-seconds plus Price times the vehicle's
// seconds of delay; the default, an infinite price, ranks any delay above
// any cost, so the vehicle is kept stop-free and served as cheaply as
// that allows. A plan is remade only when a junction's model changes (a
// new plan, in or out of step), the path or its first signal changes, a
// signal comes into reach, or the arrival estimate drifts by more than
// planDriftS: not on every fix.
//
// Junctions without a model are served by the worst-case rule
// (greenWave.want), as before.

const (
	// planMaxSignals is how many signals ahead one plan covers.
	planMaxSignals = 8
	// planMaxStates bounds the dynamic programme's states (distinct
	// accumulated delays) kept from one junction to the next.
	planMaxStates = 12
	// planSlackS: signals whose earliest arrival is within the longest
	// lead time plus this are planned, so a choice at one junction sees
	// the next ones it moves.
	planSlackS = 40
	// planDriftS: a plan is remade when a planned signal's arrival
	// estimate has moved by more than this.
	planDriftS = 1.5
	// maxPlanPrice stands in for an infinite price: a second of delay
	// outweighs any cost the planner can estimate.
	maxPlanPrice = 1e6
	// planReleaseLagS is how long after the vehicle crosses its release
	// takes effect (PassedMarginM, the next fix, the command's latency).
	planReleaseLagS = 1.5
	// planCostCycles is how many cycles after the vehicle's passage a
	// forecast's costs are counted: an approach near its capacity takes
	// many cycles to work off a queue a lost green left.
	planCostCycles = 8
	// planBandShare is how much of the ETA's uncertainty band a plan
	// covers on either side of the central estimate. The band (routing.ETA)
	// is wide far out, and the plan is remade as the vehicle comes closer
	// and the estimate firms up, so it need not commit to the extremes of
	// a far estimate; Margin covers the rest.
	planBandShare = 1
	// planRequestLagS is how late a planned request may take effect at the
	// unit (the wakeup, the broker, the unit's own polling). Forecasts
	// apply it that late: an earlier arrival never brings the green later,
	// so a plan that works late works on time.
	planRequestLagS = 1.0
	// stopPenaltyPerMps: a vehicle made to stop loses, beyond the time it
	// stands, about v/(2a) + v/(2d) braking and accelerating again: with
	// 2 m/s² and 3 m/s², 0.42 s per m/s of its speed.
	stopPenaltyPerMps = 1/(2*2.0) + 1/(2*3.0)
	// brakeLeadPerMps: a driver who sees red (or a queue) where the
	// braking distance begins brakes, so the green must show, its queue
	// gone, that long before the vehicle arrives: v/(2d) at 3 m/s².
	brakeLeadPerMps = 1 / (2 * 3.0)
)

// junctionModel is the planner's replica of one roadside unit.
type junctionModel struct {
	reported   wire.SignalPlan   // the plan as last reported, to notice a change
	unit       *signals.Roadside // never advanced: each forecast copies it
	work       signals.Roadside  // the forecast's copy, reused
	changes    []signals.Change
	cycle      time.Duration
	inStep     bool
	version    uint32 // unique over every model of the engine; bumped on every change
	approaches []approachTraffic
	interID    string
}

// approachTraffic is one approach's traffic for the cost estimate.
type approachTraffic struct {
	phase           int
	flowVehH, satVH float64
}

// usable reports whether forecasts from m describe the unit now.
func (m *junctionModel) usable() bool { return m != nil && m.inStep }

// observePlan updates intersection ii's model from a valid status: a new
// plan (re)builds it; whether it is in step is noted. A plan that does not
// fit the map's timing for the intersection (its clearances) is unusable:
// the junction is then served by the worst-case rule.
func (e *Engine) observePlan(ii int32, s *wire.Status) {
	is := &e.inters[ii]
	m := is.model
	if s.Plan == nil {
		if m != nil && m.inStep {
			m.inStep = false
			m.version = e.nextModelVersion()
		}
		return
	}
	if m == nil || !samePlan(&m.reported, s.Plan) {
		m = e.newModel(ii, s.Plan)
		is.model = m
		if m == nil {
			return
		}
	}
	if inStep := s.InStep && s.State == wire.StateNormal; inStep != m.inStep {
		m.inStep = inStep
		m.version = e.nextModelVersion()
	}
}

func (e *Engine) nextModelVersion() uint32 {
	e.modelVersion++
	return e.modelVersion
}

func (e *Engine) newModel(ii int32, sp *wire.SignalPlan) *junctionModel {
	in := e.net.Intersection(ii)
	t := in.Timing.Signal()
	plan, err := signals.PlanFromWire(sp, t)
	if err != nil {
		return nil
	}
	unit, err := signals.NewRoadside(in.ID, plan, t)
	if err != nil {
		return nil
	}
	m := &junctionModel{unit: unit, cycle: plan.Cycle, version: e.nextModelVersion(), interID: in.ID}
	m.reported = wire.SignalPlan{CycleS: sp.CycleS, OffsetS: sp.OffsetS}
	for _, st := range sp.Stages {
		m.reported.Stages = append(m.reported.Stages, wire.PlanStage{Phases: append([]int(nil), st.Phases...), GreenS: st.GreenS})
	}
	for _, a := range in.Approaches {
		m.approaches = append(m.approaches, approachTraffic{phase: a.Phase,
			flowVehH: positiveOr(a.FlowVehH, e.cfg.DefaultFlowVehH), satVH: positiveOr(a.SatFlowVehH, e.cfg.DefaultSatFlowVehH)})
	}
	return m
}

func positiveOr(v, def float64) float64 {
	if v > 0 {
		return v
	}
	return def
}

func samePlan(a, b *wire.SignalPlan) bool {
	if a.CycleS != b.CycleS || a.OffsetS != b.OffsetS || len(a.Stages) != len(b.Stages) {
		return false
	}
	for i := range a.Stages {
		x, y := &a.Stages[i], &b.Stages[i]
		if x.GreenS != y.GreenS || len(x.Phases) != len(y.Phases) {
			return false
		}
		for j := range x.Phases {
			if x.Phases[j] != y.Phases[j] {
				return false
			}
		}
	}
	return true
}

// routePlan is a vehicle's plan for the next signals of its path.
type routePlan struct {
	path     *routing.Path
	first    int                     // the path signal index of decisions[0]
	n        int                     // signals covered
	arriveI  [planMaxSignals]instant // each signal's central arrival estimate when planned
	versions [planMaxSignals]uint32
	choice   [planMaxSignals]planChoice
}

// planChoice is what the plan does at one signal.
type planChoice struct {
	modelled bool    // false: the worst-case rule serves this signal
	request  instant // when to ask; never: the plan's own green serves the vehicle
	kind     Reason  // ReasonExtend, ReasonEarlyReturn, or ReasonPlanGreen (no request)
	delayS   float64 // the vehicle's expected delay there
	costVehS float64 // the other traffic's expected extra delay
}

// choiceFor returns the plan's choice for path signal i, if it has one.
func (p *routePlan) choiceFor(i int) *planChoice {
	if k := i - p.first; k >= 0 && k < p.n && p.choice[k].modelled {
		return &p.choice[k]
	}
	return nil
}

// ensurePlan remakes v's plan when it is stale (see the package comment
// above). It is cheap when nothing changed: a few comparisons and one ETA.
func (e *Engine) ensurePlan(v *vehicle, along float64, origin *routing.ETAOrigin) {
	sigs := v.path.Signals()
	first := e.firstAhead(v, along)
	p := &v.plan
	if p.path == v.path && p.first == first {
		fresh := true
		for k := 0; k < p.n && fresh; k++ {
			fresh = e.modelVersionOf(sigs[first+k].Intersection) == p.versions[k]
		}
		for k := 0; k < p.n && fresh; k++ {
			if !p.choice[k].modelled {
				continue // served by the worst-case rule: nothing planned to go stale
			}
			d := e.nowI.add(seconds(origin.ToSignal(first + k).S)).sub(p.arriveI[k])
			fresh = d <= seconds(planDriftS) && d >= -seconds(planDriftS)
		}
		if fresh && p.n < planMaxSignals && first+p.n < len(sigs) {
			fresh = !e.inPlanReach(v, along, origin, first+p.n)
		}
		if fresh {
			return
		}
	}
	e.replan(v, along, origin, first)
}

func (e *Engine) modelVersionOf(inter int32) uint32 {
	if m := e.inters[inter].model; m != nil {
		return m.version
	}
	return 0
}

func (e *Engine) inPlanReach(v *vehicle, along float64, origin *routing.ETAOrigin, i int) bool {
	s := &v.path.Signals()[i]
	return s.AlongM-along <= e.cfg.LookaheadM && origin.ToSignal(i).MinS <= e.maxLeadS+planSlackS
}

// planState is one state of the planning programme: the delay the
// vehicle has accumulated, the objective so far, and the choices made.
type planState struct {
	delayS float64
	obj    float64
	choice [planMaxSignals]planChoice
}

// replan chooses, jointly, what to do at the signals of v's path from
// first on that are within reach.
func (e *Engine) replan(v *vehicle, along float64, origin *routing.ETAOrigin, first int) {
	p := &v.plan
	*p = routePlan{path: v.path, first: first}
	sigs := v.path.Signals()
	anyModel := false
	for i := first; i < len(sigs) && p.n < planMaxSignals && e.inPlanReach(v, along, origin, i); i++ {
		m := e.inters[sigs[i].Intersection].model
		p.versions[p.n] = e.modelVersionOf(sigs[i].Intersection)
		anyModel = anyModel || m.usable()
		p.n++
	}
	if p.n == 0 {
		return
	}
	for k := 0; k < p.n; k++ {
		p.arriveI[k] = e.nowI.add(seconds(origin.ToSignal(first + k).S))
	}
	if !anyModel {
		return
	}
	price := min(v.price, maxPlanPrice)
	states := e.planStates[:1]
	states[0] = planState{}
	for k := 0; k < p.n; k++ {
		i := first + k
		s := &sigs[i]
		m := e.inters[s.Intersection].model
		eta := origin.ToSignal(i)
		next := e.planNext[:0]
		for si := range states {
			st := &states[si]
			if !m.usable() {
				next = pushState(next, *st)
				continue
			}
			for _, o := range e.junctionOptions(v, m, s, eta, st.delayS, price) {
				cand := *st
				cand.delayS += o.delayS
				cand.obj += o.costVehS + price*o.delayS
				cand.choice[k] = o
				next = pushState(next, cand)
			}
		}
		e.planNext = states[:0]
		states = next
		if price >= maxPlanPrice {
			states = keepLeastDelayed(states)
		}
	}
	best := 0
	for si := range states {
		if states[si].obj < states[best].obj {
			best = si
		}
	}
	p.choice = states[best].choice
	e.planStates = states[:0]
}

// keepLeastDelayed drops the states more than half a second more delayed
// than the least delayed one: at an infinite price no cost makes up for
// a second of delay, so their futures need not be planned.
func keepLeastDelayed(states []planState) []planState {
	least := math.Inf(1)
	for i := range states {
		least = min(least, states[i].delayS)
	}
	kept := states[:0]
	for _, st := range states {
		if st.delayS < least+0.5 {
			kept = append(kept, st)
		}
	}
	return kept
}

// pushState adds cand to states, merging states whose delays are within
// half a second (the better objective stays) and, when full, replacing
// the worst if cand is better.
func pushState(states []planState, cand planState) []planState {
	worst := -1
	for i := range states {
		if math.Abs(states[i].delayS-cand.delayS) < 0.5 {
			if cand.obj < states[i].obj {
				states[i] = cand
			}
			return states
		}
		if worst < 0 || states[i].obj > states[worst].obj {
			worst = i
		}
	}
	if len(states) < planMaxStates {
		return append(states, cand)
	}
	if cand.obj < states[worst].obj {
		states[worst] = cand
	}
	return states
}

// junctionOptions forecasts the ways of serving v at signal s of its path,
// reached shiftS later than eta says (the delay planned upstream), and
// returns them with their delay and cost, in a buffer valid until the next
// call.
func (e *Engine) junctionOptions(v *vehicle, m *junctionModel, s *routing.PathSignal, eta routing.ETA, shiftS, price float64) []planChoice {
	out := e.planOpts[:0]
	// Times are seconds from now. need: when the phase must be green and
	// the queue in front of the vehicle gone: the earliest plausible
	// arrival less the margin for latency and ETA error, less the time
	// the vehicle brakes in (brakeLeadPerMps).
	need := eta.S - planBandShare*(eta.S-eta.MinS) + shiftS - e.cfg.Margin.Seconds() - brakeLeadPerMps*math.Max(v.speed, 0)
	arrive := eta.S + shiftS
	// late: a late arrival; a green must last until then.
	late := eta.S + planBandShare*(eta.MaxS-eta.S) + shiftS + e.cfg.Margin.Seconds()
	horizon := late + 60 + planCostCycles*m.cycle.Seconds()
	short := late + m.cycle.Seconds() // far enough to see whether the vehicle gets through
	evPhase := s.Phase
	flow, sat := e.approachTraffic(m, s.Approach, evPhase)
	penalty := stopPenaltyPerMps * math.Max(v.speed, 0)
	delayOf := func(lateness float64) float64 {
		if lateness <= 0.05 {
			return 0
		}
		return lateness + penalty
	}

	// Nothing: the baseline every cost is measured against.
	baseLate := e.forecast(m, evPhase, flow, sat, -1, 0, need, late, horizon, true)
	copy(e.planBase[:len(m.approaches)], e.planCost[:len(m.approaches)])
	greenEnd := firstGreenEnd(m.changes, e.now, evPhase)
	none := planChoice{modelled: true, request: never, kind: ReasonPlanGreen, delayS: delayOf(baseLate)}
	out = append(out, none)
	if price >= maxPlanPrice && none.delayS > 0 {
		// At an infinite price a request is timed by the worst-case rule
		// (greenWave.want), not by the forecast: measured on the shipped
		// scenarios, requests timed to the forecast's last safe moment met
		// red more often (an arrival estimate a minute out is not good to
		// the second) and cost the other traffic more than the rule's.
		out[0] = planChoice{}
		e.planOpts = out
		return out
	}
	if none.delayS == 0 {
		e.planOpts = out
		return out // the plan's own green serves it: no request can do better for the vehicle, or cost less
	}

	// The latest request that still gets the vehicle through undelayed:
	// a later request never brings the green earlier. No request is made
	// further ahead than the longest lead time: a hold that long is a
	// preempt of its own, and the vehicle's arrival so far out is too
	// uncertain to spend a junction's cycle on.
	earliest := math.Max(0, need-e.maxLeadS)
	lo, hi := earliest, math.Max(need, earliest)
	if delayOf(e.forecast(m, evPhase, flow, sat, earliest, 0, need, late, short, false)) > 0 {
		hi = earliest
	} else {
		for hi-lo > 0.25 {
			mid := (lo + hi) / 2
			if delayOf(e.forecast(m, evPhase, flow, sat, mid, 0, need, late, short, false)) > 0 {
				hi = mid
			} else {
				lo = mid
			}
		}
		hi = lo
	}
	latest := hi
	candidates := e.planCands[:0]
	candidates = append(candidates, latest)
	// Extend: the vehicle's phase green in the plan before the latest
	// request, ending before the vehicle arrives: ask just before that end.
	if ext := greenEnd - planRequestLagS - 1; ext > earliest && ext < latest {
		candidates = append(candidates, ext)
	}
	if price < maxPlanPrice {
		for _, late := range [...]float64{3, 6, 12, 24} {
			if latest+late < need {
				candidates = append(candidates, latest+late)
			}
		}
	}
	e.planCands = candidates
	for _, r := range candidates {
		lateness := e.forecast(m, evPhase, flow, sat, r, 0, need, late, short, false)
		release := arrive + min(lateness, short) + planReleaseLagS
		e.forecast(m, evPhase, flow, sat, r, release, need, late, horizon, true)
		var cost float64
		for a := range m.approaches {
			cost += e.planCost[a] - e.planBase[a]
		}
		kind := ReasonEarlyReturn
		if e.planGreenAtRequest {
			kind = ReasonExtend
		}
		out = append(out, planChoice{modelled: true, request: e.nowI.add(seconds(r)), kind: kind,
			delayS: delayOf(lateness), costVehS: cost})
	}
	e.planOpts = out
	return out
}

// approachTraffic is the vehicle's approach's flow and saturation flow.
func (e *Engine) approachTraffic(m *junctionModel, approach string, phase int) (flow, sat float64) {
	in, _ := e.net.IntersectionByID(m.interID)
	for _, a := range e.net.Intersection(in).Approaches {
		if a.ID == approach {
			return positiveOr(a.FlowVehH, e.cfg.DefaultFlowVehH), positiveOr(a.SatFlowVehH, e.cfg.DefaultSatFlowVehH)
		}
	}
	for _, a := range m.approaches {
		if a.phase == phase {
			return a.flowVehH, a.satVH
		}
	}
	return e.cfg.DefaultFlowVehH, e.cfg.DefaultSatFlowVehH
}

// forecast runs the junction's replica from a cycle before now to
// horizonS (seconds from now): a preempt for phase at requestS (none when
// negative), released at releaseS (none when 0). It returns how much later
// than it would like a vehicle crosses that arrives at needS or at lateS,
// whichever is worse (+Inf if not before the horizon),
// notes whether the phase was green when the request was made, and, with
// costs, leaves every approach's queue delay over the run in e.planCost.
// The run's changes stay in m.changes (greenEndBefore reads them).
func (e *Engine) forecast(m *junctionModel, phase int, flow, sat, requestS, releaseS, needS, lateS, horizonS float64, costs bool) float64 {
	now := e.now
	at := func(s float64) time.Time { return now.Add(seconds(s)) }
	warm := -m.cycle.Seconds()
	u := &m.work
	m.unit.CopyTo(u)
	u.SetRecordChanges(true)
	u.Advance(at(warm))
	e.planGreenAtRequest = false
	if requestS >= 0 {
		e.planGreenAtRequest = false
		u.Advance(at(requestS))
		green := u.IsGreen(phase)
		applied := requestS + planRequestLagS
		u.Advance(at(applied))
		e.planGreenAtRequest = green && u.IsGreen(phase)
		c := wire.Command{Type: wire.CommandPreempt, RequestID: "plan", ControllerID: "plan", IntersectionID: m.interID,
			VehicleID: "plan", Approach: "plan", Phase: phase, Priority: wire.HighestPriority, IssuedAt: at(applied),
			ExpiresAt: at(horizonS + 1)}
		_ = u.Apply(at(applied), c) // a model of the plan cannot refuse its own phase
		if releaseS > requestS {
			u.Advance(at(releaseS))
			c.Type, c.IssuedAt = wire.CommandRelease, at(releaseS)
			_ = u.Apply(at(releaseS), c)
		}
	}
	u.Advance(at(horizonS))
	m.changes = u.AppendChanges(m.changes[:0])
	startup := e.cfg.StartupLost.Seconds()
	lateness := max(passTime(m.changes, now, phase, flow, sat, startup, warm, needS, horizonS)-needS,
		passTime(m.changes, now, phase, flow, sat, startup, warm, lateS, horizonS)-lateS, 0)
	if costs {
		for a, ap := range m.approaches {
			q := signals.NewQueue(ap.flowVehH, ap.satVH, e.cfg.StartupLost.Seconds()).At(warm)
			for i := range m.changes {
				c := &m.changes[i]
				if c.Phase == ap.phase {
					q.SetServed(c.At.Sub(now).Seconds(), c.To != signals.Red)
				}
			}
			q.Advance(horizonS)
			e.planCost[a] = q.Delay()
		}
	}
	return lateness
}

// passTime is when a vehicle joining phase's approach queue at needS
// (seconds from now) crosses the stop line: once the phase is green and
// the vehicles queued ahead of it have left (signals.Queue's fluid model).
// +Inf when not before horizonS.
func passTime(changes []signals.Change, now time.Time, phase int, flow, sat, startup, warm, needS, horizonS float64) float64 {
	q := signals.NewQueue(flow, sat, startup).At(warm)
	green, joined := false, false
	var joinA float64
	t := warm
	for i := 0; i <= len(changes); i++ {
		next := horizonS
		if i < len(changes) {
			if changes[i].Phase != phase {
				continue
			}
			next = changes[i].At.Sub(now).Seconds()
		}
		if !joined && next > needS {
			q.Advance(needS)
			joinA, joined = q.Arrived(), true
			t = needS
		}
		if joined && green && next > t {
			q.Advance(t)
			if q.Departed() >= joinA-1e-9 {
				return t
			}
			start := math.Max(t, q.DischargeStart())
			if pass := start + (joinA-q.Departed())/q.SatFlow(); pass <= next {
				return pass
			}
		}
		if i == len(changes) {
			break
		}
		q.SetServed(next, changes[i].To != signals.Red)
		green = changes[i].To == signals.Green
		t = max(t, next)
	}
	return math.Inf(1)
}

// firstGreenEnd is when the first green of phase that is still on after
// now ends, in seconds from now, among changes; 0 when none.
func firstGreenEnd(changes []signals.Change, now time.Time, phase int) float64 {
	for i := range changes {
		c := &changes[i]
		if c.Phase == phase && c.From == signals.Green {
			if t := c.At.Sub(now).Seconds(); t > 0 {
				return t
			}
		}
	}
	return 0
}
