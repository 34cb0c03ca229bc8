package wire

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const specPosition = `{"vehicle_id":"amb-17","seq":1042,"ts":"2026-11-22T08:15:30.250Z",
 "lat":30.27410,"lon":120.15510,"speed_mps":13.9,"heading_deg":87.5,
 "accuracy_m":5.0,"emergency":true}`

func TestParsePositionSpecExample(t *testing.T) {
	p, err := ParsePosition("amb-17", []byte(specPosition))
	require.NoError(t, err)
	assert.Equal(t, "amb-17", p.VehicleID)
	assert.Equal(t, uint64(1042), p.Seq)
	assert.True(t, p.TS.Equal(time.Date(2026, 11, 22, 8, 15, 30, 250e6, time.UTC)))
	assert.Equal(t, 30.27410, p.Lat)
	assert.Equal(t, 120.15510, p.Lon)
	require.NotNil(t, p.SpeedMps)
	assert.Equal(t, 13.9, *p.SpeedMps)
	require.NotNil(t, p.HeadingDeg)
	assert.Equal(t, 87.5, *p.HeadingDeg)
	require.NotNil(t, p.AccuracyM)
	assert.Equal(t, 5.0, *p.AccuracyM)
	assert.True(t, p.Emergency)
}

func TestParsePositionOptionalFieldsAbsentAreNotZero(t *testing.T) {
	p, err := ParsePosition("a", []byte(`{"vehicle_id":"a","seq":0,"ts":"2026-11-22T08:15:30Z","lat":0,"lon":0,"emergency":false,"extra":{"x":1}}`))
	require.NoError(t, err)
	assert.Nil(t, p.SpeedMps)
	assert.Nil(t, p.HeadingDeg)
	assert.Nil(t, p.AccuracyM)

	p, err = ParsePosition("a", []byte(`{"vehicle_id":"a","seq":1,"ts":"2026-11-22T08:15:30Z","lat":0,"lon":0,"emergency":false,"speed_mps":0,"heading_deg":0,"accuracy_m":0}`))
	require.NoError(t, err)
	require.NotNil(t, p.SpeedMps)
	require.NotNil(t, p.HeadingDeg)
	require.NotNil(t, p.AccuracyM)
	assert.Zero(t, *p.SpeedMps)
	assert.Zero(t, *p.HeadingDeg)
}

func TestParsePositionRefusals(t *testing.T) {
	base := map[string]any{"vehicle_id": "amb-17", "seq": 5, "ts": "2026-11-22T08:15:30Z",
		"lat": 49.6, "lon": 6.1, "emergency": true}
	with := func(k string, v any) []byte {
		m := map[string]any{}
		for kk, vv := range base {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	cases := []struct {
		name  string
		topic string
		body  []byte
		field string
	}{
		{"missing vehicle_id", "amb-17", with("vehicle_id", nil), "vehicle_id"},
		{"missing seq", "amb-17", with("seq", nil), "seq"},
		{"missing ts", "amb-17", with("ts", nil), "ts"},
		{"missing lat", "amb-17", with("lat", nil), "lat"},
		{"missing lon", "amb-17", with("lon", nil), "lon"},
		{"missing emergency", "amb-17", with("emergency", nil), "emergency"},
		{"negative seq", "amb-17", with("seq", -1), "seq"},
		{"fractional seq", "amb-17", with("seq", 1.5), "seq"},
		{"string seq", "amb-17", with("seq", "7"), "seq"},
		{"bad ts", "amb-17", with("ts", "yesterday"), "ts"},
		{"ts without zone", "amb-17", with("ts", "2026-11-22T08:15:30"), "ts"},
		{"lat too big", "amb-17", with("lat", 90.5), "lat"},
		{"lon too small", "amb-17", with("lon", -180.5), "lon"},
		{"negative speed", "amb-17", with("speed_mps", -0.1), "speed_mps"},
		{"absurd speed", "amb-17", with("speed_mps", 1000), "speed_mps"},
		{"heading 360", "amb-17", with("heading_deg", 360), "heading_deg"},
		{"negative heading", "amb-17", with("heading_deg", -1), "heading_deg"},
		{"negative accuracy", "amb-17", with("accuracy_m", -2), "accuracy_m"},
		{"emergency not bool", "amb-17", with("emergency", "yes"), "emergency"},
		{"bad vehicle id", "", with("vehicle_id", "amb 17"), "vehicle_id"},
		{"topic mismatch", "amb-18", with("vehicle_id", "amb-17"), "vehicle_id"},
		{"not an object", "amb-17", []byte(`[1,2]`), "payload"},
		{"not json", "amb-17", []byte(`{"vehicle_id":`), "payload"},
		{"empty", "amb-17", nil, "payload"},
		{"too large", "amb-17", append(with("lat", 1), []byte(strings.Repeat(" ", MaxPayloadBytes))...), "payload"},
		{"bad utf8", "amb-17", []byte("{\"vehicle_id\":\"\xff\"}"), "payload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePosition(c.topic, c.body)
			require.Error(t, err)
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "error %v is not a FieldError", err)
			assert.Equal(t, c.field, fe.Field, "error: %v", err)
		})
	}
}

