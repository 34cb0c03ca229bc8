package signals

import (
	"errors"
	"math/bits"
	"strconv"
	"time"

	"github.com/greenwave-project/greenwave/wire"
)

// Indication is what a phase's signal head shows.
type Indication uint8

// Indications. Red is the zero value: a phase the unit knows nothing about
// is red, which is the safe answer.
const (
	Red Indication = iota
	Yellow
	Green
)

// String returns "red", "yellow" or "green".
func (i Indication) String() string {
	switch i {
	case Red:
		return "red"
	case Yellow:
		return "yellow"
	case Green:
		return "green"
	}
	return "Indication(" + strconv.Itoa(int(i)) + ")"
}

// Change records one thing the unit did, at the exact instant it did it:
// a phase's indication changing (Phase 1..16, From → To), or, with Phase 0,
// the unit's reported state changing. State is the state after the change.
// Simulators use them for time-space diagrams and green-time accounting.
type Change struct {
	At       time.Time
	Phase    int
	From, To Indication
	State    wire.State
}

// MaxRequests bounds the preempts a unit keeps (served and waiting), so a
// misbehaving controller cannot grow a unit's memory without bound.
const MaxRequests = 64

// MaxPendingChanges bounds the changes kept for DrainChanges. A caller that
// never drains (the MQTT roadside simulator) should SetRecordChanges(false);
// past the bound the oldest half is discarded and counted in DroppedChanges.
const MaxPendingChanges = 1 << 14

// cappedMemory is how many capped request ids a unit remembers, so that a
// controller that keeps refreshing past max preempt does not get its
// request held again. A fixed array: no allocation, bounded memory.
const cappedMemory = 16

// ErrFault is returned by Apply for a preempt while the unit is in fault.
var ErrFault = errors.New("signals: unit in fault state: preemption refused")

// ErrTooManyRequests is returned by Apply when MaxRequests preempts are
// already pending at the unit.
var ErrTooManyRequests = errors.New("signals: too many pending preempt requests")

// ErrHoldBudget is returned by Apply for a new preempt while the unit has
// held its greens for its HoldBudget's Max within the last Window, less
// a minimum green: whatever the request ids, a junction is not held
// longer than that.
var ErrHoldBudget = errors.New("signals: hold budget spent: the junction was held for its maximum within the window")

// HoldBudget caps the time a unit spends in hold (a preempted green held)
// within any sliding window of Window, whatever the request ids: a
// controller (or an attacker who can send commands) issuing a fresh
// request_id as each one reaches max preempt cannot hold a junction for
// ever. Entry, the safe clearance to the held green, is the unit's own
// timing and is not counted; once the budget is spent, a new preempt is
// refused (ErrHoldBudget) and starts no entry. A hold in progress ends
// when the budget runs out, as at max preempt.
type HoldBudget struct {
	Window time.Duration
	Max    time.Duration
}

// DefaultHoldBudget is 4 minutes of hold in any 10 minutes: a cross
// street gets at least 60% of any ten minutes, while a junction on the
// busiest emergency route (a hospital's) still serves several vehicles
// at their 90 s max preempt, or many more at the usual 10-30 s hold.
func DefaultHoldBudget() HoldBudget {
	return HoldBudget{Window: 10 * time.Minute, Max: 4 * time.Minute}
}

// Validate reports a budget a unit could not apply.
func (b HoldBudget) Validate() error {
	if b.Window <= 0 || b.Max <= 0 || b.Max > b.Window {
		return wire.Invalid("hold_budget", "needs 0 < max <= window, got max "+b.Max.String()+" in "+b.Window.String())
	}
	return nil
}

// holdSlots is how many past holds a unit remembers for its budget; when
// more fall within a window, the two oldest are merged (counting the gap
// between them as held: the cap errs towards the cross street). A fixed
// array: no allocation, bounded memory.
const holdSlots = 32

// holdSpan is one past hold, [start, end).
type holdSpan struct{ start, end time.Time }

type interval uint8

const (
	intervalGreen interval = iota
	intervalYellow
	intervalAllRed
)

// request is one preempt the unit knows: being served (Roadside.served) or
// waiting (Roadside.queued).
type request struct {
	id           string
	controllerID string
	phase        int
	priority     int
	issuedAt     time.Time
	expiresAt    time.Time
	arrival      uint64 // order of first receipt: ties in priority go to the earlier
}

