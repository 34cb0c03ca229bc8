package signals

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 is when every test's plan starts its first stage (2+6 green).
var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// at is t0 plus s seconds.
func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// secs is t as seconds after t0.
func secs(t time.Time) float64 { return t.Sub(t0).Seconds() }

// harness drives a unit and checks every change it makes.
type harness struct {
	t   testing.TB
	r   *Roadside
	c   *checker
	log []Change
}

// newHarness builds a unit on the default plan of phases with a 90 s cycle,
// 60 % main share, offset so that stage 0 starts at t0, and starts it at t0.
// With default timing: 2+6 green 0–46.8 s, yellow to 50.8, all red to 52.8;
// 4+8 green to 84, yellow to 88, all red to 90; and so on.
func newHarness(t testing.TB, tm Timing, phases ...int) *harness {
	t.Helper()
	if len(phases) == 0 {
		phases = []int{2, 4, 6, 8}
	}
	p, err := DefaultPlan(phases, 90*time.Second, 0.6, tm)
	require.NoError(t, err)
	p.Offset = p.position(t0)
	r, err := NewRoadside("I-204", p, tm)
	require.NoError(t, err)
	h := &harness{t: t, r: r, c: newChecker(tm)}
	h.advance(0)
	return h
}

func (h *harness) sync() {
	h.t.Helper()
	ch := h.r.DrainChanges()
	h.log = append(h.log, ch...)
	require.NoError(h.t, h.c.feed(ch))
}

func (h *harness) advance(s float64) {
	h.t.Helper()
	h.r.Advance(at(s))
	h.sync()
}

func (h *harness) apply(s float64, c wire.Command) error {
	h.t.Helper()
	err := h.r.Apply(at(s), c)
	h.sync()
	return err
}

// stateSeq is the reported states in order, with the time each began.
func (h *harness) stateSeq() ([]wire.State, []float64) {
	var states []wire.State
	var times []float64
	for _, ch := range h.log {
		if ch.Phase == 0 && (len(states) == 0 || states[len(states)-1] != ch.State) {
			states = append(states, ch.State)
			times = append(times, secs(ch.At))
		}
	}
	return states, times
}

// firstChange returns the first change of phase to `to` at or after from seconds.
func (h *harness) firstChange(phase int, to Indication, from float64) (float64, bool) {
	for _, ch := range h.log {
		if ch.Phase == phase && ch.To == to && secs(ch.At) >= from {
			return secs(ch.At), true
		}
	}
	return 0, false
}

// stateBegan returns when the unit first entered state at or after from seconds.
func (h *harness) stateBegan(state wire.State, from float64) (float64, bool) {
	for _, ch := range h.log {
		if ch.Phase == 0 && ch.State == state && secs(ch.At) >= from {
			return secs(ch.At), true
		}
	}
	return 0, false
}

func preempt(id string, phase int, issued, expires float64) wire.Command {
	return wire.Command{
		Type: wire.CommandPreempt, RequestID: id, ControllerID: "cc-1", IntersectionID: "I-204",
		VehicleID: "amb-" + id, Approach: "EB", Phase: phase, Priority: 1, EtaS: 10,
		IssuedAt: at(issued), ExpiresAt: at(expires),
	}
}

func release(id string, issued float64) wire.Command {
	return wire.Command{Type: wire.CommandRelease, RequestID: id, ControllerID: "cc-1", IntersectionID: "I-204", IssuedAt: at(issued)}
}

func TestUnitFollowsPlanFromItsFirstTime(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	assert.Equal(t, []int{2, 6}, h.r.GreenPhases())
	assert.Equal(t, at(46.8), h.r.NextChange())
	h.advance(47)
	assert.Equal(t, Yellow, h.r.Indication(2))
	assert.Equal(t, Red, h.r.Indication(4))
	assert.Empty(t, h.r.GreenPhases())
	h.advance(60)
	assert.Equal(t, []int{4, 8}, h.r.GreenPhases())
	assert.True(t, h.r.IsGreen(8))
	got, ok := h.firstChange(4, Green, 0)
	require.True(t, ok)
	assert.InDelta(t, 52.8, got, 1e-9)
	assert.Equal(t, wire.StateNormal, h.r.State())

	// A unit started mid-cycle joins the plan where it is.
	late, err := NewRoadside("I-204", h.r.Plan(), DefaultTiming())
	require.NoError(t, err)
	assert.True(t, late.NextChange().IsZero(), "no time given yet")
	assert.Equal(t, Red, late.Indication(2), "a unit not started shows red")
	late.Advance(at(90 + 49))
	assert.Equal(t, Yellow, late.Indication(6))
	assert.Equal(t, at(90+50.8), late.NextChange())
}

