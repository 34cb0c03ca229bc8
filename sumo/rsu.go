package sumo

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/traci"
	"github.com/greenwave-project/greenwave/wire"
)

// The roadside unit of one traffic light, played inside SUMO. It takes the
// engine's wire.Command and reports wire.Status, as a real unit behind
// MQTT would, and acts on SUMO's signals through TraCI:
//
//   - normal: SUMO runs its own program; the unit only watches it.
//   - entry: a preempt is to be served. Its target is the requested
//     approach alone: every link its traffic may take (sumo_links: through,
//     turns, across every junction of a joined traffic light) green,
//     every other link red. Links from one approach never cross each
//     other, so the target is free of conflicts whatever the program; and
//     with the opposing traffic stopped, the vehicles queued in front of
//     the ambulance (a left turner among them) all move off. The unit
//     takes the signal over and moves every link from what showed to the
//     target safely: a green that must end first completes the
//     intersection's minimum green (counted from when that link turned
//     green), then shows yellow for yellow_s, then red; a link that must
//     turn green waits until every link not green in the target is red
//     and the last of them has been red for all_red_s; a yellow never
//     turns green again.
//   - hold: the target shows until the last request it serves is
//     released, expires, or the hold reaches max_preempt_s.
//   - exit: through the same safe transition to a green phase of the
//     program (the one after the held approach's own green, as the
//     program would go on), from which the program resumes. A static
//     program is instead brought back to its own schedule (the phase and
//     the time left in it that its cycle gives), so that the unit is in
//     step again.
//
// Requests follow signals.Roadside: one preempt is served at a time;
// requests for the approach being served share it; others wait and are
// served by priority, then arrival; a refresh (same request_id) moves the
// expiry; a request whose hold reached max preempt is refused afterwards.
//
// Time is SUMO's: the unit acts at step boundaries only. What it decides
// at time T is shown during (T, T+Δ].

// linkClass is what a link's signal means for the safety rules.
type linkClass uint8

const (
	linkRed    linkClass = iota // r, s (stop, then go), u (red-yellow), o, O
	linkYellow                  // y, Y
	linkGreen                   // G, g
)

func classOf(c byte) linkClass {
	switch c {
	case 'G', 'g':
		return linkGreen
	case 'y', 'Y':
		return linkYellow
	}
	return linkRed
}

// rsuApproach is one approach of the unit's intersection.
type rsuApproach struct {
	id      string // the map's approach id
	edge    string
	phase   int
	links   []int // every link its traffic may take: green in its preempt
	through []int // its through links: what makes its phase green in a status
	main    int   // the program phase that serves it longest; -1 if none greens its through links
}

// rsuRequest is one preempt the unit has accepted.
type rsuRequest struct {
	id, vehicle string
	approach    int // index into rsu.approaches
	priority    int
	issuedAt    time.Time
	expires     float64 // simulation time, s
	arrival     uint64  // order of acceptance
	served      bool
}

// rsuCommand is a command waiting at the unit for the next step boundary.
type rsuCommand struct {
	at float64
	c  wire.Command
}

// programPhase is one phase of the program the unit returns to.
type programPhase struct {
	state    string
	duration float64
	next     []int
}

// linkPlace is where a link is: the junction it crosses and the edge it
// comes from (two links from one edge never cross).
type linkPlace struct{ junction, from string }

