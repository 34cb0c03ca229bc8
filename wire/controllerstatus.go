package wire

import "time"

// ControllerStatus is the controller's retained presence message (topic
// greenwave/v1/controllers/{controller_id}/status); the same message with
// State "offline" is registered as the MQTT Last Will.
type ControllerStatus struct {
	ControllerID string    `json:"controller_id"`
	State        string    `json:"state"` // ControllerOnline or ControllerOffline
	TS           time.Time `json:"ts"`
}

// Values of ControllerStatus.State.
const (
	ControllerOnline  = "online"
	ControllerOffline = "offline"
)

// MarshalJSON writes ts in UTC, as every greenwave payload does.
func (s ControllerStatus) MarshalJSON() ([]byte, error) {
	type plain ControllerStatus
	s.TS = s.TS.UTC()
	return marshal(plain(s))
}

type controllerStatusWire struct {
	ControllerID *string `json:"controller_id"`
	State        *string `json:"state"`
	TS           *string `json:"ts"`
}

// ParseControllerStatus decodes and validates a controller's presence
// message received on the topic of topicControllerID. controller_id and
// state are required; ts is checked when present, but a Last Will
// registered by another implementation without it is still honoured, since
// ignoring an `offline` would leave its preempts to their expiry.
func ParseControllerStatus(topicControllerID string, b []byte) (ControllerStatus, error) {
	var w controllerStatusWire
	if err := DecodePayload(b, &w); err != nil {
		return ControllerStatus{}, err
	}
	if err := required(field{"controller_id", w.ControllerID != nil}, field{"state", w.State != nil}); err != nil {
		return ControllerStatus{}, err
	}
	switch {
	case *w.State != ControllerOnline && *w.State != ControllerOffline:
		return ControllerStatus{}, Invalid("state", `must be "online" or "offline", got `+Quote(*w.State, 40))
	}
	if err := checkTopic("controller_id", topicControllerID, *w.ControllerID); err != nil {
		return ControllerStatus{}, err
	}
	s := ControllerStatus{ControllerID: *w.ControllerID, State: *w.State}
	if w.TS != nil {
		ts, err := ParseTime("ts", *w.TS)
		if err != nil {
			return ControllerStatus{}, err
		}
		s.TS = ts
	}
	return s, nil
}
