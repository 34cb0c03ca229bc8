package signals

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Command types, the values of Command.Type (wire-protocol.md, "command").
const (
	CommandPreempt = "preempt"
	CommandRelease = "release"
)

// Roadside states, the values of Status.State (wire-protocol.md, "status").
const (
	StateNormal = "normal"
	StateEntry  = "entry"
	StateHold   = "hold"
	StateExit   = "exit"
	StateFault  = "fault"
)

// MaxPayloadBytes is the largest payload the wire protocol allows (64 KiB).
// Parsers refuse anything larger before decoding, so a hostile publisher
// cannot make a receiver spend memory on it.
const MaxPayloadBytes = 64 << 10

// Phase numbers run from MinPhase to MaxPhase. Sixteen is the phase count of
// NEMA TS2 / NTCIP 1202 controllers as deployed (the dual-ring eight plus the
// extra phases and overlaps that bigger intersections use); a larger number
// on the wire is far more likely a bug than a real intersection. The bound
// also lets a set of phases live in one uint16, which keeps the roadside
// state machine free of allocations.
const (
	MinPhase = 1
	MaxPhase = 16
)

// Priority bounds for Command.Priority: 1 is the highest (wire protocol).
// 255 leaves room for any ranking a city uses while still catching garbage.
const (
	HighestPriority = 1
	LowestPriority  = 255
)

// MaxEtaSeconds bounds Command.EtaS. Preempts are requested a minute or so
// ahead; an ETA an hour out is a unit error, not a plan.
const MaxEtaSeconds = 3600

// Command is a preempt or release sent by a controller to a roadside unit
// (topic greenwave/v1/signals/{intersection_id}/command).
type Command struct {
	Type           string    // CommandPreempt or CommandRelease
	RequestID      string    // one vehicle's passage through one intersection
	ControllerID   string    // the controller that issued it
	IntersectionID string    // equals the topic's {intersection_id}
	VehicleID      string    // preempt: required; release: optional
	Approach       string    // preempt: required; release: optional
	Phase          int       // preempt: MinPhase..MaxPhase; release: optional (0 = absent)
	Priority       int       // preempt: HighestPriority..LowestPriority; release: optional
	EtaS           float64   // preempt: seconds from IssuedAt to the stop line, >= 0
	IssuedAt       time.Time // required
	ExpiresAt      time.Time // preempt: required, after IssuedAt; release: ignored
}

// Status is what a roadside unit reports (topic
// greenwave/v1/signals/{intersection_id}/status, retained).
type Status struct {
	IntersectionID string
	TS             time.Time
	State          string // one of the State* constants
	GreenPhases    []int  // ascending; empty while nothing is green
	RequestID      string // the preempt being served; empty when none

	// GreenSince and GreenUntil are optional additions to protocol v1 (the
	// spec grows only by optional fields): when the phases now green became
	// green, and when the unit's own plan will end them (absent while a
	// preempt holds them, since the hold has no planned end). They are the
	// timing facts an SAE J2735 SPaT message carries, and they let the
	// controller ask for a preempt just early enough instead of at the
	// worst case. Zero means absent; receivers must cope without them.
	GreenSince time.Time
	GreenUntil time.Time
}

// FieldError reports a wire payload that was refused, naming the offending
// field by its JSON name so a device vendor can fix their side from the log
// line alone. Other packages reuse it for their own wire types.
type FieldError struct {
	Field  string // JSON name, e.g. "expires_at" or "green_phases[2]"; "payload" for the whole message
	Reason string
}

func (e *FieldError) Error() string {
	return "invalid " + e.Field + ": " + e.Reason
}

func fieldErr(field, reason string) error {
	return &FieldError{Field: field, Reason: reason}
}

// ValidID reports whether s is a wire identifier: ^[A-Za-z0-9._-]{1,64}$.
// Written as a byte loop because it runs on every message the controller
// and the MQTT edge receive.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// FormatTime renders t the way every greenwave payload carries times:
// RFC 3339 in UTC with as many fractional digits as needed, so a time
// survives a round trip through JSON exactly.
func FormatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// ParseTime parses an RFC 3339 time (fractional seconds allowed, any offset)
// and returns a *FieldError naming field when it is not one.
func ParseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fieldErr(field, "not an RFC 3339 time: "+strconv.Quote(truncate(s, 40)))
	}
	return t, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// DecodePayload unmarshals a wire payload into v after the checks every
