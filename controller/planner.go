package controller

import (
	"math"
	"slices"
	"time"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// The green-wave planner (docs/planner.md has the model, the options, the
// price and what was measured). Where a roadside reports its coordinated
// plan (the optional status fields plan and in_step), the engine keeps a
// replica of the unit, a signals.Roadside running that plan, and forecasts
// with it what each way of serving the vehicle would do at that junction:
// when the vehicle could cross (behind the queue its approach has built),
// and what it would cost the traffic of every approach, with the same
// fluid queue model the simulator measures with (signals.Queue; the
// approaches' flows from the map, or defaults).
//
// The vehicle's arrival is not one number: routing.ETA gives a band, and
// the planner takes it as a distribution (triangular over the band,
// peaked at the central estimate) represented by planSamples quantiles.
// Every option is valued by its expected cost to the other traffic plus
// Price times the vehicle's expected delay over those samples, not by
// the band's extremes: a hold that only the most optimistic arrival needs
// is paid for with certainty, while that arrival is unlikely.
//
// The options at one junction are requests sent at different times (the
// unit's response decides what each does: hold the vehicle's green past
// its planned end, cut a conflicting green after its minimum, or bring
// the phase up straight after a clearance), and none at all:
//
//   - none: the plan's own green serves the vehicle (or fails to, at a
//     delay);
//   - extend: ask just before the plan ends the vehicle's green;
//   - for each arrival sample, the latest request that still lets that
//     arrival through undelayed (the later, the less green is taken);
//   - the latest of those asked later still, on purpose, trading
//     seconds of the vehicle's delay for the cross traffic's.
//
// A request's landing at the unit is uncertain by up to planLagHiS: its
// delay is valued at the late landing (a later landing never brings the
// green earlier), and where an early landing would take a stage the late
// one leaves (a request just before a conflicting green starts), at the
// costlier of the two.
//
// The choice is made jointly for the next few signals of the vehicle's
// path (a small dynamic programme over the delay accumulated per arrival
// sample), because a delay taken at one junction moves the arrival at the
// next. Only what is due now is committed (receding horizon): a choice
// whose request time has come is first re-planned with the newest
// estimate, and the plan is remade whenever a junction's model changes,
// the path or its first signal changes, a signal comes into reach, or the
// arrival estimate drifts by more than planDriftS.
//
// At an infinite price (any delay outweighs any cost) the planner only
// withholds requests that the plan's own green makes needless even for
// the band's extremes; every other request is timed by the worst-case
// rule (greenWave.want), which is robust to any arrival in the band.
// Junctions without a model are served by that rule at every price.

const (
	// planMaxSignals is how many signals ahead one plan covers.
	planMaxSignals = 8
	// planMaxStates bounds the dynamic programme's states (distinct
	// accumulated delays) kept from one junction to the next.
	planMaxStates = 8
	// planSamples is how many quantiles of the arrival distribution an
	// option is valued over.
	planSamples = 5
	// planSlackS: signals whose earliest arrival is within the longest
	// lead time plus this are planned, so a choice at one junction sees
	// the next ones it moves.
	planSlackS = 40
	// planDriftS: a plan is remade when a planned signal's arrival
	// estimate has moved by more than this, plus planDriftBand times the
	// width of its band (a far signal's estimate moves more, and matters
	// less to what is decided now).
	planDriftS    = 1.5
	planDriftBand = 0.1
	// planRecommitS: a choice whose request is due is re-planned first
	// unless the plan is younger than this.
	planRecommitS = 0.5
	// maxPlanPrice stands in for an infinite price: a second of delay
	// outweighs any cost the planner can estimate.
	maxPlanPrice = 1e6
	// planReleaseLagS is how long after the vehicle crosses its release
	// takes effect (PassedMarginM, the next fix, the command's latency).
	planReleaseLagS = 1.5
	// planCostCycles is how many cycles after the vehicle's passage a
	// forecast's costs are counted at most: an approach near its capacity
	// takes many cycles to work off a queue a lost green left. (The count
	// stops earlier, when every approach's queue is back to what the plan
	// alone would have left.)
	planCostCycles = 8
	// planLagHiS is how late a request sent now may take effect at the
	// unit (the broker, the unit's own polling); planLagLoS how early;
	// planLagS is when it typically does. A request is sent within
	// planTickS of its planned time (from planTickS before, when it is
	// first re-planned, to a little after, when it waits for a fix): its
	// delay is valued at the latest landing, planLagHiS+planTickS after the
	// planned time, and its cost also at the earliest where that differs.
	planLagHiS = 1.0
	planLagLoS = 0.0
	planLagS   = 0.5
	planTickS  = 0.5
	// planDecelMps2 and planAccelMps2: how a vehicle brakes for a red (or
	// a queue) and picks up speed again, for its delay (planDelay).
	planDecelMps2 = 3.0
	planAccelMps2 = 2.0
	// planRecentCommands: how many of the last commands sent to a unit are
	// kept to replay over a restart of its model.
	planRecentCommands = 8
	// planProbeS: the latest request that still serves a sample is found
	// to within this.
	planProbeS = 0.5
	// planCostCache: how many forecast costs a model keeps for the
	// instant they were made at.
	planCostCache = 256
	// planHistoryTrim: a model's history is trimmed when this many of its
	// changes are older than two cycles.
	planHistoryTrim = 64
	// planMinSpeedMps: below this a vehicle is taken as moving at it (it
	// is about to pick up speed), unless it is within planHeldM of a
	// signal that shows it red (it is waiting there).
	planMinSpeedMps = 3.0
	planHeldM       = 100.0
	// planWaitValue (vehicle-seconds per second) is what the planner
	// credits an option for every second its request waits: a request
	// not yet sent can still be made better when the estimate firms up,
	// so of options that cost about the same, the later one is taken.
	planWaitValue = 0.1
)

// planCostSamples are the arrival samples an option's cost is averaged
// over: the middle of the distribution (a cost moves with the hold's
// length, about linearly, where a delay turns on whether the green is up
// in time, which the extremes decide).
var planCostSamples = [...]int{1, 2, 3}

// planLateSteps are the deliberate extra waits (seconds after the latest
// request that serves every sample undelayed) a finite price may trade.
var planLateSteps = [...]float64{4, 10, 20}

// junctionModel is the planner's replica of one roadside unit.
type junctionModel struct {
	reported   wire.SignalPlan   // the plan as last reported, to notice a change
	unit       *signals.Roadside // never advanced: each forecast copies it
	cycle      time.Duration
	version    uint32 // unique over every model of the engine; bumped on every change
	approaches []approachTraffic
	interID    string
	inter      int32

	// track is the engine's belief of the unit now: the plan, with every
	// command this engine sent it applied when sent (trackCommand); it is
	// trusted (trackOK) while the unit's statuses agree with it, and
	// restarted from the plan when the unit reports itself in step.
	// history is its changes since a couple of cycles ago (each phase's
	// last one before that kept), for the queues' warm-up.
	track    signals.Roadside
	trackOK  bool
	history  []signals.Change
	recent   [planRecentCommands]wire.Command // the last commands sent, to replay over a restart
	nRecent  int
	baseSync float64 // when the unit left to itself is back in step, seconds from baseAt

	// Forecast state, reused (see baseline): the unit left to itself from
	// now to baseHorizonS (after the history), each approach's queue after
	// each of its changes.
	work, branch signals.Roadside
	changes      []signals.Change
	base         []signals.Change
	baseSnaps    [][]queueSnap
	baseEnd      []float64 // each approach's delay at the horizon
	baseAt       instant
	baseHorizonS float64
	baseValid    bool
	costs        []costEntry // the forecasts' costs at baseAt
}

// queueSnap is an approach's queue right after one of the plan's changes
// of its phase.
type queueSnap struct {
	t float64
	q signals.Queue
}

// approachTraffic is one approach's traffic for the cost estimate.
type approachTraffic struct {
	phase           int
	flowVehH, satVH float64
}

// usable reports whether forecasts from m describe the unit now.
func (m *junctionModel) usable() bool { return m != nil && m.trackOK }

// observePlan updates intersection ii's model from a valid status: a new
// plan (re)builds it; the status is checked against the model's belief of
// the unit (its state and green phases), which is restarted from the plan
// when the unit reports itself in step. A plan that does not fit the
// map's timing for the intersection (its clearances) is unusable: the
// junction is then served by the worst-case rule.
func (e *Engine) observePlan(ii int32, s *wire.Status) {
	is := &e.inters[ii]
	m := is.model
	if s.Plan == nil {
		if m != nil && m.trackOK {
			m.trackOK = false
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
		e.planReported = true
		e.restartTrack(m, s.TS)
	}
	inStep := s.InStep && s.State == wire.StateNormal
	e.syncTrack(m)
	var ok bool
	switch {
	case inStep && !m.track.InStep():
		e.restartTrack(m, s.TS)
		ok = true
	case inStep:
		ok = true
	default:
		ok = m.track.State() == s.State && greenMaskOf(&m.track) == phaseMask(s.GreenPhases)
	}
	if ok != m.trackOK {
		m.trackOK = ok
		m.version = e.nextModelVersion()
	}
}

func phaseMask(phases []int) uint16 {
	var mask uint16
	for _, p := range phases {
		mask |= wire.PhaseBit(p)
	}
	return mask
}

func greenMaskOf(u *signals.Roadside) uint16 {
	var mask uint16
	for p := wire.MinPhase; p <= wire.MaxPhase; p++ {
		if u.IsGreen(p) {
			mask |= wire.PhaseBit(p)
		}
	}
	return mask
}

// restartTrack makes m's belief the plan's own run, its history from a
// couple of cycles ago, with the commands sent since the status at ts
// (which cannot have shown them yet) applied again.
func (e *Engine) restartTrack(m *junctionModel, ts time.Time) {
	m.unit.CopyTo(&m.track)
	m.track.SetRecordChanges(true)
	m.track.Advance(e.now.Add(-2 * m.cycle))
	m.history = m.history[:0]
	m.baseValid, m.costs = false, m.costs[:0]
	for i := 0; i < m.nRecent; i++ {
		c := m.recent[i]
		if c.IssuedAt.After(ts) {
			m.track.Advance(c.IssuedAt)
			_ = m.track.Apply(c.IssuedAt, c)
		}
	}
	e.syncTrack(m)
}

// syncTrack advances m's belief to now and moves its changes into the
// history, keeping a couple of cycles' worth.
func (e *Engine) syncTrack(m *junctionModel) {
	m.track.Advance(e.now)
	m.history = m.track.AppendChanges(m.history)
	cutoff := e.now.Add(-2 * m.cycle)
	n := 0
	for n < len(m.history) && m.history[n].At.Before(cutoff) {
		n++
	}
	if n < planHistoryTrim {
		return
	}
	// Keep each phase's last change before the cutoff (its indication
	// then), and everything after.
	var seen uint32
	kept := 0
	for i := n - 1; i >= 0; i-- {
		c := m.history[i]
		bit := uint32(1) << c.Phase
		if seen&bit == 0 {
			seen |= bit
			m.history[n-1-kept] = c
			kept++
		}
	}
	start := n - kept
	slices.Reverse(m.history[start:n])
	m.history = append(m.history[:0], m.history[start:]...)
}

// trackCommand applies a command this engine sends to its intersection's
// model, so that the belief follows what the unit will do with it.
func (e *Engine) trackCommand(ii int32, c *wire.Command) {
	m := e.inters[ii].model
	if m == nil {
		return
	}
	if m.nRecent == len(m.recent) {
		copy(m.recent[:], m.recent[1:])
		m.nRecent--
	}
	m.recent[m.nRecent] = *c
	m.nRecent++
	fresh := c.Type == wire.CommandRelease || !m.track.HasRequest(c.RequestID)
	e.syncTrack(m)
	_ = m.track.Apply(e.now, *c)
	m.baseValid, m.costs = false, m.costs[:0]
	if fresh && m.trackOK {
		m.version = e.nextModelVersion() // a new request or a release changes what every forecast there says
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
	m := &junctionModel{unit: unit, cycle: plan.Cycle, version: e.nextModelVersion(), interID: in.ID, inter: ii}
	m.reported = wire.SignalPlan{CycleS: sp.CycleS, OffsetS: sp.OffsetS}
	for _, st := range sp.Stages {
		m.reported.Stages = append(m.reported.Stages, wire.PlanStage{Phases: append([]int(nil), st.Phases...), GreenS: st.GreenS})
	}
	for _, a := range in.Approaches {
		m.approaches = append(m.approaches, approachTraffic{phase: a.Phase,
			flowVehH: positiveOr(a.FlowVehH, e.cfg.DefaultFlowVehH), satVH: positiveOr(a.SatFlowVehH, e.cfg.DefaultSatFlowVehH)})
	}
	m.baseSnaps = make([][]queueSnap, len(m.approaches))
	m.baseEnd = make([]float64, len(m.approaches))
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
	madeAt   instant                 // when the plan was made
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
	delays   [planSamples]float64
}

// waitS is how long the choice leaves the decision open, at most maxS:
// until its request, or for good when it makes none.
func (c *planChoice) waitS(now instant, maxS float64) float64 {
	if c.request == never {
		return maxS
	}
	return math.Min(c.request.sub(now).Seconds(), maxS)
}

// choiceFor returns the plan's choice for path signal i, if it has one.
func (p *routePlan) choiceFor(i int) *planChoice {
	if k := i - p.first; k >= 0 && k < p.n && p.choice[k].modelled {
		return &p.choice[k]
	}
	return nil
}

// planScratch is the planner's reusable state, one per engine.
type planScratch struct {
	states, next []planState
	opts         []planChoice
	cands        []float64
	probes       []planProbe
	events       []phaseEvent
	calib        etaCalibration
}

// planProbe is what a request at r does for each arrival sample (bit j
// set: sample j gets through undelayed).
type planProbe struct {
	r  float64
	ok uint8
}

// ensurePlan remakes v's plan when it is stale (see the package comment
// above). It is cheap when nothing changed: a few comparisons and one ETA.
func (e *Engine) ensurePlan(v *vehicle, along float64, origin *routing.ETAOrigin) {
	if len(v.etaChecks) > 0 {
		v.etaChecks.observe(&e.plan.calib, v.path, along, v.speed, e.cfg.PassedMarginM, e.nowI)
	}
	sigs := v.path.Signals()
	first := e.firstAhead(v, along)
	p := &v.plan
	if p.path == v.path && p.first == first {
		fresh := true
		for k := 0; k < p.n && fresh; k++ {
			fresh = e.modelVersionOf(sigs[first+k].Intersection) == p.versions[k]
		}
		for k := 0; k < p.n && fresh; k++ {
			c := &p.choice[k]
			if !c.modelled {
				continue // served by the worst-case rule: nothing planned to go stale
			}
			eta := origin.ToSignal(first + k)
			d := e.nowI.add(seconds(planCentral(eta))).sub(p.arriveI[k])
			tol := seconds(planDriftS + planDriftBand*(eta.MaxS-eta.MinS))
			fresh = d <= tol && d >= -tol
			// A request about to be sent is decided afresh, with what is
			// known now, unless the plan was just made.
			if fresh && c.request != never && c.request.sub(e.nowI) <= seconds(planTickS) && e.nowI.sub(p.madeAt) > seconds(planRecommitS) {
				fresh = false
			}
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
// vehicle has accumulated by each arrival sample, the objective so far,
// and the choices made.
type planState struct {
	shift  [planSamples]float64
	obj    float64
	choice [planMaxSignals]planChoice
}

// arrivalSamples are the quantiles (k+½)/planSamples of a triangular
// distribution over eta's band, in seconds from now. It peaks at the
// central estimate, except for a vehicle slower than the road (just
// departed, leaving a queue), whose central estimate extrapolates a speed
// it is about to leave behind: there it peaks where the band's optimistic
// end comes from, driving at road speed after accelerating to it
// (MinS·MaxS/S recovers that time from routing.ETA's band), and its late
// end is as far beyond that as the band's is beyond S. (A vehicle held at
// a red is not about to pick up speed: replan gives it the band as it is.)
func arrivalSamples(eta routing.ETA, held bool, scaleLo, scaleHi float64) (out [planSamples]float64, lo, hi float64) {
	a, c, b := eta.MinS, planCentral(eta), eta.MaxS
	if held {
		c = eta.S
	}
	if c < eta.S {
		b *= c / eta.S
	}
	lo, hi = c-a, b-c
	a, b = c-scaleLo*lo, c+scaleHi*hi
	if !(b > a) {
		for k := range out {
			out[k] = c
		}
		return out, lo, hi
	}
	split := (c - a) / (b - a)
	for k := range out {
		p := (float64(k) + 0.5) / planSamples
		if p < split {
			out[k] = a + math.Sqrt(p*(b-a)*(c-a))
		} else {
			out[k] = b - math.Sqrt((1-p)*(b-a)*(b-c))
		}
	}
	return out, lo, hi
}

// planCentral is the arrival the planner's distribution peaks at: S, or
// for a vehicle slower than the road the road-speed time (see
// arrivalSamples).
func planCentral(eta routing.ETA) float64 {
	if eta.S <= 0 {
		return eta.S
	}
	return min(eta.S, eta.MinS*eta.MaxS/eta.S)
}

// heldAtSignal reports whether v is standing (or crawling) at the first
// signal ahead of along while its phase there is not green: it is not
// about to pick up speed, so its estimates keep the band's own centre.
func (e *Engine) heldAtSignal(v *vehicle, along float64, first int) bool {
	sigs := v.path.Signals()
	if first >= len(sigs) || v.speed >= planMinSpeedMps {
		return false
	}
	s := &sigs[first]
	st := &e.inters[s.Intersection].timing
	return s.AlongM-along <= planHeldM && st.greenMask&wire.PhaseBit(s.Phase) == 0
}

// etaCalibration learns how far vehicles' arrivals fall from the
// planner's central estimates, in units of the ETA band's half-width on
// that side: where vehicles keep their pace (and the estimate knows the
// roads) they are planned with a narrower distribution than the band,
// where they are erratic with a wider one. Each vehicle notes a signal's
// estimate when the signal comes within the longest lead time (where
// decisions are made) and checks it when it is past the stop line; what
// is learnt is the fleet's (the estimate's errors are the map's and the
// model's more than one crew's), and a vehicle's first signals are
// planned with it.
type etaCalibration struct {
	// early and late are exponentially weighted means of how much
	// earlier (later) than estimated vehicles arrive, in half-widths of
	// the band on that side, zero when on the other side; each starts at
	// what the band's own triangular distribution gives (⅙). The two
	// sides are learnt apart: a vehicle held up by something no plan knew
	// (a conflict, traffic) arrives late, which says nothing about how
	// early one may arrive, and an early arrival is what costs it a red.
	early, late float64
	seen        bool
}

// etaChecks are one vehicle's estimates awaiting its passages.
type etaChecks []etaCheck

// etaCheck is one signal's estimate awaiting the vehicle's passage.
type etaCheck struct {
	path      *routing.Path
	alongM    float64
	predicted instant
	lo, hi    float64 // the band's half-widths, seconds, before and after
}

const (
	// etaCalibPrior is early and late before any passage: E[max(X, 0)]
	// of a triangular distribution over [-1, 1].
	etaCalibPrior = 1.0 / 6
	// etaCalibWeight is a new passage's weight in meanAbsErr; one error
	// counts at most etaCalibMaxErr half-widths (a vehicle stopped by
	// something no plan knew is one outlier, not a new regime).
	etaCalibWeight = 0.25
	etaCalibMaxErr = 1.5
	// etaScaleMin and etaScaleMax bound the scale the distribution's
	// width is given relative to the band: never a certainty, never
	// wider than half again the band.
	etaScaleMin = 0.15
	etaScaleMax = 1.5
)

// scales are the factors the ETA band's half-widths before and after its
// central estimate are multiplied by for the arrival distribution: the
// triangular distribution whose mean early and late errors match those
// seen.
func (c *etaCalibration) scales() (lo, hi float64) {
	if !c.seen {
		return 1, 1
	}
	return min(max(6*c.early, etaScaleMin), etaScaleMax), min(max(6*c.late, etaScaleMin), etaScaleMax)
}

// expect notes the estimate for the signal at alongM of path, unless one
// is already noted.
func (cs *etaChecks) expect(path *routing.Path, alongM float64, predicted instant, lo, hi float64) {
	for i := range *cs {
		if (*cs)[i].path == path && (*cs)[i].alongM == alongM {
			return
		}
	}
	if len(*cs) >= 2*planMaxSignals {
		return
	}
	*cs = append(*cs, etaCheck{path: path, alongM: alongM, predicted: predicted, lo: lo, hi: hi})
}

// observe checks the estimates of the signals v has passed (at along on
// path, now, moving at speed) and forgets those of other paths. The
// stop line was crossed (along − stop line)/speed ago.
func (cs *etaChecks) observe(c *etaCalibration, path *routing.Path, along, speed, passedMarginM float64, now instant) {
	kept := (*cs)[:0]
	for _, k := range *cs {
		if k.path != path {
			continue
		}
		if along <= k.alongM+passedMarginM {
			kept = append(kept, k)
			continue
		}
		errS := now.sub(k.predicted).Seconds() - (along-k.alongM)/max(speed, planMinSpeedMps)
		w := k.hi
		if errS < 0 {
			w = k.lo
		}
		if w > 0.5 {
			if !c.seen {
				c.early, c.late, c.seen = etaCalibPrior, etaCalibPrior, true
			}
			e := min(math.Abs(errS)/w, etaCalibMaxErr)
			early, late := 0.0, e
			if errS < 0 {
				early, late = e, 0
			}
			c.early += etaCalibWeight * (early - c.early)
			c.late += etaCalibWeight * (late - c.late)
		}
	}
	clear((*cs)[len(kept):])
	*cs = kept
}

// replan chooses, jointly, what to do at the signals of v's path from
// first on that are within reach.
func (e *Engine) replan(v *vehicle, along float64, origin *routing.ETAOrigin, first int) {
	p := &v.plan
	*p = routePlan{path: v.path, first: first, madeAt: e.nowI}
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
		p.arriveI[k] = e.nowI.add(seconds(planCentral(origin.ToSignal(first + k))))
	}
	if !anyModel {
		return
	}
	price := min(v.price, maxPlanPrice)
	if price >= maxPlanPrice {
		for k := 0; k < p.n; k++ {
			s := &sigs[first+k]
			if pa := v.passageAt(s); pa != nil && pa.state.live() {
				continue // asked for already
			}
			if m := e.inters[s.Intersection].model; m.usable() && e.planGreenServes(v, m, s, origin.ToSignal(first+k)) {
				p.choice[k] = planChoice{modelled: true, request: never, kind: ReasonPlanGreen}
			}
		}
		return
	}
	ps := &e.plan
	held := e.heldAtSignal(v, along, first)
	states := ps.states[:1]
	states[0] = planState{}
	var mid, los, his [planMaxSignals]float64
	var planned [planMaxSignals]bool
	for k := 0; k < p.n; k++ {
		i := first + k
		s := &sigs[i]
		m := e.inters[s.Intersection].model
		// A signal the vehicle has already asked for is committed: the
		// replica, asked at that time, says what delay the vehicle will
		// still meet there (it moves every arrival after it); the cost is
		// sunk.
		committed := ""
		if pa := v.passageAt(s); pa != nil && pa.state.live() {
			committed = pa.requestID
		}
		if !m.usable() {
			continue // the worst-case rule serves it, undelayed
		}
		scaleLo, scaleHi := e.plan.calib.scales()
		samples, lo, hi := arrivalSamples(origin.ToSignal(i), held, scaleLo, scaleHi)
		// Estimates are learnt from where the decisions are made: within
		// the longest lead time.
		planned[k] = origin.ToSignal(i).MinS <= e.maxLeadS
		mid[k], los[k], his[k] = samples[planSamples/2], lo, hi
		next := ps.next[:0]
		for si := range states {
			st := &states[si]
			var arr [planSamples]float64
			for j := range arr {
				arr[j] = samples[j] + st.shift[j]
			}
			for _, o := range e.junctionOptions(v, m, s, &arr, price, committed) {
				cand := *st
				for j := range cand.shift {
					cand.shift[j] += o.delays[j]
				}
				cand.obj += o.costVehS + price*o.delayS
				cand.obj -= planWaitValue * o.waitS(e.nowI, e.maxLeadS)
				cand.choice[k] = o
				next = pushState(next, &cand)
			}
		}
		ps.next = states[:0]
		states = next
	}
	best := 0
	for si := range states {
		if states[si].obj < states[best].obj {
			best = si
		}
	}
	p.choice = states[best].choice
	ps.states = states[:0]
	// Note what the plan expects, to learn from the passages.
	shift := 0.0
	for k := 0; k < p.n; k++ {
		if planned[k] {
			v.etaChecks.expect(v.path, sigs[first+k].AlongM, e.nowI.add(seconds(mid[k]+shift)), los[k], his[k])
		}
		shift += p.choice[k].delays[planSamples/2]
	}
}

// pushState adds cand to states, merging states whose delays are within
// half a second at every sample (the better objective stays) and, when
// full, replacing the worst if cand is better.
func pushState(states []planState, cand *planState) []planState {
	worst := -1
	for i := range states {
		same := true
		for j := range cand.shift {
			if math.Abs(states[i].shift[j]-cand.shift[j]) >= 0.5 {
				same = false
				break
			}
		}
		if same {
			if cand.obj < states[i].obj {
				states[i] = *cand
			}
			return states
		}
		if worst < 0 || states[i].obj > states[worst].obj {
			worst = i
		}
	}
	if len(states) < planMaxStates {
		return append(states, *cand)
	}
	if cand.obj < states[worst].obj {
		states[worst] = *cand
	}
	return states
}

// planGreenServes reports, for the infinite price, whether the plan's own
// green serves v at s even for the extremes of its ETA band: the phase
// green and its queue gone a margin and a braking time before the
// earliest arrival, and still green a margin after the latest.
func (e *Engine) planGreenServes(v *vehicle, m *junctionModel, s *routing.PathSignal, eta routing.ETA) bool {
	margin := e.cfg.Margin.Seconds()
	speed := math.Max(v.speed, 0)
	need := eta.MinS - margin - speed/(2*planDecelMps2)
	late := eta.MaxS + margin
	e.baseline(m, late+m.cycle.Seconds())
	flow, sat := e.approachTraffic(m, s.Approach, s.Phase)
	startup, warm := e.cfg.StartupLost.Seconds(), -m.cycle.Seconds()
	ev := phaseEvents(e.plan.events[:0], m.base, e.now, s.Phase)
	e.plan.events = ev
	return passTime(ev, flow, sat, startup, warm, need, m.baseHorizonS) <= need+0.05 &&
		passTime(ev, flow, sat, startup, warm, late, m.baseHorizonS) <= late+0.05
}

// planDelay is the time a vehicle at speed v loses when its way clears
// tau seconds after the moment it would have had to start braking
// (braking at planDecelMps2, picking up speed at planAccelMps2): nothing
// when tau ≤ 0; a slowdown of d·τ²·(1+d/a)/(2v) while it has not come
// to a stand (τ < v/d); past that, the stop: standing time plus the
// v/(2d) + v/(2a) that braking and accelerating again cost.
func planDelay(tau, v float64) float64 {
	if tau <= 0 {
		return 0
	}
	v = math.Max(v, planMinSpeedMps)
	d, a := planDecelMps2, planAccelMps2
	if tau < v/d {
		return d * tau * tau * (1 + d/a) / (2 * v)
	}
	return tau - v/d + v/(2*d) + v/(2*a)
}

// junctionOptions forecasts the ways of serving v at signal s of its path,
// arriving there at the samples arr (seconds from now, the delay planned
// upstream included), and returns them with their expected delay and cost,
// in a buffer valid until the next call.
//
// When committed names a request, the vehicle has asked for the signal
// already: the one option returned is that request's outcome (the unit
// holding it until the vehicle passes), its cost sunk, marked unmodelled
// (nothing is left to decide).
func (e *Engine) junctionOptions(v *vehicle, m *junctionModel, s *routing.PathSignal, arr *[planSamples]float64, price float64, committed string) []planChoice {
	ps := &e.plan
	out := ps.opts[:0]
	speed := math.Max(v.speed, planMinSpeedMps)
	brake := speed / (2 * planDecelMps2)
	// need[j]: when sample j's vehicle must find its phase green and the
	// queue ahead of it gone, or brake.
	var need [planSamples]float64
	latest := 0.0
	for j := range need {
		need[j] = arr[j] - brake
		latest = max(latest, arr[j])
	}
	cycle := m.cycle.Seconds()
	short := latest + cycle // far enough to see whether the vehicle gets through
	e.baseline(m, latest+60+planCostCycles*cycle)
	evPhase := s.Phase
	flow, sat := e.approachTraffic(m, s.Approach, evPhase)
	startup, warm := e.cfg.StartupLost.Seconds(), -cycle
	maxPreempt := m.unit.Timing().MaxPreempt.Seconds()

	delays := func(changes []signals.Change, horizon float64) (d [planSamples]float64, pass [planSamples]float64, mean float64) {
		ev := phaseEvents(ps.events[:0], changes, e.now, evPhase)
		ps.events = ev
		for j := range need {
			t := passTime(ev, flow, sat, startup, warm, need[j], horizon)
			if math.IsInf(t, 1) {
				t = horizon + cycle
			}
			pass[j] = t + brake // it crosses the line brake seconds after it could have started braking
			d[j] = planDelay(t-need[j], speed)
			mean += d[j]
		}
		return d, pass, mean / planSamples
	}

	if committed != "" {
		e.heldForecast(m, committed, evPhase, short)
		var o planChoice
		o.delays, _, o.delayS = delays(m.changes, short)
		out = append(out, o)
		ps.opts = out
		return out
	}
	// Nothing: the baseline every cost is measured against.
	none := planChoice{modelled: true, request: never, kind: ReasonPlanGreen}
	none.delays, _, none.delayS = delays(m.base, m.baseHorizonS)
	out = append(out, none)
	if none.delayS == 0 {
		ps.opts = out
		return out // the plan's own green serves every sample: no request can do better for the vehicle, or cost less
	}

	// probe: which samples a request planned at r (landing at the latest)
	// still gets through undelayed, as a bit set; probes are kept, since
	// each answers for every sample.
	late := planLagHiS + planTickS
	probes := ps.probes[:0]
	probe := func(r float64) uint8 {
		for _, p := range probes {
			if p.r == r {
				return p.ok
			}
		}
		e.entryForecast(m, evPhase, r+late, short)
		ev := phaseEvents(ps.events[:0], m.changes, e.now, evPhase)
		ps.events = ev
		var ok uint8
		for j := range need {
			if passTime(ev, flow, sat, startup, warm, need[j], short)-need[j] <= 0.05 {
				ok |= 1 << j
			}
		}
		probes = append(probes, planProbe{r: r, ok: ok})
		return ok
	}
	cands := ps.cands[:0]
	cands = append(cands, 0)
	if end := firstGreenEnd(m.base, e.now, evPhase); end > late {
		cands = append(cands, end-late-0.25)
	}
	// The latest request that still gets each sample through undelayed:
	// a later request never brings the green earlier, so each sample's
	// requests that work are those before some time, found by bisection
	// within what the probes so far have shown.
	lo := 0.0
	for j := range need {
		bit := uint8(1) << j
		if probe(0)&bit == 0 {
			continue // even now is too late for this sample
		}
		lo, hi := 0.0, math.Max(0, need[j])
		for _, p := range probes {
			if p.ok&bit != 0 {
				lo = max(lo, p.r)
			} else if p.r > lo {
				hi = min(hi, p.r)
			}
		}
		hi = max(hi, lo)
		for hi-lo > planProbeS {
			mid := (lo + hi) / 2
			if probe(mid)&bit == 0 {
				hi = mid
			} else {
				lo = mid
			}
		}
		cands = append(cands, lo)
	}
	ps.probes = probes
	if len(cands) > 0 {
		lo = cands[len(cands)-1]
	}
	for _, step := range planLateSteps {
		if r := lo + step; r+late < latest {
			cands = append(cands, r)
		}
	}
	slices.Sort(cands)
	cands = slices.CompactFunc(cands, func(a, b float64) bool { return math.Abs(a-b) < 0.25 })
	ps.cands = cands

	for _, r := range cands {
		land := r + late
		g := e.entryForecast(m, evPhase, land, short)
		kind := ReasonEarlyReturn
		if g <= land {
			kind = ReasonExtend
		}
		o := planChoice{modelled: true, request: e.nowI.add(seconds(r)), kind: kind}
		var pass [planSamples]float64
		o.delays, pass, o.delayS = delays(m.changes, short)
		// A hold ends at the unit's max preempt: a sample that would pass
		// later meets the red that follows (and the engine asks no more).
		if capS := g + maxPreempt - planReleaseLagS; !math.IsInf(g, 1) {
			o.delayS = 0
			for j := range pass {
				if pass[j] > capS {
					o.delays[j] = planDelay(pass[j]-need[j]+cycle, speed)
				}
				o.delayS += o.delays[j] / planSamples
			}
		}
		o.costVehS = e.optionCost(m, evPhase, r+planLagS, &pass)
		if early := max(r-planTickS+planLagLoS, 0); e.entryForecast(m, evPhase, early, short) < g-1 {
			// Landing early takes a stage that landing late leaves:
			// count the costlier.
			o.costVehS = max(o.costVehS, e.optionCost(m, evPhase, early, &pass))
		}
		out = append(out, o)
	}
	ps.opts = out
	return out
}

// baseline runs m's unit, left to itself (its belief: the plan and the
// commands already sent), from now to at least horizonS (seconds from
// now), unless already done for now: its changes after the history
// (m.base), each approach's queue after each change of its phase, and when
// it is back in step with its plan.
func (e *Engine) baseline(m *junctionModel, horizonS float64) {
	if m.baseValid && m.baseAt == e.nowI && m.baseHorizonS >= horizonS {
		return
	}
	// Round the horizon up, so that a vehicle a little further out reuses
	// the run.
	horizonS = math.Ceil(horizonS/m.cycle.Seconds()+1) * m.cycle.Seconds()
	warm := -m.cycle.Seconds()
	e.syncTrack(m)
	u := e.forecastStart(m)
	m.baseSync = 0
	for !u.InStep() {
		next := u.NextChange()
		t := next.Sub(e.now).Seconds()
		if t > horizonS {
			m.baseSync = horizonS
			break
		}
		u.Advance(next)
		m.baseSync = t
	}
	u.Advance(e.at(horizonS))
	m.base = append(m.base[:0], m.history...)
	m.base = u.AppendChanges(m.base)
	startup := e.cfg.StartupLost.Seconds()
	for a, ap := range m.approaches {
		q := signals.NewQueue(ap.flowVehH, ap.satVH, startup).At(warm)
		snaps := m.baseSnaps[a][:0]
		for i := range m.base {
			c := &m.base[i]
			if c.Phase == ap.phase {
				t := c.At.Sub(e.now).Seconds()
				q.SetServed(t, c.To != signals.Red)
				snaps = append(snaps, queueSnap{t: t, q: q})
			}
		}
		q.Advance(horizonS)
		m.baseSnaps[a] = snaps
		m.baseEnd[a] = q.Delay()
	}
	m.baseAt, m.baseHorizonS, m.baseValid = e.nowI, horizonS, true
}

// forecastStart makes m.work the unit now (a copy of the belief) with
// every preempt of this engine's ended now, its changes to come after
// m.history. A forecast never counts on another vehicle's hold (it ends
// when that vehicle passes); the vehicle's own live request is applied
// again where its forecast needs it (heldForecast).
func (e *Engine) forecastStart(m *junctionModel) *signals.Roadside {
	u := &m.work
	m.track.CopyTo(u)
	if u.RequestID() != "" || u.State() != wire.StateNormal {
		u.ControllerOffline(e.cfg.ControllerID, e.now)
	}
	return u
}

// withHistory is m.history followed by u's changes, in m.changes.
func (m *junctionModel) withHistory(u *signals.Roadside) []signals.Change {
	m.changes = append(m.changes[:0], m.history...)
	m.changes = u.AppendChanges(m.changes)
	return m.changes
}

// at is the engine time s seconds from now.
func (e *Engine) at(s float64) time.Time { return e.now.Add(seconds(s)) }

// planCommand is the preempt the forecasts apply to a replica.
func (e *Engine) planCommand(m *junctionModel, typ wire.CommandType, phase int, at time.Time) wire.Command {
	return wire.Command{Type: typ, RequestID: "plan", ControllerID: "plan", IntersectionID: m.interID,
		VehicleID: "plan", Approach: "plan", Phase: phase, Priority: wire.HighestPriority, IssuedAt: at,
		ExpiresAt: at.Add(time.Hour)}
}

// entryForecast runs m's replica with a preempt for phase landing at
// landS (seconds from now) until the phase is green, or horizonS; it
// leaves the run's changes in m.changes and returns when the phase is
// green (+Inf if not before the horizon). The hold is not ended: a
// vehicle's passage is what ends it.
func (e *Engine) entryForecast(m *junctionModel, phase int, landS, horizonS float64) float64 {
	u := e.forecastStart(m)
	land := e.at(landS)
	u.Advance(land)
	_ = u.Apply(land, e.planCommand(m, wire.CommandPreempt, phase, land)) // a model of the plan cannot refuse its own phase
	g := math.Inf(1)
	if u.IsGreen(phase) {
		g = landS
	}
	for math.IsInf(g, 1) {
		next := u.NextChange()
		t := next.Sub(e.now).Seconds()
		if t > horizonS {
			break
		}
		u.Advance(next)
		if u.IsGreen(phase) {
			g = t
		}
	}
	m.withHistory(u)
	return g
}

// costKey identifies a forecast's cost: a request landing at landS and
// released at releaseS (seconds from at, to 0.05 s).
type costKey struct {
	at            instant
	land, release int32
}

type costEntry struct {
	key  costKey
	cost float64
}

func newCostKey(at instant, landS, releaseS float64) costKey {
	return costKey{at: at, land: int32(math.Round(landS * 20)), release: int32(math.Round(releaseS * 20))}
}

// cachedCost is the cost of the forecast for these times, if made since
// the belief last changed: the programme's states ask for the same
// requests and releases over and over.
func (m *junctionModel) cachedCost(at instant, landS, releaseS float64) (float64, bool) {
	k := newCostKey(at, landS, releaseS)
	for i := range m.costs {
		if m.costs[i].key == k {
			return m.costs[i].cost, true
		}
	}
	return 0, false
}

func (m *junctionModel) cacheCost(at instant, landS, releaseS, cost float64) {
	if len(m.costs) > 0 && m.costs[0].key.at != at {
		m.costs = m.costs[:0]
	}
	if len(m.costs) < planCostCache {
		m.costs = append(m.costs, costEntry{newCostKey(at, landS, releaseS), cost})
	}
}

// heldForecast runs m's unit with the vehicle's live request (refreshed
// for as long as it takes) until its phase is green, or horizonS, and
// leaves the changes in m.changes.
func (e *Engine) heldForecast(m *junctionModel, requestID string, phase int, horizonS float64) {
	u := e.forecastStart(m)
	c := e.planCommand(m, wire.CommandPreempt, phase, e.now)
	c.RequestID, c.ControllerID = requestID, e.cfg.ControllerID
	_ = u.Apply(e.now, c) // refreshes the request; a request the unit no longer knows starts anew
	for !u.IsGreen(phase) {
		next := u.NextChange()
		if next.Sub(e.now).Seconds() > horizonS {
			break
		}
		u.Advance(next)
	}
	m.withHistory(u)
}

// optionCost is the other traffic's expected extra delay (vehicle-seconds,
// all approaches, against the plan alone) of a preempt for phase landing
// at landS, released after each sample's passage pass[j]: the replica is
// run to the release and on until it is back in step with its plan; from
// there its queues follow the plan's own run until they are what the
// plan alone would have left (or the baseline's horizon).
func (e *Engine) optionCost(m *junctionModel, phase int, landS float64, pass *[planSamples]float64) float64 {
	u := e.forecastStart(m)
	land := e.at(landS)
	u.Advance(land)
	_ = u.Apply(land, e.planCommand(m, wire.CommandPreempt, phase, land))
	horizon := m.baseHorizonS
	var total, last float64
	lastRelease := math.NaN()
	for _, j := range planCostSamples {
		release := math.Min(math.Max(pass[j]+planReleaseLagS, landS), horizon)
		if math.Abs(release-lastRelease) < 0.1 {
			total += last // the same release as the sample before: the same cost
			continue
		}
		lastRelease = release
		if c, ok := m.cachedCost(e.nowI, landS, release); ok {
			last = c
			total += c
			continue
		}
		rel := e.at(release)
		u.Advance(rel)
		b := &m.branch
		u.CopyTo(b)
		_ = b.Apply(rel, e.planCommand(m, wire.CommandRelease, phase, rel))
		// From the moment the unit is back in step, it changes as the
		// plan does.
		sync := release
		for !b.InStep() {
			next := b.NextChange()
			t := next.Sub(e.now).Seconds()
			if t > horizon {
				sync = horizon
				b.Advance(e.at(horizon))
				break
			}
			b.Advance(next)
			sync = t
		}
		m.withHistory(b)
		last = e.costAfter(m, max(sync, m.baseSync))
		m.cacheCost(e.nowI, landS, release, last)
		total += last
	}
	return total / float64(len(planCostSamples))
}

// costAfter is the extra delay of the run in m.changes, whose unit is in
// step with its plan from syncS on (every change after it is the
// baseline's), over the baseline.
func (e *Engine) costAfter(m *junctionModel, syncS float64) float64 {
	startup, warm := e.cfg.StartupLost.Seconds(), -m.cycle.Seconds()
	var cost float64
	for a, ap := range m.approaches {
		q := signals.NewQueue(ap.flowVehH, ap.satVH, startup).At(warm)
		for i := range m.changes {
			c := &m.changes[i]
			if c.Phase == ap.phase {
				if t := c.At.Sub(e.now).Seconds(); t <= syncS {
					q.SetServed(t, c.To != signals.Red)
				}
			}
		}
		snaps := m.baseSnaps[a]
		i, _ := slices.BinarySearchFunc(snaps, syncS, func(s queueSnap, t float64) int {
			if s.t <= t {
				return -1
			}
			return 1
		})
		merged := false
		for ; i < len(snaps); i++ {
			sn := &snaps[i]
			q.SetServed(sn.t, sn.q.Served())
			if math.Abs(q.Departed()-sn.q.Departed()) < 1e-6 {
				cost += q.Delay() - sn.q.Delay()
				merged = true
				break
			}
		}
		if !merged {
			q.Advance(m.baseHorizonS)
			cost += q.Delay() - m.baseEnd[a]
		}
	}
	return cost
}

// approachTraffic is the vehicle's approach's flow and saturation flow.
func (e *Engine) approachTraffic(m *junctionModel, approach string, phase int) (flow, sat float64) {
	for _, a := range e.net.Intersection(m.inter).Approaches {
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

// phaseEvent is one change of a phase's indication, in seconds from now.
type phaseEvent struct {
	t      float64
	served bool // green or yellow: the queue discharges
	green  bool
}

// phaseEvents appends phase's changes among changes to dst, in seconds
// from now.
func phaseEvents(dst []phaseEvent, changes []signals.Change, now time.Time, phase int) []phaseEvent {
	for i := range changes {
		if c := &changes[i]; c.Phase == phase {
			dst = append(dst, phaseEvent{t: c.At.Sub(now).Seconds(), served: c.To != signals.Red, green: c.To == signals.Green})
		}
	}
	return dst
}

// passTime is when a vehicle joining the approach's queue at needS
// (seconds from now) crosses the stop line, given its phase's changes ev:
// once the phase is green and the vehicles queued ahead of it have left
// (signals.Queue's fluid model). The phase keeps its last indication after
// the last change. +Inf when not before horizonS.
func passTime(ev []phaseEvent, flow, sat, startup, warm, needS, horizonS float64) float64 {
	q := signals.NewQueue(flow, sat, startup).At(warm)
	green, joined := false, false
	var joinA float64
	t := warm
	for i := 0; i <= len(ev); i++ {
		next := horizonS
		if i < len(ev) {
			next = ev[i].t
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
		if i == len(ev) {
			break
		}
		q.SetServed(next, ev[i].served)
		green = ev[i].green
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
