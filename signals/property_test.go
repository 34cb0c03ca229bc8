package signals

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/require"
)

// model is what the commands accepted so far say: which requests are alive,
// until when, on which phase. The unit must never serve anything else.
type model struct {
	expires    map[string]time.Time
	phase      map[string]int
	controller map[string]string
}

func newModel() *model {
	return &model{expires: map[string]time.Time{}, phase: map[string]int{}, controller: map[string]string{}}
}

func (m *model) drop(id string) {
	delete(m.expires, id)
	delete(m.phase, id)
	delete(m.controller, id)
}

// driver applies operations to a unit and checks it after every transition.
type driver struct {
	r     *Roadside
	c     *checker
	m     *model
	tm    Timing
	now   time.Time
	ids   []string
	ctrls []string
}

func newDriver(plan Plan, tm Timing, start time.Time) (*driver, error) {
	r, err := NewRoadside("I-1", plan, tm)
	if err != nil {
		return nil, err
	}
	d := &driver{r: r, c: newChecker(tm), m: newModel(), tm: tm, now: start,
		ids: []string{"r0", "r1", "r2", "r3", "r4", "r5"}, ctrls: []string{"cc-1", "cc-2"}}
	r.Advance(start)
	return d, d.check()
}

// check verifies the unit against the model and the change log at d.now.
func (d *driver) check() error {
	if err := d.c.feed(d.r.DrainChanges()); err != nil {
		return err
	}
	// Requests that expired are gone in the model too.
	for id, exp := range d.m.expires {
		if !exp.After(d.now) {
			d.m.drop(id)
		}
	}
	state := d.r.State()
	id := d.r.RequestID()
	switch state {
	case wire.StateHold, wire.StateEntry:
		if id == "" {
			return fmt.Errorf("%s without a request", state)
		}
		if _, alive := d.m.expires[id]; !alive {
			return fmt.Errorf("%s serves %q, which expired, was released or whose controller went offline", state, id)
		}
		if state == wire.StateHold {
			if !d.r.IsGreen(d.m.phase[id]) {
				return fmt.Errorf("hold for %q but its phase %d is not green", id, d.m.phase[id])
			}
			if held := d.now.Sub(d.c.stateSince); held > d.tm.MaxPreempt {
				return fmt.Errorf("hold has lasted %v", held)
			}
		} else if d.now.Sub(d.c.stateSince) > d.tm.WorstCaseEntry() {
			return fmt.Errorf("entry has lasted %v", d.now.Sub(d.c.stateSince))
		}
	default:
		if id != "" {
			return fmt.Errorf("%s but serving %q", state, id)
		}
	}
	if state == wire.StateFault && len(d.m.expires) > 0 {
		return fmt.Errorf("fault with live requests")
	}
	if b := d.r.HoldBudget(); d.c.heldWithin(d.now, b.Window) > b.Max {
		return fmt.Errorf("held %v within %v, more than the budget's %v", d.c.heldWithin(d.now, b.Window), b.Window, b.Max)
	}
	return nil
}

// advance moves to t, one transition at a time, checking after each.
func (d *driver) advance(t time.Time) error {
	for {
		next := d.r.NextChange()
		if next.After(t) {
			break
		}
		if !next.After(d.now) && next.Before(d.now) {
			return fmt.Errorf("NextChange %v is before now %v", next, d.now)
		}
		d.r.Advance(next)
		d.now = next
		if err := d.check(); err != nil {
			return err
		}
	}
	d.r.Advance(t)
	d.now = t
	return d.check()
}

