package controller

import (
	"errors"
	"strconv"
	"time"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// InputKind tells which field of an Input is set.
type InputKind uint8

// The kinds of input.
const (
	InputPosition InputKind = iota + 1
	InputRoute
	InputStatus
)

// Input is one thing that happened outside: a vehicle's fix, a vehicle's
// route, or a roadside unit's status. It is a struct with a kind rather
// than an interface so that passing a fix to Step does not allocate; build
// it with PositionInput, RouteInput or StatusInput.
type Input struct {
	Kind     InputKind
	Position wire.Position
	Route    wire.Route
	Status   wire.Status
}

// PositionInput wraps a fix.
func PositionInput(p wire.Position) Input { return Input{Kind: InputPosition, Position: p} }

// RouteInput wraps a route (or a route clearance).
func RouteInput(r wire.Route) Input { return Input{Kind: InputRoute, Route: r} }

// StatusInput wraps a roadside status.
func StatusInput(s wire.Status) Input { return Input{Kind: InputStatus, Status: s} }

// Ready is what the engine wants done, drained by Engine.Ready. Its slices
// are the engine's own buffers: they stay valid until the next Step or
// Tick, which reuse them. Copy what must live longer.
type Ready struct {
	Commands   []wire.Command  // to publish, in order
	Advisories []wire.Advisory // to the vehicles' displays
	Decisions  []Decision      // what was decided and why
	// NextWakeup: call Tick no later than this (a refresh, the end of a
	// grace period, a max-hold deadline, a dead-reckoned lead time, or,
	// while any vehicle is tracked, the next sweep for vehicles to
	// forget). Zero when nothing is pending.
	NextWakeup time.Time
}

// Engine is greenwave's decision engine: a deterministic state machine
// driven by Step (inputs) and Tick (the passing of time), whose outputs are
// collected by Ready. It owns no goroutine, does no I/O and reads no clock:
// the same calls with the same times give the same outputs. It is not safe
// for concurrent use: one goroutine drives it.
type Engine struct {
	cfg      Config
	policy   trigger
	net      *routing.Network
	proj     routing.Projection
	now      time.Time // the engine's time, as given: outputs carry it
	nowI     instant   // the same on the engine's clock (instant.go)
	epoch    time.Time // the engine clock's origin
	epochSet bool
	vehicles map[string]*vehicle
	inters   []intersectionState
	maxLeadS float64 // the longest lead time of any approach: no signal further in time is requested
	// queueLeadExtraS is how much the queue-aware lead may add to it
	// (queuelead.go): queueLeadMaxS where the map gives some approach's
	// flow, else 0.
	queueLeadExtraS float64
	// lastOrigin is the last ETA origin made (see etaOrigin).
	lastOrigin routing.ETAOrigin
	wake       wakeHeap
	// nextSweep: the next Tick at or after this forgets idle vehicles;
	// a wakeup while any vehicle is tracked.
	nextSweep instant

	located locatedFix // the fix being stepped, located on its path (onRoad)
	near    nearQuery  // onRoad's search of the roads
	nearFn  func(routing.SegmentRef) bool

	// Output buffers, reused once drained.
	commands   []wire.Command
	advisories []wire.Advisory
	decisions  []Decision
	advSignals []wire.AdvisorySignal
	drained    bool

	// The planner's state and scratch (planner.go).
	modelVersion uint32
	plan         planScratch
	// planReported: some unit has reported its plan. Until one does, no
	// junction has a replica and the planner has nothing to choose, so
	// vehicles are not planned at all (Step's budget is for that case).
	planReported bool

	dirty   []*vehicle // vehicles whose advisory and wakeup must be revisited
	toServe []int32    // intersections freed during this Step or Tick
	spare   []*passage // freed passages, reused
	scratch []*passage
}

// intersectionState is what the engine knows of one signalised
// intersection: its timing and phase compatibility (fixed) and the
// passages that want it.
type intersectionState struct {
	id        string
	leadBaseS float64 // worst-case entry + margin: the lead time before the approach's queue flush
	maxHold   time.Duration
	// compatible[p] is the set of phases that may be green together with
	// phase p (signals.Compatibility); only phases of the approaches.
	compatible [wire.MaxPhase + 1]uint16
	passages   []*passage // requested, granted or denied
	requests   uint32     // passages requested here so far: the n of request ids
	fault      bool
	statusTS   time.Time
	timing     signalTiming // the roadside's reported greens, for the lead time (status.go)
	red        redClock     // when its phases turned red, for the queue-aware lead (queuelead.go)
	queueRatio [wire.MaxPhase + 1]float32
	model      *junctionModel // the replica of its reported plan, for the planner; nil when none
}

// New returns an engine for the network, with cfg's zero fields set to
// their defaults (see Config).
func New(cfg Config, net *routing.Network) (*Engine, error) {
	if net == nil {
		return nil, errors.New("controller: nil network")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, policy: newTrigger(cfg), net: net, proj: net.Projection(), vehicles: make(map[string]*vehicle),
		inters: make([]intersectionState, len(net.Intersections()))}
	e.nearFn = e.nearSegment
	for i := range net.Intersections() {
		in := net.Intersection(int32(i))
		is := &e.inters[i]
		is.id = in.ID
		is.leadBaseS = in.Timing.WorstCaseEntryS() + cfg.Margin.Seconds()
		is.maxHold = e.policy.maxHold(in.Timing.Signal().MaxPreempt)
		is.compatible = signals.Compatibility(in.Phases())
		if cfg.QueueAwareLead {
			is.queueRatio = queueRatios(in, &cfg)
		}
		for _, r := range is.queueRatio {
			if r > 0 {
				e.queueLeadExtraS = queueLeadMaxS
			}
		}
		for _, a := range in.Approaches {
			if lead := is.leadBaseS + e.queueFlushS(a.QueueFlushS); lead > e.maxLeadS {
				e.maxLeadS = lead
			}
		}
	}
	e.plan.states = make([]planState, 0, planMaxStates)
	e.plan.next = make([]planState, 0, planMaxStates)
	return e, nil
}

// NumVehicles is how many vehicles the engine tracks (for metrics).
func (e *Engine) NumVehicles() int { return len(e.vehicles) }

// Config returns the engine's configuration with the defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

func (e *Engine) queueFlushS(approachS float64) float64 {
	if approachS > 0 {
		return approachS
	}
	return e.cfg.DefaultQueueFlush.Seconds()
}

// conflicts reports whether two phases of the intersection may not be
// green together.
func (is *intersectionState) conflicts(p, q int) bool {
	if p == q {
		return false
	}
	if p < wire.MinPhase || p > wire.MaxPhase || q < wire.MinPhase || q > wire.MaxPhase {
		return true
	}
	return is.compatible[p]&wire.PhaseBit(q) == 0
}

func (in *Input) vehicleID() string {
	switch in.Kind {
	case InputPosition:
		return in.Position.VehicleID
	case InputRoute:
		return in.Route.VehicleID
	}
	return ""
}

// Step applies one input at time now. A refused input (invalid, a
// duplicate or late fix, time going backwards) changes nothing: it is
// recorded as a reject Decision and returned as a *RejectError.
func (e *Engine) Step(now time.Time, in Input) error {
	e.begin()
	if now.Before(e.now) {
		err := e.reject(now, in.vehicleID(), ReasonTimeBackwards, "", "now "+formatTime(now)+" is before the engine's last time "+formatTime(e.now))
		if in.Kind == InputStatus {
			e.aboutIntersection(in.Status.IntersectionID)
		}
		return err
	}
	var err error
	switch in.Kind {
	case InputPosition:
		err = e.stepPosition(now, &in.Position)
	case InputRoute:
		err = e.stepRoute(now, &in.Route)
	case InputStatus:
		err = e.stepStatus(now, &in.Status)
	default:
		err = e.reject(now, "", ReasonInvalid, "kind", "unknown input kind "+strconv.Itoa(int(in.Kind)))
	}
	e.finish()
	return err
}

// Tick advances the engine's time to now: refreshes what is due, releases
// what has gone silent or reached its maximum hold, dead-reckons vehicles
// between fixes towards their lead times, and now and then forgets
// vehicles idle for ForgetAfter. A now earlier than the engine's last time
// is ignored (recorded as a reject Decision).
func (e *Engine) Tick(now time.Time) {
	if !e.advance(now, "tick") {
		return
	}
	for len(e.wake) > 0 && e.wake[0].at <= e.nowI {
		v := e.wake[0].v
		e.wake.remove(v)
		e.tickVehicle(v)
	}
	e.sweep()
	e.finish()
}

// Ready returns what is pending and marks it drained; see Ready for how
// long its slices stay valid. Called again with no Step, Tick or other
// call in between, it returns nothing pending (and the same NextWakeup),
// so a driver that asks twice never publishes a command twice.
func (e *Engine) Ready() Ready {
	var rd Ready
	if !e.drained {
		rd = Ready{Commands: e.commands, Advisories: e.advisories, Decisions: e.decisions}
	}
	next := never
	if len(e.wake) > 0 {
		next = e.wake[0].at
	}
	if len(e.vehicles) > 0 {
		// The forget sweep runs on the driver's timer too, not only when
		// other traffic happens to make the engine tick.
		next = min(next, e.nextSweep)
	}
	if next != never {
		rd.NextWakeup = e.timeOf(next)
	}
	e.drained = true
	return rd
}

// begin starts a Step or Tick: the buffers of a drained Ready are reused.
func (e *Engine) begin() {
	if e.drained {
		e.commands = e.commands[:0]
		e.advisories = e.advisories[:0]
		clear(e.decisions) // drop references to strings of the past
		e.decisions = e.decisions[:0]
		e.advSignals = e.advSignals[:0]
		e.drained = false
	}
}

// finish ends a Step or Tick: every vehicle touched gets its advisory and
// its wakeup revisited.
func (e *Engine) finish() {
	// Serving may free or touch more: loop until settled.
	for len(e.toServe) > 0 {
		inter := e.toServe[len(e.toServe)-1]
		e.toServe = e.toServe[:len(e.toServe)-1]
		e.serve(inter)
	}
	for i, v := range e.dirty {
		v.dirty = false
		e.dirty[i] = nil
		if v.forgotten {
			continue
		}
		e.advise(v)
		e.schedule(v)
	}
	e.dirty = e.dirty[:0]
}

func (e *Engine) touch(v *vehicle) {
	if !v.dirty {
		v.dirty = true
		e.dirty = append(e.dirty, v)
	}
}

func (e *Engine) reject(now time.Time, vehicleID string, reason Reason, field, detail string) error {
	e.decisions = append(e.decisions, Decision{At: now, Kind: DecisionReject, VehicleID: vehicleID,
		Reason: reason, Field: field, Detail: detail})
	return &RejectError{Reason: reason, Field: field, Detail: detail}
}

// aboutIntersection names the intersection in the last decision (a
// refused status), cut to an identifier's length so that a hostile payload
// cannot bloat the audit trail.
func (e *Engine) aboutIntersection(id string) {
	if len(id) > 64 {
		id = id[:64]
	}
	e.decisions[len(e.decisions)-1].IntersectionID = id
}

func (e *Engine) rejectErr(now time.Time, vehicleID string, err error) error {
	var fe *wire.FieldError
	if errors.As(err, &fe) {
		return e.reject(now, vehicleID, ReasonInvalid, fe.Field, fe.Reason)
	}
	return e.reject(now, vehicleID, ReasonInvalid, "", err.Error())
}

func (e *Engine) decide(d Decision) { e.decisions = append(e.decisions, d) }
