package sumo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/sim"
	"github.com/greenwave-project/greenwave/traci"
	"github.com/greenwave-project/greenwave/wire"
)

// coRun is one strategy's co-simulation.
type coRun struct {
	w        *coWorld
	strategy string
	p        *traci.Process
	eng      *controller.Engine // nil for none
	dt       float64
	T        float64 // the time reached
	endS     float64

	units     []*rsu
	unitByTLS map[string]*rsu
	ambs      []*ambulance
	ambByID   map[string]*ambulance

	q        eventHeap
	fixes    sim.SlotPool[wire.Position]
	commands sim.SlotPool[wire.Command]
	statuses sim.SlotPool[wire.Status]
	cmdLink  []float64 // per unit: arrival of the last command (links keep order)
	statLink []float64
	netRNG   *rand.Rand
	tickGen  int32
	tickAt   float64 // the pending tick, or NaN

	engineRejects int
	stats         runStats
}

// runStats are a run's counters beyond the trips' own.
type runStats struct {
	preempts      int
	refused       int
	unsafe        int
	unreleased    int
	offPath       int
	holdAfterPass []float64
	holdLead      []float64
	outOfStep     int
	releases      map[string]int // engine releases and denials by reason
	otherLossS    float64
	otherVehicles int
}

// strategyRun runs one strategy from start to end and returns it; SUMO
// is closed and reaped before it returns.
func (w *coWorld) strategyRun(ctx context.Context, strategy string) (r *coRun, err error) {
	gui := w.opt.GUI
	p, err := w.startSUMO(ctx, strategy, gui, "--tripinfo-output", w.tripinfoPath(strategy), "--tripinfo-output.write-unfinished")
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := p.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("%s run: close SUMO: %w", strategy, cerr)
		}
	}()
	r = &coRun{w: w, strategy: strategy, p: p, unitByTLS: map[string]*rsu{}, ambByID: map[string]*ambulance{},
		netRNG: sim.RNGFor(w.sc.Seed, "network/commands"), tickAt: math.NaN()}
	r.stats.releases = map[string]int{}
	if err := r.setUp(); err != nil {
		return nil, fmt.Errorf("%s run: %w", strategy, err)
	}
	if err := r.loop(ctx); err != nil {
		return nil, fmt.Errorf("%s run: %w", strategy, err)
	}
	r.finish()
	if err := p.Close(); err != nil {
		return nil, fmt.Errorf("%s run: close SUMO: %w", strategy, err)
	}
	if err := r.readTripinfo(); err != nil {
		return nil, fmt.Errorf("%s run: %w", strategy, err)
	}
	return r, nil
}

func (r *coRun) setUp() error {
	w, p := r.w, r.p
	var err error
	if r.dt, err = p.DeltaT(); err != nil {
		return err
	}
	if r.T, err = p.Time(); err != nil {
		return err
	}
	if err := w.ambulanceVehicleType(p); err != nil {
		return err
	}
	r.units = make([]*rsu, len(w.m.Intersections))
	for i := range w.m.Intersections {
		link := &w.m.Intersections[i]
		in := &w.m.Inventory.Intersections[i]
		running, err := p.Program(link.TLS)
		if err != nil {
			return err
		}
		logics, err := p.ProgramLogics(link.TLS)
		if err != nil {
			return err
		}
		u, err := newRSU(int32(i), in, link, running, logics, w.linkPlaces(link))
		if err != nil {
			return err
		}
		u.stats = &unitStats{r: r, visits: map[string]*unitVisit{}}
		r.units[i] = u
		r.unitByTLS[link.TLS] = u
	}
	// The units watch the signals on the ambulances' routes from the
	// start; any other only once a command reaches it (watch).
	for _, t := range w.trips {
		for _, s := range t.signals {
			if u := r.units[s.inter]; !u.watched {
				if err := r.watch(u); err != nil {
					return err
				}
			}
		}
	}
	r.cmdLink = make([]float64, len(r.units))
	r.statLink = make([]float64, len(r.units))
	if err := w.addAmbulances(p); err != nil {
		return err
	}
	for i := range w.trips {
		t := &w.trips[i]
		a := &ambulance{trip: t, rng: sim.RNGFor(w.sc.Seed, "gps/"+t.spec.ID), departS: math.NaN(), arriveS: math.NaN(),
			firstSeen: math.NaN(), sigs: make([]sigRecord, len(t.signals))}
		for k := range a.sigs {
			a.sigs[k] = newSigRecord()
		}
		r.ambs = append(r.ambs, a)
		r.ambByID[t.spec.ID] = a
		if w.opt.GUI {
			_ = p.SetVehicleColor(t.spec.ID, 255, 40, 40, 255)
		}
	}
	if err := p.SubscribeSimulation(traci.SimTime, traci.SimDepartedIDs, traci.SimArrivedIDs, traci.SimTeleportStartingIDs); err != nil {
		return err
	}
	if r.strategy != sim.StrategyNone {
		if r.eng, err = w.newEngine(r.strategy); err != nil {
			return err
		}
	}
	r.endS = w.endS
	// The program each unit watches: what shows before the first step.
	return nil
}

