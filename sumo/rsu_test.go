package sumo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/greenwave-project/greenwave/traci"
	"github.com/greenwave-project/greenwave/wire"
)

// fakeTLS plays SUMO's side of one traffic light for the unit: its program
// runs phase by phase (SUMO's static logic), or it shows the state the unit
// set until the unit sets the program again.
type fakeTLS struct {
	phases     []programPhase
	phase      int
	phaseEnd   float64
	online     bool
	state      string
	now        float64
	programSet bool
}

func (f *fakeTLS) SetRedYellowGreenState(_, state string) error {
	f.online, f.state = true, state
	return nil
}

func (f *fakeTLS) SetProgram(string, string) error { f.online, f.programSet = false, true; return nil }

func (f *fakeTLS) SetPhase(_ string, k int) error {
	if !f.programSet {
		return fmt.Errorf("SetPhase without SetProgram")
	}
	f.phase, f.phaseEnd = k, f.now+f.phases[k].duration
	return nil
}

func (f *fakeTLS) SetPhaseDuration(_ string, d float64) error {
	f.phaseEnd = f.now + d
	return nil
}

// advance runs the program to T and returns what shows.
func (f *fakeTLS) advance(T float64) string {
	f.now = T
	f.programSet = false
	if f.online {
		return f.state
	}
	for T >= f.phaseEnd-1e-9 {
		f.phase = (f.phase + 1) % len(f.phases)
		f.phaseEnd += f.phases[f.phase].duration
	}
	return f.phases[f.phase].state
}

// newTestUnit builds the unit of the first intersection of a test network
// with SUMO's side faked.
func newTestUnit(t *testing.T, net string) (*rsu, *fakeTLS) {
	t.Helper()
	n, err := ReadNetFile(filepath.Join("testdata", net+".net.xml"))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := Import(n, ImportOptions{MinGreenS: 7})
	if err != nil {
		t.Fatal(err)
	}
	link := &m.Intersections[0]
	var logics []traci.Logic
	for _, l := range n.TLLogics {
		if l.ID != link.TLS {
			continue
		}
		tl := traci.Logic{ProgramID: l.ProgramID}
		if l.Type != "static" {
			tl.Type = 2
		}
		for _, ph := range l.Phases {
			tl.Phases = append(tl.Phases, traci.Phase{Duration: ph.Duration, State: ph.State, MinDur: ph.MinDur, MaxDur: ph.MaxDur})
		}
		logics = append(logics, tl)
	}
	w := &coWorld{net: n}
	u, err := newRSU(0, &m.Inventory.Intersections[0], link, logics[0].ProgramID, logics, w.linkPlaces(link))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeTLS{phases: u.phases, phaseEnd: u.phases[0].duration}
	return u, f
}

// observeFake advances SUMO's side to T and shows the unit what shows, as
// the step's subscription would.
func observeFake(u *rsu, f *fakeTLS, T float64) string {
	st := f.advance(T)
	if f.online {
		u.observe(T, st, 0, "online", math.NaN())
	} else {
		u.observe(T, st, f.phase, u.program, f.phaseEnd)
	}
	return st
}

func preempt(u *rsu, id string, ap int, T, leaseS float64) wire.Command {
	return wire.Command{Type: wire.CommandPreempt, RequestID: id, ControllerID: "test", IntersectionID: u.id,
		VehicleID: "v-" + id, Approach: u.approaches[ap].id, Phase: u.approaches[ap].phase, Priority: 1,
		IssuedAt: simTime(coEpoch, T), ExpiresAt: simTime(coEpoch, T+leaseS)}
}

func release(u *rsu, id string, T float64) wire.Command {
	return wire.Command{Type: wire.CommandRelease, RequestID: id, ControllerID: "test", IntersectionID: u.id,
		IssuedAt: simTime(coEpoch, T)}
}

// safetyChecker follows what a signal shows, step by step, and reports
// every breach of the unit's safety rules it can see.
type safetyChecker struct {
	u     *rsu
	prev  []byte
	since []float64
}

