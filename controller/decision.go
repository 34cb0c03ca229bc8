package controller

import (
	"encoding/json"
	"math"
	"time"
)

// DecisionKind is what a Decision records.
type DecisionKind uint8

// The kinds of decision.
const (
	// DecisionRequest: the first preempt of a passage was sent.
	DecisionRequest DecisionKind = iota + 1
	// DecisionRefresh: a live preempt was re-sent with a later expires_at.
	DecisionRefresh
	// DecisionRelease: a release was sent (Reason says why) or, for a
	// passage that held no command, the passage was let go.
	DecisionRelease
	// DecisionDeny: a passage was refused the intersection (Reason:
	// conflict, fault); it has no command and waits.
	DecisionDeny
	// DecisionGrant: the roadside reported hold for a passage.
	DecisionGrant
	// DecisionRoute: the vehicle's path changed source (Reason: announced,
	// destination, road_ahead, rerouted, unroutable).
	DecisionRoute
	// DecisionReject: an input was refused; nothing changed. Reason is a
	// code, Field the offending field, Detail the message.
	DecisionReject
)

var kindNames = [...]string{DecisionRequest: "request", DecisionRefresh: "refresh", DecisionRelease: "release",
	DecisionDeny: "deny", DecisionGrant: "grant", DecisionRoute: "route", DecisionReject: "reject"}

// String returns the kind's stable name, as the audit trail and metrics
// write it.
func (k DecisionKind) String() string { return nameOf(kindNames[:], int(k)) }

// MarshalText writes String.
func (k DecisionKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Reason says why a decision was taken: a stable code, written by String
// into logs, metrics and the audit trail. The zero Reason is none.
type Reason uint8

// Reasons of release decisions.
const (
	ReasonPassed       Reason = iota + 1 // the vehicle is past the stop line
	ReasonLeftPath                       // the vehicle left its path
	ReasonSilent                         // no fix for longer than SilenceGrace
	ReasonEmergencyOff                   // the vehicle reported emergency: false
	ReasonMaxHold                        // the hold reached max_preempt_s (or RangeTimeout)
	ReasonRouteChanged                   // a new route no longer crosses the intersection
	ReasonSuperseded                     // a conflicting request outranked it
	ReasonFault                          // the roadside reports fault (also a deny reason)
	ReasonForgotten                      // the vehicle was forgotten (ForgetAfter)
	ReasonShutdown                       // the controller is stopping (ReleaseAll)

	// ReasonConflict denies: a conflicting request outranks it.
	ReasonConflict

	// Reasons of request decisions made by the planner (planner.go).
	ReasonExtend      // asked while the vehicle's phase was green: hold it past its planned end
	ReasonEarlyReturn // asked to cut the conflicting green and bring the vehicle's phase back early
	ReasonPlanGreen   // (no request) the plan's own green serves the vehicle

	// Reasons of route decisions.
	ReasonAnnounced  // an announced path is followed
	ReasonToDest     // a route to the announced destination is followed
	ReasonRoadAhead  // no route: the road the vehicle is on is followed
	ReasonRerouted   // off the route to its destination: routed again
	ReasonUnroutable // no route to the destination: the road ahead is followed

	// Reasons of reject decisions.
	ReasonInvalid         // the input fails validation (Field names what)
	ReasonStaleSeq        // seq not above the last accepted: duplicate or late
	ReasonStaleTS         // ts earlier than the last accepted one
	ReasonFutureTS        // ts more than MaxClockSkew ahead of now
	ReasonTimeBackwards   // now is earlier than the engine's last now
	ReasonUnknownInter    // the status names an intersection not in the map
	ReasonTooManyVehicles // MaxVehicles are tracked already
	ReasonBadRoute        // the route cannot be followed on the map (Field: path or destination)
	ReasonOldTS           // ts more than MaxClockSkew before now: too old to act on, or replayed
	ReasonImplausible     // farther from the last accepted fix than MaxSpeedMps allows
	ReasonOffRoad         // farther than MaxOffRoadM from every road of the map
)

var reasonNames = [...]string{ReasonPassed: "passed", ReasonLeftPath: "left_path", ReasonSilent: "silent",
	ReasonEmergencyOff: "emergency_off", ReasonMaxHold: "max_hold", ReasonRouteChanged: "route_changed",
	ReasonSuperseded: "superseded", ReasonFault: "fault", ReasonForgotten: "forgotten", ReasonShutdown: "shutdown",
	ReasonConflict: "conflict", ReasonExtend: "extend", ReasonEarlyReturn: "early_return", ReasonPlanGreen: "plan_green",
	ReasonAnnounced: "announced", ReasonToDest: "destination", ReasonRoadAhead: "road_ahead",
	ReasonRerouted: "rerouted", ReasonUnroutable: "unroutable", ReasonInvalid: "invalid", ReasonStaleSeq: "stale_seq",
	ReasonStaleTS: "stale_ts", ReasonFutureTS: "future_ts", ReasonTimeBackwards: "time_backwards",
	ReasonUnknownInter: "unknown_intersection", ReasonTooManyVehicles: "too_many_vehicles", ReasonBadRoute: "bad_route",
	ReasonOldTS: "old_ts", ReasonImplausible: "implausible_speed", ReasonOffRoad: "off_road"}

// String returns the reason's stable code ("" for none).
func (r Reason) String() string { return nameOf(reasonNames[:], int(r)) }

// MarshalText writes String.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func nameOf(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return ""
}