func TestPreemptOfGreenPhaseHoldsAtOnce(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	h.advance(10)
	require.NoError(t, h.apply(10, preempt("a", 6, 10, 60)))
	assert.Equal(t, wire.StateHold, h.r.State())
	assert.Equal(t, "a", h.r.RequestID())
	st := h.r.Status(at(11))
	assert.Equal(t, wire.Status{IntersectionID: "I-204", TS: at(11), State: wire.StateHold, GreenPhases: []int{2, 6}, RequestID: "a", GreenSince: at(0),
		Plan: h.r.Plan().Wire()}, st)
	for _, ch := range h.log {
		assert.False(t, ch.Phase != 0 && secs(ch.At) > 0, "no indication changes: %+v", ch)
	}
	// The hold outlasts the plan's green (46.8 s) until the expiry.
	h.advance(55)
	assert.True(t, h.r.IsGreen(2))
}

func TestEntryHonoursMinGreenAndPedClearance(t *testing.T) {
	tm := DefaultTiming()
	mgpc := (tm.MinGreen + tm.PedClearance).Seconds()
	clr := tm.Clearance().Seconds()
	tests := []struct {
		name     string
		received float64
	}{
		{"just after green started", 0.5},
		{"mid min green", 5},
		{"during ped clearance", 15},
		{"after min green and ped clearance", 30},
		{"near the planned end of green", 46},
		{"during yellow", 48},
		{"during all red", 51.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tm)
			h.advance(tt.received)
			require.NoError(t, h.apply(tt.received, preempt("a", 4, tt.received, tt.received+120)))
			h.advance(tt.received + 60)

			greenEnd, ok := h.firstChange(2, Yellow, 0)
			require.True(t, ok)
			assert.GreaterOrEqual(t, greenEnd, mgpc-1e-9, "min green and pedestrian clearance of the running green are never cut")
			assert.LessOrEqual(t, greenEnd, 46.8+1e-9, "a preempt never lengthens the plan's green")
			if tt.received < 46.8 {
				assert.InDelta(t, max(tt.received, mgpc), min(greenEnd, 46.8), 1e-9, "the green ends as soon as allowed")
			}
			hold, ok := h.stateBegan(wire.StateHold, 0)
			require.True(t, ok, "hold reached")
			assert.InDelta(t, greenEnd+clr, hold, 1e-9, "yellow then all red, then hold")
			assert.LessOrEqual(t, hold-tt.received, tm.WorstCaseEntry().Seconds()+1e-9, "hold within the worst case")
			green4, ok := h.firstChange(4, Green, 0)
			require.True(t, ok)
			assert.InDelta(t, hold, green4, 1e-9, "the requested phase is green when hold is reported")
		})
	}
}

func TestExpiryEndsHoldWithNoFurtherCommand(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 40)))
	h.advance(39.999)
	assert.Equal(t, wire.StateHold, h.r.State())
	h.advance(400) // one call, far ahead
	states, times := h.stateSeq()
	assert.Equal(t, []wire.State{wire.StateNormal, wire.StateEntry, wire.StateHold, wire.StateNormal}, states)
	assert.InDelta(t, 40, times[3], 1e-9, "the hold ended exactly at expires_at")
	assert.Empty(t, h.r.RequestID())
}

func TestMaxPreemptCapsHold(t *testing.T) {
	tm := DefaultTiming()
	h := newHarness(t, tm)
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 1000)))
	// The controller keeps refreshing: the cap still ends the hold.
	for s := 10.0; s < 300; s += 10 {
		err := h.apply(s, preempt("a", 4, s, s+1000))
		if s < 115 {
			require.NoError(t, err)
			continue
		}
		var fe *wire.FieldError
		require.ErrorAs(t, err, &fe, "refreshing a capped request is refused")
		assert.Equal(t, "request_id", fe.Field)
	}
	holds := h.c.episodesOf(wire.StateHold)
	require.Len(t, holds, 1)
	assert.Equal(t, tm.MaxPreempt, holds[0].end.Sub(holds[0].start))
	assert.NotEqual(t, wire.StateHold, h.r.State())
	assert.Empty(t, h.r.RequestID(), "a capped request is done, not re-served")
}