// Roadside is one intersection's signal controller with NTCIP 1202 style
// preemption (see the package documentation for the state machine). It is
// deterministic: no goroutine, no clock; every method that depends on time
// takes it. It is not safe for concurrent use.
//
// The unit starts running its plan at the first time it is given (by any
// method taking now). A now earlier than one already seen is treated as the
// latest time seen: the unit never runs backwards.
type Roadside struct {
	id     string
	plan   Plan
	timing Timing
	masks  []uint16        // phase set of each stage
	starts []time.Duration // where each stage's green starts within the cycle

	started bool
	now     time.Time
	mode    wire.State // normal, entry, hold or exit (fault is a flag beside it)
	fault   bool

	stage            int // the stage green, yellow or last cleared
	interval         interval
	intervalEnd      time.Time // when the current interval ends (in hold: the max preempt cap)
	greenStart       time.Time
	greenEarliestEnd time.Time // the current green may not end before this (min green, pedestrian clearance)
	target           int       // in entry: the stage to bring up
	holdStart        time.Time // the current hold's start (while holding)
	holding          bool      // a hold started at holdStart is under way
	holdByBudget     bool      // the current hold's end is where the budget runs out, not max preempt
	// correction is what the unit still has to take from (negative) or add
	// to (positive) its coming greens to be back in step with its plan
	// after a preempt (see endPreemption); zero when in step.
	correction time.Duration

	budget HoldBudget
	holds  [holdSlots]holdSpan // past holds within the budget's window, oldest first
	nHolds int

	served   []request // the requests the entry or hold serves; non-empty exactly in entry and hold
	queued   []request // conflicting requests waiting their turn
	arrivals uint64
	capped   [cappedMemory]string // requests whose hold reached max preempt: refused if refreshed
	cappedAt int                  // next slot of capped to overwrite

	record  bool
	changes []Change
	dropped int

	wirePlan *wire.SignalPlan // the plan as statuses report it, made once
}

// NewRoadside returns the unit for intersectionID running plan with timing
// t. Both are validated.
func NewRoadside(intersectionID string, plan Plan, t Timing) (*Roadside, error) {
	if err := wire.CheckID("intersection_id", intersectionID, true); err != nil {
		return nil, err
	}
	if err := plan.Validate(t); err != nil {
		return nil, err
	}
	r := &Roadside{
		id:     intersectionID,
		timing: t,
		mode:   wire.StateNormal,
		record: true,
		budget: DefaultHoldBudget(),
		plan:   Plan{Cycle: plan.Cycle, Offset: plan.Offset, Stages: make([]Stage, len(plan.Stages))},
		masks:  make([]uint16, len(plan.Stages)),
		starts: make([]time.Duration, len(plan.Stages)),
	}
	var at time.Duration
	for i, s := range plan.Stages {
		// Copy: the caller's slices must not be able to change a running unit.
		r.plan.Stages[i] = Stage{Phases: append([]int(nil), s.Phases...), Green: s.Green}
		r.masks[i] = stageMask(s)
		r.starts[i] = at
		at += s.Green + t.Clearance()
	}
	r.wirePlan = r.plan.Wire()
	return r, nil
}

// SetHoldBudget replaces the unit's hold budget (DefaultHoldBudget until
// then). Holds already counted stay counted.
func (r *Roadside) SetHoldBudget(b HoldBudget) error {
	if err := b.Validate(); err != nil {
		return err
	}
	r.budget = b
	return nil
}

// HoldBudget returns the unit's hold budget.
func (r *Roadside) HoldBudget() HoldBudget { return r.budget }

// HeldWithin returns how long the unit held a green within the budget's
// window ending at now (holds before the unit's last time included).
func (r *Roadside) HeldWithin(now time.Time) time.Duration { return r.held(r.effectiveNow(now)) }

// held is the time spent in hold within (t-Window, t].
func (r *Roadside) held(t time.Time) time.Duration {
	from := t.Add(-r.budget.Window)
	var d time.Duration
	for i := range r.nHolds {
		h := r.holds[i]
		if s, e := maxTime(h.start, from), minTime(h.end, t); e.After(s) {
			d += e.Sub(s)
		}
	}
	if r.holding {
		if s := maxTime(r.holdStart, from); t.After(s) {
			d += t.Sub(s)
		}
	}
	return d
}

// budgetLeft is how much more the unit may hold from t. It ignores the
// holds that will slide out of the window meanwhile, so a hold it allows
// ends early rather than late.
func (r *Roadside) budgetLeft(t time.Time) time.Duration { return r.budget.Max - r.held(t) }

// endHold records the hold under way as ended at t.
func (r *Roadside) endHold(t time.Time) {
	if !r.holding {
		return
	}
	r.holding = false
	from := t.Add(-r.budget.Window)
	kept := 0
	for i := range r.nHolds {
		if r.holds[i].end.After(from) {
			r.holds[kept] = r.holds[i]
			kept++
		}
	}
	r.nHolds = kept
	if r.nHolds == holdSlots {
		r.holds[1].start = r.holds[0].start
		copy(r.holds[:], r.holds[1:])
		r.nHolds--
	}
	r.holds[r.nHolds] = holdSpan{start: r.holdStart, end: t}
	r.nHolds++
}