// rsu is the roadside unit of one traffic light.
type rsu struct {
	inter int32  // index of the intersection in the map
	id    string // its id, on the wire
	tls   string
	n     int // links

	minGreen, yellow, allRed, maxPreempt float64
	approaches                           []rsuApproach
	phaseApproaches                      [wire.MaxPhase + 1][]int

	program string
	phases  []programPhase
	static  bool
	cycle   float64
	// compat[i*words+j/64] has bit j%64 when links i and j may be green
	// together: at different junctions, from the same edge, or green
	// together in some phase of some program of the traffic light.
	compat []uint64
	words  int

	// What shows: the state decided at the last boundary (or observed),
	// and since when each link's class has been what it is.
	shown []byte
	since []float64
	next  []byte // scratch: the state being decided
	// observed is what SUMO showed at the last step, for the safety
	// check (observedSet once it has been read).
	observed    []byte
	observedSet bool
	// changed: what shows, the program's next switch, the mode or the
	// requests may have changed since the last status was sent.
	changed bool
	// watched: the run subscribes to the signal (see coRun.watch).
	watched bool

	mode        wire.State
	controlled  bool // the unit sets the state (SUMO runs its "online" program)
	progPhase   int  // the program's phase, while it runs; -1 otherwise
	nextSwitch  float64
	targetAp    int    // the approach served (entry, hold, exit); -1 none
	target      []byte // its state: the approach's links green, every other red
	fromPhase   int    // the program phase showing when the unit took over, -1 if none
	resumePhase int    // exit: the phase the program resumes at; -1 not chosen yet
	resumeUntil float64
	holdStart   float64

	reqs     []rsuRequest
	arrivals uint64
	capped   []string // requests whose hold reached max preempt
	inbox    []rsuCommand

	// schedule is, for a static program, the time its first phase starts
	// according to its own cycle (learnt while it runs undisturbed); NaN
	// until known.
	schedule float64

	// Last status sent, to send only changes.
	sentState wire.State
	sentReq   string
	sentGreen uint16
	sentPlan  bool
	sentUntil float64

	stats *unitStats
}

// newRSU builds the unit of map intersection inter (with the map's id,
// timing and approaches) from the programs SUMO has for its traffic light
// (running is the one it runs) and where each link is.
func newRSU(inter int32, in *routing.Intersection, link *Intersection, running string, logics []traci.Logic, places []linkPlace) (*rsu, error) {
	tm := in.Timing
	u := &rsu{inter: inter, id: in.ID, tls: link.TLS, n: link.LinkCount, program: running,
		minGreen: tm.MinGreenS + tm.PedClearanceS, yellow: tm.YellowS, allRed: tm.AllRedS, maxPreempt: tm.MaxPreemptS,
		mode: wire.StateNormal, targetAp: -1, fromPhase: -1, resumePhase: -1, schedule: math.NaN(), progPhase: -1,
		sentUntil: math.NaN()}
	var prog *traci.Logic
	for i := range logics {
		if logics[i].ProgramID == running {
			prog = &logics[i]
		}
	}
	if prog == nil || len(prog.Phases) == 0 {
		return nil, errorf("traffic light %q: SUMO runs program %q, which it does not list", link.TLS, running)
	}
	for _, ph := range prog.Phases {
		if len(ph.State) != u.n {
			return nil, errorf("traffic light %q: program %q has %d signals, the map says %d (sumo_link_count): the map is not of this network",
				link.TLS, running, len(ph.State), u.n)
		}
		u.phases = append(u.phases, programPhase{state: ph.State, duration: ph.Duration, next: ph.Next})
		u.cycle += ph.Duration
	}
	u.static = prog.Type == 0
	u.words = (u.n + 63) / 64
	u.compat = make([]uint64, u.n*u.words)
	setCompat := func(i, j int) {
		u.compat[i*u.words+j/64] |= 1 << (j % 64)
		u.compat[j*u.words+i/64] |= 1 << (i % 64)
	}
	for i := 0; i < u.n; i++ {
		for j := 0; j < u.n; j++ {
			if i < len(places) && j < len(places) && (places[i].junction != places[j].junction || places[i].from == places[j].from) {
				setCompat(i, j)
			}
		}
	}
	for _, l := range logics {
		for _, ph := range l.Phases {
			if len(ph.State) != u.n {
				continue
			}
			for i := 0; i < u.n; i++ {
				if classOf(ph.State[i]) != linkGreen {
					continue
				}
				for j := 0; j < u.n; j++ {
					if classOf(ph.State[j]) == linkGreen {
						setCompat(i, j)
					}
				}
			}
		}
	}
	for k, a := range link.Approaches {
		ap := rsuApproach{id: in.Approaches[k].ID, edge: a.Edge, phase: in.Approaches[k].Phase, links: a.Links,
			through: a.ThroughLinks, main: -1}
		if len(ap.links) == 0 {
			ap.links = a.ThroughLinks
		}
		for _, li := range append(append([]int(nil), ap.links...), ap.through...) {
			if li < 0 || li >= u.n {
				return nil, errorf("intersection %q approach %q: link %d outside the traffic light's %d links", in.ID, ap.id, li, u.n)
			}
		}
		for pi, ph := range u.phases {
			if allGreen(ph.state, ap.through) && (ap.main < 0 || ph.duration > u.phases[ap.main].duration) {
				ap.main = pi
			}
		}
		u.approaches = append(u.approaches, ap)
		if wire.ValidPhase(ap.phase) {
			u.phaseApproaches[ap.phase] = append(u.phaseApproaches[ap.phase], k)
		}
	}
	u.shown = make([]byte, u.n)
	u.next = make([]byte, u.n)
	u.target = make([]byte, u.n)
	u.observed = make([]byte, u.n)
	u.since = make([]float64, u.n)
	for i := range u.since {
		u.since[i] = math.Inf(-1)
	}
	return u, nil
}

