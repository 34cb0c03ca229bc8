package signals

import (
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
)

func benchUnit(b *testing.B) *Roadside {
	b.Helper()
	tm := DefaultTiming()
	p, err := DefaultPlan([]int{1, 2, 4, 5, 6, 8}, 90*time.Second, 0.6, tm)
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRoadside("I-204", p, tm)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// startedUnit is a benchmark unit started at t0 with a change buffer,
// the timer reset.
func startedUnit(b *testing.B) (*Roadside, time.Time, []Change) {
	r := benchUnit(b)
	r.Advance(t0)
	b.ReportAllocs()
	b.ResetTimer()
	return r, t0, make([]Change, 0, 1024)
}

// BenchmarkAdvanceHour is one unit running one simulated hour of its plan
// (40 cycles, 240 indication changes), one transition at a time as a
// discrete-event simulator drives it, with the changes drained into a
// reused buffer.
func BenchmarkAdvanceHour(b *testing.B) {
	r, start, buf := startedUnit(b)
	for i := 0; i < b.N; i++ {
		end := start.Add(time.Hour)
		for next := r.NextChange(); !next.After(end); next = r.NextChange() {
			r.Advance(next)
		}
		r.Advance(end)
		buf = r.AppendChanges(buf[:0])
		start = end
	}
}

// BenchmarkAdvanceHourOneCall is the same hour in a single Advance call.
func BenchmarkAdvanceHourOneCall(b *testing.B) {
	r, start, buf := startedUnit(b)
	for i := 0; i < b.N; i++ {
		start = start.Add(time.Hour)
		r.Advance(start)
		buf = r.AppendChanges(buf[:0])
	}
}

// BenchmarkApply is a preempt refresh followed by its release: entry,
// exit and the re-entry computation each time.
func BenchmarkApply(b *testing.B) {
	r := benchUnit(b)
	now := t0
	r.Advance(now)
	buf := make([]Change, 0, 1024)
	c := wire.Command{Type: wire.CommandPreempt, RequestID: "amb-17.I-204.3", ControllerID: "cc-1", IntersectionID: "I-204",
		VehicleID: "amb-17", Approach: "NB", Phase: 4, Priority: 1, EtaS: 10}
	rel := wire.Command{Type: wire.CommandRelease, RequestID: c.RequestID, ControllerID: "cc-1", IntersectionID: "I-204"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(7 * time.Second)
		c.IssuedAt, c.ExpiresAt = now, now.Add(30*time.Second)
		if err := r.Apply(now, c); err != nil {
			b.Fatal(err)
		}
		now = now.Add(2 * time.Second)
		c.IssuedAt, c.ExpiresAt = now, now.Add(30*time.Second)
		if err := r.Apply(now, c); err != nil { // refresh
			b.Fatal(err)
		}
		rel.IssuedAt = now
		if err := r.Apply(now, rel); err != nil {
			b.Fatal(err)
		}
		buf = r.AppendChanges(buf[:0])
	}
}
