package traci

import (
	"errors"
	"fmt"
	"strconv"
)

// CommandError is SUMO's refusal of one command: the command, the object
// it was about and SUMO's own message. The connection stays usable.
type CommandError struct {
	Cmd    byte   // command id, e.g. 0xc4 (set vehicle variable)
	Var    byte   // variable id, when the command has one
	Name   string // the operation, e.g. "vehicle.add"
	Object string // the object id the command was about, if any
	Status byte   // 0x01 not implemented, 0xff error
	Msg    string // SUMO's message
}

func (e *CommandError) Error() string {
	obj := ""
	if e.Object != "" {
		obj = " " + strconv.Quote(e.Object)
	}
	kind := "error"
	if e.Status == rtypeNotImplemented {
		kind = "not implemented"
	}
	return fmt.Sprintf("traci: %s%s (command 0x%02x, variable 0x%02x): SUMO %s: %s", e.Name, obj, e.Cmd, e.Var, kind, e.Msg)
}

// VersionError is a server that speaks another TraCI API version than this
// client. The connection is closed.
type VersionError struct {
	Got      int    // the server's API version
	Server   string // its identification, e.g. "SUMO 1.22.0"
	Accepted []int  // the versions the client accepts
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("traci: version mismatch: %q speaks TraCI API %d, this client accepts %v "+
		"(it speaks API %d, that of SUMO 1.15; Options.AcceptAPIVersions tries another at your own risk)",
		e.Server, e.Got, e.Accepted, APIVersion)
}

// ConnectionError is a failed exchange: the connection was lost, timed
// out, or the server sent something that is not TraCI. The client is
// unusable afterwards; every later call returns ErrClosed wrapped in a
// ConnectionError naming the first failure.
type ConnectionError struct {
	Op     string // the operation, e.g. "simulationStep to t=35s"
	Err    error  // the cause: a net error, io.EOF, a *ProtocolError
	Detail string // what the process helper knows: exit status, last stderr lines
}

func (e *ConnectionError) Error() string {
	s := "traci: " + e.Op + ": " + e.Err.Error()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

func (e *ConnectionError) Unwrap() error { return e.Err }

// ProtocolError is a response that does not follow the protocol: a wrong
// length, type byte, command or object id. It is always wrapped in a
// ConnectionError, since the byte stream cannot be trusted afterwards.
type ProtocolError struct {
	Offset int // byte offset in the response message
	Reason string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("malformed response at byte %d: %s", e.Offset, e.Reason)
}

func protocolErrorf(off int, format string, args ...any) *ProtocolError {
	return &ProtocolError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// ErrClosed is returned (wrapped) by calls on a closed client.
var ErrClosed = errors.New("connection closed")