func allGreen(state string, links []int) bool {
	if len(links) == 0 {
		return false
	}
	for _, li := range links {
		if li >= len(state) || classOf(state[li]) != linkGreen {
			return false
		}
	}
	return true
}

// greenMask is the set of map phases green in state: a phase is green
// when every approach numbered with it has its through links green (so
// that a status never says green for an approach that is not).
func (u *rsu) greenMask(state []byte) uint16 {
	var m uint16
	for p := wire.MinPhase; p <= wire.MaxPhase; p++ {
		aps := u.phaseApproaches[p]
		if len(aps) == 0 {
			continue
		}
		all := true
		for _, k := range aps {
			if !allGreen(string(state), u.approaches[k].through) {
				all = false
				break
			}
		}
		if all {
			m |= wire.PhaseBit(p)
		}
	}
	return m
}

// conflict reports whether state shows green on two links that may not be
// green together (see rsu.compat).
func (u *rsu) conflict(state []byte) bool {
	for i := 0; i < u.n; i++ {
		if classOf(state[i]) != linkGreen {
			continue
		}
		row := u.compat[i*u.words : (i+1)*u.words]
		for j := i + 1; j < u.n; j++ {
			if classOf(state[j]) == linkGreen && row[j/64]&(1<<(j%64)) == 0 {
				return true
			}
		}
	}
	return false
}

// tlsActions is what a unit asks of SUMO at a boundary.
type tlsActions interface {
	SetRedYellowGreenState(tlsID, state string) error
	SetProgram(tlsID, programID string) error
	SetPhase(tlsID string, index int) error
	SetPhaseDuration(tlsID string, remaining float64) error
}

// observe takes what SUMO shows at T (the state that will show during the
// next step unless the unit changes it) and updates since.
//
// phase is the program's phase, or -1 when not known (the subscription of
// an actuated program's signal leaves it out): the first phase of the
// program showing that state is taken then.
func (u *rsu) observe(T float64, state string, phase int, program string, nextSwitch float64) {
	if len(state) != u.n {
		return // checked at start; a program loaded later with another size is not ours
	}
	if state != string(u.shown) {
		u.changed = true
		for i := 0; i < u.n; i++ {
			if classOf(state[i]) != classOf(u.shown[i]) {
				u.since[i] = T
			}
			u.shown[i] = state[i]
		}
	}
	if nextSwitch != u.nextSwitch && !(math.IsNaN(nextSwitch) && math.IsNaN(u.nextSwitch)) {
		u.nextSwitch = nextSwitch
		u.changed = true
	}
	if phase < 0 && !u.controlled && program == u.program {
		for k := range u.phases {
			if u.phases[k].state == state {
				phase = k
				break
			}
		}
	}
	u.progPhase = -1
	if !u.controlled && program == u.program && phase >= 0 && phase < len(u.phases) {
		u.progPhase = phase
		if u.static && u.mode == wire.StateNormal && math.IsNaN(u.schedule) {
			u.learnSchedule(T, phase, nextSwitch)
		}
	}
}

// learnSchedule notes where a static program's cycle starts from the
// phase it shows and when that phase ends.
func (u *rsu) learnSchedule(T float64, phase int, nextSwitch float64) {
	if u.cycle <= 0 || math.IsNaN(nextSwitch) || nextSwitch < T {
		return
	}
	start := nextSwitch
	for k := 0; k <= phase; k++ {
		start -= u.phases[k].duration
	}
	u.schedule = start
}

