// Package wire is greenwave's wire protocol, version 1 (docs/wire-protocol.md):
// every payload that crosses MQTT between the vehicles, the controller and
// the roadside units, with its parser and its validation, defined once.
//
// It sits at the bottom of greenwave's import graph (it imports only the
// standard library and orb's point type), so that the decision engine, the
// roadside model, the simulator, the edges and any integrator's tool
// decode and check a payload the same way.
//
// # Types
//
//   - Position, Route: vehicle → controller.
//   - Advisory: controller → vehicle.
//   - Command: controller → roadside.
//   - Status: roadside → controller.
//   - ControllerStatus: the controller's retained presence (and Last Will).
//
// Each has a Parse function that refuses a payload over MaxPayloadBytes,
// one that is not a UTF-8 JSON object, a field of the wrong type, a missing
// required field or a value out of range, with a *FieldError naming the
// field by its JSON name; unknown fields are ignored, as the protocol
// requires. Each has a Validate method too, which the engine and the
// roadside model call on values built in Go (the simulator's path), so
// that those get the same checks as a payload from the broker, including
// the non-finite numbers JSON cannot carry. Marshalling writes times with
// FormatTime (RFC 3339, UTC, exact to the nanosecond).
//
// # Errors
//
// Every refusal is a *FieldError. Its Err names the class of the problem
// for errors.Is: ErrTooLarge and ErrMalformed for the payload as a whole,
// ErrIDMismatch when the body's id is not the topic's. Other packages
// (the map loader, the scenario reader) use FieldError too, with Where
// naming the file, line or feature.
package wire
