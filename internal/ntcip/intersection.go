package ntcip

import (
	"context"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/wire"
)

// OrphanGrace is how long after the gateway starts it leaves alone a
// preempt input it finds on without a command for it: long enough for the
// controller (which re-sends every live preempt within its refresh period)
// to re-assert a preempt the gateway held before a restart. After it, the
// gateway clears such an input: it owns the inputs it is configured with.
const OrphanGrace = 20 * time.Second

// maxRequests bounds the live requests kept per intersection, so a
// misbehaving publisher cannot grow the gateway's memory.
const maxRequests = 64

type eventKind uint8

const (
	evCommand eventKind = iota + 1
	evControllerOffline
	evResync
)

type event struct {
	kind       eventKind
	cmd        command
	received   time.Time // real time, for the command → SET latency
	controller string
}

// request is one live preempt the gateway carries out.
type request struct {
	id, controllerID string
	input            int // preempt mode: the input; priority mode: 0
	phase            int
	priority         int
	arrival          uint64
	issuedAt         time.Time
	expiresAt        time.Time
	received         time.Time // real time of the command not yet carried out (zero once done)
}

// observed is what the last successful poll read.
type observed struct {
	greens   []int
	preempt  map[int]PreemptStateValue // preemptState by input (preempt mode, when the controller has it)
	control  map[int]int               // preemptControlState by input
	holdBits [PhaseGroups]uint8        // priority mode
}

// inter is one intersection's actor: it owns the controller's SNMP
// session and everything about the intersection, and runs on its own
// goroutine, so no state is shared.
type inter struct {
	id  string
	cfg IntersectionConfig
	gw  *Gateway
	log *zap.Logger
	clk clock.Clock
	c   *client
	ev  chan event

	start    time.Time
	reqs     map[string]*request
	arrivals uint64
	capped   map[string]bool // requests ended by max hold: refused from then on

	written   map[int]bool      // input → the value last written successfully
	writtenAt map[int]time.Time // input → when (for the refresh)
	onSince   map[int]time.Time // input → since when it is wanted on without a break
	holdBits  [PhaseGroups]uint8
	holdKnown bool
	holdAt    time.Time

	obs            *observed
	greenSince     time.Time
	noPreemptState bool     // the controller lacks preemptState: the state is inferred
	pollFail       *Failure // the last poll's failure, nil after a good poll
	setFail        *Failure // the last write's failure, nil after a good write
	setFailUntil   time.Time

	pendingRelease []time.Time // real arrival times of releases not yet carried out

	published  bool
	lastStatus status
	lastReason string
	logged     map[string]string // what was last logged per topic, to log once per change
	unmapped   map[string]bool
}

func newInter(gw *Gateway, id string, cfg IntersectionConfig) *inter {
	return &inter{
		id: id, cfg: cfg, gw: gw, log: gw.log.With(zap.String("intersection_id", id)), clk: gw.clk,
		c: newClient(cfg), ev: make(chan event, 256),
		reqs: map[string]*request{}, capped: map[string]bool{},
		written: map[int]bool{}, writtenAt: map[int]time.Time{}, onSince: map[int]time.Time{},
		logged: map[string]string{}, unmapped: map[string]bool{},
	}
}

// run is the actor's loop: until ctx ends, then it clears what it holds
// and says fault ("gateway stopping").
func (x *inter) run(ctx context.Context) {
	defer x.c.close()
	x.start = x.clk.Now()
	nextPoll := x.start.Add(x.pollPhase())
	pollT := x.clk.NewTimer(x.pollPhase())
	defer pollT.Stop()
	wake := x.clk.NewTimer(time.Hour)
	defer wake.Stop()
	for {
		select {
		case <-ctx.Done():
			x.shutdown()
			return
		case e := <-x.ev:
			x.handle(e)
		case <-pollT.C():
			x.poll()
			// On a fixed schedule, so a slow answer does not stretch the
			// period; a poll missed altogether is skipped, not made up.
			period := time.Duration(x.cfg.Poll)
			now := x.clk.Now()
			nextPoll = nextPoll.Add(period)
			if !nextPoll.After(now) {
				nextPoll = nextPoll.Add((now.Sub(nextPoll)/period + 1) * period)
			}
			pollT.Reset(nextPoll.Sub(now))
		case <-wake.C():
		}
		now := x.clk.Now()
		x.expire(now)
		if x.reconcile(now) {
			// Read the controller's answer to the write at once: the
			// controller learns of entry (or of the end) a poll sooner.
			x.poll()
			now = x.clk.Now()
		}
		x.publish(now)
		wake.Stop()
		wake.Reset(x.nextDeadline(now))
	}
}