func (c *safetyChecker) check(T float64, state string, controlled bool) error {
	u := c.u
	if c.prev == nil {
		c.prev = []byte(state)
		c.since = make([]float64, u.n)
		for i := range c.since {
			c.since[i] = math.Inf(-1)
		}
		return nil
	}
	if u.conflict([]byte(state)) {
		return fmt.Errorf("t=%v: %s greens conflicting links", T, state)
	}
	for i := 0; i < u.n; i++ {
		from, to := classOf(c.prev[i]), classOf(state[i])
		if from == to {
			continue
		}
		switch {
		case from == linkGreen && to == linkRed:
			return fmt.Errorf("t=%v: link %d green to red without yellow (%s -> %s)", T, i, c.prev, state)
		case controlled && from == linkYellow && to == linkGreen:
			// (SUMO's own programs do this for a link green in two stages.)
			return fmt.Errorf("t=%v: link %d yellow to green (%s -> %s)", T, i, c.prev, state)
		case controlled && from == linkGreen && T-c.since[i] < u.minGreen-1e-6:
			return fmt.Errorf("t=%v: link %d green for %v s only, min green %v", T, i, T-c.since[i], u.minGreen)
		case controlled && from == linkYellow && T-c.since[i] < u.yellow-1e-6:
			return fmt.Errorf("t=%v: link %d yellow for %v s only, yellow %v", T, i, T-c.since[i], u.yellow)
		}
		c.since[i] = T
	}
	c.prev = []byte(state)
	return nil
}

// TestUnitPreemptsSafely drives units of a static and an actuated test
// junction with random preempts, refreshes and releases, and checks every
// state shown against the safety rules: no green to red without yellow,
// and, from the unit, no yellow to green, minimum green and yellow kept; no two
// conflicting links green; every preempt held within the worst-case
// entry with its approach's links green, and the program back after the
// last release.
func TestUnitPreemptsSafely(t *testing.T) {
	for _, net := range []string{"cross", "tee", "joined"} {
		t.Run(net, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			for trial := 0; trial < 40; trial++ {
				u, f := newTestUnit(t, net)
				chk := &safetyChecker{u: u}
				entry := u.minGreen + u.yellow + u.allRed
				var reqAt float64 = -1
				reqAp := -1
				releaseAt := -1.0
				T0 := float64(rng.IntN(90))
				for T := 0.0; T < 400; T++ {
					st := observeFake(u, f, T)
					if err := chk.check(T, st, f.online); err != nil {
						t.Fatalf("trial %d: %v", trial, err)
					}
					switch {
					case T == T0:
						reqAp = rng.IntN(len(u.approaches))
						reqAt = T
						u.receive(T, preempt(u, "r1", reqAp, T, 200))
						releaseAt = T + entry + 1 + float64(rng.IntN(60))
					case T == releaseAt:
						u.receive(T, release(u, "r1", T))
					}
					if err := u.boundary(T, coEpoch, f); err != nil {
						t.Fatal(err)
					}
					if reqAt >= 0 && T < releaseAt && T >= reqAt+entry+1 {
						if u.mode != wire.StateHold {
							t.Fatalf("trial %d: t=%v: %v s after the preempt the unit is %v, not hold", trial, T, T-reqAt, u.mode)
						}
						for _, li := range u.approaches[reqAp].links {
							if classOf(u.shown[li]) != linkGreen {
								t.Fatalf("trial %d: hold shows %s: link %d of approach %s not green", trial, u.shown, li, u.approaches[reqAp].id)
							}
						}
					}
					if releaseAt >= 0 && T >= releaseAt+u.minGreen+u.yellow+u.allRed+1 && (u.mode != wire.StateNormal || f.online) {
						t.Fatalf("trial %d: t=%v: %v s after the release the unit is %v (online %v)", trial, T, T-releaseAt, u.mode, f.online)
					}
				}
			}
		})
	}
}