func TestStatusReportsPlanAndWhetherInStep(t *testing.T) {
	tm := DefaultTiming()
	h := newHarness(t, tm)
	st := h.r.Status(at(5))
	require.NotNil(t, st.Plan)
	assert.True(t, st.InStep, "a unit running its plan is in step")
	back, err := PlanFromWire(st.Plan, tm)
	require.NoError(t, err)
	assert.Equal(t, h.r.Plan(), back, "the reported plan rebuilds the unit's own")
	require.NoError(t, st.Validate())

	require.NoError(t, h.apply(10, preempt("a", 4, 10, 100)))
	assert.False(t, h.r.Status(at(11)).InStep, "preempting")
	require.NoError(t, h.apply(40, release("a", 40)))
	var out int
	for s := 40.0; s < 400; s++ {
		if !h.r.Status(at(s)).InStep {
			out++
		}
	}
	assert.Less(t, out, 91, "out of step for at most a cycle after the exit")
	assert.Greater(t, out, 0, "out of step during the exit")
	assert.True(t, h.r.Status(at(400)).InStep, "back in step")
}

func TestReleaseExitsAndRestoresOffset(t *testing.T) {
	tm := DefaultTiming()
	h := newHarness(t, tm)
	ref := newHarness(t, tm) // never preempted
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 100)))
	require.NoError(t, h.apply(30, release("a", 30)))
	assert.Equal(t, wire.StateExit, h.r.State())
	h.advance(400)
	ref.advance(400)
	states, times := h.stateSeq()
	assert.Equal(t, []wire.State{wire.StateNormal, wire.StateEntry, wire.StateHold, wire.StateExit, wire.StateNormal}, states)
	assert.InDelta(t, 30, times[3], 1e-9, "exit starts at the release")

	// The unit gets back in step with its coordinated plan within a cycle
	// of the exit: from some instant on, every change equals the
	// never-preempted unit's.
	back := times[4]
	restored := inStepFrom(h.log, ref.log, back)
	require.False(t, restored.IsZero(), "never back in step")
	assert.LessOrEqual(t, secs(restored)-back, 90.0, "restored within one cycle")
	// On the way no stage was skipped: each came up green, for at least
	// its minimum.
	assertEveryStageServed(t, h.log, secs(restored)-back, back, tm)
}

// inStepFrom is the earliest change time after from (a phase change of
// log) from which log's phase changes equal ref's; zero if none.
func inStepFrom(log, ref []Change, from float64) time.Time {
	after := func(log []Change, at time.Time) []Change {
		var out []Change
		for _, ch := range log {
			if ch.Phase != 0 && !ch.At.Before(at) {
				ch.State = 0
				out = append(out, ch)
			}
		}
		return out
	}
	for _, ch := range log {
		if ch.Phase == 0 || secs(ch.At) < from {
			continue
		}
		a, b := after(log, ch.At), after(ref, ch.At)
		if len(a) > 0 && slices.EqualFunc(a, b, func(x, y Change) bool {
			return x.At.Equal(y.At) && x.Phase == y.Phase && x.From == y.From && x.To == y.To
		}) {
			return ch.At
		}
	}
	return time.Time{}
}

// assertEveryStageServed checks that between from and from+span seconds
// both the main (2) and the side (4) phase were green for at least min
// green.
func assertEveryStageServed(t *testing.T, log []Change, span, from float64, tm Timing) {
	t.Helper()
	for _, phase := range []int{2, 4} {
		var longest, since float64 = 0, -1
		for _, ch := range log {
			if ch.Phase != phase || secs(ch.At) < from-200 || secs(ch.At) > from+span+200 {
				continue
			}
			switch {
			case ch.To == Green:
				since = secs(ch.At)
			case since >= 0 && ch.From == Green && since+1e-9 >= from:
				longest = max(longest, secs(ch.At)-since)
				since = -1
			}
		}
		assert.GreaterOrEqual(t, longest, tm.MinGreen.Seconds(), "phase %d green for at least its minimum after the exit", phase)
	}
}