// CopyTo makes dst an independent copy of r, reusing dst's buffers: a
// what-if copy (a controller forecasting what a preempt would do) runs on
// without touching r, and without allocating once dst's buffers have
// grown. The plan is shared: neither unit changes it.
func (r *Roadside) CopyTo(dst *Roadside) {
	served, queued, changes := dst.served[:0], dst.queued[:0], dst.changes[:0]
	*dst = *r
	dst.served = append(served, r.served...)
	dst.queued = append(queued, r.queued...)
	dst.changes = append(changes, r.changes...)
}

// HasRequest reports whether the unit knows request id (served or
// waiting): a preempt repeating it is a refresh.
func (r *Roadside) HasRequest(id string) bool { return r.find(id) != nil }

// IntersectionID returns the intersection the unit controls.
func (r *Roadside) IntersectionID() string { return r.id }

// Plan returns the unit's normal plan (a copy the caller may keep).
func (r *Roadside) Plan() Plan {
	p := r.plan
	p.Stages = make([]Stage, len(r.plan.Stages))
	for i, s := range r.plan.Stages {
		p.Stages[i] = Stage{Phases: append([]int(nil), s.Phases...), Green: s.Green}
	}
	return p
}

// Timing returns the unit's timing.
func (r *Roadside) Timing() Timing { return r.timing }

// SetRecordChanges turns the change log read by DrainChanges on or off (it
// is on by default). Turn it off when nobody drains it.
func (r *Roadside) SetRecordChanges(on bool) {
	r.record = on
	if !on {
		r.changes = r.changes[:0]
	}
}

// DroppedChanges returns how many changes were discarded because more than
// MaxPendingChanges accumulated undrained.
func (r *Roadside) DroppedChanges() int { return r.dropped }

// DrainChanges returns the changes since the last drain, oldest first, in a
// new slice.
func (r *Roadside) DrainChanges() []Change {
	if len(r.changes) == 0 {
		return nil
	}
	return r.AppendChanges(nil)
}

// AppendChanges appends the changes since the last drain to dst and
// forgets them; reusing dst keeps a simulator's loop free of allocations.
func (r *Roadside) AppendChanges(dst []Change) []Change {
	dst = append(dst, r.changes...)
	clear(r.changes) // drop references to request ids' backing strings
	r.changes = r.changes[:0]
	return dst
}

// State returns the state the unit reports (one of the State* constants).
func (r *Roadside) State() wire.State {
	if r.fault {
		return wire.StateFault
	}
	return r.mode
}

// RequestID returns the request being served, or "" when none: the
// highest-priority, then earliest, of the requests sharing the entry or hold.
func (r *Roadside) RequestID() string {
	if len(r.served) == 0 {
		return ""
	}
	return r.served[bestRequest(r.served)].id
}

// Indication returns what phase shows now. Phases the plan does not serve
// are always red.
func (r *Roadside) Indication(phase int) Indication {
	if !r.started || phase < wire.MinPhase || phase > wire.MaxPhase || r.masks[r.stage]&wire.PhaseBit(phase) == 0 {
		return Red
	}
	switch r.interval {
	case intervalGreen:
		return Green
	case intervalYellow:
		return Yellow
	}
	return Red
}

// IsGreen reports whether phase is green now.
func (r *Roadside) IsGreen(phase int) bool { return r.Indication(phase) == Green }

// GreenPhases returns the phases green now, ascending, in a new slice.
func (r *Roadside) GreenPhases() []int { return r.AppendGreenPhases(nil) }

// AppendGreenPhases appends the phases green now, ascending, to dst.
func (r *Roadside) AppendGreenPhases(dst []int) []int {
	if !r.started || r.interval != intervalGreen {
		return dst
	}
	for m := r.masks[r.stage]; m != 0; m &= m - 1 {
		dst = append(dst, bits.TrailingZeros16(m)+1)
	}
	return dst
}

// Status advances the unit to now and reports it in wire form. Its Plan
// is the unit's own, shared by every status: read it, do not change it.
func (r *Roadside) Status(now time.Time) wire.Status {
	r.Advance(now)
	return wire.Status{
		IntersectionID: r.id,
		TS:             r.now,
		State:          r.State(),
		GreenPhases:    r.GreenPhases(),
		RequestID:      r.RequestID(),
		GreenSince:     r.greenSince(),
		GreenUntil:     r.plannedGreenEnd(),
		Plan:           r.wirePlan,
		InStep:         r.inStep(),
	}
}