// TestUnitExpiryAndMaxPreempt: a preempt never refreshed ends at its
// expiry; one refreshed for ever ends at max_preempt_s and is refused
// afterwards.
func TestUnitExpiryAndMaxPreempt(t *testing.T) {
	u, f := newTestUnit(t, "cross")
	var holdStart, holdEnd float64 = -1, -1
	for T := 0.0; T < 300; T++ {
		observeFake(u, f, T)
		if T == 10 {
			u.receive(T, preempt(u, "lease", 0, T, 40))
		}
		if err := u.boundary(T, coEpoch, f); err != nil {
			t.Fatal(err)
		}
		if u.mode == wire.StateHold && holdStart < 0 {
			holdStart = T
		}
		if holdStart >= 0 && holdEnd < 0 && u.mode != wire.StateHold {
			holdEnd = T
		}
	}
	if holdStart < 0 || holdEnd != 50 {
		t.Fatalf("a 40 s lease from t=10: hold %v to %v, want it to end at its expiry, t=50", holdStart, holdEnd)
	}

	u, f = newTestUnit(t, "cross")
	holdStart, holdEnd = -1, -1
	refused := 0
	for T := 0.0; T < 300; T++ {
		observeFake(u, f, T)
		if T >= 10 && int(T)%5 == 0 {
			u.receive(T, preempt(u, "greedy", 0, T, 20))
		}
		if err := u.boundary(T, coEpoch, f); err != nil {
			t.Fatal(err)
		}
		if u.mode == wire.StateHold && holdStart < 0 {
			holdStart = T
		}
		if holdStart >= 0 && holdEnd < 0 && u.mode != wire.StateHold {
			holdEnd = T
		}
		if holdEnd >= 0 && u.mode == wire.StateHold {
			refused++
		}
	}
	if holdStart < 0 || holdEnd-holdStart != u.maxPreempt {
		t.Fatalf("refreshed for ever: hold %v to %v, want %v s (max preempt)", holdStart, holdEnd, u.maxPreempt)
	}
	if refused > 0 {
		t.Fatalf("the unit held again for %d s after max preempt", refused)
	}
}

// TestUnitStaticBackInStep: a static program preempted and released is
// brought back to its own schedule, and its status then reports its plan
// in step.
func TestUnitStaticBackInStep(t *testing.T) {
	u, f := newTestUnit(t, "cross")
	ref := &fakeTLS{phases: u.phases, phaseEnd: u.phases[0].duration} // the same program, never preempted
	var plan *wire.SignalPlan
	for T := 0.0; T < 400; T++ {
		observeFake(u, f, T)
		ref.advance(T)
		switch T {
		case 60:
			u.receive(T, preempt(u, "a", 1, T, 200))
		case 100:
			u.receive(T, release(u, "a", T))
		}
		if err := u.boundary(T, coEpoch, f); err != nil {
			t.Fatal(err)
		}
		s := u.status(T, coEpoch)
		if err := s.Validate(); err != nil {
			t.Fatalf("t=%v: status %+v: %v", T, s, err)
		}
		if T == 50 {
			if s.Plan == nil || !s.InStep {
				t.Fatalf("t=50, undisturbed: plan %+v in step %v", s.Plan, s.InStep)
			}
			plan = s.Plan
		}
		if T == 300 {
			if s.Plan == nil || !s.InStep || !samePlanWire(plan, s.Plan) {
				t.Fatalf("t=300, long after the preempt: plan %+v in step %v, want %+v in step", s.Plan, s.InStep, plan)
			}
			if f.phase != ref.phase || math.Abs(f.phaseEnd-ref.phaseEnd) > 1e-6 {
				t.Fatalf("t=300: program in phase %d until %v, its schedule phase %d until %v", f.phase, f.phaseEnd, ref.phase, ref.phaseEnd)
			}
		}
	}
}

func samePlanWire(a, b *wire.SignalPlan) bool { return fmt.Sprint(*a) == fmt.Sprint(*b) }

// TestUnitRefusesBadCommands: commands for another intersection, unknown
// approaches and phases, already expired, or invalid change nothing.
func TestUnitRefusesBadCommands(t *testing.T) {
	u, f := newTestUnit(t, "cross")
	u.stats = &unitStats{visits: map[string]*unitVisit{}}
	other := preempt(u, "x1", 0, 5, 20)
	other.IntersectionID = "elsewhere"
	unknown := preempt(u, "x2", 0, 5, 20)
	unknown.Approach, unknown.Phase = "nowhere", 16
	expired := preempt(u, "x3", 0, 5, 20)
	expired.ExpiresAt = simTime(coEpoch, 4)
	invalid := preempt(u, "x4", 0, 5, 20)
	invalid.Priority = 0
	observeFake(u, f, 5)
	for _, c := range []wire.Command{other, unknown, expired, invalid} {
		u.receive(5, c)
	}
	if err := u.boundary(5, coEpoch, f); err != nil {
		t.Fatal(err)
	}
	if u.stats.refused != 4 || len(u.reqs) != 0 || u.mode != wire.StateNormal || f.online {
		t.Fatalf("refused %d, requests %d, mode %v, online %v: want 4 refused and nothing changed", u.stats.refused, len(u.reqs), u.mode, f.online)
	}
}