// schedulePos is where a static program's own cycle is at T: the phase,
// and the time left in it.
func (u *rsu) schedulePos(T float64) (int, float64) {
	pos := math.Mod(T-u.schedule, u.cycle)
	if pos < 0 {
		pos += u.cycle
	}
	for k, ph := range u.phases {
		if pos < ph.duration {
			return k, ph.duration - pos
		}
		pos -= ph.duration
	}
	return 0, u.phases[0].duration
}

// inStep reports whether a static program runs on its own schedule.
func (u *rsu) inStep(T float64) bool {
	if !u.static || math.IsNaN(u.schedule) || u.mode != wire.StateNormal || u.controlled || u.progPhase < 0 {
		return false
	}
	k, left := u.schedulePos(T)
	return k == u.progPhase && math.Abs(T+left-u.nextSwitch) < 0.5
}

// receive queues a command that reaches the unit at at.
func (u *rsu) receive(at float64, c wire.Command) { u.inbox = append(u.inbox, rsuCommand{at, c}) }

// apply acts on one command at T; it returns false for a refused one.
func (u *rsu) apply(T float64, epoch time.Time, c *wire.Command) bool {
	if c.Validate() != nil || c.IntersectionID != u.id {
		return false
	}
	if c.Type == wire.CommandRelease {
		u.remove(T, c.RequestID, "released")
		return true
	}
	expires := simSeconds(c.ExpiresAt, epoch)
	if slices.Contains(u.capped, c.RequestID) {
		return false
	}
	ap := u.approachFor(c)
	if ap < 0 {
		return false
	}
	if i := u.find(c.RequestID); i >= 0 {
		old := &u.reqs[i]
		if c.IssuedAt.Before(old.issuedAt) {
			return false
		}
		if expires <= T {
			u.remove(T, c.RequestID, "expired")
			return true
		}
		if old.approach == ap {
			old.expires, old.issuedAt, old.priority = expires, c.IssuedAt, c.Priority
			return true
		}
		u.remove(T, c.RequestID, "replaced")
	} else if expires <= T {
		return false
	}
	// The real roadside unit's bound, so the co-simulated one refuses
	// exactly when a deployed one would.
	if len(u.reqs) >= signals.MaxRequests {
		return false
	}
	u.arrivals++
	u.reqs = append(u.reqs, rsuRequest{id: c.RequestID, vehicle: c.VehicleID, approach: ap,
		priority: c.Priority, issuedAt: c.IssuedAt, expires: expires, arrival: u.arrivals})
	if u.stats != nil {
		u.stats.accepted(u, T, &u.reqs[len(u.reqs)-1])
	}
	u.admit(T, len(u.reqs)-1)
	return true
}

// approachFor finds the approach a preempt is for: the one it names, or
// else the first with its phase; -1 when neither is at this intersection.
func (u *rsu) approachFor(c *wire.Command) int {
	for k := range u.approaches {
		if u.approaches[k].id == c.Approach {
			return k
		}
	}
	if wire.ValidPhase(c.Phase) && len(u.phaseApproaches[c.Phase]) > 0 {
		return u.phaseApproaches[c.Phase][0]
	}
	return -1
}

func (u *rsu) find(id string) int {
	for i := range u.reqs {
		if u.reqs[i].id == id {
			return i
		}
	}
	return -1
}

// admit decides what a new request does: share the approach served,
// wait, or be served at once.
func (u *rsu) admit(T float64, i int) {
	q := &u.reqs[i]
	switch u.mode {
	case wire.StateEntry, wire.StateHold:
		if q.approach == u.targetAp {
			q.served = true
			if u.mode == wire.StateHold && u.stats != nil {
				u.stats.held(u, T, q)
			}
		}
	default:
		u.serveNext(T)
	}
}

// remove ends a request.
func (u *rsu) remove(T float64, id, why string) {
	i := u.find(id)
	if i < 0 {
		return
	}
	if u.stats != nil {
		u.stats.ended(u, T, &u.reqs[i], why)
	}
	u.reqs = slices.Delete(u.reqs, i, i+1)
}