// InStep reports whether the unit's indications follow its plan at the
// last time it was given (what a status's in_step says): from then on it
// changes exactly as its plan does until a command or a fault moves it.
// A controller forecasting on a what-if copy stops simulating the unit
// there: the rest is the plan's.
func (r *Roadside) InStep() bool { return r.inStep() }

// inStep reports whether the unit's indications follow its plan now: in
// normal operation, no transition under way, and the stage, interval and
// its end the plan gives for this instant.
func (r *Roadside) inStep() bool {
	if !r.started || r.mode != wire.StateNormal || r.fault || r.correction != 0 {
		return false
	}
	pos := r.plan.position(r.now)
	for i, st := range r.plan.Stages {
		within := pos - r.starts[i]
		if within < 0 || within >= st.Green+r.timing.Clearance() {
			continue
		}
		var end time.Duration
		var iv interval
		switch {
		case within < st.Green:
			iv, end = intervalGreen, st.Green
		case within < st.Green+r.timing.Yellow:
			iv, end = intervalYellow, st.Green+r.timing.Yellow
		default:
			iv, end = intervalAllRed, st.Green+r.timing.Clearance()
		}
		return r.stage == i && r.interval == iv && r.intervalEnd.Equal(r.now.Add(end-within))
	}
	return false
}

// greenSince is when the phases now green became green; zero when none is.
func (r *Roadside) greenSince() time.Time {
	if !r.started || r.interval != intervalGreen || r.masks[r.stage] == 0 {
		return time.Time{}
	}
	return r.greenStart
}

// plannedGreenEnd is when the green now showing will end by the unit's own
// timing (its plan, or an entry or exit already under way); zero when
// nothing is green or a hold keeps it green with no planned end.
func (r *Roadside) plannedGreenEnd() time.Time {
	if r.greenSince().IsZero() || r.mode == wire.StateHold {
		return time.Time{}
	}
	return r.intervalEnd
}

// NextChange returns when the unit next changes on its own: an interval
// ending, a hold reaching its cap, or a served request expiring. A running
// unit always has one (its plan cycles); it is zero only before the unit
// has been given a time. Calling Advance at exactly that time is enough to
// observe every change.
func (r *Roadside) NextChange() time.Time {
	if !r.started {
		return time.Time{}
	}
	next := r.intervalEnd
	if exp, ok := r.nextExpiry(); ok && exp.Before(next) {
		next = exp
	}
	return next
}

// Advance runs every transition due up to and including now, each at its
// own exact time, however far now is ahead.
func (r *Roadside) Advance(now time.Time) {
	if !r.started {
		r.start(now)
		return
	}
	for {
		next := r.NextChange()
		if next.After(now) {
			break
		}
		r.step(next)
	}
	if now.After(r.now) {
		r.now = now
	}
}

// effectiveNow is the time a call at now acts at: never before a time
// already seen.
func (r *Roadside) effectiveNow(now time.Time) time.Time {
	if r.started && now.Before(r.now) {
		return r.now
	}
	return now
}

// Apply acts on a command received at now. A preempt for a phase green in
// the stage being brought up or held shares it; one for a conflicting phase
// waits its turn (priority, then arrival). A preempt repeating a known
// request_id moves that request's expiry (a different phase replaces the
// request; an expiry already passed ends it). A release ends its request;
// releasing an unknown request is not an error (QoS 1 redelivers). Invalid
// commands, commands for another intersection, preempts for a phase the
// plan does not serve, preempts already expired, stale refreshes (issued
// before the last accepted one), refreshes of a request whose hold already
// reached max preempt, and preempts while in fault are refused
// with an error and change nothing (beyond advancing the unit to now).
func (r *Roadside) Apply(now time.Time, c wire.Command) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.IntersectionID != r.id {
		return wire.Invalid("intersection_id", "command for "+strconv.Quote(c.IntersectionID)+" sent to unit "+strconv.Quote(r.id))
	}
	at := r.effectiveNow(now)
	err := r.apply(at, c)
	// Whatever the command set in motion at this instant (a green that may
	// end now) happens now, so the getters are right straight after Apply.
	r.Advance(at)
	return err
}