// pollPhase spreads the intersections' polls over the poll period (by a
// hash of the id, so a restart keeps the spread): a gateway of a thousand
// intersections sends a steady stream of requests rather than a burst a
// second that overflows the agents' queues.
func (x *inter) pollPhase() time.Duration {
	h := fnv.New32a()
	_, _ = h.Write([]byte(x.id))
	return time.Duration(uint64(h.Sum32()) * uint64(x.cfg.Poll) >> 32)
}

func (x *inter) handle(e event) {
	now := x.clk.Now()
	switch e.kind {
	case evCommand:
		x.command(now, e.cmd, e.received)
	case evControllerOffline:
		n := 0
		for id, r := range x.reqs {
			if r.controllerID == e.controller {
				delete(x.reqs, id)
				n++
			}
		}
		if n > 0 {
			x.gw.met.InputClears.WithLabelValues("controller_offline").Add(float64(n))
			x.log.Info("ntcip: controller offline (Last Will): its preempts end", zap.String("controller_id", e.controller), zap.Int("requests", n))
		}
	case evResync:
		x.published = false
	}
}

func (x *inter) command(now time.Time, c command, received time.Time) {
	met := x.gw.met.Commands
	if c.Type == commandRelease {
		if _, ok := x.reqs[c.RequestID]; ok {
			delete(x.reqs, c.RequestID)
			x.gw.met.InputClears.WithLabelValues("release").Inc()
			// The SET that ends it is the release carried out.
			x.pendingRelease = append(x.pendingRelease, received)
		}
		met.WithLabelValues(c.Type.String(), "applied").Inc()
		return
	}
	if x.capped[c.RequestID] {
		met.WithLabelValues(c.Type.String(), "refused").Inc()
		x.logOnce("capped:"+c.RequestID, "held for max_hold", "ntcip: preempt refused: this request already held the input for max_hold",
			zap.String("request_id", c.RequestID), zap.Duration("max_hold", time.Duration(x.cfg.MaxHold)))
		return
	}
	input := 0
	if x.cfg.Mode == ModePreempt {
		n, ok := x.cfg.InputFor(c.Approach, c.Phase)
		if !ok {
			met.WithLabelValues(c.Type.String(), "not_mapped").Inc()
			key := c.Approach + "/" + strconv.Itoa(c.Phase)
			if !x.unmapped[key] {
				x.unmapped[key] = true
				x.log.Error("ntcip: no preempt input for this approach or phase; add it to preempt.by_approach or preempt.by_phase",
					zap.String("approach", c.Approach), zap.Int("phase", c.Phase), zap.String("request_id", c.RequestID))
			}
			return
		}
		input = n
	}
	if r, ok := x.reqs[c.RequestID]; ok {
		if c.IssuedAt.Before(r.issuedAt) {
			met.WithLabelValues(c.Type.String(), "stale").Inc()
			return
		}
		if !c.ExpiresAt.After(now) {
			delete(x.reqs, c.RequestID)
			met.WithLabelValues(c.Type.String(), "applied").Inc()
			return
		}
		r.expiresAt, r.issuedAt, r.priority, r.controllerID, r.phase = c.ExpiresAt, c.IssuedAt, c.Priority, c.ControllerID, c.Phase
		if r.input != input {
			r.input, r.received = input, received
		}
		met.WithLabelValues(c.Type.String(), "applied").Inc()
		return
	}
	if !c.ExpiresAt.After(now) {
		met.WithLabelValues(c.Type.String(), "expired").Inc()
		x.log.Warn("ntcip: preempt already expired when received", zap.String("request_id", c.RequestID), zap.Time("expires_at", c.ExpiresAt))
		return
	}
	if len(x.reqs) >= maxRequests {
		met.WithLabelValues(c.Type.String(), "refused").Inc()
		x.logOnce("too-many", "full", "ntcip: too many live requests at this intersection; preempt refused", zap.Int("max", maxRequests))
		return
	}
	x.arrivals++
	x.reqs[c.RequestID] = &request{id: c.RequestID, controllerID: c.ControllerID, input: input, phase: c.Phase, priority: c.Priority,
		arrival: x.arrivals, issuedAt: c.IssuedAt, expiresAt: c.ExpiresAt, received: received}
	met.WithLabelValues(c.Type.String(), "applied").Inc()
	x.log.Debug("ntcip: preempt", zap.String("request_id", c.RequestID), zap.Int("input", input), zap.Int("phase", c.Phase), zap.Time("expires_at", c.ExpiresAt))
}