func TestPositionValidateCatchesNonFiniteNumbers(t *testing.T) {
	ok := Position{VehicleID: "v", Seq: 1, TS: time.Unix(1, 0), Lat: 49.6, Lon: 6.1}
	require.NoError(t, ok.Validate())
	for field, p := range map[string]Position{
		"lat":         {VehicleID: "v", TS: ok.TS, Lat: math.NaN(), Lon: 6.1},
		"lon":         {VehicleID: "v", TS: ok.TS, Lat: 49.6, Lon: math.Inf(1)},
		"speed_mps":   {VehicleID: "v", TS: ok.TS, Lat: 49.6, Lon: 6.1, SpeedMps: new(math.NaN())},
		"heading_deg": {VehicleID: "v", TS: ok.TS, Lat: 49.6, Lon: 6.1, HeadingDeg: new(math.NaN())},
		"accuracy_m":  {VehicleID: "v", TS: ok.TS, Lat: 49.6, Lon: 6.1, AccuracyM: new(math.Inf(1))},
		"ts":          {VehicleID: "v", Lat: 49.6, Lon: 6.1},
		"vehicle_id":  {TS: ok.TS, Lat: 49.6, Lon: 6.1},
	} {
		err := p.Validate()
		var fe *FieldError
		require.True(t, errors.As(err, &fe), "%s: %v", field, err)
		assert.Equal(t, field, fe.Field)
	}
}

func TestPositionRoundTrip(t *testing.T) {
	p, err := ParsePosition("amb-17", []byte(specPosition))
	require.NoError(t, err)
	b, err := json.Marshal(p)
	require.NoError(t, err)
	q, err := ParsePosition("amb-17", b)
	require.NoError(t, err)
	assert.Equal(t, p, q)
	// Absent optional fields stay absent.
	p.SpeedMps, p.HeadingDeg, p.AccuracyM = nil, nil, nil
	b, err = json.Marshal(p)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "speed_mps")
	q, err = ParsePosition("amb-17", b)
	require.NoError(t, err)
	assert.Nil(t, q.SpeedMps)
}

func TestParseRouteSpecExamples(t *testing.T) {
	r, err := ParseRoute("amb-17", []byte(`{"vehicle_id":"amb-17","route_id":"r-9","ts":"2026-11-22T08:15:00Z",
 "path":[[120.1551,30.2741],[120.1602,30.2745],[120.1610,30.2790]]}`))
	require.NoError(t, err)
	assert.Equal(t, "r-9", r.RouteID)
	assert.Equal(t, []orb.Point{{120.1551, 30.2741}, {120.1602, 30.2745}, {120.1610, 30.2790}}, r.Path)
	assert.Nil(t, r.Destination)
	assert.False(t, r.IsClear())

	r, err = ParseRoute("amb-17", []byte(`{"vehicle_id":"amb-17","route_id":"r-10","ts":"2026-11-22T08:15:00Z",
 "destination":[120.1688,30.2812]}`))
	require.NoError(t, err)
	require.NotNil(t, r.Destination)
	assert.Equal(t, orb.Point{120.1688, 30.2812}, *r.Destination)
	assert.Nil(t, r.Path)

	b, err := json.Marshal(r)
	require.NoError(t, err)
	back, err := ParseRoute("amb-17", b)
	require.NoError(t, err)
	assert.Equal(t, r, back)
}

func TestParseRouteEmptyPayloadClears(t *testing.T) {
	r, err := ParseRoute("amb-17", nil)
	require.NoError(t, err)
	assert.True(t, r.IsClear())
	assert.Equal(t, "amb-17", r.VehicleID)
	require.NoError(t, r.Validate())
	_, err = json.Marshal(r)
	assert.Error(t, err, "a clear route is published as zero bytes, not JSON")

	_, err = ParseRoute("", nil)
	assert.Error(t, err, "a clearance needs the topic's vehicle id")
}