func (r *Roadside) apply(at time.Time, c wire.Command) error {
	if c.Type == wire.CommandRelease {
		r.Advance(at)
		r.remove(at, c.RequestID)
		return nil
	}
	if r.fault {
		return ErrFault
	}
	if r.plan.StageOf(c.Phase) < 0 {
		return wire.Invalid("phase", "phase "+strconv.Itoa(c.Phase)+" is not served by intersection "+r.id)
	}
	r.Advance(at)
	for _, id := range r.capped {
		if id == c.RequestID {
			return wire.Invalid("request_id", "request "+c.RequestID+" was already held for max preempt ("+r.timing.MaxPreempt.String()+")")
		}
	}
	if old := r.find(c.RequestID); old != nil {
		if c.IssuedAt.Before(old.issuedAt) {
			return wire.Invalid("issued_at", "older than the last command for request "+c.RequestID+" (stale redelivery)")
		}
		if !c.ExpiresAt.After(at) {
			// The controller moved the expiry into the past: that ends it.
			r.remove(at, c.RequestID)
			return nil
		}
		if old.phase == c.Phase {
			old.expiresAt = c.ExpiresAt
			old.issuedAt = c.IssuedAt
			old.priority = c.Priority
			old.controllerID = c.ControllerID
			return nil
		}
		// The vehicle now enters on another phase: a new request in its own right.
		r.remove(at, c.RequestID)
	} else if !c.ExpiresAt.After(at) {
		return wire.Invalid("expires_at", "already passed when received")
	}
	r.dropExpiredQueued(at)
	if len(r.served)+len(r.queued) >= MaxRequests {
		return ErrTooManyRequests
	}
	if r.budgetLeft(at) < r.timing.MinGreen {
		return ErrHoldBudget
	}
	r.arrivals++
	r.admit(at, request{
		id:           c.RequestID,
		controllerID: c.ControllerID,
		phase:        c.Phase,
		priority:     c.Priority,
		issuedAt:     c.IssuedAt,
		expiresAt:    c.ExpiresAt,
		arrival:      r.arrivals,
	})
	return nil
}

// ControllerOffline ends every preempt controllerID issued, served or
// waiting: that controller can no longer refresh or release them.
func (r *Roadside) ControllerOffline(controllerID string, now time.Time) {
	at := r.effectiveNow(now)
	r.Advance(at)
	r.queued = removeIf(r.queued, func(q *request) bool { return q.controllerID == controllerID })
	if len(r.served) == 0 {
		return
	}
	r.served = removeIf(r.served, func(q *request) bool { return q.controllerID == controllerID })
	if len(r.served) == 0 {
		r.servedEnded(at)
		r.Advance(at)
	}
}

// SetFault puts the unit in or out of fault at now. Entering fault ends
// every preempt (the held green is cleared safely and the plan resumes) and
// refuses new ones until the fault clears.
func (r *Roadside) SetFault(now time.Time, on bool) {
	at := r.effectiveNow(now)
	r.Advance(at)
	if on == r.fault {
		return
	}
	r.fault = on
	if on {
		r.queued = r.queued[:0]
		if len(r.served) > 0 {
			clear(r.served)
			r.served = r.served[:0]
			r.endPreemption(at)
		}
	}
	r.emit(Change{At: at, State: r.State()})
	r.Advance(at)
}

// start syncs the unit to its plan at its first time.
func (r *Roadside) start(at time.Time) {
	r.started = true
	r.now = at
	pos := r.plan.position(at)
	for i, s := range r.plan.Stages {
		start := r.starts[i]
		if pos < start || pos >= start+s.Green+r.timing.Clearance() {
			continue
		}
		within := pos - start
		r.stage = i
		r.greenStart = at.Add(-within)
		r.greenEarliestEnd = r.greenStart.Add(r.timing.MinGreen + r.timing.PedClearance)
		switch {
		case within < s.Green:
			r.interval = intervalGreen
			r.intervalEnd = r.greenStart.Add(s.Green)
			r.emitStage(at, Red, Green)
		case within < s.Green+r.timing.Yellow:
			r.interval = intervalYellow
			r.intervalEnd = r.greenStart.Add(s.Green + r.timing.Yellow)
			r.emitStage(at, Red, Yellow)
		default:
			r.interval = intervalAllRed
			r.intervalEnd = r.greenStart.Add(s.Green + r.timing.Clearance())
		}
		r.emit(Change{At: at, State: r.State()})
		return
	}
}