// watch subscribes to a unit's signal and reads what it shows now. The
// unit has not seen since when each light has shown what it shows: it
// takes now, which only makes a minimum green last longer.
func (r *coRun) watch(u *rsu) error {
	// The state; a static program's phase and next switch too (its
	// schedule and green_until). Which program runs the unit knows: its
	// own, unless it has taken the signal over.
	vars := []traci.TLVar{traci.TLState}
	if u.static {
		vars = append(vars, traci.TLPhase, traci.TLNextSwitch)
	}
	if err := r.p.SubscribeTrafficLight(u.tls, vars...); err != nil {
		return err
	}
	st, err := r.p.RedYellowGreenState(u.tls)
	if err != nil {
		return err
	}
	u.observe(r.T, st, -1, u.program, math.NaN())
	for i := range u.since {
		u.since[i] = r.T
	}
	u.watched = true
	u.observedSet = false
	return nil
}

// ambulanceVars are the variables subscribed for each ambulance.
var ambulanceVars = []traci.VehicleVar{traci.VehPosition, traci.VehSpeed, traci.VehAngle, traci.VehRoadID,
	traci.VehLaneIndex, traci.VehDistance}

// loop steps SUMO to the end, with the engine and the units in between.
func (r *coRun) loop(ctx context.Context) error {
	w := r.w
	lastProgress := r.T
	for k := 1; ; k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		skipped := false
		if skip := r.idleSteps(k); skip > 0 {
			k += skip
			skipped = true
		}
		target := w.beginS + float64(k)*r.dt
		if r.endS > 0 && target > r.endS+1e-9 {
			return nil
		}
		if r.endS == 0 && r.openDone(target) {
			r.endS = r.T
			return nil
		}
		res, err := r.p.Step(target)
		if err != nil {
			return err
		}
		T := res.Sim.Time
		if math.IsNaN(T) {
			T = target
		}
		r.T = T
		// What the signals showed during the step just made.
		for i := range res.TrafficLights {
			tl := &res.TrafficLights[i]
			if u := r.unitByTLS[tl.ID]; u != nil {
				phase, next := -1, math.NaN()
				if u.static {
					phase, next = tl.Phase, tl.NextSwitch
				}
				u.observe(T, tl.State, phase, u.program, next)
				if skipped {
					// What showed in between is SUMO's program's own:
					// compare from here on.
					u.observedSet = false
				}
				r.checkSafety(u)
			}
		}
		for _, id := range res.Sim.DepartedIDs {
			if a := r.ambByID[id]; a != nil {
				a.depart(r, T)
				if err := r.p.SubscribeVehicle(id, ambulanceVars...); err != nil {
					return err
				}
			}
		}
		for _, id := range res.Sim.TeleportingIDs {
			if a := r.ambByID[id]; a != nil {
				a.teleported = true
			}
		}
		for i := range res.Vehicles {
			v := &res.Vehicles[i]
			if a := r.ambByID[v.ID]; a != nil && v.Err == "" {
				a.update(r, T, v)
			}
		}
		for _, id := range res.Sim.ArrivedIDs {
			if a := r.ambByID[id]; a != nil {
				a.arrive(r, T)
			}
		}
		if r.eng != nil {
			r.processEvents(T)
		}
		for _, u := range r.units {
			if !u.watched {
				if len(u.inbox) == 0 {
					continue
				}
				if err := r.watch(u); err != nil {
					return fmt.Errorf("t=%v s: traffic light %q: %w", T, u.tls, err)
				}
			}
			if err := u.boundary(T, coEpoch, r.p); err != nil {
				return fmt.Errorf("t=%v s: traffic light %q: %w", T, u.tls, err)
			}
			if r.eng != nil && u.statusChanged(T) {
				i := u.inter
				r.statLink[i] = math.Max(r.statLink[i], T+w.sc.Network.StatusLatencyS)
				r.schedule(r.statLink[i], evStatus, r.statuses.Put(u.status(T, coEpoch)))
			}
		}
		if r.eng != nil {
			for _, a := range r.ambs {
				a.maybeFix(r, T)
			}
		}
		if w.opt.afterStep != nil {
			w.opt.afterStep(r.strategy, T, r.p)
		}
		if w.opt.Progress != nil && T-lastProgress >= 60 {
			lastProgress = T
			w.opt.Progress(r.strategy, T, r.endS)
		}
	}
}

