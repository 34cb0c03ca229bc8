package signals

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func FuzzParseCommand(f *testing.F) {
	f.Add([]byte(specCommand))
	f.Add([]byte(specRelease))
	f.Add([]byte(`{"type":"preempt","phase":1e400}`))
	f.Add([]byte(`{"type":"release","request_id":"a","controller_id":"c","intersection_id":"i","issued_at":"2026-11-22T08:00:00+14:00","phase":16}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommand(b)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("refusal without a field: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted an invalid command: %v", err)
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseCommand(out)
		if err != nil {
			t.Fatalf("own output %s refused: %v", out, err)
		}
		if !again.IssuedAt.Equal(c.IssuedAt) || !again.ExpiresAt.Equal(c.ExpiresAt) {
			t.Fatalf("times changed in a round trip: %s", out)
		}
		again.IssuedAt, again.ExpiresAt, c.IssuedAt, c.ExpiresAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if again != c {
			t.Fatalf("round trip changed %+v into %+v", c, again)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(specStatus))
	f.Add([]byte(`{"intersection_id":"I","ts":"2026-11-22T08:00:00Z","state":"normal"}`))
	f.Add([]byte(`{"intersection_id":"I","ts":"2026-11-22T08:00:00Z","state":"fault","green_phases":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStatus(b)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("refusal without a field: %v", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted an invalid status: %v", err)
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseStatus(out)
		if err != nil {
			t.Fatalf("own output %s refused: %v", out, err)
		}
		if !again.TS.Equal(s.TS) || again.State != s.State || again.RequestID != s.RequestID || len(again.GreenPhases) != len(s.GreenPhases) {
			t.Fatalf("round trip changed %+v into %+v", s, again)
		}
	})
}

// FuzzRoadside drives a unit with arbitrary operation sequences (five bytes
// each: time step, then the operation) and checks it never panics and never
// breaks an invariant (see driver.check and checker).
func FuzzRoadside(f *testing.F) {
	f.Add(uint8(0), []byte{0, 0, 1, 2, 3, 200, 5, 1, 1, 1, 100, 0, 2, 2, 2})
	f.Add(uint8(7), []byte{255, 8, 0, 0, 0, 10, 0, 3, 4, 5, 255, 7, 0, 0, 0})
	f.Add(uint8(13), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Fuzz(func(t *testing.T, config uint8, ops []byte) {
		plan, tm := propertyCase(int(config))
		d, err := newDriver(plan, tm, t0.Add(time.Duration(config)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+5 <= len(ops) && i < 5*500; i += 5 {
			// Steps up to ~64 s, in 1/4 s, so that instants coincide often.
			gap := time.Duration(ops[i]) * 250 * time.Millisecond
			if err := d.advance(d.now.Add(gap)); err != nil {
				t.Fatalf("op %d: %v", i/5, err)
			}
			if err := d.op(ops[i+1], ops[i+2], ops[i+3], ops[i+4]); err != nil {
				t.Fatalf("op %d: %v", i/5, err)
			}
		}
		if err := d.advance(d.now.Add(10 * time.Minute)); err != nil {
			t.Fatal(err)
		}
	})
}