// step runs the one transition due at t (t == NextChange()).
func (r *Roadside) step(t time.Time) {
	r.now = t
	if exp, ok := r.nextExpiry(); ok && !exp.After(t) {
		// Expiry first: a request that expires at the instant its green
		// would come up is not served.
		r.served = removeIf(r.served, func(q *request) bool { return !q.expiresAt.After(t) })
		if len(r.served) == 0 {
			r.servedEnded(t)
		}
		return
	}
	switch r.interval {
	case intervalGreen:
		if r.mode == wire.StateHold {
			// Max preempt reached (every request sharing this hold has
			// had it), or the hold budget spent.
			for _, q := range r.served {
				if r.holdByBudget {
					break
				}
				r.capped[r.cappedAt] = q.id
				r.cappedAt = (r.cappedAt + 1) % cappedMemory
			}
			clear(r.served)
			r.served = r.served[:0]
			r.servedEnded(t)
			return
		}
		r.interval = intervalYellow
		r.intervalEnd = t.Add(r.timing.Yellow)
		r.emitStage(t, Green, Yellow)
	case intervalYellow:
		r.interval = intervalAllRed
		r.intervalEnd = t.Add(r.timing.AllRed)
		r.emitStage(t, Yellow, Red)
	case intervalAllRed:
		if r.mode == wire.StateEntry {
			r.setMode(t, wire.StateHold)
			r.startGreen(t, r.target, t.Add(r.timing.MaxPreempt))
			// Pedestrians stay dark during a preempt, so only min green binds.
			r.greenEarliestEnd = t.Add(r.timing.MinGreen)
			r.beginHold(t)
			return
		}
		stage, end := r.reentry(t)
		r.setMode(t, wire.StateNormal)
		r.startGreen(t, stage, end)
		r.greenEarliestEnd = t.Add(r.timing.MinGreen + r.timing.PedClearance)
	}
}

// reentry chooses the stage to green at t, when the unit is all red and
// free to follow its plan, and when that green ends. In step with the plan
// it yields the plan's next stage, ending when the plan ends it. During a
// transition back to the plan after a preempt (correction non-zero) it
// yields the next stage in order, its green shortened or lengthened by
// what is left of the correction within the stage's limits (see
// adjustGreen), so no stage is skipped. Otherwise (after an entry that
// ended before its hold began) it takes the stage the plan is in at t,
// unless less than min green of it remains (or the plan is in a
// clearance), in which case the plan's next stage starts now, early: back
// in step at the end of this one green.
func (r *Roadside) reentry(t time.Time) (int, time.Time) {
	n := len(r.plan.Stages)
	if r.correction != 0 {
		j := (r.stage + 1) % n
		green, rest := r.adjustGreen(j, r.correction)
		r.correction = rest
		return j, t.Add(green)
	}
	pos := r.plan.position(t)
	clearance := r.timing.Clearance()
	for i, s := range r.plan.Stages {
		start := r.starts[i]
		if pos < start || pos >= start+s.Green+clearance {
			continue
		}
		within := pos - start
		if within < s.Green && s.Green-within >= r.timing.MinGreen {
			return i, t.Add(s.Green - within)
		}
		j := (i + 1) % n
		return j, t.Add(s.Green + clearance - within + r.plan.Stages[j].Green)
	}
	return 0, t.Add(r.plan.Stages[0].Green) // unreachable: the stages tile the cycle
}

// adjustGreen is stage j's green during a transition with correction c
// left: its planned green shortened (c < 0) down to its minimum (min green
// and pedestrian clearance, or the planned green if that is shorter) or
// lengthened (c > 0) by at most half of it, and what remains of c.
func (r *Roadside) adjustGreen(j int, c time.Duration) (green, rest time.Duration) {
	g := r.plan.Stages[j].Green
	if c < 0 {
		floor := min(g, r.timing.MinGreen+r.timing.PedClearance)
		adj := max(c, floor-g)
		return g + adj, c - adj
	}
	adj := min(c, g/2)
	return g + adj, c - adj
}

// transitionEnd is when a transition starting stage k's green at start,
// with correction c, is back in step: the start of the first green after
// the correction is used up. It is far in the future when the stages'
// limits cannot absorb c within four cycles.
func (r *Roadside) transitionEnd(start time.Time, k int, c time.Duration) time.Time {
	n := len(r.plan.Stages)
	for i := 0; c != 0; i++ {
		if i >= 4*n {
			return start.Add(100 * r.plan.Cycle)
		}
		var green time.Duration
		green, c = r.adjustGreen(k, c)
		start = start.Add(green + r.timing.Clearance())
		k = (k + 1) % n
	}
	return start
}

// admit takes a new request at t.
func (r *Roadside) admit(t time.Time, q request) {
	bit := wire.PhaseBit(q.phase)
	switch r.mode {
	case wire.StateEntry:
		if r.masks[r.target]&bit != 0 {
			r.served = append(r.served, q)
		} else {
			r.queued = append(r.queued, q)
		}
	case wire.StateHold:
		if r.masks[r.stage]&bit != 0 {
			r.served = append(r.served, q)
		} else {
			r.queued = append(r.queued, q)
		}
	default: // normal or exit: serve it now
		r.served = append(r.served, q)
		r.serve(t)
	}
}

