package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// Strategies the simulator compares: no preemption, and the engine with
// each of its policies (controller.Policies).
const (
	StrategyNone      = "none"                             // no controller: every signal runs its plan
	StrategyRange     = string(controller.PolicyRange)     // controller.Engine with the fixed-distance range policy
	StrategyGreenwave = string(controller.PolicyGreenWave) // controller.Engine with the green-wave policy
)

// Strategies lists every strategy in report order: none, then the
// engine's policies.
var Strategies = append([]string{StrategyNone}, controller.PolicyNames()...)

// postArrivalFixes is how many fixes a vehicle still sends, with emergency
// off, after it reaches its destination: the crew switch off lights and
// siren, and the tracking unit keeps reporting. Several, because any one
// may be lost.
const postArrivalFixes = 3

// run is one strategy's simulation of a world.
type run struct {
	w        *world
	strategy string
	q        *eventQueue
	eng      *controller.Engine // nil for the none strategy
	endT     time.Duration
	record   bool // keep trajectories and signal changes for the time-space diagrams

	units    []unitRun
	vehicles []vehicleRun

	fixes    slotPool[wire.Position]
	commands slotPool[wire.Command]
	statuses slotPool[wire.Status]
	routes   []wire.Route // by vehicle

	netRNG    *rand.Rand // command-link jitter
	changeBuf []signals.Change

	engineGen     int32
	engineWakeAt  time.Duration // the pending tick, or -1
	refusedCmds   int
	engineRejects int
	hardBrakes    int             // episodes of braking harder than ev.decel_mps2 (a red the vehicle did not see coming)
	requestsSeen  map[string]bool // unit id + request id accepted by a unit
	holdAfterPass []float64

	events     uint64
	err        error                     // the first driver error; ends the run
	onDecision func(controller.Decision) // tests and tracing
	// decisionCounts tallies the engine's releases and denials by reason,
	// for the table's diagnostics.
	decisionCounts map[string]int
	progress       func(done float64)
}

// unitRun is one intersection's roadside unit and its approach queues.
type unitRun struct {
	rs        *signals.Roadside
	queues    []approachQueue
	phaseApps [wire.MaxPhase + 1][]int32 // approaches served by each phase

	gen       int32         // generation of the pending change event
	scheduled time.Duration // its time, or -1

	green     uint16 // phases green now
	state     wire.State
	sentReq   string
	sentGreen uint16
	sentSt    wire.State
	cmdLink   time.Duration // arrival time of the last command on the link (FIFO)
	statLink  time.Duration

	reqPhase  map[string]int
	reqExpiry map[string]time.Duration

	holdStart     time.Duration   // -1 when not holding
	preemptEnds   []time.Duration // when each entry/hold ended, for recovery_s
	overrun       bool            // the current hold outlived its request's expiry
	lastPass      time.Duration   // an EV passed during the current hold, -1 if none
	holdS, maxHol float64
	unreleased    int

	greenLog []maskAt // green phases over time
	evLog    []maskAt // phase a preempt is serving (entry/hold) over time
	changes  []signals.Change
}

type maskAt struct {
	t    time.Duration
	mask uint16
}

// vehicleRun is one emergency vehicle's trip.
type vehicleRun struct {
	trip  *tripSpec
	state uint8 // 0 waiting, 1 driving, 2 arrived

	pos, v      float64
	profIdx     int
	nextSig     int
	joined      bool
	joinA       float64
	braked      []bool // by trip signal: the vehicle braked for it (a red arrival)
	yellowGo    []bool // by trip signal: committed to clear its yellow
	stopped     bool
	hardBraking bool

	departT, arriveT time.Duration
	stops            int
	greenArr         int
	redArr           int

	seq        uint64
	errX, errY float64 // the receiver's current position error (correlated noise)
	postFixes  int
	gpsRNG     *rand.Rand
	trajectory []trajPoint
	passes     []passRec
}

// passRec is a vehicle crossing a stop line, for the diagrams.
type passRec struct {
	t     time.Duration
	along float64
	green bool // a green arrival
}

type trajPoint struct {
	t     time.Duration
	along float64
}

const (
	vehWaiting uint8 = iota
	vehDriving
	vehArrived
)

// Stop detection hysteresis: a vehicle counts one stop when its speed falls
// below stopBelowMps, and may count another only after exceeding
// goAboveMps (a queue creeping forward is one stop, not ten).
const (
	stopBelowMps = 0.5
	goAboveMps   = 3.0
)

