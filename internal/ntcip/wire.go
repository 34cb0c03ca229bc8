package ntcip

// Every wire type the gateway uses comes through this file, so that the
// move of the wire types to their own package is a change here only.

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/wire"
)

type (
	command = wire.Command
	status  = wire.Status
)

const (
	commandPreempt = wire.CommandPreempt
	commandRelease = wire.CommandRelease

	stateNormal = wire.StateNormal
	stateEntry  = wire.StateEntry
	stateHold   = wire.StateHold
	stateExit   = wire.StateExit
	stateFault  = wire.StateFault

	minPhase = wire.MinPhase
	maxPhase = wire.MaxPhase
)

// statusPayload is s in wire form with the optional "reason" (why the
// state is fault, or what the gateway works around; docs/ntcip.md), cut to
// what the protocol allows.
func statusPayload(s status, reason string) ([]byte, error) {
	if len(reason) > wire.MaxReasonLength {
		reason = strings.ToValidUTF8(reason[:wire.MaxReasonLength], "")
	}
	s.Reason = reason
	return json.Marshal(s)
}

// presencePayload is the gateway's retained presence: the controller
// status message of the wire protocol, under the gateway's own id.
func presencePayload(id string, online bool, now time.Time) []byte {
	state := wire.ControllerOffline
	if online {
		state = wire.ControllerOnline
	}
	b, _ := json.Marshal(wire.ControllerStatus{ControllerID: id, State: state, TS: now})
	return b
}

// parsePresence reports whether a controller status payload says that
// controller is offline.
func parsePresence(controllerID string, b []byte) (offline bool, err error) {
	st, err := wire.ParseControllerStatus(controllerID, b)
	if err != nil {
		return false, err
	}
	return st.State == wire.ControllerOffline, nil
}

// fieldOf names the offending field of a refused payload.
func fieldOf(err error) string {
	var fe *wire.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return "payload"
}

func fieldLog(err error) zap.Field { return zap.String("field", fieldOf(err)) }

func validID(s string) bool { return wire.ValidID(s) }