func TestReleaseJustBeforePlanGreenContinuesGreen(t *testing.T) {
	// Phase 4's plan green starts at 52.8 s. A hold of 4 released at 50 s
	// would clear 4 only to bring it back: the unit keeps it green instead.
	h := newHarness(t, DefaultTiming())
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 100)))
	require.NoError(t, h.apply(50, release("a", 50)))
	assert.Equal(t, wire.StateNormal, h.r.State())
	h.advance(90)
	end, ok := h.firstChange(4, Yellow, 0)
	require.True(t, ok)
	assert.InDelta(t, 84, end, 1e-9, "green to the plan's end")
}

func TestConflictingRequestWaitsThenIsServed(t *testing.T) {
	tm := DefaultTiming()
	h := newHarness(t, tm)
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 200)))
	require.NoError(t, h.apply(2, preempt("b", 2, 2, 200)))
	assert.Equal(t, wire.StateEntry, h.r.State())
	assert.Equal(t, "a", h.r.RequestID(), "the first request is served")
	h.advance(30)
	assert.Equal(t, wire.StateHold, h.r.State())
	assert.Equal(t, "a", h.r.RequestID())
	assert.False(t, h.r.IsGreen(2), "b waits")

	require.NoError(t, h.apply(40, release("a", 40)))
	assert.Equal(t, wire.StateEntry, h.r.State())
	assert.Equal(t, "b", h.r.RequestID())
	h.advance(100)
	holdB, ok := h.stateBegan(wire.StateHold, 40)
	require.True(t, ok)
	assert.InDelta(t, 40+tm.Clearance().Seconds(), holdB, 1e-9, "a's hold green had its min green: clear at once")
	assert.Equal(t, "b", h.r.RequestID())
	assert.True(t, h.r.IsGreen(2))
}

func TestWaitingOrderIsPriorityThenArrival(t *testing.T) {
	type req struct {
		id       string
		phase    int
		priority int
	}
	tests := []struct {
		name    string
		waiting []req
		want    []string
	}{
		{"priority first", []req{{"b", 9, 2}, {"c", 2, 1}}, []string{"c", "b"}},
		{"arrival breaks ties", []req{{"b", 9, 1}, {"c", 2, 1}}, []string{"b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, DefaultTiming(), 2, 4, 6, 8, 9) // stages 2+6, 4+8, 9
			require.NoError(t, h.apply(1, preempt("a", 4, 1, 500)))
			for i, q := range tt.waiting {
				c := preempt(q.id, q.phase, 2+float64(i), 500)
				c.Priority = q.priority
				require.NoError(t, h.apply(2+float64(i), c))
			}
			now := 30.0
			for _, want := range append([]string{"a"}, tt.want...) {
				h.advance(now)
				require.Equal(t, wire.StateHold, h.r.State())
				assert.Equal(t, want, h.r.RequestID())
				require.NoError(t, h.apply(now, release(want, now)))
				now += 40
			}
		})
	}
}

func TestWaitingRequestThatExpiredIsSkipped(t *testing.T) {
	h := newHarness(t, DefaultTiming(), 2, 4, 6, 8, 9)
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 200)))
	require.NoError(t, h.apply(2, preempt("b", 2, 2, 30)))
	require.NoError(t, h.apply(3, preempt("c", 9, 3, 300)))
	require.NoError(t, h.apply(40, release("a", 40)))
	assert.Equal(t, "c", h.r.RequestID())
	h.advance(100)
	assert.True(t, h.r.IsGreen(9))
	_, ok := h.firstChange(2, Green, 40)
	assert.False(t, ok, "b expired while waiting and is never served")
}

func TestSharedPhase(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 200)))
	require.NoError(t, h.apply(2, preempt("b", 8, 2, 200)))
	assert.Equal(t, "a", h.r.RequestID())
	h.advance(30)
	require.Equal(t, wire.StateHold, h.r.State())
	require.NoError(t, h.apply(31, preempt("c", 8, 31, 200)), "joins the running hold")
	require.NoError(t, h.apply(32, release("a", 32)))
	assert.Equal(t, wire.StateHold, h.r.State(), "b and c still need it")
	assert.Equal(t, "b", h.r.RequestID())
	require.NoError(t, h.apply(33, release("b", 33)))
	assert.Equal(t, "c", h.r.RequestID())
	require.NoError(t, h.apply(34, release("c", 34)))
	assert.NotEqual(t, wire.StateHold, h.r.State())
	assert.Len(t, h.c.episodesOf(wire.StateHold), 1, "one hold, shared")
}