// Decision is one thing the engine decided, and why: the audit trail, and
// what logs and metrics are made of. Its JSON form is stable (field names
// below; empty fields left out; numbers rounded to 0.1; times RFC 3339 UTC).
type Decision struct {
	At             time.Time    // the engine time of the decision
	Kind           DecisionKind //
	VehicleID      string       //
	IntersectionID string       //
	RequestID      string       //
	Reason         Reason       //
	Field          string       // for a reject: the offending field's JSON name
	Detail         string       // for a reject: the error message; for a deny: the vehicle that holds the intersection
	EtaS           float64      // request/refresh/deny: central ETA to the stop line from At
	LeadS          float64      // request/refresh/deny: the intersection's lead time for this approach
	DistanceM      float64      // request/refresh/deny: along the path to the stop line
	ExpiresAt      time.Time    // request/refresh: the command's expires_at
}

type decisionWire struct {
	At             string   `json:"at"`
	Kind           string   `json:"kind"`
	VehicleID      string   `json:"vehicle_id,omitempty"`
	IntersectionID string   `json:"intersection_id,omitempty"`
	RequestID      string   `json:"request_id,omitempty"`
	Reason         string   `json:"reason,omitempty"`
	Field          string   `json:"field,omitempty"`
	Detail         string   `json:"detail,omitempty"`
	EtaS           *float64 `json:"eta_s,omitempty"`
	LeadS          *float64 `json:"lead_s,omitempty"`
	DistanceM      *float64 `json:"distance_m,omitempty"`
	ExpiresAt      string   `json:"expires_at,omitempty"`
}

// MarshalJSON writes the stable form: {"at","kind","vehicle_id",
// "intersection_id","request_id","reason","field","detail","eta_s",
// "lead_s","distance_m","expires_at"} in that order, empty ones left out
// (the numbers are written for request, refresh and deny decisions).
func (d Decision) MarshalJSON() ([]byte, error) {
	w := decisionWire{At: formatTime(d.At), Kind: d.Kind.String(), VehicleID: d.VehicleID,
		IntersectionID: d.IntersectionID, RequestID: d.RequestID, Reason: d.Reason.String(), Field: d.Field, Detail: d.Detail}
	if eta, lead, dist, ok := d.Figures(); ok {
		w.EtaS, w.LeadS, w.DistanceM = &eta, &lead, &dist
	}
	if !d.ExpiresAt.IsZero() {
		w.ExpiresAt = formatTime(d.ExpiresAt)
	}
	return json.Marshal(w)
}

// Figures returns the decision's ETA, lead time and distance rounded as
// the audit trail writes them, and whether its kind has them (request,
// refresh and deny).
func (d Decision) Figures() (etaS, leadS, distanceM float64, ok bool) {
	switch d.Kind {
	case DecisionRequest, DecisionRefresh, DecisionDeny:
		return round1(d.EtaS), round1(d.LeadS), round1(d.DistanceM), true
	}
	return 0, 0, 0, false
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// round1 rounds to 0.1 and maps non-finite values to 0, so that output
// is readable, stable and always valid JSON.
func round1(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return math.Round(f*10) / 10
}

// RejectError is what Step returns for an input it refused; the same
// refusal is in Ready's Decisions.
type RejectError struct {
	Reason Reason // one of the reject reasons
	Field  string // JSON name of the offending field, when one is at fault
	Detail string
}

func (e *RejectError) Error() string {
	s := "controller: rejected input: " + e.Reason.String()
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}