// payload needs (size, UTF-8, a JSON object), translating encoding/json's
// errors into a *FieldError. Unknown fields are ignored, as the protocol
// requires. v should use pointer fields so that the caller can tell a
// missing field from a zero value.
func DecodePayload(b []byte, v any) error {
	if len(b) > MaxPayloadBytes {
		return fieldErr("payload", "larger than "+strconv.Itoa(MaxPayloadBytes)+" bytes")
	}
	if !utf8.Valid(b) {
		return fieldErr("payload", "not valid UTF-8")
	}
	if err := json.Unmarshal(b, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			if typeErr.Field == "" {
				return fieldErr("payload", "must be a JSON object, got JSON "+typeErr.Value)
			}
			return fieldErr(typeErr.Field, "wrong type: got JSON "+typeErr.Value+", want "+typeErr.Type.String())
		}
		return fieldErr("payload", "not a JSON object: "+err.Error())
	}
	return nil
}

// commandWire is Command as it travels: pointers tell a missing field from
// a zero one when parsing, and leave absent optional fields out when
// marshalling. Times are strings so that a bad one is reported by field.
type commandWire struct {
	Type           *string  `json:"type,omitempty"`
	RequestID      *string  `json:"request_id,omitempty"`
	ControllerID   *string  `json:"controller_id,omitempty"`
	IntersectionID *string  `json:"intersection_id,omitempty"`
	VehicleID      *string  `json:"vehicle_id,omitempty"`
	Approach       *string  `json:"approach,omitempty"`
	Phase          *int     `json:"phase,omitempty"`
	Priority       *int     `json:"priority,omitempty"`
	EtaS           *float64 `json:"eta_s,omitempty"`
	IssuedAt       *string  `json:"issued_at,omitempty"`
	ExpiresAt      *string  `json:"expires_at,omitempty"`
}

// MarshalJSON writes the wire form: every preempt field; for a release
// only the fields it carries (optional ones when set).
func (c Command) MarshalJSON() ([]byte, error) {
	issued := FormatTime(c.IssuedAt)
	w := commandWire{
		Type:           &c.Type,
		RequestID:      &c.RequestID,
		ControllerID:   &c.ControllerID,
		IntersectionID: &c.IntersectionID,
		IssuedAt:       &issued,
	}
	preempt := c.Type != CommandRelease
	if preempt || c.VehicleID != "" {
		w.VehicleID = &c.VehicleID
	}
	if preempt || c.Approach != "" {
		w.Approach = &c.Approach
	}
	if preempt || c.Phase != 0 {
		w.Phase = &c.Phase
	}
	if preempt || c.Priority != 0 {
		w.Priority = &c.Priority
	}
	if preempt {
		w.EtaS = &c.EtaS
		expires := FormatTime(c.ExpiresAt)
		w.ExpiresAt = &expires
	}
	return json.Marshal(w)
}

// UnmarshalJSON parses and validates, like ParseCommand (without the size check).
func (c *Command) UnmarshalJSON(b []byte) error {
	parsed, err := parseCommand(b)
	if err != nil {
		return err
	}
	*c = parsed
	return nil
}

// ParseCommand decodes and validates a command payload. A refused payload
// yields a *FieldError naming the field.
func ParseCommand(b []byte) (Command, error) {
	if len(b) > MaxPayloadBytes {
		return Command{}, fieldErr("payload", "larger than "+strconv.Itoa(MaxPayloadBytes)+" bytes")
	}
	return parseCommand(b)
}