func TestSharedHoldLastsUntilLastExpiry(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 40)))
	require.NoError(t, h.apply(2, preempt("b", 8, 2, 70)))
	h.advance(45)
	assert.Equal(t, wire.StateHold, h.r.State())
	assert.Equal(t, "b", h.r.RequestID(), "a expired; b's request is served now")
	h.advance(200)
	holds := h.c.episodesOf(wire.StateHold)
	require.Len(t, holds, 1)
	assert.InDelta(t, 70, secs(holds[0].end), 1e-9)
}

func TestControllerOffline(t *testing.T) {
	h := newHarness(t, DefaultTiming(), 2, 4, 6, 8, 9)
	a := preempt("a", 4, 1, 200)
	b := preempt("b", 2, 2, 200)
	b.ControllerID = "cc-2"
	c := preempt("c", 9, 3, 200)
	c.Priority = 1
	b.Priority = 2
	for _, cmd := range []wire.Command{a, b, c} {
		require.NoError(t, h.apply(secs(cmd.IssuedAt), cmd))
	}
	h.advance(30)
	h.r.ControllerOffline("cc-9", at(30))
	assert.Equal(t, "a", h.r.RequestID(), "another controller's offline changes nothing")
	h.r.ControllerOffline("cc-1", at(31))
	h.sync()
	assert.Equal(t, wire.StateEntry, h.r.State())
	assert.Equal(t, "b", h.r.RequestID(), "c went with its controller; b is served")
	h.advance(100)
	assert.True(t, h.r.IsGreen(2))
	_, ok := h.firstChange(9, Green, 0)
	assert.False(t, ok)
}

func TestFaultRefusesPreemption(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 200)))
	require.NoError(t, h.apply(2, preempt("b", 2, 2, 200)))
	h.advance(26)
	require.Equal(t, wire.StateHold, h.r.State())
	h.r.SetFault(at(27), true)
	h.sync()
	assert.Equal(t, wire.StateFault, h.r.State())
	assert.Empty(t, h.r.RequestID())
	err := h.apply(28, preempt("c", 4, 28, 100))
	assert.ErrorIs(t, err, ErrFault)
	h.advance(100)
	assert.Equal(t, wire.StateFault, h.r.Status(at(100)).State)
	_, ok := h.firstChange(2, Green, 27)
	assert.True(t, ok, "the plan keeps cycling")

	h.r.SetFault(at(101), false)
	h.sync()
	assert.Equal(t, wire.StateNormal, h.r.State())
	require.NoError(t, h.apply(102, preempt("d", 4, 102, 200)))
	assert.Contains(t, []wire.State{wire.StateEntry, wire.StateHold}, h.r.State())
}

func TestApplyRefusesWithoutChangingState(t *testing.T) {
	base := func() *harness {
		h := newHarness(t, DefaultTiming())
		require.NoError(t, h.apply(1, preempt("a", 4, 1, 40)))
		h.advance(10)
		return h
	}
	other := preempt("x", 4, 10, 60)
	other.IntersectionID = "I-205"
	bad := preempt("x", 0, 10, 60)
	unserved := preempt("x", 3, 10, 60)
	expired := preempt("x", 2, 5, 9)
	stale := preempt("a", 4, 0.5, 300)
	tests := []struct {
		name  string
		cmd   wire.Command
		field string
	}{
		{"another intersection", other, "intersection_id"},
		{"invalid", bad, "phase"},
		{"phase not served", unserved, "phase"},
		{"already expired", expired, "expires_at"},
		{"stale refresh", stale, "issued_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := base()
			before := h.r.Status(at(10))
			next := h.r.NextChange()
			err := h.apply(10, tt.cmd)
			var fe *wire.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Field)
			assert.Equal(t, before, h.r.Status(at(10)))
			assert.Equal(t, next, h.r.NextChange())
			assert.Empty(t, h.r.DrainChanges())
			h.advance(100)
			holds := h.c.episodesOf(wire.StateHold)
			require.Len(t, holds, 1)
			assert.InDelta(t, 40, secs(holds[0].end), 1e-9, "a's expiry is untouched")
		})
	}
}

