// Package traci is a TraCI client in pure Go: it drives an Eclipse SUMO
// microsimulation (>= 1.15, TraCI API version 20) over TCP, for
// greenwave's co-simulation. It is written from the TraCI protocol
// documentation and implements what a co-simulation needs, no more:
//
//   - Start runs sumo (or sumo-gui) on a free port and connects with
//     retries; the Process's Close ends and reaps it, and cancelling the
//     context kills it. Dial and NewClient connect to a running server.
//   - Every connection begins with getVersion; a server with another API
//     version is a *VersionError (Options.AcceptAPIVersions widens that,
//     at the caller's risk).
//   - Step(until) advances the simulation and returns the subscription
//     results: simulation variables (time, departed, arrived and
//     teleported vehicles), per-vehicle variables (position, speed,
//     heading, edge, lane, lane position, route) and traffic-light
//     variables (state, phase, program, next switch).
//   - Vehicles and routes: AddRoute, AddVehicle, RemoveVehicle,
//     SetVehicleRoute, ChangeVehicleTarget, SetVehicleType,
//     CopyVehicleType, SetTypeVClass, SetTypeSpeedDeviation,
//     SetTypeImperfection, FindRoute.
//   - Traffic lights: TrafficLightIDs, RedYellowGreenState and
//     SetRedYellowGreenState, Program and SetProgram, Phase and SetPhase,
//     PhaseDuration and SetPhaseDuration, NextSwitch, ControlledLinks,
//     ControlledLanes, ProgramLogics.
//   - Coordinates: ToGeo, ToGeoMany (one round trip for many points) and
//     FromGeo convert with the network's own projection; ToRoad maps a
//     longitude and latitude to the nearest lane. (Package sumo's
//     Projection does the conversion to lon/lat in Go, without a round
//     trip, from the network file's location.)
//
// # Errors
//
// A command SUMO refuses is a *CommandError naming the operation, the
// command and variable ids, the object and SUMO's message; the connection
// stays usable. A lost connection, a timeout or a malformed response is a
// *ConnectionError naming the operation (a step names its target time);
// malformed responses wrap a *ProtocolError. After a ConnectionError the
// client is closed and every call returns ErrClosed, wrapped with the
// first failure. Every exchange runs under Options.Timeout, so a SUMO that
// hangs or dies never blocks the caller; the process helper adds how SUMO
// exited and its last lines of output to the error.
//
// Responses are checked as they are decoded: every length against the
// bytes there, every type byte, the command, variable and object a
// response is for, and counts against the bytes left before anything is
// allocated. Nothing in a response can make the decoder panic
// (FuzzDecodeResponses).
//
// # Timing
//
// SUMO's step to time T switches traffic lights due at T-Δt, moves the
// vehicles, and reports the state at T; a phase change due at T (see
// NextSwitch) shows in the result of the step after, to T+Δt. A vehicle
// added with depart "now" at time t is inserted by the step to t+Δt and
// listed in that step's SimDepartedIDs. A vehicle can be subscribed to
// once it is known (added or departed); SUMO drops the subscription when
// it arrives.
//
// # Performance
//
// A step's results are decoded into a StepResult the client reuses, with
// ids interned: stepping allocates nothing once warm. The README's
// Performance table has the round trip per step and per subscribed
// vehicle as measured, with the command (BenchmarkStep*).
//
// A Client is not safe for concurrent use; a co-simulation drives it from
// one loop.
package traci