func parseCommand(b []byte) (Command, error) {
	var w commandWire
	if err := DecodePayload(b, &w); err != nil {
		return Command{}, err
	}
	var c Command
	var err error
	if w.Type == nil {
		return Command{}, fieldErr("type", "required")
	}
	c.Type = *w.Type
	if c.Type != CommandPreempt && c.Type != CommandRelease {
		return Command{}, Command{Type: c.Type}.Validate()
	}
	preempt := c.Type == CommandPreempt
	str := func(field string, p *string, required bool) string {
		if p == nil {
			if required && err == nil {
				err = fieldErr(field, "required")
			}
			return ""
		}
		return *p
	}
	num := func(field string, p *int, required bool) int {
		if p == nil {
			if required && err == nil {
				err = fieldErr(field, "required")
			}
			return 0
		}
		return *p
	}
	c.RequestID = str("request_id", w.RequestID, true)
	c.ControllerID = str("controller_id", w.ControllerID, true)
	c.IntersectionID = str("intersection_id", w.IntersectionID, true)
	c.VehicleID = str("vehicle_id", w.VehicleID, preempt)
	c.Approach = str("approach", w.Approach, preempt)
	c.Phase = num("phase", w.Phase, preempt)
	c.Priority = num("priority", w.Priority, preempt)
	if w.EtaS != nil {
		c.EtaS = *w.EtaS
	} else if preempt && err == nil {
		err = fieldErr("eta_s", "required")
	}
	if w.IssuedAt == nil {
		if err == nil {
			err = fieldErr("issued_at", "required")
		}
	} else if err == nil {
		c.IssuedAt, err = ParseTime("issued_at", *w.IssuedAt)
	}
	if w.ExpiresAt == nil {
		if preempt && err == nil {
			err = fieldErr("expires_at", "required")
		}
	} else if err == nil && preempt {
		c.ExpiresAt, err = ParseTime("expires_at", *w.ExpiresAt)
	}
	if err != nil {
		return Command{}, err
	}
	if err := c.Validate(); err != nil {
		return Command{}, err
	}
	return c, nil
}

// Validate checks c against the wire protocol; the error is a *FieldError.
// The roadside state machine calls it too, so a Command built in Go (the
// simulator's path) gets the same checks as one that came over MQTT.
func (c Command) Validate() error {
	if c.Type != CommandPreempt && c.Type != CommandRelease {
		return fieldErr("type", "must be \"preempt\" or \"release\", got "+strconv.Quote(truncate(c.Type, 40)))
	}
	if err := checkID("request_id", c.RequestID, true); err != nil {
		return err
	}
	if err := checkID("controller_id", c.ControllerID, true); err != nil {
		return err
	}
	if err := checkID("intersection_id", c.IntersectionID, true); err != nil {
		return err
	}
	preempt := c.Type == CommandPreempt
	if err := checkID("vehicle_id", c.VehicleID, preempt); err != nil {
		return err
	}
	if err := checkID("approach", c.Approach, preempt); err != nil {
		return err
	}
	if preempt || c.Phase != 0 {
		if c.Phase < MinPhase || c.Phase > MaxPhase {
			return fieldErr("phase", "must be in "+strconv.Itoa(MinPhase)+".."+strconv.Itoa(MaxPhase)+", got "+strconv.Itoa(c.Phase))
		}
	}
	if preempt || c.Priority != 0 {
		if c.Priority < HighestPriority || c.Priority > LowestPriority {
			return fieldErr("priority", "must be in "+strconv.Itoa(HighestPriority)+".."+strconv.Itoa(LowestPriority)+", got "+strconv.Itoa(c.Priority))
		}
	}
	if math.IsNaN(c.EtaS) || math.IsInf(c.EtaS, 0) || c.EtaS < 0 || c.EtaS > MaxEtaSeconds {
		return fieldErr("eta_s", "must be a finite number in 0.."+strconv.Itoa(MaxEtaSeconds)+", got "+strconv.FormatFloat(c.EtaS, 'g', -1, 64))
	}
	if c.IssuedAt.IsZero() {
		return fieldErr("issued_at", "required")
	}
	if preempt {
		if c.ExpiresAt.IsZero() {
			return fieldErr("expires_at", "required")
		}
		if !c.ExpiresAt.After(c.IssuedAt) {
			return fieldErr("expires_at", "must be after issued_at")
		}
	}
	return nil
}

func checkID(field, s string, required bool) error {
	if s == "" {
		if required {
			return fieldErr(field, "required")
		}
		return nil
	}
	if !ValidID(s) {
		return fieldErr(field, "must match ^[A-Za-z0-9._-]{1,64}$, got "+strconv.Quote(truncate(s, 70)))
	}
	return nil
}

// statusWire is Status as it travels; see commandWire.
type statusWire struct {
	IntersectionID *string `json:"intersection_id,omitempty"`
	TS             *string `json:"ts,omitempty"`
	State          *string `json:"state,omitempty"`
	GreenPhases    []int   `json:"green_phases"`
	RequestID      *string `json:"request_id,omitempty"`
	GreenSince     *string `json:"green_since,omitempty"`
	GreenUntil     *string `json:"green_until,omitempty"`
}