// op is one random operation, decoded from a few numbers so that the
// property test (math/rand) and the fuzz test (bytes) share it.
func (d *driver) op(kind, a, b, c byte) error {
	phases := d.r.Plan().Phases()
	id := d.ids[int(a)%len(d.ids)]
	ctrl := d.ctrls[int(b)%len(d.ctrls)]
	switch kind % 10 {
	case 0, 1, 2, 3, 4: // preempt (new or refresh)
		phase := phases[int(b)%len(phases)]
		if c%17 == 0 {
			phase = 3 // usually unserved
		}
		cmd := wire.Command{
			Type: wire.CommandPreempt, RequestID: id, ControllerID: ctrl, IntersectionID: "I-1",
			VehicleID: "v", Approach: "A", Phase: phase, Priority: 1 + int(c%3), EtaS: float64(c % 60),
			IssuedAt:  d.now.Add(-time.Duration(c%4) * time.Second),
			ExpiresAt: d.now.Add(time.Duration(1+int(c)%150) * time.Second),
		}
		err := d.r.Apply(d.now, cmd)
		if err == nil {
			d.m.expires[id] = cmd.ExpiresAt
			d.m.phase[id] = cmd.Phase
			d.m.controller[id] = ctrl
		} else if !errors.Is(err, ErrFault) && !errors.Is(err, ErrTooManyRequests) && !errors.Is(err, ErrHoldBudget) {
			var fe *wire.FieldError
			if !errors.As(err, &fe) || (fe.Field != "phase" && fe.Field != "request_id" && fe.Field != "issued_at") {
				return fmt.Errorf("unexpected refusal of %+v: %v", cmd, err)
			}
		}
	case 5, 6:
		if err := d.r.Apply(d.now, wire.Command{Type: wire.CommandRelease, RequestID: id, ControllerID: ctrl, IntersectionID: "I-1", IssuedAt: d.now}); err != nil {
			return err
		}
		d.m.drop(id)
	case 7:
		d.r.ControllerOffline(ctrl, d.now)
		for rid, cc := range d.m.controller {
			if cc == ctrl {
				d.m.drop(rid)
			}
		}
	case 8:
		if c%8 == 0 { // faults are rare
			on := d.r.State() != wire.StateFault
			d.r.SetFault(d.now, on)
			if on {
				for rid := range d.m.expires {
					d.m.drop(rid)
				}
			}
		}
	case 9:
		_ = d.r.Status(d.now)
	}
	return d.check()
}

// propertyCase is one unit configuration of the property and fuzz tests.
func propertyCase(n int) (Plan, Timing) {
	tm := DefaultTiming()
	phases := [][]int{{2, 4, 6, 8}, {2, 4, 6, 8, 9}, {2, 6}, {1, 2, 4, 5, 6, 8}, {4, 8, 12}}[n%5]
	switch (n / 5) % 4 {
	case 1:
		tm.AllRed, tm.PedClearance = 0, 0
	case 2:
		tm.MaxPreempt = 20 * time.Second
	case 3:
		tm = Timing{MinGreen: 5 * time.Second, PedClearance: 7 * time.Second, Yellow: 3 * time.Second, AllRed: time.Second, MaxPreempt: 5 * time.Second}
	}
	cycle := []time.Duration{60 * time.Second, 90 * time.Second, 97500 * time.Millisecond, 150 * time.Second}[(n/20)%4]
	plan, err := DefaultPlan(phases, cycle, 0.55, tm)
	if err != nil {
		panic(err)
	}
	plan.Offset = time.Duration(n) * 7 * time.Second
	return plan, tm
}

// TestRandomCommandsKeepInvariants drives units with random command
// sequences at random times (fixed seeds, so failures reproduce) and checks
// after every transition: no green to green, min green, yellow and all red
// honoured; a hold or entry only ever serves a live request; no hold longer
// than max preempt; no entry longer than the worst case — hence every hold
// ends by min(expires_at, start + max preempt); and never more hold
// within the hold budget's window than its maximum (a tight budget on
// every third seed, the default on the others).
func TestRandomCommandsKeepInvariants(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 40
	}
	for seed := 0; seed < seeds; seed++ {
		rng := rand.New(rand.NewSource(int64(seed)))
		plan, tm := propertyCase(seed)
		d, err := newDriver(plan, tm, t0.Add(time.Duration(rng.Int63n(int64(24*time.Hour)))))
		require.NoError(t, err)
		if seed%3 == 1 {
			require.NoError(t, d.r.SetHoldBudget(HoldBudget{Window: 2 * time.Minute, Max: 30 * time.Second}))
		}
		for i := 0; i < 400; i++ {
			var gap time.Duration
			switch rng.Intn(4) {
			case 0: // same instant
			case 1:
				gap = time.Duration(rng.Int63n(int64(2 * time.Second)))
			default:
				gap = time.Duration(rng.Int63n(int64(40 * time.Second)))
			}
			require.NoError(t, d.advance(d.now.Add(gap)), "seed %d step %d", seed, i)
			require.NoError(t, d.op(byte(rng.Intn(256)), byte(rng.Intn(256)), byte(rng.Intn(256)), byte(rng.Intn(256))), "seed %d step %d", seed, i)
		}
		require.NoError(t, d.advance(d.now.Add(10*time.Minute)), "seed %d: drain", seed)
		require.Empty(t, d.r.RequestID(), "seed %d: every request ends on its own", seed)
	}
}
