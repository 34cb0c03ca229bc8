package ntcip

// Every wire type the gateway uses comes through this file, so that the
// move of the wire types to their own package is a change here only.

import (
	"encoding/json"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/signals"
)

type (
	command = signals.Command
	status  = signals.Status
)

const (
	commandPreempt = signals.CommandPreempt
	commandRelease = signals.CommandRelease

	stateNormal = signals.StateNormal
	stateEntry  = signals.StateEntry
	stateHold   = signals.StateHold
	stateExit   = signals.StateExit
	stateFault  = signals.StateFault

	minPhase = signals.MinPhase
	maxPhase = signals.MaxPhase
)

func parseCommand(b []byte) (command, error) { return signals.ParseCommand(b) }

// statusPayload is s in wire form plus, when reason is set, the optional
// "reason" field: why the state is fault, or what the gateway works
// around (docs/ntcip.md). Receivers ignore fields they do not know, so
// this is a compatible addition to protocol v1.
func statusPayload(s status, reason string) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil || reason == "" {
		return b, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	r, _ := json.Marshal(reason)
	fields["reason"] = r
	return json.Marshal(fields)
}

// presencePayload is the gateway's retained presence: the controller
// status message of the wire protocol, under the gateway's own id.
func presencePayload(id string, online bool, now time.Time) []byte {
	state := controller.ControllerOffline
	if online {
		state = controller.ControllerOnline
	}
	b, _ := json.Marshal(controller.ControllerStatus{ControllerID: id, State: state, TS: now})
	return b
}

// parsePresence reports whether a controller status payload says that
// controller is offline.
func parsePresence(controllerID string, b []byte) (offline bool, err error) {
	st, err := controller.ParseControllerStatus(controllerID, b)
	if err != nil {
		return false, err
	}
	return st.State == controller.ControllerOffline, nil
}

// fieldOf names the offending field of a refused payload.
func fieldOf(err error) string {
	var fe *signals.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return "payload"
}

func fieldLog(err error) zap.Field { return zap.String("field", fieldOf(err)) }

func validID(s string) bool { return signals.ValidID(s) }