// MarshalJSON writes the wire form; green_phases is always an array (never
// null) and request_id is left out when no preempt is served.
func (s Status) MarshalJSON() ([]byte, error) {
	ts := FormatTime(s.TS)
	w := statusWire{
		IntersectionID: &s.IntersectionID,
		TS:             &ts,
		State:          &s.State,
		GreenPhases:    s.GreenPhases,
	}
	if w.GreenPhases == nil {
		w.GreenPhases = []int{}
	}
	if s.RequestID != "" {
		w.RequestID = &s.RequestID
	}
	if !s.GreenSince.IsZero() {
		since := FormatTime(s.GreenSince)
		w.GreenSince = &since
	}
	if !s.GreenUntil.IsZero() {
		until := FormatTime(s.GreenUntil)
		w.GreenUntil = &until
	}
	return json.Marshal(w)
}

// UnmarshalJSON parses and validates, like ParseStatus (without the size check).
func (s *Status) UnmarshalJSON(b []byte) error {
	parsed, err := parseStatus(b)
	if err != nil {
		return err
	}
	*s = parsed
	return nil
}

// ParseStatus decodes and validates a status payload. green_phases may be
// absent (nothing green); request_id may be absent (no preempt served).
func ParseStatus(b []byte) (Status, error) {
	if len(b) > MaxPayloadBytes {
		return Status{}, fieldErr("payload", "larger than "+strconv.Itoa(MaxPayloadBytes)+" bytes")
	}
	return parseStatus(b)
}

func parseStatus(b []byte) (Status, error) {
	var w statusWire
	if err := DecodePayload(b, &w); err != nil {
		return Status{}, err
	}
	var s Status
	if w.IntersectionID == nil {
		return Status{}, fieldErr("intersection_id", "required")
	}
	s.IntersectionID = *w.IntersectionID
	if w.TS == nil {
		return Status{}, fieldErr("ts", "required")
	}
	ts, err := ParseTime("ts", *w.TS)
	if err != nil {
		return Status{}, err
	}
	s.TS = ts
	if w.State == nil {
		return Status{}, fieldErr("state", "required")
	}
	s.State = *w.State
	s.GreenPhases = w.GreenPhases
	if w.RequestID != nil {
		if *w.RequestID == "" {
			return Status{}, fieldErr("request_id", "must be absent or an identifier, got \"\"")
		}
		s.RequestID = *w.RequestID
	}
	if w.GreenSince != nil {
		if s.GreenSince, err = ParseTime("green_since", *w.GreenSince); err != nil {
			return Status{}, err
		}
	}
	if w.GreenUntil != nil {
		if s.GreenUntil, err = ParseTime("green_until", *w.GreenUntil); err != nil {
			return Status{}, err
		}
	}
	if err := s.Validate(); err != nil {
		return Status{}, err
	}
	return s, nil
}

// Validate checks s against the wire protocol; the error is a *FieldError.
func (s Status) Validate() error {
	if err := checkID("intersection_id", s.IntersectionID, true); err != nil {
		return err
	}
	if s.TS.IsZero() {
		return fieldErr("ts", "required")
	}
	switch s.State {
	case StateNormal, StateEntry, StateHold, StateExit, StateFault:
	default:
		return fieldErr("state", "must be one of normal, entry, hold, exit, fault; got "+strconv.Quote(truncate(s.State, 40)))
	}
	var seen uint32
	for i, p := range s.GreenPhases {
		field := "green_phases[" + strconv.Itoa(i) + "]"
		if p < MinPhase || p > MaxPhase {
			return fieldErr(field, "must be in "+strconv.Itoa(MinPhase)+".."+strconv.Itoa(MaxPhase)+", got "+strconv.Itoa(p))
		}
		if seen&(1<<p) != 0 {
			return fieldErr(field, "phase "+strconv.Itoa(p)+" listed twice")
		}
		seen |= 1 << p
	}
	if len(s.GreenPhases) == 0 && !(s.GreenSince.IsZero() && s.GreenUntil.IsZero()) {
		return fieldErr("green_since", "green_since and green_until describe the green phases, and none is green")
	}
	if !s.GreenSince.IsZero() && !s.GreenUntil.IsZero() && s.GreenUntil.Before(s.GreenSince) {
		return fieldErr("green_until", "must not be before green_since")
	}
	return checkID("request_id", s.RequestID, false)
}