// serve starts serving r.served (non-empty, all for one stage) at t, from
// normal, exit, or an entry or hold whose requests have all ended.
func (r *Roadside) serve(t time.Time) {
	r.correction = 0 // a transition in progress is recomputed when this preempt ends
	bit := wire.PhaseBit(r.served[0].phase)
	if r.interval == intervalGreen && r.masks[r.stage]&bit != 0 {
		// Already green: hold it, no clearance needed.
		r.target = r.stage
		r.setMode(t, wire.StateHold)
		r.beginHold(t)
		return
	}
	r.target = r.plan.StageOf(r.served[0].phase)
	leavingHold := r.mode == wire.StateHold
	r.setMode(t, wire.StateEntry)
	if r.interval == intervalGreen {
		// End the running green as soon as min green and pedestrian
		// clearance allow — never later than the plan would have ended it,
		// except when leaving a hold, whose end is the cap, not the plan.
		end := maxTime(t, r.greenEarliestEnd)
		if !leavingHold && r.intervalEnd.Before(end) {
			end = r.intervalEnd
		}
		r.intervalEnd = end
	}
	r.absorbQueued(r.masks[r.target])
}

// beginHold completes entering hold at t: the target stage is green, and
// held until max preempt or until the hold budget runs out, whichever
// comes first. A hold that follows another without leaving it (the next
// request sharing the green) is a new one for max preempt, but the time
// held runs on for the budget.
func (r *Roadside) beginHold(t time.Time) {
	r.endHold(t)
	r.holdStart, r.holding = t, true
	r.intervalEnd = t.Add(r.timing.MaxPreempt)
	r.holdByBudget = false
	if end := t.Add(max(r.budgetLeft(t), 0)); end.Before(r.intervalEnd) {
		r.intervalEnd, r.holdByBudget = end, true
	}
	r.absorbQueued(r.masks[r.stage])
}

// absorbQueued moves waiting requests whose phase is in mask to the served
// set: they share the hold.
func (r *Roadside) absorbQueued(mask uint16) {
	kept := r.queued[:0]
	for _, q := range r.queued {
		if mask&wire.PhaseBit(q.phase) != 0 {
			r.served = append(r.served, q)
		} else {
			kept = append(kept, q)
		}
	}
	clear(r.queued[len(kept):])
	r.queued = kept
}

// servedEnded handles the last served request ending at t (released,
// expired, its controller offline, or the hold capped): serve the next
// waiting request that is still alive, or return to the plan.
func (r *Roadside) servedEnded(t time.Time) {
	r.dropExpiredQueued(t)
	if len(r.queued) > 0 && r.budgetLeft(t) < r.timing.MinGreen {
		// The budget is spent: the waiting requests are refused, as new
		// ones would be.
		clear(r.queued)
		r.queued = r.queued[:0]
	}
	if len(r.queued) > 0 {
		i := bestRequest(r.queued)
		next := r.queued[i]
		copy(r.queued[i:], r.queued[i+1:])
		r.queued[len(r.queued)-1] = request{}
		r.queued = r.queued[:len(r.queued)-1]
		r.served = append(r.served, next)
		r.serve(t)
		return
	}
	r.endPreemption(t)
}

// endPreemption returns the unit from entry or hold to its plan at t, the
// quickest of three ways back into step, as coordinated controllers do
// (no stage is skipped but by a dwell, and every green keeps its minimum):
//
//   - dwell: the held green continues until the plan greens that stage
//     itself (at once when the plan is in it: the green just runs on to the
//     plan's end); allowed when that comes within half the stage's planned
//     green;
//   - short way: the held green ends after its minimum and the following
//     stages run shorter (down to their minimum and pedestrian clearance)
//     until the unit has caught up with the plan;
//   - long way: the same, the following stages running longer (by at most
//     half their planned green each) until the plan has come round.
//
// The unit is back in step when the first green after the correction
// starts; the way that gets there first is taken, and of equally quick
// ways one that serves every stage rather than a dwell. An entry that ends
// before its hold began (its green not yet up) re-enters the plan at the
// end of its clearance (see reentry).
func (r *Roadside) endPreemption(t time.Time) {
	r.correction = 0
	if r.interval != intervalGreen {
		r.setMode(t, wire.StateExit)
		return
	}
	end := maxTime(t, r.greenEarliestEnd)
	h, n, cycle := r.stage, len(r.plan.Stages), r.plan.Cycle
	clearance := r.timing.Clearance()
	pos := r.plan.position(end)
	if within := pos - r.starts[h]; within >= 0 && within < r.plan.Stages[h].Green {
		// The plan is in the held stage: run on to its end, in step.
		r.setMode(t, wire.StateNormal)
		r.intervalEnd = end.Add(r.plan.Stages[h].Green - within)
		return
	}
	toHeld := mod(r.starts[h]-pos, cycle) // until the plan greens the held stage again
	dwell := end.Add(toHeld)
	k := (h + 1) % n
	nextStart := end.Add(clearance)
	lag := mod(r.plan.position(nextStart)-r.starts[k], cycle) // how far the plan is past stage k's start
	short := r.transitionEnd(nextStart, k, -lag)
	long := r.transitionEnd(nextStart, k, cycle-lag)
	if lag == 0 {
		short, long = nextStart, nextStart
	}
	// Dwell skips the stages in between for a cycle: taken only when it is
	// strictly quicker than serving them.
	if toHeld <= r.plan.Stages[h].Green/2 && dwell.Before(short) && dwell.Before(long) {
		r.setMode(t, wire.StateNormal)
		r.intervalEnd = dwell.Add(r.plan.Stages[h].Green)
		return
	}
	switch {
	case lag == 0:
	case !long.Before(short):
		r.correction = -lag
	default:
		r.correction = cycle - lag
	}
	r.setMode(t, wire.StateExit)
	r.intervalEnd = end
}