func (u *rsu) anyServed() bool {
	for i := range u.reqs {
		if u.reqs[i].served {
			return true
		}
	}
	return false
}

// best is the request to serve next (among served ones when onlyServed):
// highest priority (1), then earliest.
func (u *rsu) best(onlyServed bool) int {
	b := -1
	for i := range u.reqs {
		q := &u.reqs[i]
		if onlyServed && !q.served {
			continue
		}
		if b < 0 || q.priority < u.reqs[b].priority || q.priority == u.reqs[b].priority && q.arrival < u.reqs[b].arrival {
			b = i
		}
	}
	return b
}

// serveNext starts serving the best waiting request, if any, from
// whatever shows: the program (normal), an exit, or the end of another
// preempt. It returns false when there is none.
func (u *rsu) serveNext(T float64) bool {
	b := u.best(false)
	if b < 0 {
		return false
	}
	u.targetAp = u.reqs[b].approach
	for i := range u.target {
		u.target[i] = 'r'
	}
	for _, li := range u.approaches[u.targetAp].links {
		u.target[li] = 'G'
	}
	u.fromPhase = -1
	if !u.controlled {
		u.fromPhase = u.progPhase
	}
	u.resumePhase = -1
	for i := range u.reqs {
		u.reqs[i].served = u.reqs[i].approach == u.targetAp
	}
	u.mode = wire.StateEntry
	return true
}

// boundary runs the unit at step boundary T: the commands that reached it,
// expiries, max preempt, and the state to show during the next step. It
// calls SUMO through act and returns the first error.
func (u *rsu) boundary(T float64, epoch time.Time, act tlsActions) error {
	if len(u.inbox) > 0 || len(u.reqs) > 0 || u.mode != wire.StateNormal {
		u.changed = true // a status may change: statusChanged compares
		defer func() { u.changed = true }()
	}
	for _, in := range u.inbox {
		if ok := u.apply(T, epoch, &in.c); !ok && u.stats != nil {
			u.stats.refused++
		}
	}
	clear(u.inbox)
	u.inbox = u.inbox[:0]
	for i := 0; i < len(u.reqs); {
		if u.reqs[i].expires <= T {
			u.remove(T, u.reqs[i].id, "expired")
			continue
		}
		i++
	}
	if u.mode == wire.StateHold && T-u.holdStart >= u.maxPreempt-1e-9 {
		for i := 0; i < len(u.reqs); {
			if u.reqs[i].served {
				u.capped = append(u.capped, u.reqs[i].id)
				if len(u.capped) > signals.MaxRequests {
					u.capped = u.capped[1:]
				}
				u.remove(T, u.reqs[i].id, "max_preempt")
				continue
			}
			i++
		}
	}
	switch u.mode {
	case wire.StateNormal, wire.StateExit:
		u.serveNext(T)
	case wire.StateEntry, wire.StateHold:
		if !u.anyServed() {
			if u.mode == wire.StateHold && u.stats != nil {
				u.stats.holdEnded(u, T)
			}
			if !u.serveNext(T) {
				u.mode = wire.StateExit
				u.resumePhase, u.resumeUntil = u.exitTarget(T)
			}
		}
	}
	switch u.mode {
	case wire.StateEntry:
		if u.transition(T, u.target) {
			u.startHold(T)
		}
		// Even when nothing changes yet, the unit takes the signal over:
		// the program must not move on by itself.
		return u.set(T, act)
	case wire.StateExit:
		return u.exitStep(T, act)
	}
	return nil // normal: the program runs; hold: the target shows until something ends it
}

func (u *rsu) startHold(T float64) {
	u.mode = wire.StateHold
	u.holdStart = T
	if u.stats != nil {
		u.stats.holdStarted(u, T)
	}
}

// set shows u.next (and takes the signal over) if it is not what shows.
func (u *rsu) set(T float64, act tlsActions) error {
	if u.controlled && string(u.next) == string(u.shown) {
		return nil
	}
	u.controlled = true
	if err := act.SetRedYellowGreenState(u.tls, string(u.next)); err != nil {
		return err
	}
	u.show(T, u.next)
	return nil
}

