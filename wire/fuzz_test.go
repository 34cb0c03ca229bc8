package wire

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
		c, err := ParseCommand("", b)
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
		again, err := ParseCommand("", out)
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
		s, err := ParseStatus("", b)
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
		again, err := ParseStatus("", out)
		if err != nil {
			t.Fatalf("own output %s refused: %v", out, err)
		}
		if !again.TS.Equal(s.TS) || again.State != s.State || again.RequestID != s.RequestID || len(again.GreenPhases) != len(s.GreenPhases) {
			t.Fatalf("round trip changed %+v into %+v", s, again)
		}
	})
}