func TestParseRouteRefusals(t *testing.T) {
	cases := []struct{ name, topic, body, field string }{
		{"both", "a", `{"vehicle_id":"a","ts":"2026-11-22T08:15:00Z","path":[[6.1,49.6],[6.2,49.6]],"destination":[6.1,49.6]}`, "path"},
		{"neither", "a", `{"vehicle_id":"a","ts":"2026-11-22T08:15:00Z"}`, "path"},
		{"one point", "a", `{"vehicle_id":"a","ts":"2026-11-22T08:15:00Z","path":[[6.1,49.6]]}`, "path"},
		{"empty path", "a", `{"vehicle_id":"a","ts":"2026-11-22T08:15:00Z","path":[]}`, "path"},
		{"three numbers", "a", `{"vehicle_id":"a","ts":"2026-11-22T08:15:00Z","path":[[6.1,49.6],[6.2,49.6,3]]}`, "path[1]"},
		{"lat out of range", "a", `{"vehicle_id":"a","ts":"2026-11-22T08:15:00Z","path":[[6.1,49.6],[6.2,99]]}`, "path[1]"},
		{"destination one number", "a", `{"vehicle_id":"a","ts":"2026-11-22T08:15:00Z","destination":[6.1]}`, "destination"},
		{"destination out of range", "a", `{"vehicle_id":"a","ts":"2026-11-22T08:15:00Z","destination":[200,49]}`, "destination"},
		{"no ts", "a", `{"vehicle_id":"a","destination":[6.1,49.6]}`, "ts"},
		{"no vehicle", "a", `{"ts":"2026-11-22T08:15:00Z","destination":[6.1,49.6]}`, "vehicle_id"},
		{"mismatch", "b", `{"vehicle_id":"a","ts":"2026-11-22T08:15:00Z","destination":[6.1,49.6]}`, "vehicle_id"},
		{"bad route id", "a", `{"vehicle_id":"a","route_id":"r 1","ts":"2026-11-22T08:15:00Z","destination":[6.1,49.6]}`, "route_id"},
		{"path not array", "a", `{"vehicle_id":"a","ts":"2026-11-22T08:15:00Z","path":"x"}`, "path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseRoute(c.topic, []byte(c.body))
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "error %v is not a FieldError", err)
			assert.Equal(t, c.field, fe.Field, "error: %v", err)
		})
	}
}

func TestAdvisoryAndControllerStatusJSON(t *testing.T) {
	ts := time.Date(2026, 11, 22, 9, 15, 31, 10e6, time.FixedZone("CET", 3600))
	a := Advisory{VehicleID: "amb-17", TS: ts, RouteID: "r-9", Signals: []AdvisorySignal{
		{IntersectionID: "I-204", EtaS: 11.5, DistanceM: 160, State: SignalGranted}}}
	b, err := json.Marshal(a)
	require.NoError(t, err)
	assert.JSONEq(t, `{"vehicle_id":"amb-17","ts":"2026-11-22T08:15:31.01Z","route_id":"r-9",
		"signals":[{"intersection_id":"I-204","eta_s":11.5,"distance_m":160,"state":"granted"}]}`, string(b))

	b, err = json.Marshal(Advisory{VehicleID: "v", TS: ts})
	require.NoError(t, err)
	assert.JSONEq(t, `{"vehicle_id":"v","ts":"2026-11-22T08:15:31.01Z","signals":[]}`, string(b))

	b, err = json.Marshal(ControllerStatus{ControllerID: "cc-1", State: ControllerOffline, TS: ts})
	require.NoError(t, err)
	assert.JSONEq(t, `{"controller_id":"cc-1","state":"offline","ts":"2026-11-22T08:15:31.01Z"}`, string(b))
}

func TestParseControllerStatus(t *testing.T) {
	st, err := ParseControllerStatus("cc-1", []byte(`{"controller_id":"cc-1","state":"offline","ts":"2026-11-22T08:15:00Z"}`))
	require.NoError(t, err)
	assert.Equal(t, ControllerStatus{ControllerID: "cc-1", State: ControllerOffline, TS: time.Date(2026, 11, 22, 8, 15, 0, 0, time.UTC)}, st)

	st, err = ParseControllerStatus("cc-1", []byte(`{"controller_id":"cc-1","state":"online"}`))
	require.NoError(t, err, "a presence message without ts is still honoured")
	assert.Equal(t, ControllerOnline, st.State)

	for payload, field := range map[string]string{
		`{"state":"online"}`:                                          "controller_id",
		`{"controller_id":"cc-2","state":"online"}`:                   "controller_id",
		`{"controller_id":"cc-1"}`:                                    "state",
		`{"controller_id":"cc-1","state":"asleep"}`:                   "state",
		`{"controller_id":"cc-1","state":"online","ts":"yesterday"}`:  "ts",
		`{"controller_id":"cc-1","state":"online","ts":"2026-11-22"}`: "ts",
		`{"controller_id":1,"state":"online"}`:                        "controller_id",
	} {
		_, err := ParseControllerStatus("cc-1", []byte(payload))
		var fe *FieldError
		require.ErrorAs(t, err, &fe, payload)
		assert.Equal(t, field, fe.Field, payload)
	}
}