// show records a state the unit set at T.
func (u *rsu) show(T float64, state []byte) {
	u.changed = true
	for i := 0; i < u.n; i++ {
		if classOf(state[i]) != classOf(u.shown[i]) {
			u.since[i] = T
		}
	}
	copy(u.shown, state)
}

// transition writes into u.next the state to show next on the way from
// what shows to target, and reports whether target is reached (u.next is
// then target). The rules are the unit's safety rules (see the top of
// this file).
func (u *rsu) transition(T float64, target []byte) bool {
	const eps = 1e-6
	pendingGreen, clear := false, true
	lastRed := math.Inf(-1)
	for i := 0; i < u.n; i++ {
		cur := classOf(u.shown[i])
		want := classOf(target[i]) == linkGreen
		c := u.shown[i]
		switch {
		case want && cur == linkGreen:
			// stays green
		case want && cur == linkYellow:
			if T-u.since[i] >= u.yellow-eps {
				c = 'r'
			}
			pendingGreen = true
			clear = false
		case want:
			pendingGreen = true
		case cur == linkGreen:
			if T-u.since[i] >= u.minGreen-eps {
				c = 'y'
			}
			clear = false
		case cur == linkYellow:
			if T-u.since[i] >= u.yellow-eps {
				c = 'r'
				lastRed = math.Max(lastRed, T)
			} else {
				clear = false
			}
		default:
			lastRed = math.Max(lastRed, u.since[i])
		}
		u.next[i] = c
	}
	if !clear {
		return false
	}
	// Every link that is not to be green is red: the all-red clearance
	// counts from the last of them turning red.
	if pendingGreen && T-lastRed < u.allRed-eps {
		return false
	}
	copy(u.next, target)
	return true
}

// exitStep returns the unit to its program: through the safe transition
// to the phase it resumes at, then the program runs from that phase.
func (u *rsu) exitStep(T float64, act tlsActions) error {
	k := u.resumePhase
	if k < 0 {
		k, u.resumeUntil = u.exitTarget(T)
		u.resumePhase = k
	}
	if u.transition(T, []byte(u.phases[k].state)) {
		return u.resume(T, act, k, u.resumeUntil)
	}
	return u.set(T, act)
}

// exitTarget is the phase the program resumes at, and, for a static
// program brought back to its schedule, when that phase is to end (NaN
// otherwise). Always a green phase without yellow: SUMO's actuated
// programs cut short a yellow phase they are set to, so the unit clears
// the held greens itself and hands back at a green.
//
//   - A static program whose schedule is known: the green phase the
//     schedule shows once a clearance is over, if a minimum green of it is
//     left, else the next (shown early), until its scheduled end.
//   - After an entry cut short before anything changed: the phase that
//     showed, if a green one.
//   - After serving an approach: the green phase after the one that
//     serves that approach longest, as the program itself would go on.
//   - Otherwise the green phase the fewest greens now showing have to
//     leave.
func (u *rsu) exitTarget(T float64) (int, float64) {
	if u.static && !math.IsNaN(u.schedule) {
		if k, until, ok := u.scheduleTarget(T); ok {
			return k, until
		}
	}
	if u.fromPhase >= 0 && string(u.shown) == u.phases[u.fromPhase].state && u.resumable(u.fromPhase) {
		return u.fromPhase, math.NaN()
	}
	if u.targetAp >= 0 {
		if m := u.approaches[u.targetAp].main; m >= 0 {
			return u.nextGreen(m), math.NaN()
		}
	}
	best, bestCost := -1, 0
	for k := range u.phases {
		if !u.resumable(k) {
			continue
		}
		cost := 0
		for i := 0; i < u.n; i++ {
			if classOf(u.shown[i]) == linkGreen && classOf(u.phases[k].state[i]) != linkGreen {
				cost += 2
			}
			if classOf(u.shown[i]) != linkGreen && classOf(u.phases[k].state[i]) == linkGreen {
				cost++
			}
		}
		if best < 0 || cost < bestCost {
			best, bestCost = k, cost
		}
	}
	if best < 0 {
		return 0, math.NaN()
	}
	return best, math.NaN()
}