// expire ends the requests whose expires_at has come, and those of an
// input held on for max_hold.
func (x *inter) expire(now time.Time) {
	for id, r := range x.reqs {
		if !r.expiresAt.After(now) {
			delete(x.reqs, id)
			x.gw.met.InputClears.WithLabelValues("expired").Inc()
			x.log.Info("ntcip: preempt expired (no refresh, no release)", zap.String("request_id", id), zap.Time("expires_at", r.expiresAt))
		}
	}
	maxHold := time.Duration(x.cfg.MaxHold)
	for key, since := range x.onSince {
		if now.Sub(since) < maxHold {
			continue
		}
		for id, r := range x.reqs {
			if r.input == key || (key < 0 && r.phase == -key) {
				delete(x.reqs, id)
				x.capped[id] = true
			}
		}
		delete(x.onSince, key)
		x.gw.met.InputClears.WithLabelValues("max_hold").Inc()
		x.log.Warn("ntcip: input held for max_hold; cleared, and its requests refused from now on", zap.Int("input", key), zap.Duration("max_hold", maxHold))
	}
	if len(x.capped) > 4*maxRequests {
		clear(x.capped) // bounded memory; a request capped this long ago has long expired
	}
}

// wanted returns, for each input (preempt mode; for priority mode -phase)
// whether a live request wants it on.
func (x *inter) wanted() map[int]bool {
	w := map[int]bool{}
	for _, r := range x.reqs {
		if x.cfg.Mode == ModePreempt {
			w[r.input] = true
		} else {
			w[-r.phase] = true
		}
	}
	return w
}

// reconcile writes what the live requests want: inputs turned on or off
// at once, inputs on re-written every refresh period (each write resets
// the controller's backup timer). It reports whether an input changed.
func (x *inter) reconcile(now time.Time) bool {
	want := x.wanted()
	for key := range want {
		if _, ok := x.onSince[key]; !ok {
			x.onSince[key] = now
		}
	}
	for key := range x.onSince {
		if !want[key] {
			delete(x.onSince, key)
		}
	}
	if x.cfg.Mode == ModePriority {
		return x.reconcileHold(now, want)
	}
	refresh := time.Duration(x.cfg.Refresh)
	var oids []string
	var values []int
	var inputs []int
	for _, n := range x.cfg.Inputs() {
		on, known := x.written[n]
		switch {
		case want[n] && (!known || !on || now.Sub(x.writtenAt[n]) >= refresh):
		case !want[n] && known && on:
		case !want[n] && !known && x.orphan(n, now):
		default:
			continue
		}
		oids = append(oids, PreemptControlState(n))
		values = append(values, boolInt(want[n]))
		inputs = append(inputs, n)
	}
	if len(oids) == 0 {
		return false
	}
	if err := x.set(oids, values); err != nil {
		return false
	}
	changed := false
	for i, n := range inputs {
		was := x.written[n]
		x.written[n] = values[i] == 1
		x.writtenAt[n] = now
		x.gw.met.InputOn.WithLabelValues(x.id, strconv.Itoa(n)).Set(float64(values[i]))
		if was != x.written[n] {
			changed = true
			x.log.Info("ntcip: preempt input", zap.Int("input", n), zap.Bool("on", x.written[n]))
		}
		if x.obs != nil {
			x.obs.control[n] = values[i]
		}
	}
	x.carriedOut(inputs)
	return changed
}

