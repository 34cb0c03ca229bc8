package wire

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// State is a roadside unit's mode, a status's "state".
type State uint8

// The roadside states (wire-protocol.md, "status"). The zero value is no
// state, which Validate refuses.
const (
	StateNormal State = iota + 1 // running its own plan
	StateEntry                   // clearing the conflicting phases safely
	StateHold                    // the requested phase is green
	StateExit                    // returning to its plan
	StateFault                   // refusing preemption: flash, manual control, failure
)

var stateNames = [...]string{StateNormal: "normal", StateEntry: "entry", StateHold: "hold", StateExit: "exit", StateFault: "fault"}

// String returns the state as it is written on the wire ("" when invalid).
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return ""
}

// MarshalText writes the wire name; an invalid state is an error.
func (s State) MarshalText() ([]byte, error) {
	if s.String() == "" {
		return nil, Invalid("state", "no such state "+strconv.Itoa(int(s)))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a wire name.
func (s *State) UnmarshalText(b []byte) error {
	st, ok := ParseState(string(b))
	if !ok {
		return Invalid("state", "must be one of normal, entry, hold, exit, fault; got "+Quote(string(b), 40))
	}
	*s = st
	return nil
}

// ParseState returns the state named s, or false.
func ParseState(s string) (State, bool) {
	for st, name := range stateNames {
		if name != "" && name == s {
			return State(st), true
		}
	}
	return 0, false
}

// MaxReasonLength bounds Status.Reason: a sentence for an operator, not a
// log.
const MaxReasonLength = 256

// Status is what a roadside unit reports (topic
// greenwave/v1/signals/{intersection_id}/status, retained).
type Status struct {
	IntersectionID string
	TS             time.Time
	State          State
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

	// Plan and InStep are optional additions too: the unit's coordinated
	// fixed-time plan, and whether its indications follow that plan now
	// (false while it preempts or transitions back after a preempt). Nil
	// Plan means not reported; InStep means nothing without a Plan.
	Plan   *SignalPlan
	InStep bool

	// Reason is an optional addition too: why the state is fault, or what
	// the unit (or the gateway in front of it) works around, in words for
	// an operator. Empty means not given.
	Reason string

	// Offline is an optional addition too: true in the status a
	// unit (or its gateway) registers as its MQTT Last Will, with state
	// fault, so that the broker publishes it, retained, when the unit's
	// connection dies. Its ts is when the will was registered (the
	// connection's start), which is before the last status the unit sent:
	// a receiver honours an offline status whatever its ts. One that
	// ignores the field sees fault, and serves no preempt there, which is
	// right too.
	Offline bool
}

// statusWire is Status as it travels; see commandWire.
type statusWire struct {
	IntersectionID *string     `json:"intersection_id,omitempty"`
	TS             *string     `json:"ts,omitempty"`
	State          *string     `json:"state,omitempty"`
	GreenPhases    []int       `json:"green_phases"`
	RequestID      *string     `json:"request_id,omitempty"`
	GreenSince     *string     `json:"green_since,omitempty"`
	GreenUntil     *string     `json:"green_until,omitempty"`
	Plan           *SignalPlan `json:"plan,omitempty"`
	InStep         *bool       `json:"in_step,omitempty"`
	Reason         *string     `json:"reason,omitempty"`
	Offline        *bool       `json:"offline,omitempty"`
}

// MarshalJSON writes the wire form; green_phases is always an array (never
// null) and request_id is left out when no preempt is served.
func (s Status) MarshalJSON() ([]byte, error) {
	state, err := s.State.MarshalText()
	if err != nil {
		return nil, err
	}
	stateName := string(state)
	ts := FormatTime(s.TS)
	w := statusWire{
		IntersectionID: &s.IntersectionID,
		TS:             &ts,
		State:          &stateName,
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
	if s.Plan != nil {
		w.Plan, w.InStep = s.Plan, &s.InStep
	}
	if s.Reason != "" {
		w.Reason = &s.Reason
	}
	if s.Offline {
		w.Offline = &s.Offline
	}
	return json.Marshal(w)
}

// UnmarshalJSON parses and validates, like ParseStatus.
func (s *Status) UnmarshalJSON(b []byte) error {
	parsed, err := ParseStatus("", b)
	if err != nil {
		return err
	}
	*s = parsed
	return nil
}

// ParseStatus decodes and validates a status payload received on the topic
// of intersection topicIntersectionID ("" skips that comparison).
// green_phases may be absent (nothing green); request_id may be absent (no
// preempt served).
func ParseStatus(topicIntersectionID string, b []byte) (Status, error) {
	var w statusWire
	if err := DecodePayload(b, &w); err != nil {
		return Status{}, err
	}
	if err := required(field{"intersection_id", w.IntersectionID != nil}, field{"ts", w.TS != nil}, field{"state", w.State != nil}); err != nil {
		return Status{}, err
	}
	s := Status{IntersectionID: *w.IntersectionID}
	ts, err := ParseTime("ts", *w.TS)
	if err != nil {
		return Status{}, err
	}
	s.TS = ts
	if err := s.State.UnmarshalText([]byte(*w.State)); err != nil {
		return Status{}, err
	}
	s.GreenPhases = w.GreenPhases
	if w.RequestID != nil {
		if *w.RequestID == "" {
			return Status{}, Invalid("request_id", "must be absent or an identifier, got \"\"")
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
	s.Plan = w.Plan
	if w.Reason != nil {
		s.Reason = *w.Reason
	}
	if w.Offline != nil {
		s.Offline = *w.Offline
	}
	if w.InStep != nil {
		if w.Plan == nil {
			return Status{}, Invalid("in_step", "describes a plan, and none is given")
		}
		s.InStep = *w.InStep
	}
	if err := s.Validate(); err != nil {
		return Status{}, err
	}
	if err := checkTopic("intersection_id", topicIntersectionID, s.IntersectionID); err != nil {
		return Status{}, err
	}
	return s, nil
}

// Validate checks s against the wire protocol; the error is a *FieldError.
func (s Status) Validate() error {
	if err := CheckID("intersection_id", s.IntersectionID, true); err != nil {
		return err
	}
	if s.TS.IsZero() {
		return Invalid("ts", "required")
	}
	if s.State.String() == "" {
		return Invalid("state", "must be one of normal, entry, hold, exit, fault; got state "+strconv.Itoa(int(s.State)))
	}
	var seen uint16
	for i, p := range s.GreenPhases {
		field := "green_phases[" + strconv.Itoa(i) + "]"
		if !ValidPhase(p) {
			return Invalid(field, "must be in "+strconv.Itoa(MinPhase)+".."+strconv.Itoa(MaxPhase)+", got "+strconv.Itoa(p))
		}
		if seen&PhaseBit(p) != 0 {
			return Invalid(field, "phase "+strconv.Itoa(p)+" listed twice")
		}
		seen |= PhaseBit(p)
	}
	if len(s.GreenPhases) == 0 && !(s.GreenSince.IsZero() && s.GreenUntil.IsZero()) {
		return Invalid("green_since", "green_since and green_until describe the green phases, and none is green")
	}
	if !s.GreenSince.IsZero() && !s.GreenUntil.IsZero() && s.GreenUntil.Before(s.GreenSince) {
		return Invalid("green_until", "must not be before green_since")
	}
	if s.Plan != nil {
		if err := s.Plan.Validate("plan"); err != nil {
			return err
		}
	}
	if s.Offline && s.State != StateFault {
		return Invalid("offline", "an offline unit's state must be fault, got "+s.State.String())
	}
	if len(s.Reason) > MaxReasonLength || !utf8.ValidString(s.Reason) {
		return Invalid("reason", "must be UTF-8 text of at most "+strconv.Itoa(MaxReasonLength)+" bytes")
	}
	return CheckID("request_id", s.RequestID, false)
}