// resumable reports whether the program may be handed back at phase k: it
// greens something and shows no yellow.
func (u *rsu) resumable(k int) bool {
	st := u.phases[k].state
	green := false
	for i := 0; i < len(st); i++ {
		switch classOf(st[i]) {
		case linkYellow:
			return false
		case linkGreen:
			green = true
		}
	}
	return green
}

// nextGreen is the first resumable phase after phase k in the program's
// order whose state differs from k's.
func (u *rsu) nextGreen(k int) int {
	for j, n := u.successor(k), 0; n < len(u.phases); j, n = u.successor(j), n+1 {
		if u.resumable(j) && u.phases[j].state != u.phases[k].state {
			return j
		}
	}
	return k
}

// scheduleTarget is the phase of its own schedule a static program is
// brought back to (see exitTarget) and when that phase is to end.
func (u *rsu) scheduleTarget(T float64) (int, float64, bool) {
	at := T + u.yellow + u.allRed
	k, left := u.schedulePos(at)
	end := at + left
	for tries := 0; tries < 2*len(u.phases); tries++ {
		if u.resumable(k) && end-at >= u.minGreen {
			return k, end, true
		}
		k = u.successor(k)
		end += u.phases[k].duration
		if u.resumable(k) {
			return k, end, true
		}
	}
	return 0, 0, false
}

// successor is the phase a program goes to after phase k.
func (u *rsu) successor(k int) int {
	if k < 0 || k >= len(u.phases) {
		return 0
	}
	if nx := u.phases[k].next; len(nx) > 0 && nx[0] >= 0 && nx[0] < len(u.phases) {
		return nx[0]
	}
	return (k + 1) % len(u.phases)
}

// resume hands the signal back to the program at phase k (which shows
// already, or is what u.next holds) and, for a static program brought
// back to its schedule, with the time left until until.
func (u *rsu) resume(T float64, act tlsActions, k int, until float64) error {
	if err := act.SetProgram(u.tls, u.program); err != nil {
		return err
	}
	if err := act.SetPhase(u.tls, k); err != nil {
		return err
	}
	if !math.IsNaN(until) && until > T {
		if err := act.SetPhaseDuration(u.tls, until-T); err != nil {
			return err
		}
	}
	u.controlled = false
	u.mode = wire.StateNormal
	u.targetAp, u.fromPhase, u.resumePhase = -1, -1, -1
	u.progPhase = k
	u.nextSwitch = math.NaN()
	if !math.IsNaN(until) {
		u.nextSwitch = until
	}
	u.show(T, []byte(u.phases[k].state))
	return nil
}

// status is what the unit reports at T.
func (u *rsu) status(T float64, epoch time.Time) wire.Status {
	s := wire.Status{IntersectionID: u.id, TS: simTime(epoch, T), State: u.mode}
	mask := u.greenMask(u.shown)
	for p := wire.MinPhase; p <= wire.MaxPhase; p++ {
		if mask&wire.PhaseBit(p) != 0 {
			s.GreenPhases = append(s.GreenPhases, p)
		}
	}
	if u.mode == wire.StateEntry || u.mode == wire.StateHold {
		if b := u.best(true); b >= 0 {
			s.RequestID = u.reqs[b].id
		}
	}
	if mask != 0 {
		since := math.Inf(-1)
		for p := wire.MinPhase; p <= wire.MaxPhase; p++ {
			if mask&wire.PhaseBit(p) == 0 {
				continue
			}
			for _, k := range u.phaseApproaches[p] {
				for _, li := range u.approaches[k].through {
					since = math.Max(since, u.since[li])
				}
			}
		}
		if !math.IsInf(since, 0) {
			s.GreenSince = simTime(epoch, since)
		}
		if until := u.greenUntil(T, mask); !math.IsNaN(until) {
			s.GreenUntil = simTime(epoch, until)
		}
	}
	if u.static {
		if p := u.plan(epoch); p != nil {
			s.Plan, s.InStep = p, u.inStep(T)
		}
	}
	return s
}

