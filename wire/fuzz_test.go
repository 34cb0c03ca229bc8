package wire

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// payload is what every wire type offers a round trip.
type payload interface{ Validate() error }

// checkRoundTrip is every wire fuzzer's property: a refusal is a
// *FieldError naming a field; whatever is accepted validates, carries the
// topic's id, marshals, and parses back to the same value (by same). A
// route clearance, which is the empty payload and has no JSON form, stops
// after validation.
func checkRoundTrip[T payload](t *testing.T, topic string, b []byte, parse func(string, []byte) (T, error), id func(T) string, same func(a, b T) bool) {
	v, err := parse(topic, b)
	if err != nil {
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field == "" {
			t.Fatalf("refusal without a field: %v", err)
		}
		return
	}
	if err := v.Validate(); err != nil {
		t.Fatalf("accepted a payload that does not validate: %v", err)
	}
	if topic != "" && id(v) != topic {
		t.Fatalf("accepted id %q on the topic of %q", id(v), topic)
	}
	if r, ok := any(v).(Route); ok && r.IsClear() {
		if len(b) != 0 {
			t.Fatalf("non-empty payload parsed as a clearance: %q", b)
		}
		return
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("cannot marshal an accepted payload: %v", err)
	}
	again, err := parse(topic, out)
	if err != nil {
		t.Fatalf("own output %s refused: %v", out, err)
	}
	if !same(v, again) {
		t.Fatalf("round trip changed %+v into %+v", v, again)
	}
}

func FuzzParseCommand(f *testing.F) {
	f.Add("", []byte(specCommand))
	f.Add("I-204", []byte(specRelease))
	f.Add("I-9", []byte(specRelease))
	f.Add("", []byte(`{"type":"preempt","phase":1e400}`))
	f.Add("", []byte(`{"type":"release","request_id":"a","controller_id":"c","intersection_id":"i","issued_at":"2026-11-22T08:00:00+14:00","phase":16}`))
	f.Add("", []byte(`null`))
	f.Fuzz(func(t *testing.T, topic string, b []byte) {
		checkRoundTrip(t, topic, b, ParseCommand, func(c Command) string { return c.IntersectionID }, func(a, b Command) bool {
			times := a.IssuedAt.Equal(b.IssuedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
			a.IssuedAt, a.ExpiresAt, b.IssuedAt, b.ExpiresAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			return times && a == b
		})
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add("", []byte(specStatus))
	f.Add("I", []byte(`{"intersection_id":"I","ts":"2026-11-22T08:00:00Z","state":"normal"}`))
	f.Add("", []byte(`{"intersection_id":"I","ts":"2026-11-22T08:00:00Z","state":"fault","green_phases":null}`))
	f.Add("I", []byte(`{"intersection_id":"I","ts":"2026-11-22T08:00:00Z","state":"fault","offline":true}`))
	f.Fuzz(func(t *testing.T, topic string, b []byte) {
		checkRoundTrip(t, topic, b, ParseStatus, func(s Status) string { return s.IntersectionID }, func(a, b Status) bool {
			return a.TS.Equal(b.TS) && a.State == b.State && a.RequestID == b.RequestID && len(a.GreenPhases) == len(b.GreenPhases) &&
				a.GreenSince.Equal(b.GreenSince) && a.GreenUntil.Equal(b.GreenUntil) && a.Offline == b.Offline
		})
	})
}

func FuzzParsePosition(f *testing.F) {
	f.Add("amb-17", []byte(specPosition))
	f.Add("a", []byte(`{"vehicle_id":"a","seq":0,"ts":"2026-11-22T08:15:30Z","lat":0,"lon":0,"emergency":false}`))
	f.Add("a", []byte(`{"vehicle_id":"a","seq":18446744073709551615,"ts":"2026-11-22T08:15:30+14:00","lat":-90,"lon":180,"emergency":true,"heading_deg":359.999}`))
	f.Add("", []byte(`null`))
	f.Fuzz(func(t *testing.T, topic string, b []byte) {
		checkRoundTrip(t, topic, b, ParsePosition, func(p Position) string { return p.VehicleID }, func(p, q Position) bool {
			return q.Seq == p.Seq && q.Lat == p.Lat && q.Lon == p.Lon && q.TS.Equal(p.TS) && q.Emergency == p.Emergency
		})
	})
}

func FuzzParseRoute(f *testing.F) {
	f.Add("amb-17", []byte(`{"vehicle_id":"amb-17","route_id":"r-9","ts":"2026-11-22T08:15:00Z","path":[[120.1551,30.2741],[120.1602,30.2745]]}`))
	f.Add("amb-17", []byte(`{"vehicle_id":"amb-17","ts":"2026-11-22T08:15:00Z","destination":[120.1688,30.2812]}`))
	f.Add("amb-17", []byte{})
	f.Add("", []byte(`{"vehicle_id":"x","ts":"2026-11-22T08:15:00Z","path":[[1,2],[3]]}`))
	f.Fuzz(func(t *testing.T, topic string, b []byte) {
		checkRoundTrip(t, topic, b, ParseRoute, func(r Route) string { return r.VehicleID }, func(r, back Route) bool {
			return len(back.Path) == len(r.Path) && (back.Destination == nil) == (r.Destination == nil)
		})
	})
}

func FuzzParseControllerStatus(f *testing.F) {
	f.Add("cc-1", []byte(`{"controller_id":"cc-1","state":"offline","ts":"2026-11-22T08:15:00Z"}`))
	f.Add("cc-1", []byte(`{"controller_id":"cc-2","state":"online"}`))
	f.Fuzz(func(t *testing.T, topic string, b []byte) {
		_, err := ParseControllerStatus(topic, b)
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field == "") {
			t.Fatalf("refusal without a field: %v", err)
		}
	})
}