// mod is d modulo m in [0, m).
func mod(d, m time.Duration) time.Duration {
	d %= m
	if d < 0 {
		d += m
	}
	return d
}

func (r *Roadside) startGreen(t time.Time, stage int, end time.Time) {
	r.stage = stage
	r.interval = intervalGreen
	r.greenStart = t
	r.intervalEnd = end
	r.emitStage(t, Red, Green)
}

func (r *Roadside) setMode(t time.Time, mode wire.State) {
	if r.mode == mode {
		return
	}
	if r.mode == wire.StateHold {
		r.endHold(t)
	}
	r.mode = mode
	r.emit(Change{At: t, State: r.State()})
}

// emitStage records every phase of the current stage going from → to.
func (r *Roadside) emitStage(t time.Time, from, to Indication) {
	if !r.record {
		return
	}
	state := r.State()
	for m := r.masks[r.stage]; m != 0; m &= m - 1 {
		r.emit(Change{At: t, Phase: bits.TrailingZeros16(m) + 1, From: from, To: to, State: state})
	}
}

func (r *Roadside) emit(c Change) {
	if !r.record {
		return
	}
	if len(r.changes) >= MaxPendingChanges {
		half := len(r.changes) / 2
		n := copy(r.changes, r.changes[half:])
		r.changes = r.changes[:n]
		r.dropped += half
	}
	r.changes = append(r.changes, c)
}

// nextExpiry is the earliest expiry among the served requests.
func (r *Roadside) nextExpiry() (time.Time, bool) {
	if len(r.served) == 0 {
		return time.Time{}, false
	}
	exp := r.served[0].expiresAt
	for _, q := range r.served[1:] {
		if q.expiresAt.Before(exp) {
			exp = q.expiresAt
		}
	}
	return exp, true
}

func (r *Roadside) find(id string) *request {
	for i := range r.served {
		if r.served[i].id == id {
			return &r.served[i]
		}
	}
	for i := range r.queued {
		if r.queued[i].id == id {
			return &r.queued[i]
		}
	}
	return nil
}

// remove ends request id at t, wherever it is.
func (r *Roadside) remove(t time.Time, id string) {
	r.queued = removeIf(r.queued, func(q *request) bool { return q.id == id })
	if len(r.served) == 0 {
		return
	}
	r.served = removeIf(r.served, func(q *request) bool { return q.id == id })
	if len(r.served) == 0 {
		r.servedEnded(t)
	}
}

func (r *Roadside) dropExpiredQueued(t time.Time) {
	r.queued = removeIf(r.queued, func(q *request) bool { return !q.expiresAt.After(t) })
}

// removeIf deletes the requests matching drop, keeping order and capacity.
func removeIf(qs []request, drop func(*request) bool) []request {
	kept := qs[:0]
	for i := range qs {
		if !drop(&qs[i]) {
			kept = append(kept, qs[i])
		}
	}
	clear(qs[len(kept):])
	return kept
}

// bestRequest is the index of the request to serve first: lowest priority
// number, then earliest arrival.
func bestRequest(qs []request) int {
	best := 0
	for i := 1; i < len(qs); i++ {
		if qs[i].priority < qs[best].priority ||
			(qs[i].priority == qs[best].priority && qs[i].arrival < qs[best].arrival) {
			best = i
		}
	}
	return best
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