// orphan reports whether input n, which no request wants and the gateway
// has not written since it started, was read on after the grace period.
func (x *inter) orphan(n int, now time.Time) bool {
	if x.obs == nil || x.obs.control[n] != 1 || now.Sub(x.start) < OrphanGrace {
		return false
	}
	x.gw.met.InputClears.WithLabelValues("orphan").Inc()
	x.log.Warn("ntcip: preempt input found on with no command for it (left by an earlier run?); clearing it", zap.Int("input", n))
	return true
}

// reconcileHold is priority mode: hold (and call) the requested phases,
// force off the conflicting phases green now.
func (x *inter) reconcileHold(now time.Time, want map[int]bool) bool {
	var hold [PhaseGroups]uint8
	for key := range want {
		p := -key
		if p >= 1 && p <= 8*PhaseGroups {
			g, bit := PhaseGroup(p)
			hold[g-1] |= bit
		}
	}
	if x.holdKnown && hold == x.holdBits && (hold == [PhaseGroups]uint8{} || now.Sub(x.holdAt) < time.Duration(x.cfg.Refresh)) {
		return false
	}
	if !x.holdKnown && hold == [PhaseGroups]uint8{} {
		return false
	}
	var force [PhaseGroups]uint8
	if x.obs != nil && hold != ([PhaseGroups]uint8{}) {
		for _, p := range x.obs.greens {
			if conflictsAll(p, hold) {
				g, bit := PhaseGroup(p)
				force[g-1] |= bit
			}
		}
	}
	var oids []string
	var values []int
	for g := 1; g <= PhaseGroups; g++ {
		oids = append(oids, PhaseControlGroupHold(g), PhaseControlGroupVehCall(g), PhaseControlGroupForceOff(g))
		values = append(values, int(hold[g-1]), int(hold[g-1]), int(force[g-1]))
	}
	if err := x.set(oids, values); err != nil {
		return false
	}
	changed := !x.holdKnown || x.holdBits != hold
	x.holdBits, x.holdKnown, x.holdAt = hold, true, now
	if changed {
		var phases []int
		for g := range hold {
			phases = GroupPhases(phases, g+1, hold[g])
		}
		x.log.Info("ntcip: phase hold", zap.Ints("phases", phases))
	}
	x.carriedOut(nil)
	return changed
}

// conflictsAll reports whether phase p may not be green with every held
// phase: by the NEMA dual-ring barrier, phases 1, 2, 5, 6 run together
// and 3, 4, 7, 8 together; any other phase runs alone. It is how
// signals.DefaultPlan groups phases, and an assumption about the real
// controller's rings (docs/ntcip.md).
func conflictsAll(p int, hold [PhaseGroups]uint8) bool {
	side := func(q int) int {
		switch q {
		case 1, 2, 5, 6:
			return 1
		case 3, 4, 7, 8:
			return 2
		}
		return 100 + q
	}
	for g := range hold {
		for _, q := range GroupPhases(nil, g+1, hold[g]) {
			if q == p || side(q) == side(p) {
				return false
			}
		}
	}
	return true
}

