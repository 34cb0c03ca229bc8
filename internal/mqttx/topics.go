package mqttx

import (
	"errors"
	"strings"
)

// DefaultRoot is the topic root of wire-protocol.md.
const DefaultRoot = "greenwave"

// Version is the protocol version segment that follows the root.
const Version = "v1"

// Kind is the kind of message a topic carries.
type Kind int

// Topic kinds, one per row of wire-protocol.md's topic table.
const (
	KindUnknown Kind = iota
	KindPosition
	KindRoute
	KindAdvisory
	KindCommand
	KindSignalStatus
	KindControllerStatus
)

var kindNames = [...]string{"unknown", "position", "route", "advisory", "command", "signal_status", "controller_status"}

// String is the kind's name as used in log fields and metric labels.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// Topics builds and parses the topics of one topic root. The zero value is
// not usable; call NewTopics.
type Topics struct {
	prefix string // root + "/v1/"
}

// NewTopics returns the topic tree under root (e.g. "greenwave", or
// "city-a/greenwave" for a shared broker). The root is one or more
// non-empty levels without wildcards.
func NewTopics(root string) (Topics, error) {
	if root == "" {
		return Topics{}, errors.New("topic root: must not be empty")
	}
	for _, level := range strings.Split(root, "/") {
		if level == "" {
			return Topics{}, errors.New("topic root " + root + ": empty level (leading, trailing or double '/')")
		}
		if strings.ContainsAny(level, "+#\x00") {
			return Topics{}, errors.New("topic root " + root + ": must not contain '+', '#' or NUL")
		}
	}
	return Topics{prefix: root + "/" + Version + "/"}, nil
}

// Position is the topic vehicle id publishes its fixes on.
func (t Topics) Position(vehicleID string) string {
	return t.prefix + "vehicles/" + vehicleID + "/position"
}

// Route is the (retained) topic of vehicle id's route.
func (t Topics) Route(vehicleID string) string { return t.prefix + "vehicles/" + vehicleID + "/route" }

// Advisory is the topic the controller tells vehicle id's crew about the
// signals ahead on.
func (t Topics) Advisory(vehicleID string) string {
	return t.prefix + "vehicles/" + vehicleID + "/advisory"
}

// Command is the topic of preempt and release commands to an intersection.
func (t Topics) Command(intersectionID string) string {
	return t.prefix + "signals/" + intersectionID + "/command"
}

// SignalStatus is the (retained) status topic of an intersection.
func (t Topics) SignalStatus(intersectionID string) string {
	return t.prefix + "signals/" + intersectionID + "/status"
}

// ControllerStatus is the (retained, Last Will) status topic of a controller.
func (t Topics) ControllerStatus(controllerID string) string {
	return t.prefix + "controllers/" + controllerID + "/status"
}

// Filter is the subscription filter matching every topic of kind k
// (the id level replaced by '+').
func (t Topics) Filter(k Kind) string {
	switch k {
	case KindPosition:
		return t.Position("+")
	case KindRoute:
		return t.Route("+")
	case KindAdvisory:
		return t.Advisory("+")
	case KindCommand:
		return t.Command("+")
	case KindSignalStatus:
		return t.SignalStatus("+")
	case KindControllerStatus:
		return t.ControllerStatus("+")
	}
	return ""
}

// Parse splits a topic of this tree into its kind and the id it names. The
// id is returned as it appears; validating it is the caller's job (it must
// also equal the payload's id). ok is false for any other topic.
func (t Topics) Parse(topic string) (kind Kind, id string, ok bool) {
	rest, found := strings.CutPrefix(topic, t.prefix)
	if !found {
		return KindUnknown, "", false
	}
	group, rest, found := strings.Cut(rest, "/")
	if !found {
		return KindUnknown, "", false
	}
	id, leaf, found := strings.Cut(rest, "/")
	if !found || id == "" || strings.Contains(leaf, "/") {
		return KindUnknown, "", false
	}
	switch group + "/" + leaf {
	case "vehicles/position":
		kind = KindPosition
	case "vehicles/route":
		kind = KindRoute
	case "vehicles/advisory":
		kind = KindAdvisory
	case "signals/command":
		kind = KindCommand
	case "signals/status":
		kind = KindSignalStatus
	case "controllers/status":
		kind = KindControllerStatus
	default:
		return KindUnknown, "", false
	}
	return kind, id, true
}