// greenUntil is when a static program, running on its own, ends the
// greens of mask: the end of the current phase and of every following one
// that keeps them all green. NaN when unknown (an actuated program decides
// as it goes; a preempt has no planned end).
func (u *rsu) greenUntil(T float64, mask uint16) float64 {
	if !u.static || u.controlled || u.mode != wire.StateNormal || u.progPhase < 0 || !(u.nextSwitch >= T) {
		return math.NaN()
	}
	end := u.nextSwitch
	for k, n := u.successor(u.progPhase), 0; n < len(u.phases); k, n = u.successor(k), n+1 {
		if u.greenMask([]byte(u.phases[k].state))&mask != mask {
			return end
		}
		end += u.phases[k].duration
	}
	return math.NaN() // green for ever
}

// plan is a static program as a wire.SignalPlan (cycle, offset, stages),
// or nil when it does not make one the engine can use: each stage is a
// run of phases with the same map phases green, its green_s the time to
// the next stage's start less the intersection's yellow and all red; the
// offset places the first stage's start in Unix time.
func (u *rsu) plan(epoch time.Time) *wire.SignalPlan {
	if math.IsNaN(u.schedule) || u.cycle <= 0 || u.cycle > wire.MaxPlanCycleS {
		return nil
	}
	type stage struct {
		mask  uint16
		start float64
	}
	var stages []stage
	t := 0.0
	prev := uint16(0)
	for _, ph := range u.phases {
		m := u.greenMask([]byte(ph.state))
		if m != 0 && m != prev {
			stages = append(stages, stage{m, t})
		}
		prev = m
		t += ph.duration
	}
	if len(stages) < 2 || len(stages) > wire.MaxPlanStages {
		return nil
	}
	clearance := u.yellow + u.allRed
	sp := &wire.SignalPlan{CycleS: u.cycle}
	for i, st := range stages {
		next := u.cycle + stages[0].start
		if i+1 < len(stages) {
			next = stages[i+1].start
		}
		g := next - st.start - clearance
		if g < u.minGreen || g <= 0 {
			return nil
		}
		ws := wire.PlanStage{GreenS: math.Round(g*1000) / 1000}
		for p := wire.MinPhase; p <= wire.MaxPhase; p++ {
			if st.mask&wire.PhaseBit(p) != 0 {
				ws.Phases = append(ws.Phases, p)
			}
		}
		sp.Stages = append(sp.Stages, ws)
	}
	// Stage 0 starts at simulation time schedule + stages[0].start, i.e.
	// at that many seconds after the epoch in Unix time.
	startUnix := float64(epoch.UnixNano())/1e9 + u.schedule + stages[0].start
	off := math.Mod(startUnix, u.cycle)
	if off < 0 {
		off += u.cycle
	}
	sp.OffsetS = math.Round(off*1000) / 1000
	if sp.OffsetS >= u.cycle {
		sp.OffsetS = 0
	}
	if sp.Validate("plan") != nil {
		return nil
	}
	return sp
}

// statusChanged reports whether the status at T differs from the last one
// sent in what the engine acts on, and notes it as sent.
func (u *rsu) statusChanged(T float64) bool {
	if !u.changed && !u.static {
		return false // nothing the status says has moved (a static program's in_step depends on the time)
	}
	u.changed = false
	req := ""
	if u.mode == wire.StateEntry || u.mode == wire.StateHold {
		if b := u.best(true); b >= 0 {
			req = u.reqs[b].id
		}
	}
	green := u.greenMask(u.shown)
	until := math.NaN()
	if green != 0 {
		until = u.greenUntil(T, green)
	}
	plan := u.static && u.inStep(T)
	sameUntil := until == u.sentUntil || math.IsNaN(until) && math.IsNaN(u.sentUntil)
	if u.mode == u.sentState && req == u.sentReq && green == u.sentGreen && plan == u.sentPlan && sameUntil {
		return false
	}
	u.sentState, u.sentReq, u.sentGreen, u.sentPlan, u.sentUntil = u.mode, req, green, plan, until
	return true
}

func simTime(epoch time.Time, s float64) time.Time {
	return epoch.Add(time.Duration(math.Round(s * 1e9)))
}

func simSeconds(t, epoch time.Time) float64 { return t.Sub(epoch).Seconds() }

func errorf(format string, args ...any) error {
	return fmt.Errorf("sumo: "+format, args...)
}
