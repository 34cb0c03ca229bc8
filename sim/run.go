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

	fixes    SlotPool[wire.Position]
	commands SlotPool[wire.Command]
	statuses SlotPool[wire.Status]
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
	queues    []signals.Queue
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
		endT:         Seconds(sc.DurationS),
		q:            newEventQueue(4*len(w.units) + 4*len(w.trips) + 64),
		netRNG:       RNGFor(sc.Seed, "network/commands"),
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
			u.queues = append(u.queues, signals.NewQueue(a.vehH, satFlow, sc.Traffic.StartupLostS))
			if wire.ValidPhase(a.phase) {
				u.phaseApps[a.phase] = append(u.phaseApps[a.phase], int32(j))
			}
		}
	}
	r.vehicles = make([]vehicleRun, len(w.trips))
	r.routes = make([]wire.Route, len(w.trips))
	for i := range w.trips {
		n := len(w.trips[i].signals)
		r.vehicles[i] = vehicleRun{trip: &w.trips[i], gpsRNG: RNGFor(sc.Seed, "gps/"+w.trips[i].id),
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

// Seconds converts seconds, as scenarios give them, to a Duration rounded
// to the nanosecond rather than truncated, so that a value binary floating
// point cannot hold exactly does not come out a nanosecond short.
// Exported so that sumo's co-simulation converts its scenario the same way.
func Seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

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
		r.schedule(Seconds(r.vehicles[i].trip.departS), evVehicleDepart, int32(i), 0)
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
			r.toEngine(controller.PositionInput(r.fixes.Take(ev.b)))
		case evRouteArrive:
			r.toEngine(controller.RouteInput(r.routes[ev.a]))
		case evEngineTick:
			if ev.b == r.engineGen {
				r.engineWakeAt = -1
				r.eng.Tick(r.at(r.q.Now()))
				r.drainEngine()
			}
		case evCommandArrive:
			r.deliverCommand(ev.a, r.commands.Take(ev.b))
		case evSignalChange:
			if u := &r.units[ev.a]; ev.b == u.gen {
				u.scheduled = -1
				r.syncUnit(ev.a)
			}
		case evStatusArrive:
			r.toEngine(controller.StatusInput(r.statuses.Take(ev.b)))
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
