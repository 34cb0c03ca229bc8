package controller

import (
	"encoding/json"
	"math"
	"time"
)

// DecisionKind is what a Decision records.
type DecisionKind string

// The kinds of decision.
const (
	// DecisionRequest: the first preempt of a passage was sent.
	DecisionRequest DecisionKind = "request"
	// DecisionRefresh: a live preempt was re-sent with a later expires_at.
	DecisionRefresh DecisionKind = "refresh"
	// DecisionRelease: a release was sent (Reason says why) or, for a
	// passage that held no command, the passage was let go.
	DecisionRelease DecisionKind = "release"
	// DecisionDeny: a passage was refused the intersection (Reason:
	// conflict, fault); it has no command and waits.
	DecisionDeny DecisionKind = "deny"
	// DecisionGrant: the roadside reported hold for a passage.
	DecisionGrant DecisionKind = "grant"
	// DecisionRoute: the vehicle's path changed source (Reason: announced,
	// destination, road_ahead, rerouted, unroutable).
	DecisionRoute DecisionKind = "route"
	// DecisionReject: an input was refused; nothing changed. Reason is a
	// code, Field the offending field, Detail the message.
	DecisionReject DecisionKind = "reject"
)

// Reasons of release decisions.
const (
	ReasonPassed       = "passed"        // the vehicle is past the stop line
	ReasonLeftPath     = "left_path"     // the vehicle left its path
	ReasonSilent       = "silent"        // no fix for longer than SilenceGrace
	ReasonEmergencyOff = "emergency_off" // the vehicle reported emergency: false
	ReasonMaxHold      = "max_hold"      // the hold reached max_preempt_s (or RangeTimeout)
	ReasonRouteChanged = "route_changed" // a new route no longer crosses the intersection
	ReasonSuperseded   = "superseded"    // a conflicting request outranked it
	ReasonFault        = "fault"         // the roadside reports fault
	ReasonForgotten    = "forgotten"     // the vehicle was forgotten (ForgetAfter)
	ReasonShutdown     = "shutdown"      // the controller is stopping (ReleaseAll)
)

// Reasons of deny decisions (plus ReasonFault).
const (
	ReasonConflict = "conflict" // a conflicting request outranks it
)

// Reasons of route decisions.
const (
	ReasonAnnounced  = "announced"   // an announced path is followed
	ReasonToDest     = "destination" // a route to the announced destination is followed
	ReasonRoadAhead  = "road_ahead"  // no route: the road the vehicle is on is followed
	ReasonRerouted   = "rerouted"    // off the route to its destination: routed again
	ReasonUnroutable = "unroutable"  // no route to the destination: the road ahead is followed
)

// Reasons of reject decisions.
const (
	ReasonInvalid         = "invalid"        // the input fails validation (Field names what)
	ReasonStaleSeq        = "stale_seq"      // seq not above the last accepted: duplicate or late
	ReasonStaleTS         = "stale_ts"       // ts earlier than the last accepted one
	ReasonFutureTS        = "future_ts"      // ts more than MaxClockSkew ahead of now
	ReasonTimeBackwards   = "time_backwards" // now is earlier than the engine's last now
	ReasonUnknownInter    = "unknown_intersection"
	ReasonTooManyVehicles = "too_many_vehicles"
	ReasonBadRoute        = "bad_route" // the route cannot be followed on the map (Field: path or destination)
)

// Decision is one thing the engine decided, and why: the audit trail, and
// what logs and metrics are made of. Its JSON form is stable (field names
// below; empty fields left out; numbers rounded to 0.1; times RFC 3339 UTC).
type Decision struct {
	At             time.Time    // the engine time of the decision
	Kind           DecisionKind //
	VehicleID      string       //
	IntersectionID string       //
	RequestID      string       //
	Reason         string       // one of the Reason* codes
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
	w := decisionWire{At: formatTime(d.At), Kind: string(d.Kind), VehicleID: d.VehicleID,
		IntersectionID: d.IntersectionID, RequestID: d.RequestID, Reason: d.Reason, Field: d.Field, Detail: d.Detail}
	switch d.Kind {
	case DecisionRequest, DecisionRefresh, DecisionDeny:
		eta, lead, dist := round1(d.EtaS), round1(d.LeadS), round1(d.DistanceM)
		w.EtaS, w.LeadS, w.DistanceM = &eta, &lead, &dist
	}
	if !d.ExpiresAt.IsZero() {
		w.ExpiresAt = formatTime(d.ExpiresAt)
	}
	return json.Marshal(w)
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
	Reason string // one of the reject Reason* codes
	Field  string // JSON name of the offending field, when one is at fault
	Detail string
}

func (e *RejectError) Error() string {
	s := "controller: rejected input: " + e.Reason
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}