func TestRefresh(t *testing.T) {
	t.Run("moves expiry later", func(t *testing.T) {
		h := newHarness(t, DefaultTiming())
		require.NoError(t, h.apply(1, preempt("a", 4, 1, 40)))
		require.NoError(t, h.apply(35, preempt("a", 4, 35, 70)))
		h.advance(200)
		holds := h.c.episodesOf(wire.StateHold)
		require.Len(t, holds, 1)
		assert.InDelta(t, 70, secs(holds[0].end), 1e-9)
	})
	t.Run("expiry moved into the past ends it", func(t *testing.T) {
		h := newHarness(t, DefaultTiming())
		require.NoError(t, h.apply(1, preempt("a", 4, 1, 40)))
		c := preempt("a", 4, 30, 40)
		c.IssuedAt, c.ExpiresAt = at(29), at(29.5)
		require.NoError(t, h.apply(30, c))
		assert.NotEqual(t, wire.StateHold, h.r.State())
	})
	t.Run("another phase replaces the request", func(t *testing.T) {
		h := newHarness(t, DefaultTiming())
		require.NoError(t, h.apply(1, preempt("a", 4, 1, 100)))
		require.NoError(t, h.apply(30, preempt("a", 2, 30, 100)))
		assert.Equal(t, "a", h.r.RequestID())
		h.advance(60)
		assert.True(t, h.r.IsGreen(2))
		assert.Equal(t, wire.StateHold, h.r.State())
	})
	t.Run("duplicate delivery is harmless", func(t *testing.T) {
		h := newHarness(t, DefaultTiming())
		c := preempt("a", 4, 1, 40)
		require.NoError(t, h.apply(1, c))
		require.NoError(t, h.apply(2, c))
		h.advance(100)
		assert.Len(t, h.c.episodesOf(wire.StateHold), 1)
	})
}

func TestReleaseOfUnknownRequestIsHarmless(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	require.NoError(t, h.apply(5, release("nobody", 5)))
	assert.Equal(t, wire.StateNormal, h.r.State())
	require.NoError(t, h.apply(6, preempt("a", 4, 6, 60)))
	require.NoError(t, h.apply(7, release("nobody", 7)))
	assert.Equal(t, "a", h.r.RequestID())
}

func TestTooManyRequests(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	for i := 0; i < MaxRequests; i++ {
		require.NoError(t, h.apply(1, preempt("r"+string(rune('A'+i%26))+string(rune('a'+i/26)), 4, 1, 100)))
	}
	assert.ErrorIs(t, h.apply(1, preempt("one-more", 4, 1, 100)), ErrTooManyRequests)
}

func TestTimeNeverRunsBackwards(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	h.advance(50)
	next := h.r.NextChange()
	h.advance(10)
	assert.Equal(t, next, h.r.NextChange())
	assert.Equal(t, at(50), h.r.Status(at(20)).TS)
	require.NoError(t, h.apply(20, preempt("a", 2, 20, 100)), "acts at the latest time seen")
	assert.Equal(t, wire.StateEntry, h.r.State(), "50 s is yellow: 2 is brought back through all red")
}

func TestAdvanceInOneJumpEqualsStepping(t *testing.T) {
	tm := DefaultTiming()
	cmds := []struct {
		at  float64
		cmd wire.Command
	}{
		{100, preempt("a", 4, 100, 160)},
		{101, preempt("b", 2, 101, 400)},
		{140, release("a", 140)},
		{700, preempt("c", 8, 700, 705)},
	}
	jump := newHarness(t, tm)
	step := newHarness(t, tm)
	for _, c := range cmds {
		jump.advance(c.at)
		for step.r.NextChange().Before(at(c.at)) {
			step.r.Advance(step.r.NextChange())
			step.sync()
		}
		require.NoError(t, jump.apply(c.at, c.cmd))
		require.NoError(t, step.apply(c.at, c.cmd))
	}
	jump.advance(3600)
	for step.r.NextChange().Before(at(3600)) {
		step.r.Advance(step.r.NextChange())
		step.sync()
	}
	step.advance(3600)
	assert.Equal(t, step.log, jump.log)
	assert.Greater(t, len(jump.log), 100)
}