// carriedOut records the command → SET latency of the commands the last
// successful write carried out.
func (x *inter) carriedOut(inputs []int) {
	now := time.Now()
	for _, r := range x.reqs {
		if r.received.IsZero() || (x.cfg.Mode == ModePreempt && !slices.Contains(inputs, r.input)) {
			continue
		}
		x.gw.met.CommandLatency.WithLabelValues(commandPreempt.String()).Observe(now.Sub(r.received).Seconds())
		r.received = time.Time{}
	}
	for _, at := range x.pendingRelease {
		if !at.IsZero() {
			x.gw.met.CommandLatency.WithLabelValues(commandRelease.String()).Observe(now.Sub(at).Seconds())
		}
	}
	x.pendingRelease = x.pendingRelease[:0]
}

// set writes and accounts for it; a failure is logged once per change and
// makes the intersection fault.
func (x *inter) set(oids []string, values []int) error {
	x.gw.met.Requests.WithLabelValues("set").Inc()
	t0 := time.Now()
	err := x.c.setInts(oids, values)
	x.gw.met.Latency.WithLabelValues("set").Observe(time.Since(t0).Seconds())
	if err != nil {
		f := x.c.classify("set", err)
		x.gw.met.Errors.WithLabelValues(x.id, "set", f.Kind).Inc()
		x.setFail = f
		x.setFailUntil = x.clk.Now().Add(time.Duration(x.cfg.RetryAfterRefusal))
		x.logOnce("set", f.Error(), "ntcip: write failed", zap.String("reason", f.Kind), zap.String("detail", f.Error()))
		return f
	}
	if x.setFail != nil {
		x.log.Info("ntcip: writes succeed again", zap.String("after", x.setFail.Error()))
	}
	x.setFail = nil
	delete(x.logged, "set")
	return nil
}

// poll reads the phase greens and the preempt (or hold) state.
func (x *inter) poll() {
	oids := []string{PhaseStatusGroupGreens(1), PhaseStatusGroupGreens(2)}
	inputs := x.cfg.Inputs()
	if x.cfg.Mode == ModePreempt {
		for _, n := range inputs {
			oids = append(oids, PreemptControlState(n))
			if !x.noPreemptState {
				oids = append(oids, PreemptState(n))
			}
		}
	} else {
		oids = append(oids, PhaseControlGroupHold(1), PhaseControlGroupHold(2))
	}
	x.gw.met.Requests.WithLabelValues("get").Inc()
	t0 := time.Now()
	vars, err := x.c.get(oids)
	x.gw.met.Latency.WithLabelValues("get").Observe(time.Since(t0).Seconds())
	now := x.clk.Now()
	if err != nil {
		f := x.c.classify("get", err)
		x.gw.met.Errors.WithLabelValues(x.id, "get", f.Kind).Inc()
		if f.Kind == FailNoSuchObject && len(f.Object) > len("preemptState") && f.Object[:len("preemptState.")] == "preemptState." && !x.noPreemptState {
			// preemptState is optional in NTCIP 1202: do without it.
			x.noPreemptState = true
			x.log.Warn("ntcip: the controller lacks preemptState; the state is inferred from the phase greens", zap.String("detail", f.Error()))
			x.poll()
			return
		}
		x.pollFail = f
		x.gw.met.Up.WithLabelValues(x.id).Set(0)
		x.logOnce("poll", f.Error(), "ntcip: poll failed", zap.String("reason", f.Kind), zap.String("detail", f.Error()))
		return
	}
	o := &observed{preempt: map[int]PreemptStateValue{}, control: map[int]int{}}
	bad := func(v string, what string) {
		f := &Failure{Kind: FailBadValue, Op: "get", Object: ObjectName(v), Detail: what}
		x.gw.met.Errors.WithLabelValues(x.id, "get", f.Kind).Inc()
		x.pollFail = f
		x.logOnce("poll", f.Error(), "ntcip: poll failed", zap.String("reason", f.Kind), zap.String("detail", f.Error()))
	}
	for i, v := range vars {
		n, ok := intOf(v)
		if !ok {
			bad(oids[i], "not an integer ("+v.Type.String()+")")
			return
		}
		switch {
		case i < 2:
			if n < 0 || n > 255 {
				bad(oids[i], "not a phase bit mask: "+strconv.Itoa(n))
				return
			}
			o.greens = GroupPhases(o.greens, i+1, uint8(n))
		case x.cfg.Mode == ModePriority:
			o.holdBits[i-2] = uint8(n)
		default:
			in := inputOfOID(oids[i])
			if trimDot(oids[i]) == trimDot(PreemptState(in)) {
				if !PreemptStateValue(n).Valid() {
					bad(oids[i], "not a preemptState value: "+strconv.Itoa(n))
					return
				}
				o.preempt[in] = PreemptStateValue(n)
			} else {
				o.control[in] = n
			}
		}
	}
	if x.pollFail != nil || x.obs == nil {
		x.log.Info("ntcip: controller answers", zap.String("address", x.cfg.Address))
	}
	x.pollFail = nil
	delete(x.logged, "poll")
	if x.setFail != nil && (x.setFail.Kind == FailTimeout || x.setFail.Kind == FailRefused || x.setFail.Kind == FailNetwork) {
		x.setFail = nil // the controller answers again; the next write will tell
		delete(x.logged, "set")
	}
	x.gw.met.Up.WithLabelValues(x.id).Set(1)
	if x.obs != nil && !slices.Equal(x.obs.greens, o.greens) {
		x.greenSince = now
	}
	if len(o.greens) == 0 || x.obs == nil {
		x.greenSince = time.Time{}
	}
	// A controller that reset an input the gateway holds on (a restart, or
	// backup mode) gets it written again at once.
	for n, on := range x.written {
		if on && o.control[n] == 0 {
			x.log.Warn("ntcip: the controller cleared a preempt input the gateway holds (restart or backup mode); writing it again", zap.Int("input", n))
			delete(x.written, n)
		}
	}
	x.obs = o
}

