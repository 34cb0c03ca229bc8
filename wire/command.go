package wire

import (
	"encoding/json"
	"strconv"
	"time"
)

// CommandType is a command's "type".
type CommandType uint8

// The command types (wire-protocol.md, "command"). The zero value is no
// type, which Validate refuses.
const (
	CommandPreempt CommandType = iota + 1
	CommandRelease
)

var commandTypeNames = [...]string{CommandPreempt: "preempt", CommandRelease: "release"}

// String returns the type as it is written on the wire ("" when invalid).
func (t CommandType) String() string {
	if int(t) < len(commandTypeNames) {
		return commandTypeNames[t]
	}
	return ""
}

// MarshalText writes the wire name; an invalid type is an error.
func (t CommandType) MarshalText() ([]byte, error) {
	if t.String() == "" {
		return nil, Invalid("type", "no such command type "+strconv.Itoa(int(t)))
	}
	return []byte(t.String()), nil
}

// ParseCommandType returns the type named s, or false.
func ParseCommandType(s string) (CommandType, bool) {
	switch s {
	case "preempt":
		return CommandPreempt, true
	case "release":
		return CommandRelease, true
	}
	return 0, false
}

// Command is a preempt or release sent by a controller to a roadside unit
// (topic greenwave/v1/signals/{intersection_id}/command).
type Command struct {
	Type           CommandType
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
	typ, err := c.Type.MarshalText()
	if err != nil {
		return nil, err
	}
	typeName := string(typ)
	issued := FormatTime(c.IssuedAt)
	w := commandWire{
		Type:           &typeName,
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

// UnmarshalJSON parses and validates, like ParseCommand.
func (c *Command) UnmarshalJSON(b []byte) error {
	parsed, err := ParseCommand("", b)
	if err != nil {
		return err
	}
	*c = parsed
	return nil
}

// ParseCommand decodes and validates a command payload received on the
// topic of intersection topicIntersectionID ("" skips that comparison). A
// refused payload yields a *FieldError naming the field.
func ParseCommand(topicIntersectionID string, b []byte) (Command, error) {
	var w commandWire
	if err := DecodePayload(b, &w); err != nil {
		return Command{}, err
	}
	if w.Type == nil {
		return Command{}, Invalid("type", "required")
	}
	var c Command
	var ok bool
	if c.Type, ok = ParseCommandType(*w.Type); !ok {
		return Command{}, Invalid("type", `must be "preempt" or "release", got `+Quote(*w.Type, 40))
	}
	preempt := c.Type == CommandPreempt
	var err error
	str := func(field string, p *string, required bool) string {
		if p == nil {
			if required && err == nil {
				err = Invalid(field, "required")
			}
			return ""
		}
		return *p
	}
	num := func(field string, p *int, required bool) int {
		if p == nil {
			if required && err == nil {
				err = Invalid(field, "required")
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
		err = Invalid("eta_s", "required")
	}
	if w.IssuedAt == nil {
		if err == nil {
			err = Invalid("issued_at", "required")
		}
	} else if err == nil {
		c.IssuedAt, err = ParseTime("issued_at", *w.IssuedAt)
	}
	if w.ExpiresAt == nil {
		if preempt && err == nil {
			err = Invalid("expires_at", "required")
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
	if err := checkTopic("intersection_id", topicIntersectionID, c.IntersectionID); err != nil {
		return Command{}, err
	}
	return c, nil
}

// Validate checks c against the wire protocol; the error is a *FieldError.
// The roadside state machine calls it too, so a Command built in Go (the
// simulator's path) gets the same checks as one that came over MQTT.
func (c Command) Validate() error {
	if c.Type != CommandPreempt && c.Type != CommandRelease {
		return Invalid("type", `must be "preempt" or "release", got type `+strconv.Itoa(int(c.Type)))
	}
	if err := CheckID("request_id", c.RequestID, true); err != nil {
		return err
	}
	if err := CheckID("controller_id", c.ControllerID, true); err != nil {
		return err
	}
	if err := CheckID("intersection_id", c.IntersectionID, true); err != nil {
		return err
	}
	preempt := c.Type == CommandPreempt
	if err := CheckID("vehicle_id", c.VehicleID, preempt); err != nil {
		return err
	}
	if err := CheckID("approach", c.Approach, preempt); err != nil {
		return err
	}
	if (preempt || c.Phase != 0) && !ValidPhase(c.Phase) {
		return Invalid("phase", "must be in "+strconv.Itoa(MinPhase)+".."+strconv.Itoa(MaxPhase)+", got "+strconv.Itoa(c.Phase))
	}
	if preempt || c.Priority != 0 {
		if c.Priority < HighestPriority || c.Priority > LowestPriority {
			return Invalid("priority", "must be in "+strconv.Itoa(HighestPriority)+".."+strconv.Itoa(LowestPriority)+", got "+strconv.Itoa(c.Priority))
		}
	}
	if !finite(c.EtaS) || c.EtaS < 0 || c.EtaS > MaxEtaSeconds {
		return Invalid("eta_s", "must be a finite number in 0.."+strconv.Itoa(MaxEtaSeconds)+", got "+FormatFloat(c.EtaS))
	}
	if c.IssuedAt.IsZero() {
		return Invalid("issued_at", "required")
	}
	if preempt {
		if c.ExpiresAt.IsZero() {
			return Invalid("expires_at", "required")
		}
		if !c.ExpiresAt.After(c.IssuedAt) {
			return Invalid("expires_at", "must be after issued_at")
		}
	}
	return nil
}