func newRun(w *world, strategy string, record bool) (*run, error) {
	sc := w.sc
	r := &run{
		w: w, strategy: strategy, record: record,
		endT:         seconds(sc.DurationS),
		q:            newEventQueue(4*len(w.units) + 4*len(w.trips) + 64),
		netRNG:       rngFor(sc.Seed, "network/commands"),
		engineWakeAt: -1,
		requestsSeen: map[string]bool{},

		decisionCounts: map[string]int{},
	}
	r.units = make([]unitRun, len(w.units))
	satFlow := sc.Traffic.SatFlowVehHLane * float64(sc.Traffic.Lanes)
	for i := range w.units {
		spec := &w.units[i]
		rs, err := signals.NewRoadside(spec.id, spec.plan, spec.timing)
		if err != nil {
			return nil, fmt.Errorf("intersection %s: %w", spec.id, err)
		}
		u := &r.units[i]
		u.rs = rs
		u.scheduled, u.holdStart, u.lastPass = -1, -1, -1
		u.state = wire.StateNormal
		u.reqPhase = map[string]int{}
		u.reqExpiry = map[string]time.Duration{}
		for j, a := range spec.approaches {
			u.queues = append(u.queues, newApproachQueue(a.vehH, satFlow, sc.Traffic.StartupLostS))
			if a.phase >= wire.MinPhase && a.phase <= wire.MaxPhase {
				u.phaseApps[a.phase] = append(u.phaseApps[a.phase], int32(j))
			}
		}
	}
	r.vehicles = make([]vehicleRun, len(w.trips))
	r.routes = make([]wire.Route, len(w.trips))
	for i := range w.trips {
		n := len(w.trips[i].signals)
		r.vehicles[i] = vehicleRun{trip: &w.trips[i], gpsRNG: rngFor(sc.Seed, "gps/"+w.trips[i].id),
			braked: make([]bool, n), yellowGo: make([]bool, n)}
	}
	if strategy != StrategyNone {
		eng, err := newEngine(w, strategy)
		if err != nil {
			return nil, err
		}
		r.eng = eng
	}
	return r, nil
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

func (r *run) at(d time.Duration) time.Time { return r.w.epoch.Add(d) }

// schedule is the queue's schedule for times the driver computed as now
// plus a non-negative delay. The queue's refusal would be a driver bug: the
// first one is kept and ends the run with an error rather than a silently
// dropped event.
func (r *run) schedule(at time.Duration, kind eventKind, a, b int32) {
	if err := r.q.schedule(at, kind, a, b); err != nil && r.err == nil {
		r.err = fmt.Errorf("%w: kind %d at %v, now %v", err, kind, at, r.q.Now())
	}
}

// execute runs the whole scenario.
func (r *run) execute() error {
	for i := range r.units {
		r.syncUnit(int32(i))
	}
	for i := range r.vehicles {
		r.schedule(seconds(r.vehicles[i].trip.departS), evVehicleDepart, int32(i), 0)
	}
	r.schedule(r.endT, evEnd, 0, 0)
	for r.err == nil {
		ev, ok := r.q.pop()
		if !ok || ev.kind == evEnd {
			break
		}
		r.events++
		if r.progress != nil && r.events&0xffff == 0 {
			r.progress(float64(ev.at) / float64(r.endT))
		}
		switch ev.kind {
		case evVehicleDepart:
			r.depart(ev.a)
		case evVehicleStep:
			r.stepVehicle(ev.a)
		case evGPSFix:
			r.takeFix(ev.a)
		case evFixArrive:
			r.toEngine(controller.PositionInput(r.fixes.take(ev.b)))
		case evRouteArrive:
			r.toEngine(controller.RouteInput(r.routes[ev.a]))
		case evEngineTick:
			if ev.b == r.engineGen {
				r.engineWakeAt = -1
				r.eng.Tick(r.at(r.q.Now()))
				r.drainEngine()
			}
		case evCommandArrive:
			r.deliverCommand(ev.a, r.commands.take(ev.b))
		case evSignalChange:
			if u := &r.units[ev.a]; ev.b == u.gen {
				u.scheduled = -1
				r.syncUnit(ev.a)
			}
		case evStatusArrive:
			r.toEngine(controller.StatusInput(r.statuses.take(ev.b)))
		}
	}
	if r.err != nil {
		return r.err
	}
	r.q.now = r.endT
	for i := range r.units {
		r.syncUnit(int32(i))
		r.closeUnit(&r.units[i])
	}
	return r.err
}

// ---- signals -------------------------------------------------------------

// syncUnit brings unit i to now: runs its due transitions, applies their
// changes to the queues and the logs, reports a changed status to the
// controller, and (re)schedules its next change.
func (r *run) syncUnit(i int32) {
	u := &r.units[i]
	now := r.q.Now()
	u.rs.Advance(r.at(now))
	r.changeBuf = u.rs.AppendChanges(r.changeBuf[:0])
	for k := range r.changeBuf {
		r.applyChange(u, &r.changeBuf[k])
	}
	if u.holdStart >= 0 && !u.overrun {
		if exp, ok := u.reqExpiry[u.rs.RequestID()]; ok && now > exp+time.Millisecond {
			u.overrun = true
		}
	}
	if r.eng != nil {
		// A status goes out whenever the state, the request served or the
		// green phases change, as the roadside-unit simulator publishes
		// (internal/rsu): the controller's lead time depends on when
		// greens begin and end.
		st, req := u.rs.State(), u.rs.RequestID()
		if st != u.sentSt || req != u.sentReq || u.green != u.sentGreen {
			u.sentSt, u.sentReq, u.sentGreen = st, req, u.green
			status := u.rs.Status(r.at(now))
			u.statLink = max(u.statLink, now+seconds(r.w.sc.Network.StatusLatencyS))
			r.schedule(u.statLink, evStatusArrive, i, r.statuses.put(status))
		}
	}
	next := u.rs.NextChange().Sub(r.w.epoch)
	if next != u.scheduled {
		u.gen++
		u.scheduled = next
		r.schedule(max(next, now), evSignalChange, i, u.gen)
	}
}

func (r *run) applyChange(u *unitRun, c *signals.Change) {
	t := c.At.Sub(r.w.epoch)
	ts := t.Seconds()
	if r.record {
		u.changes = append(u.changes, *c)
	}
	if c.Phase > 0 {
		bit := wire.PhaseBit(c.Phase)
		if c.To == signals.Green {
			u.green |= bit
		} else {
			u.green &^= bit
		}
		if n := len(u.greenLog); n > 0 && u.greenLog[n-1].t == t {
			u.greenLog[n-1].mask = u.green
		} else {
			u.greenLog = append(u.greenLog, maskAt{t, u.green})
		}
		for _, j := range u.phaseApps[c.Phase] {
			u.queues[j].setServed(ts, c.To != signals.Red)
		}
		return
	}
	prev := u.state
	u.state = c.State
	preempting := func(s wire.State) bool { return s == wire.StateEntry || s == wire.StateHold }
	if prev == wire.StateHold && c.State != wire.StateHold {
		r.endHold(u, t)
	}
	if c.State == wire.StateHold && prev != wire.StateHold {
		u.holdStart = t
		u.overrun = false
		u.lastPass = -1
	}
	if preempting(prev) && !preempting(c.State) {
		u.preemptEnds = append(u.preemptEnds, t)
	}
	var ev uint16
	if preempting(c.State) {
		if p, ok := u.reqPhase[u.rs.RequestID()]; ok {
			ev = wire.PhaseBit(p)
		}
	}
	if n := len(u.evLog); n == 0 || u.evLog[n-1].mask != ev {
		u.evLog = append(u.evLog, maskAt{t, ev})
	}
}

func (r *run) endHold(u *unitRun, t time.Duration) {
	d := (t - u.holdStart).Seconds()
	u.holdS += d
	u.maxHol = math.Max(u.maxHol, d)
	if u.overrun {
		u.unreleased++
	}
	if u.lastPass >= 0 {
		r.holdAfterPass = append(r.holdAfterPass, (t - u.lastPass).Seconds())
	}
	u.holdStart, u.lastPass, u.overrun = -1, -1, false
}

// closeUnit ends the run for a unit: a preempt still in entry or hold is
// unreleased.
func (r *run) closeUnit(u *unitRun) {
	if u.state == wire.StateEntry || u.state == wire.StateHold {
		u.unreleased++
	}
	if u.holdStart >= 0 {
		u.overrun = false // already counted as unreleased above
		d := (r.endT - u.holdStart).Seconds()
		u.holdS += d
		u.maxHol = math.Max(u.maxHol, d)
		u.holdStart = -1
	}
	for j := range u.queues {
		u.queues[j].advance(r.endT.Seconds())
	}
}

func (r *run) deliverCommand(unit int32, c wire.Command) {
	u := &r.units[unit]
	now := r.q.Now()
	if c.Type == wire.CommandPreempt {
		u.reqPhase[c.RequestID] = c.Phase
		u.reqExpiry[c.RequestID] = c.ExpiresAt.Sub(r.w.epoch)
	}
	if err := u.rs.Apply(r.at(now), c); err != nil {
		r.refusedCmds++
	} else if c.Type == wire.CommandPreempt {
		r.requestsSeen[u.rs.IntersectionID()+"\x00"+c.RequestID] = true
	}
	r.syncUnit(unit)
}

// ---- controller ----------------------------------------------------------

// toEngine hands an input to the engine. A refused input (a duplicate or
// late fix, say) is the engine doing its job, not a simulator error; it is
// counted.
func (r *run) toEngine(in controller.Input) {
	if err := r.eng.Step(r.at(r.q.Now()), in); err != nil {
		r.engineRejects++
	}
	r.drainEngine()
}

// drainEngine sends the engine's commands down the command link and keeps
// one tick scheduled at its NextWakeup.
func (r *run) drainEngine() {
	now := r.q.Now()
	rd := r.eng.Ready()
	wake := rd.NextWakeup
	for _, d := range rd.Decisions {
		if d.Kind == controller.DecisionRelease || d.Kind == controller.DecisionDeny {
			r.decisionCounts[d.Kind.String()+" "+d.Reason.String()]++
		}
		if r.onDecision != nil {
			r.onDecision(d)
		}
	}
	for _, c := range rd.Commands {
		ui, ok := r.w.net.IntersectionByID(c.IntersectionID)
		if !ok {
			r.refusedCmds++
			continue
		}
		u := &r.units[ui]
		lat := seconds(r.w.sc.Network.CommandLatencyS + r.netRNG.Float64()*r.w.sc.Network.CommandJitterS)
		u.cmdLink = max(u.cmdLink, now+lat)
		r.schedule(u.cmdLink, evCommandArrive, ui, r.commands.put(c))
	}
	if wake.IsZero() {
		return
	}
	at := wake.Sub(r.w.epoch)
	if at <= now {
		// Due already: tick at once, but strictly later than a tick at this
		// very instant so an engine that keeps asking cannot stall the clock.
		at = now + time.Millisecond
	}
	if r.engineWakeAt >= 0 && r.engineWakeAt <= at {
		return
	}
	r.engineGen++
	r.engineWakeAt = at
	r.schedule(at, evEngineTick, 0, r.engineGen)
}

// ---- vehicles ------------------------------------------------------------

func (r *run) depart(i int32) {
	v := &r.vehicles[i]
	now := r.q.Now()
	v.state = vehDriving
	v.stopped = true // standing at its origin: moving off is not a stop
	v.departT = now
	r.recordTrajectory(v, now)
	r.schedule(now+seconds(r.w.kin.StepS), evVehicleStep, i, 0)
	if r.eng == nil {
		return
	}
	if route, ok := r.routeMessage(v, now); ok {
		r.routes[i] = route
		r.schedule(now+seconds(r.w.sc.GPS.LatencyS), evRouteArrive, i, 0)
	}
	r.schedule(now, evGPSFix, i, 0)
}

func (r *run) routeMessage(v *vehicleRun, now time.Duration) (wire.Route, bool) {
	t := v.trip
	route := wire.Route{VehicleID: t.id, RouteID: t.id + ".r1", TS: r.at(now)}
	switch t.announce {
	case "path":
		route.Path = t.path.LonLats()
	case "destination":
		d := t.dest
		route.Destination = &d
	default:
		return route, false
	}
	return route, true
}

// stepVehicle integrates vehicle i over one step: see Kinematics for the
// motion and doc.go for how signals and queues stop it.
func (r *run) stepVehicle(i int32) {
	v := &r.vehicles[i]
	t := v.trip
	kin := r.w.kin
	now := r.q.Now()
	length := t.path.LengthM()
	vd := t.profile.at(v.pos, &v.profIdx) * kin.SpeedFactor
	// The next signal, and any other whose stop line is within reach, may
	// stop the vehicle; the nearest target wins.
	target, binding := length, -1
	reach := kin.StoppingDistance(v.v) + lookAheadM
	for k := v.nextSig; k < len(t.signals); k++ {
		if k > v.nextSig && t.signals[k].alongM-v.pos > reach+lookAheadQueueM {
			break
		}
		if stop, ok := r.signalTarget(v, k); ok && stop < target {
			target, binding = stop, k
		}
	}
	pos, speed := kin.Next(v.pos, v.v, vd, target)
	if binding >= 0 {
		if _, free := kin.Next(v.pos, v.v, vd, length); speed < free-1e-9 {
			v.braked[binding] = true
		}
	}
	hard := v.v > goAboveMps && v.v-speed > hardBrakeFactor*kin.Decel*kin.StepS
	if hard && !v.hardBraking {
		r.hardBrakes++
	}
	v.hardBraking = hard
	v.pos, v.v = pos, speed
	for v.nextSig < len(t.signals) && v.pos > t.signals[v.nextSig].alongM {
		r.passSignal(v, &t.signals[v.nextSig], now)
	}
	if !v.stopped && speed < stopBelowMps && pos < length-SnapM {
		v.stopped = true
		v.stops++
	} else if v.stopped && speed > goAboveMps {
		v.stopped = false
	}
	r.recordTrajectory(v, now)
	if pos >= length-SnapM {
		v.state = vehArrived
		v.arriveT = now
		return
	}
	r.schedule(now+seconds(kin.StepS), evVehicleStep, i, 0)
}

// hardBrakeFactor: braking harder than this times the comfortable
// deceleration is a hard brake, the vehicle meeting a red it did not see
// coming (a preempt released or refused late). The model brakes a little
// above the comfortable rate in ordinary cases (a queue growing towards a
// vehicle that is braking for it), and snaps from a crawl to standing at
// its target; neither is what the diagnostic is for.
const hardBrakeFactor = 1.5

// lookAheadM is how far beyond its stopping distance a vehicle looks for
// signals other than the next: a red just past the next stop line (Luxembourg
// has junctions drawn as several signalised nodes metres apart) is braked
// for in time instead of met with a hard stop.
const lookAheadM = 30.0

// lookAheadQueueM extends the look-ahead by the length of a queue that may
// stand at a signal beyond the next (about 14 cars).
const lookAheadQueueM = 100.0

// signalTarget is where the vehicle must stop for its path's signal k, if
// anywhere: the stop line, less the queue ahead of it (the queue it joined
// once within reach of it), on red; on yellow when it can still stop
// comfortably; on green while the queue ahead has not discharged. The
// vehicle joins one queue at a time, the next signal's; a later signal's
// queue is taken as it stands, and never holds the vehicle before the
// previous stop line.
func (r *run) signalTarget(v *vehicleRun, k int) (float64, bool) {
	kin := r.w.kin
	s := &v.trip.signals[k]
	r.syncUnit(s.unit)
	u := &r.units[s.unit]
	ahead := 0.0
	if s.approach >= 0 {
		q := &u.queues[s.approach]
		q.advance(r.q.Now().Seconds())
		jam := r.w.sc.Traffic.JamSpacingM
		switch {
		case k != v.nextSig:
			ahead = q.length()
		case !v.joined && s.alongM-v.pos <= kin.StoppingDistance(v.v)+q.length()*jam+jam:
			v.joined = true
			v.joinA = q.arrived
			fallthrough
		case v.joined:
			ahead = math.Max(0, v.joinA-q.departed)
		default:
			ahead = q.length()
		}
		ahead *= jam
	}
	stopAt := s.alongM - ahead
	if k > v.nextSig {
		// A queue reaching back past the previous stop line holds the
		// vehicle at that line: it does not block the junction.
		stopAt = math.Max(stopAt, v.trip.signals[k-1].alongM)
	}
	switch u.rs.Indication(s.phase) {
	case signals.Red:
		if !v.yellowGo[k] {
			return stopAt, true
		}
	case signals.Yellow:
		if !v.yellowGo[k] {
			if kin.StoppingDistance(v.v) <= stopAt-v.pos {
				return stopAt, true
			}
			v.yellowGo[k] = true
		}
	default:
		if ahead > 0 {
			return stopAt, true
		}
	}
	return 0, false
}

func (r *run) passSignal(v *vehicleRun, s *tripSignal, now time.Duration) {
	braked := v.braked[v.nextSig]
	if braked {
		v.redArr++
	} else {
		v.greenArr++
	}
	if r.record {
		v.passes = append(v.passes, passRec{t: now, along: s.alongM, green: !braked})
	}
	u := &r.units[s.unit]
	if u.holdStart >= 0 {
		u.lastPass = now
	}
	v.nextSig++
	v.joined = false
}

func (r *run) recordTrajectory(v *vehicleRun, now time.Duration) {
	if !r.record {
		return
	}
	if n := len(v.trajectory); n > 0 && now-v.trajectory[n-1].t < 500*time.Millisecond && v.v > 0 {
		return
	}
	v.trajectory = append(v.trajectory, trajPoint{now, v.pos})
}

// takeFix is the vehicle's receiver taking a fix: noise, loss, latency,
// jitter and duplicates, each drawn from the vehicle's own stream in a fixed
// order whatever happens to the fix, so every strategy sees the same noise.
func (r *run) takeFix(i int32) {
	v := &r.vehicles[i]
	g := r.w.sc.GPS
	rng := v.gpsRNG
	now := r.q.Now()
	lost := rng.Float64() < g.Loss
	nx, ny := rng.NormFloat64()*g.NoiseM, rng.NormFloat64()*g.NoiseM
	dh, dv := rng.NormFloat64()*g.HeadingNoiseDeg, rng.NormFloat64()*g.SpeedNoiseMps
	j1, dup, j2 := rng.Float64(), rng.Float64() < g.Duplicate, rng.Float64()

	if tau := g.NoiseCorrelationS; tau > 0 {
		if v.seq == 0 {
			v.errX, v.errY = nx, ny // the first fix starts from the stationary distribution
		} else {
			v.errX = gaussMarkov(v.errX, nx, g.PeriodS, tau)
			v.errY = gaussMarkov(v.errY, ny, g.PeriodS, tau)
		}
		nx, ny = v.errX, v.errY
	}
	pt, bearing := v.trip.path.PointAt(v.pos)
	pt.X += nx
	pt.Y += ny
	ll := r.w.net.Projection().ToLonLat(pt)
	heading := math.Mod(bearing+dh+720, 360)
	if heading >= 360 {
		heading = 0
	}
	speed := math.Max(0, v.v+dv)
	v.seq++
	p := wire.Position{VehicleID: v.trip.id, Seq: v.seq, TS: r.at(now), Lat: ll[1], Lon: ll[0],
		SpeedMps: &speed, HeadingDeg: &heading, Emergency: v.state != vehArrived}
	if g.NoiseM > 0 {
		acc := g.NoiseM
		p.AccuracyM = &acc
	}
	if !lost {
		r.schedule(now+seconds(g.LatencyS+j1*g.JitterS), evFixArrive, i, r.fixes.put(p))
		if dup {
			r.schedule(now+seconds(g.LatencyS+j2*g.JitterS), evFixArrive, i, r.fixes.put(p))
		}
	}
	if v.state == vehArrived {
		v.postFixes++
		if v.postFixes >= postArrivalFixes {
			return
		}
	}
	r.schedule(now+seconds(g.PeriodS), evGPSFix, i, 0)
}

// gaussMarkov is one step of a first-order Gauss-Markov error: it keeps
// exp(-dt/τ) of the previous error and takes the rest from draw (a fresh
// N(0, σ²) sample), so the error stays N(0, σ²) while drifting with time
// constant τ.
func gaussMarkov(prev, draw, dt, tau float64) float64 {
	a := math.Exp(-dt / tau)
	return a*prev + math.Sqrt(1-a*a)*draw
}

// ---- pools ---------------------------------------------------------------

// slotPool stores message payloads for in-flight events by index, reusing
// freed slots, so events stay plain data and steady state allocates
// nothing.
type slotPool[T any] struct {
	items []T
	free  []int32
}

func (p *slotPool[T]) put(x T) int32 {
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		p.items[i] = x
		return i
	}
	p.items = append(p.items, x)
	return int32(len(p.items) - 1)
}

func (p *slotPool[T]) take(i int32) T {
	x := p.items[i]
	var zero T
	p.items[i] = zero
	p.free = append(p.free, i)
	return x
}