func inputOfOID(oid string) int {
	oid = trimDot(oid)
	i := len(oid) - 1
	for i >= 0 && oid[i] != '.' {
		i--
	}
	n, _ := strconv.Atoi(oid[i+1:])
	return n
}

// logOnce logs msg at error level when what differs from what was last
// logged under key: a failure that persists is logged once, not every poll.
func (x *inter) logOnce(key, what, msg string, fields ...zap.Field) {
	if x.logged[key] == what {
		return
	}
	x.logged[key] = what
	x.log.Error(msg, fields...)
}

// nextDeadline is how long the loop may sleep before something is due: a
// request expiring, a refresh, max hold, the end of a refusal.
func (x *inter) nextDeadline(now time.Time) time.Duration {
	next := now.Add(time.Minute)
	earlier := func(t time.Time) {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	for _, r := range x.reqs {
		earlier(r.expiresAt)
	}
	for _, since := range x.onSince {
		earlier(since.Add(time.Duration(x.cfg.MaxHold)))
	}
	refresh := time.Duration(x.cfg.Refresh)
	for n, on := range x.written {
		if on {
			earlier(x.writtenAt[n].Add(refresh))
		}
	}
	if x.holdKnown && x.holdBits != ([PhaseGroups]uint8{}) {
		earlier(x.holdAt.Add(refresh))
	}
	if x.setFail != nil && x.setFail.Kind == FailRefusedValue {
		earlier(x.setFailUntil)
	}
	return max(next.Sub(now), time.Millisecond)
}

// state derives the status to publish, with its reason.
func (x *inter) state(now time.Time) (status, string, bool) {
	st := status{IntersectionID: x.id, TS: now, State: stateNormal}
	if x.pollFail != nil {
		st.State = stateFault
		return st, x.pollFail.Error(), true
	}
	if x.obs == nil {
		return st, "", false // nothing known yet: publish nothing
	}
	st.GreenPhases = x.obs.greens
	if len(st.GreenPhases) > 0 {
		st.GreenSince = x.greenSince
	}
	if x.setFail != nil && (x.setFail.Kind != FailRefusedValue || now.Before(x.setFailUntil)) {
		st.State = stateFault
		st.GreenSince = time.Time{}
		return st, x.setFail.Error(), true
	}
	reason := ""
	if x.noPreemptState && x.cfg.Mode == ModePreempt {
		reason = "the controller lacks preemptState: state inferred from phase greens"
	}
	best := map[wire.State]*request{} // state → the best request in it
	rank := func(s wire.State) int {
		switch s {
		case stateHold:
			return 3
		case stateEntry:
			return 2
		case stateExit:
			return 1
		}
		return 0
	}
	consider := func(s wire.State, r *request) {
		if rank(s) > rank(st.State) {
			st.State = s
		}
		if r == nil {
			return
		}
		if b := best[s]; b == nil || r.priority < b.priority || (r.priority == b.priority && r.arrival < b.arrival) {
			best[s] = r
		}
	}
	green := func(p int) bool { return slices.Contains(x.obs.greens, p) }
	for _, r := range x.sortedRequests() {
		switch {
		case x.cfg.Mode == ModePriority || x.noPreemptState:
			if green(r.phase) {
				consider(stateHold, r)
			} else {
				consider(stateEntry, r)
			}
		default:
			consider(stateOfPreempt(x.obs.preempt[r.input]), r)
		}
	}
	if x.cfg.Mode == ModePreempt && !x.noPreemptState {
		for _, n := range x.cfg.Inputs() {
			if s := stateOfPreempt(x.obs.preempt[n]); s == stateExit {
				consider(s, nil)
			}
		}
	}
	if r := best[st.State]; r != nil && (st.State == stateHold || st.State == stateEntry) {
		st.RequestID = r.id
	}
	return st, reason, true
}

func (x *inter) sortedRequests() []*request {
	out := make([]*request, 0, len(x.reqs))
	for _, r := range x.reqs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].arrival < out[j].arrival })
	return out
}

