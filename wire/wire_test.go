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

// The examples of wire-protocol.md, verbatim.
const (
	specCommand = `{"type":"preempt","request_id":"amb-17.I-204.3","controller_id":"cc-1",
 "intersection_id":"I-204","vehicle_id":"amb-17","approach":"EB","phase":2,
 "priority":1,"eta_s":11.5,"issued_at":"2026-11-22T08:15:31.010Z",
 "expires_at":"2026-11-22T08:15:56.010Z"}`
	specStatus = `{"intersection_id":"I-204","ts":"2026-11-22T08:15:33.400Z","state":"hold",
 "green_phases":[2,6],"request_id":"amb-17.I-204.3"}`
)

func TestParseCommandSpecExample(t *testing.T) {
	c, err := ParseCommand("", []byte(specCommand))
	require.NoError(t, err)
	assert.Equal(t, Command{
		Type: CommandPreempt, RequestID: "amb-17.I-204.3", ControllerID: "cc-1",
		IntersectionID: "I-204", VehicleID: "amb-17", Approach: "EB", Phase: 2,
		Priority: 1, EtaS: 11.5,
		IssuedAt:  time.Date(2026, 11, 22, 8, 15, 31, 10e6, time.UTC),
		ExpiresAt: time.Date(2026, 11, 22, 8, 15, 56, 10e6, time.UTC),
	}, c)
}

func TestParseStatusSpecExample(t *testing.T) {
	s, err := ParseStatus("", []byte(specStatus))
	require.NoError(t, err)
	assert.Equal(t, Status{
		IntersectionID: "I-204", TS: time.Date(2026, 11, 22, 8, 15, 33, 400e6, time.UTC),
		State: StateHold, GreenPhases: []int{2, 6}, RequestID: "amb-17.I-204.3",
	}, s)
}