// idleSteps is how many steps after step k-1 SUMO may run on its own in
// one call: none while an ambulance is on its way (or still sending its
// last fixes) or a unit is busy; otherwise up to the step before the next
// ambulance departs, or to the end. A step through TraCI costs SUMO about
// a third of a millisecond beyond the step itself (measured on
// Luxembourg), so the hours with no ambulance about are run in one call.
// Nothing is lost: with no ambulance no command comes, and SUMO's own
// programs run the signals.
func (r *coRun) idleSteps(k int) int {
	next := math.Inf(1)
	for _, a := range r.ambs {
		switch {
		case a.state == ambDriving, a.state == ambArrived && r.eng != nil && a.postFixes < postArrivalFixes:
			return 0
		case a.state == ambWaiting:
			next = math.Min(next, a.trip.spec.DepartS)
		}
	}
	for _, u := range r.units {
		if u.mode != wire.StateNormal || len(u.inbox) > 0 {
			return 0
		}
	}
	if r.endS > 0 {
		next = math.Min(next, r.endS)
	}
	if math.IsInf(next, 1) {
		return 0
	}
	// Stepping resumes a while before: the units must have watched their
	// signals for longer than any clearance takes, so that they know how
	// long each green has been on when a preempt comes.
	preroll := 0.0
	for _, u := range r.units {
		preroll = math.Max(preroll, u.minGreen+u.yellow+u.allRed)
	}
	last := int(math.Floor((next-preroll-idlePrerollS-r.w.beginS)/r.dt+1e-9)) - 1
	return max(0, last-k)
}

// idlePrerollS is added to the longest clearance for the time stepping
// resumes before an ambulance departs.
const idlePrerollS = 10

// openDone reports, for a run without a set end, whether it may end
// before target: every ambulance has arrived and sent its last fixes, and
// the grace after that has passed.
func (r *coRun) openDone(target float64) bool {
	last := r.w.beginS
	for _, a := range r.ambs {
		if a.state != ambArrived || a.postFixes < postArrivalFixes && r.eng != nil {
			return target > r.w.beginS+maxOpenRunS
		}
		last = math.Max(last, a.arriveS+postArrivalFixes*r.w.sc.GPS.PeriodS)
	}
	return target > last+openEndGraceS
}

// checkSafety counts unsafe switches in what a unit's signal showed: a
// link going from green to red without yellow, and a state greening two
// links no program phase greens together.
func (r *coRun) checkSafety(u *rsu) {
	if u.observedSet && string(u.observed) == string(u.shown) {
		return
	}
	if !u.observedSet {
		copy(u.observed, u.shown)
		u.observedSet = true
		return
	}
	changed := false
	for i := 0; i < u.n; i++ {
		if u.observed[i] != u.shown[i] {
			changed = true
			if classOf(u.observed[i]) == linkGreen && classOf(u.shown[i]) == linkRed {
				r.stats.unsafe++
			}
		}
	}
	if changed && u.conflict(u.shown) {
		r.stats.unsafe++
	}
	copy(u.observed, u.shown)
}

// finish closes the run's books at its end.
func (r *coRun) finish() {
	for _, u := range r.units {
		if u.mode == wire.StateEntry || u.mode == wire.StateHold {
			r.stats.unreleased++
		}
		if u.mode == wire.StateHold {
			u.stats.holdEnded(u, r.T)
		}
		r.stats.refused += u.stats.refused
		r.stats.preempts += u.stats.preempts
		if u.static && !math.IsNaN(u.schedule) && !u.inStep(r.T) {
			r.stats.outOfStep++
		}
	}
}