// stateOfPreempt maps preemptState onto the wire's roadside states.
func stateOfPreempt(v PreemptStateValue) wire.State {
	switch v {
	case PreemptNotActiveWithCall, PreemptEntryStarted, PreemptTrackService, PreemptLinkActive:
		return stateEntry
	case PreemptDwell:
		return stateHold
	case PreemptExitStarted, PreemptMaxPresence:
		return stateExit
	}
	return stateNormal
}

// publish queues the status when it changed.
func (x *inter) publish(now time.Time) {
	st, reason, ok := x.state(now)
	if !ok {
		return
	}
	fault := st.State == stateFault
	x.gw.met.Fault.WithLabelValues(x.id).Set(float64(boolInt(fault)))
	if x.published && sameStatus(x.lastStatus, st) && reason == x.lastReason {
		return
	}
	if !x.published || x.lastStatus.State != st.State || x.lastReason != reason {
		x.log.Info("ntcip: status", zap.Stringer("state", st.State), zap.Ints("green_phases", st.GreenPhases),
			zap.String("request_id", st.RequestID), zap.String("reason", reason))
	}
	x.published, x.lastStatus, x.lastReason = true, st, reason
	x.gw.publishStatus(st, reason)
}

func sameStatus(a, b status) bool {
	return a.State == b.State && a.RequestID == b.RequestID && slices.Equal(a.GreenPhases, b.GreenPhases) &&
		a.GreenSince.Equal(b.GreenSince) && a.GreenUntil.Equal(b.GreenUntil)
}

// shutdown clears every input the gateway holds on and says fault: the
// gateway is going away and can neither hold nor release anything.
func (x *inter) shutdown() {
	clear(x.reqs)
	now := x.clk.Now()
	x.onSince = map[int]time.Time{}
	held := 0
	for _, on := range x.written {
		if on {
			held++
		}
	}
	if held > 0 || (x.holdKnown && x.holdBits != [PhaseGroups]uint8{}) {
		x.gw.met.InputClears.WithLabelValues("shutdown").Add(float64(max(held, 1)))
		x.reconcile(now)
	}
	x.gw.publishStatus(status{IntersectionID: x.id, TS: now, State: stateFault}, "gateway "+x.gw.id+" stopping")
}