// edit returns the spec command with field set to raw JSON (or removed when raw is "").
func edit(t *testing.T, doc, field, raw string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(doc), &m))
	if raw == "" {
		delete(m, field)
	} else {
		m[field] = json.RawMessage(raw)
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

const specRelease = `{"type":"release","request_id":"amb-17.I-204.3","controller_id":"cc-1",
 "intersection_id":"I-204","issued_at":"2026-11-22T08:15:40Z"}`

func TestParseCommandErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		field string
		raw   string // "" removes the field
		want  string // the field the error must name
	}{
		{"missing type", specCommand, "type", "", "type"},
		{"unknown type", specCommand, "type", `"hold"`, "type"},
		{"type not a string", specCommand, "type", `1`, "type"},
		{"missing request_id", specCommand, "request_id", "", "request_id"},
		{"bad request_id", specCommand, "request_id", `"a b"`, "request_id"},
		{"empty request_id", specCommand, "request_id", `""`, "request_id"},
		{"long request_id", specCommand, "request_id", `"` + strings.Repeat("a", 65) + `"`, "request_id"},
		{"missing controller_id", specCommand, "controller_id", "", "controller_id"},
		{"bad controller_id", specCommand, "controller_id", `"cc/1"`, "controller_id"},
		{"missing intersection_id", specCommand, "intersection_id", "", "intersection_id"},
		{"intersection_id null", specCommand, "intersection_id", `null`, "intersection_id"},
		{"missing vehicle_id", specCommand, "vehicle_id", "", "vehicle_id"},
		{"bad vehicle_id", specCommand, "vehicle_id", `"amb#17"`, "vehicle_id"},
		{"missing approach", specCommand, "approach", "", "approach"},
		{"approach not a string", specCommand, "approach", `["EB"]`, "approach"},
		{"missing phase", specCommand, "phase", "", "phase"},
		{"phase zero", specCommand, "phase", `0`, "phase"},
		{"phase 17", specCommand, "phase", `17`, "phase"},
		{"phase fractional", specCommand, "phase", `2.5`, "phase"},
		{"phase string", specCommand, "phase", `"2"`, "phase"},
		{"phase huge", specCommand, "phase", `1e30`, "phase"},
		{"missing priority", specCommand, "priority", "", "priority"},
		{"priority zero", specCommand, "priority", `0`, "priority"},
		{"priority 256", specCommand, "priority", `256`, "priority"},
		{"missing eta_s", specCommand, "eta_s", "", "eta_s"},
		{"negative eta_s", specCommand, "eta_s", `-0.5`, "eta_s"},
		{"eta_s too far", specCommand, "eta_s", `3601`, "eta_s"},
		{"eta_s string", specCommand, "eta_s", `"11"`, "eta_s"},
		{"missing issued_at", specCommand, "issued_at", "", "issued_at"},
		{"issued_at not RFC 3339", specCommand, "issued_at", `"2026-11-22 08:15:31"`, "issued_at"},
		{"issued_at number", specCommand, "issued_at", `1763800000`, "issued_at"},
		{"missing expires_at", specCommand, "expires_at", "", "expires_at"},
		{"expires_at equals issued_at", specCommand, "expires_at", `"2026-11-22T08:15:31.010Z"`, "expires_at"},
		{"expires_at before issued_at", specCommand, "expires_at", `"2026-11-22T08:15:00Z"`, "expires_at"},
		{"expires_at garbage", specCommand, "expires_at", `"soon"`, "expires_at"},
		{"release missing request_id", specRelease, "request_id", "", "request_id"},
		{"release missing issued_at", specRelease, "issued_at", "", "issued_at"},
		{"release bad phase", specRelease, "phase", `99`, "phase"},
		{"release bad vehicle_id", specRelease, "vehicle_id", `"x y"`, "vehicle_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCommand("", edit(t, tt.doc, tt.field, tt.raw))
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.want, fe.Field, "error: %v", err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParsePayloadErrors(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"not JSON", []byte(`preempt please`)},
		{"array", []byte(`[1,2]`)},
		{"string", []byte(`"x"`)},
		{"truncated", []byte(specCommand[:40])},
		{"trailing garbage", []byte(specCommand + ` x`)},
		{"invalid UTF-8", []byte("{\"type\":\"pre\xffempt\"}")},
		{"oversize", []byte(`{"type":"preempt","pad":"` + strings.Repeat("x", MaxPayloadBytes) + `"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, parse := range []func([]byte) error{
				func(b []byte) error { _, err := ParseCommand("", b); return err },
				func(b []byte) error { _, err := ParseStatus("", b); return err },
			} {
				var fe *FieldError
				require.ErrorAs(t, parse(tt.payload), &fe)
				assert.Equal(t, "payload", fe.Field)
			}
		})
	}
}

func TestParseStatusErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name, field, raw, want string
	}{
		{"missing intersection_id", "intersection_id", "", "intersection_id"},
		{"bad intersection_id", "intersection_id", `"I 204"`, "intersection_id"},
		{"missing ts", "ts", "", "ts"},
		{"bad ts", "ts", `"yesterday"`, "ts"},
		{"missing state", "state", "", "state"},
		{"unknown state", "state", `"flash"`, "state"},
		{"state number", "state", `3`, "state"},
		{"phase out of range", "green_phases", `[2,17]`, "green_phases[1]"},
		{"phase zero", "green_phases", `[0]`, "green_phases[0]"},
		{"duplicate phase", "green_phases", `[2,6,2]`, "green_phases[2]"},
		{"phases not an array", "green_phases", `2`, "green_phases"},
		{"phase not a number", "green_phases", `["2"]`, "green_phases"},
		{"empty request_id", "request_id", `""`, "request_id"},
		{"bad request_id", "request_id", `"a b"`, "request_id"},
		{"offline not fault", "offline", `true`, "offline"},
		{"offline not a bool", "offline", `"yes"`, "offline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStatus("", edit(t, specStatus, tt.field, tt.raw))
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.want, fe.Field, "error: %v", err)
		})
	}
}

func TestParseIgnoresUnknownFields(t *testing.T) {
	c, err := ParseCommand("", edit(t, specCommand, "x_vendor", `{"nested":[1,2,{"a":null}]}`))
	require.NoError(t, err)
	assert.Equal(t, "amb-17.I-204.3", c.RequestID)
	s, err := ParseStatus("", edit(t, specStatus, "firmware", `"1.2.3"`))
	require.NoError(t, err)
	assert.Equal(t, StateHold, s.State)
}

func TestParseOptionalFields(t *testing.T) {
	rel, err := ParseCommand("", []byte(specRelease))
	require.NoError(t, err)
	assert.Equal(t, CommandRelease, rel.Type)
	assert.Zero(t, rel.Phase)
	assert.True(t, rel.ExpiresAt.IsZero(), "a release's expires_at is ignored")

	s, err := ParseStatus("", edit(t, string(edit(t, specStatus, "green_phases", "")), "request_id", ""))
	require.NoError(t, err)
	assert.Empty(t, s.GreenPhases)
	assert.Empty(t, s.RequestID)
}

func TestParseAcceptsOffsetsAndConvertsNothingElse(t *testing.T) {
	c, err := ParseCommand("", edit(t, specCommand, "issued_at", `"2026-11-22T09:15:31.010+01:00"`))
	require.NoError(t, err)
	assert.True(t, c.IssuedAt.Equal(time.Date(2026, 11, 22, 8, 15, 31, 10e6, time.UTC)))
}

func TestCommandRoundTrip(t *testing.T) {
	local := time.FixedZone("UTC+8", 8*3600)
	cmds := []Command{
		{
			Type: CommandPreempt, RequestID: "amb-17.I-204.3", ControllerID: "cc-1",
			IntersectionID: "I-204", VehicleID: "amb-17", Approach: "EB", Phase: 16,
			Priority: 255, EtaS: 0,
			IssuedAt:  time.Date(2026, 11, 22, 16, 15, 31, 123456789, local),
			ExpiresAt: time.Date(2026, 11, 22, 16, 15, 56, 0, local),
		},
		{
			Type: CommandRelease, RequestID: "r", ControllerID: "c", IntersectionID: "i",
			IssuedAt: time.Date(2026, 11, 22, 8, 0, 0, 1, time.UTC),
		},
		{
			Type: CommandRelease, RequestID: "r", ControllerID: "c", IntersectionID: "i",
			VehicleID: "v", Approach: "NB", Phase: 4, Priority: 2,
			IssuedAt: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC),
		},
	}
	for _, c := range cmds {
		b, err := json.Marshal(c)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "+08:00", "times travel in UTC")
		got, err := ParseCommand("", b)
		require.NoError(t, err, "%s", b)
		assert.True(t, got.IssuedAt.Equal(c.IssuedAt))
		assert.True(t, got.ExpiresAt.Equal(c.ExpiresAt))
		got.IssuedAt, got.ExpiresAt, c.IssuedAt, c.ExpiresAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		assert.Equal(t, c, got)

		var viaJSON Command
		require.NoError(t, json.Unmarshal(b, &viaJSON))
	}
	b, err := json.Marshal(cmds[1])
	require.NoError(t, err)
	assert.NotContains(t, string(b), "expires_at", "a release carries no expiry")
	assert.NotContains(t, string(b), "phase")
}

func TestStatusRoundTrip(t *testing.T) {
	for _, s := range []Status{
		{IntersectionID: "I-204", TS: time.Date(2026, 11, 22, 8, 15, 33, 400e6, time.UTC), State: StateHold, GreenPhases: []int{2, 6}, RequestID: "amb-17.I-204.3"},
		{IntersectionID: "I-9", TS: time.Date(2026, 11, 22, 8, 15, 33, 0, time.UTC), State: StateNormal},
		{IntersectionID: "I-9", TS: time.Date(2026, 11, 22, 8, 15, 33, 0, time.UTC), State: StateFault, Offline: true},
	} {
		b, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Contains(t, string(b), `"green_phases":[`, "never null")
		got, err := ParseStatus("", b)
		require.NoError(t, err)
		if s.GreenPhases == nil {
			s.GreenPhases = []int{}
		}
		assert.Equal(t, s, got)
	}
}

func TestUnmarshalJSONValidates(t *testing.T) {
	var c Command
	err := json.Unmarshal(edit(t, specCommand, "phase", `0`), &c)
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "phase", fe.Field)
	var s Status
	require.ErrorAs(t, json.Unmarshal(edit(t, specStatus, "state", `"on"`), &s), &fe)
	assert.Equal(t, "state", fe.Field)
}

func TestCommandValidateGoValues(t *testing.T) {
	base, err := ParseCommand("", []byte(specCommand))
	require.NoError(t, err)
	tests := []struct {
		name  string
		mod   func(*Command)
		field string
	}{
		{"NaN eta", func(c *Command) { c.EtaS = math.NaN() }, "eta_s"},
		{"Inf eta", func(c *Command) { c.EtaS = math.Inf(1) }, "eta_s"},
		{"zero issued_at", func(c *Command) { c.IssuedAt = time.Time{} }, "issued_at"},
		{"zero expires_at", func(c *Command) { c.ExpiresAt = time.Time{} }, "expires_at"},
		{"negative phase", func(c *Command) { c.Phase = -1 }, "phase"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.mod(&c)
			var fe *FieldError
			require.ErrorAs(t, c.Validate(), &fe)
			assert.Equal(t, tt.field, fe.Field)
		})
	}
	require.NoError(t, base.Validate())
}

func TestStatusValidateGoValues(t *testing.T) {
	ok := Status{IntersectionID: "I", TS: time.Unix(1, 0), State: StateNormal}
	require.NoError(t, ok.Validate())
	noTS := ok
	noTS.TS = time.Time{}
	var fe *FieldError
	require.ErrorAs(t, noTS.Validate(), &fe)
	assert.Equal(t, "ts", fe.Field)
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"amb-17", true},
		{"amb-17.I-204.3", true},
		{"A_z.0-9", true},
		{strings.Repeat("x", 64), true},
		{"", false},
		{strings.Repeat("x", 65), false},
		{"a b", false},
		{"a/b", false},
		{"a+b", false},
		{"é", false},
		{"a\x00", false},
		{"#", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ValidID(tt.id), "%q", tt.id)
	}
}

func TestFieldErrorIsUsableWithErrorsAs(t *testing.T) {
	var err error = &FieldError{Field: "seq", Reason: "must grow"}
	var fe *FieldError
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, "invalid seq: must grow", err.Error())
}

func TestFormatTime(t *testing.T) {
	local := time.FixedZone("X", -5*3600)
	assert.Equal(t, "2026-11-22T13:15:31.01Z", FormatTime(time.Date(2026, 11, 22, 8, 15, 31, 10e6, local)))
	got, err := ParseTime("ts", FormatTime(time.Date(2026, 11, 22, 8, 15, 31, 123456789, local)))
	require.NoError(t, err)
	assert.True(t, got.Equal(time.Date(2026, 11, 22, 8, 15, 31, 123456789, local)))
}

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