func TestNextChangeIsWhenTheUnitChanges(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 60)))
	for i := 0; i < 40; i++ {
		next := h.r.NextChange()
		h.r.Advance(next.Add(-time.Nanosecond))
		assert.Empty(t, h.r.DrainChanges(), "nothing before NextChange")
		h.r.Advance(next)
		ch := h.r.DrainChanges()
		require.NoError(t, h.c.feed(ch))
		require.NotEmpty(t, ch, "something changes at NextChange (%v)", secs(next))
		for _, c := range ch {
			assert.Equal(t, next, c.At)
		}
		assert.True(t, h.r.NextChange().After(next))
	}
}

func TestChangeRecording(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	h.r.SetRecordChanges(false)
	h.r.Advance(at(1000))
	assert.Nil(t, h.r.DrainChanges())
	h.r.SetRecordChanges(true)
	h.r.Advance(at(30 * 86400)) // a month undrained
	assert.LessOrEqual(t, len(h.r.AppendChanges(nil)), MaxPendingChanges)
	assert.Positive(t, h.r.DroppedChanges())

	buf := make([]Change, 0, 64)
	h.r.Advance(at(30*86400 + 90))
	buf = h.r.AppendChanges(buf[:0])
	assert.NotEmpty(t, buf)
	assert.Empty(t, h.r.DrainChanges(), "drained")
}

func TestNewRoadsideValidates(t *testing.T) {
	tm := DefaultTiming()
	p, err := DefaultPlan([]int{2, 4}, 90*time.Second, 0.5, tm)
	require.NoError(t, err)
	_, err = NewRoadside("I 204", p, tm)
	var fe *wire.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "intersection_id", fe.Field)
	_, err = NewRoadside("I-204", Plan{}, tm)
	assert.Error(t, err)
	bad := tm
	bad.Yellow = 0
	_, err = NewRoadside("I-204", p, bad)
	assert.Error(t, err)

	r, err := NewRoadside("I-204", p, tm)
	require.NoError(t, err)
	p.Stages[0].Phases[0] = 4 // the caller's plan changing later must not reach the unit
	assert.Equal(t, []int{2}, r.Plan().Stages[0].Phases)
	assert.Equal(t, "I-204", r.IntersectionID())
	assert.Equal(t, tm, r.Timing())
}

func TestIndicationString(t *testing.T) {
	assert.Equal(t, "red", Red.String())
	assert.Equal(t, "yellow", Yellow.String())
	assert.Equal(t, "green", Green.String())
	assert.Equal(t, "Indication(7)", Indication(7).String())
}

func TestErrorsAreDistinct(t *testing.T) {
	assert.False(t, errors.Is(ErrFault, ErrTooManyRequests))
}

func TestReleaseDuringEntryReturnsToPlan(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	ref := newHarness(t, DefaultTiming())
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 100)))
	require.NoError(t, h.apply(5, release("a", 5)))
	assert.Equal(t, wire.StateNormal, h.r.State(), "2+6 is still the plan's stage: its green just carries on")
	h.advance(400)
	ref.advance(400)
	phaseChanges := func(log []Change) []Change {
		var out []Change
		for _, ch := range log {
			if ch.Phase != 0 {
				ch.State = 0
				out = append(out, ch)
			}
		}
		return out
	}
	assert.Equal(t, phaseChanges(ref.log), phaseChanges(h.log), "an entry abandoned before any clearance leaves no trace on the street")

	// Abandoned during the clearance: exit, then the plan.
	g := newHarness(t, DefaultTiming())
	require.NoError(t, g.apply(20, preempt("a", 4, 20, 100)))
	require.NoError(t, g.apply(21, release("a", 21)))
	assert.Equal(t, wire.StateExit, g.r.State())
	g.advance(200)
	assert.Equal(t, wire.StateNormal, g.r.State())
}

func TestPreemptDuringExit(t *testing.T) {
	tm := DefaultTiming()
	h := newHarness(t, tm)
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 100)))
	require.NoError(t, h.apply(30, release("a", 30)))
	require.Equal(t, wire.StateExit, h.r.State())
	require.NoError(t, h.apply(31, preempt("b", 8, 31, 100)), "8 is still green in the exit")
	assert.Equal(t, wire.StateHold, h.r.State())
	require.NoError(t, h.apply(32, release("b", 32)))
	h.advance(33) // 4+8 green ends at 32: yellow
	require.NoError(t, h.apply(33, preempt("c", 4, 33, 100)))
	assert.Equal(t, wire.StateEntry, h.r.State())
	h.advance(100)
	hold, ok := h.stateBegan(wire.StateHold, 33)
	require.True(t, ok)
	assert.LessOrEqual(t, hold-33, tm.Clearance().Seconds()+1e-9, "from yellow, only the rest of the clearance")
}

