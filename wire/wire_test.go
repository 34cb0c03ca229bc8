package wire

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

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