// processEvents hands the engine everything that happened before T, in
// time order.
func (r *coRun) processEvents(T float64) {
	for r.q.len() > 0 && r.q.evs[0].at < T-1e-9 {
		ev := r.q.pop()
		switch ev.kind {
		case evFix:
			p := r.fixes.Take(ev.i)
			if a := r.ambByID[p.VehicleID]; a != nil && math.IsNaN(a.firstSeen) {
				a.firstSeen = ev.at
			}
			r.toEngine(ev.at, controller.PositionInput(p))
		case evRoute:
			r.toEngine(ev.at, controller.RouteInput(r.ambs[ev.i].route))
		case evTick:
			if ev.i == r.tickGen {
				r.tickAt = math.NaN()
				r.eng.Tick(simTime(coEpoch, ev.at))
				r.drain(ev.at)
			}
		case evCommand:
			c := r.commands.Take(ev.i)
			if ui, ok := r.w.rnet.IntersectionByID(c.IntersectionID); ok {
				r.units[ui].receive(ev.at, c)
			}
		case evStatus:
			r.toEngine(ev.at, controller.StatusInput(r.statuses.Take(ev.i)))
		}
	}
}

// toEngine hands one input to the engine; a refused one (a late fix, say)
// is the engine doing its job, and is counted.
func (r *coRun) toEngine(at float64, in controller.Input) {
	if err := r.eng.Step(simTime(coEpoch, at), in); err != nil {
		r.engineRejects++
	}
	r.drain(at)
}

// drain sends the engine's commands down the command link and keeps one
// tick scheduled at its next wakeup.
func (r *coRun) drain(at float64) {
	rd := r.eng.Ready()
	for _, d := range rd.Decisions {
		if d.Kind == controller.DecisionRelease || d.Kind == controller.DecisionDeny {
			r.stats.releases[d.Kind.String()+" "+d.Reason.String()]++
		}
	}
	n := r.w.sc.Network
	for _, c := range rd.Commands {
		ui, ok := r.w.rnet.IntersectionByID(c.IntersectionID)
		if !ok {
			continue
		}
		lat := n.CommandLatencyS + r.netRNG.Float64()*n.CommandJitterS
		r.cmdLink[ui] = math.Max(r.cmdLink[ui], at+lat)
		r.schedule(r.cmdLink[ui], evCommand, r.commands.Put(c))
	}
	if rd.NextWakeup.IsZero() {
		return
	}
	wake := simSeconds(rd.NextWakeup, coEpoch)
	if wake <= at {
		wake = at + 1e-3 // strictly later, so an engine that keeps asking cannot stall the clock
	}
	if !math.IsNaN(r.tickAt) && r.tickAt <= wake {
		return
	}
	r.tickGen++
	r.tickAt = wake
	r.schedule(wake, evTick, r.tickGen)
}

// schedule queues an event; i is its payload's index (the tick's
// generation, the route's trip).
func (r *coRun) schedule(at float64, kind eventKind, i int32) {
	r.q.push(event{at: at, kind: kind, i: i})
}

// eventKind says what an event does.
type eventKind uint8

const (
	evFix     eventKind = iota + 1 // a fix reaches the controller
	evRoute                        // an ambulance's route message reaches the controller
	evTick                         // the engine's wakeup
	evCommand                      // a command reaches its unit
	evStatus                       // a status reaches the controller
)

// event is one entry of the queue; i indexes its payload (or is the tick's
// generation).
type event struct {
	at   float64
	seq  uint64
	kind eventKind
	i    int32
}

// eventHeap is a min-heap by (at, seq): equal times run first-in first-out.
type eventHeap struct {
	evs []event
	seq uint64
}

func (h *eventHeap) len() int { return len(h.evs) }

func (h *eventHeap) push(e event) {
	h.seq++
	e.seq = h.seq
	h.evs = append(h.evs, e)
	q := h.evs
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q[i].before(&q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (e *event) before(o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.seq < o.seq
}

func (h *eventHeap) pop() event {
	q := h.evs
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	i := 0
	for {
		c := 2*i + 1
		if c >= len(q) {
			break
		}
		if c+1 < len(q) && q[c+1].before(&q[c]) {
			c++
		}
		if !q[c].before(&q[i]) {
			break
		}
		q[i], q[c] = q[c], q[i]
		i = c
	}
	h.evs = q
	return top
}