func TestStatusIsValidOnTheWire(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	require.NoError(t, h.apply(1, preempt("a", 4, 1, 100)))
	for _, s := range []float64{1, 20, 30, 200} {
		st := h.r.Status(at(s))
		require.NoError(t, st.Validate())
		b, err := json.Marshal(st)
		require.NoError(t, err)
		back, err := wire.ParseStatus("", b)
		require.NoError(t, err)
		assert.Equal(t, st.State, back.State)
		assert.Equal(t, st.RequestID, back.RequestID)
	}
}

func TestGettersAreCurrentRightAfterApply(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	h.advance(30) // 2+6 green for 30 s: min green and ped clearance are done
	require.NoError(t, h.apply(30, preempt("a", 4, 30, 100)))
	assert.Equal(t, wire.StateEntry, h.r.State())
	assert.Equal(t, Yellow, h.r.Indication(2), "the green ended at the instant of the preempt")
	assert.Equal(t, at(34), h.r.NextChange())
}

// A fresh request_id every time the last one reaches max preempt (what a
// misbehaving controller, or anyone able to send it commands, could do)
// does not hold the junction past its hold budget: within any window the
// unit holds at most the budget's maximum, the last hold is cut where the
// budget runs out, new preempts are then refused with ErrHoldBudget, and
// the junction serves again once the window has slid past the holds.
func TestHoldBudgetCapsRotatingRequests(t *testing.T) {
	tm := DefaultTiming() // 90 s max preempt
	h := newHarness(t, tm)
	budget := HoldBudget{Window: 10 * time.Minute, Max: 4 * time.Minute}
	require.NoError(t, h.r.SetHoldBudget(budget))
	refused := 0
	var firstRefusal float64
	for s, n := 1.0, 0; s < 1500; s += 5 {
		// The attacker's request: always the same phase, renewed with a new id
		// whenever the unit is not serving it.
		if h.r.RequestID() == "" {
			n++
			err := h.apply(s, preempt(fmt.Sprintf("r%d", n), 4, s, s+1000))
			if errors.Is(err, ErrHoldBudget) {
				if refused == 0 {
					firstRefusal = s
				}
				refused++
			} else {
				require.NoError(t, err)
			}
		} else {
			h.advance(s)
		}
		held := h.c.heldWithin(at(s), budget.Window)
		require.LessOrEqual(t, held, budget.Max, "at %v s", s)
		require.Equal(t, held, h.r.HeldWithin(at(s)), "the unit's own count, at %v s", s)
	}
	require.Positive(t, refused, "the budget was reached")
	holds := h.c.episodesOf(wire.StateHold)
	var total time.Duration
	for _, e := range holds {
		total += e.end.Sub(e.start)
	}
	t.Logf("first refusal at %.0f s; %d refused; %v held over %d holds", firstRefusal, refused, total, len(holds))
	// Over 25 minutes, without the budget, the junction would have been held
	// nearly all the time; with it, at most 4 min of every 10.
	assert.Less(t, total, 11*time.Minute)
	assert.Greater(t, total, 7*time.Minute, "the budget frees up as the window slides")
	// The hold that spent the budget was cut short of max preempt.
	cut := false
	for _, e := range holds {
		if d := e.end.Sub(e.start); d < tm.MaxPreempt && d > 0 {
			cut = true
		}
	}
	assert.True(t, cut, "a hold ended where the budget ran out")
}

func TestHoldBudgetValidate(t *testing.T) {
	h := newHarness(t, DefaultTiming())
	assert.Equal(t, DefaultHoldBudget(), h.r.HoldBudget())
	for _, b := range []HoldBudget{{}, {Window: time.Minute}, {Window: time.Minute, Max: 2 * time.Minute}, {Window: -1, Max: -1}} {
		assert.Error(t, h.r.SetHoldBudget(b), "%+v", b)
	}
	assert.Equal(t, DefaultHoldBudget(), h.r.HoldBudget(), "an invalid budget changes nothing")
}
