package controller

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"github.com/greenwave-project/greenwave/signals"
)

// Position is one GPS fix of a vehicle (topic
// greenwave/v1/vehicles/{vehicle_id}/position, wire-protocol.md "position").
//
// The optional fields are pointers so that "not reported" is distinct from
// 0: a speed of 0 is a stopped vehicle, a heading of 0 is due north. With Go
// 1.26 a literal is built as `SpeedMps: new(13.9)`.
type Position struct {
	VehicleID  string    `json:"vehicle_id"`
	Seq        uint64    `json:"seq"`
	TS         time.Time `json:"ts"`
	Lat        float64   `json:"lat"`
	Lon        float64   `json:"lon"`
	SpeedMps   *float64  `json:"speed_mps,omitempty"`
	HeadingDeg *float64  `json:"heading_deg,omitempty"`
	AccuracyM  *float64  `json:"accuracy_m,omitempty"`
	Emergency  bool      `json:"emergency"`
}

// Route is a vehicle's announced route (topic
// greenwave/v1/vehicles/{vehicle_id}/route, retained): either the polyline
// its navigation unit drives (Path, [lon, lat] points) or a Destination the
// controller routes to. A Route with neither is the empty retained payload:
// it clears the route, and the vehicle is followed along the road it is on
// (see IsClear). RouteID is optional on the wire; "" when absent.
type Route struct {
	VehicleID   string      `json:"vehicle_id"`
	RouteID     string      `json:"route_id,omitempty"`
	TS          time.Time   `json:"ts"`
	Path        []orb.Point `json:"path,omitempty"`
	Destination *orb.Point  `json:"destination,omitempty"`
}

// IsClear reports whether r is a route clearance (the empty payload).
func (r Route) IsClear() bool { return r.Path == nil && r.Destination == nil }

// Advisory tells a vehicle's crew what greenwave is doing about the signals
// ahead (topic greenwave/v1/vehicles/{vehicle_id}/advisory).
type Advisory struct {
	VehicleID string           `json:"vehicle_id"`
	TS        time.Time        `json:"ts"`
	RouteID   string           `json:"route_id,omitempty"`
	Signals   []AdvisorySignal `json:"signals"`
}

// AdvisorySignal is one signal ahead of the vehicle as its display shows it.
type AdvisorySignal struct {
	IntersectionID string  `json:"intersection_id"`
	EtaS           float64 `json:"eta_s"`
	DistanceM      float64 `json:"distance_m"`
	State          string  `json:"state"` // one of the Signal* constants
}

// States of a signal ahead, the values of AdvisorySignal.State.
const (
	SignalPlanned   = "planned"   // on the route, not yet requested
	SignalRequested = "requested" // command sent, no hold reported yet
	SignalGranted   = "granted"   // the roadside reports hold for this request
	SignalDenied    = "denied"    // another request or a fault holds it
	SignalReleased  = "released"  // greenwave let it go before the vehicle passed
)

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
	return json.Marshal(plain(s))
}

// MarshalJSON writes ts in UTC, as every greenwave payload does, and
// "signals" as an array even when empty.
func (a Advisory) MarshalJSON() ([]byte, error) {
	type plain Advisory
	a.TS = a.TS.UTC()
	if a.Signals == nil {
		a.Signals = []AdvisorySignal{}
	}
	return json.Marshal(plain(a))
}

// MarshalJSON writes ts in UTC. Optional fields that are nil are left out.
func (p Position) MarshalJSON() ([]byte, error) {
	type plain Position
	p.TS = p.TS.UTC()
	return json.Marshal(plain(p))
}

// MarshalJSON writes ts in UTC. A clear route has no JSON form (it is the
// empty payload): publish zero bytes for it instead.
func (r Route) MarshalJSON() ([]byte, error) {
	if r.IsClear() {
		return nil, fieldErr("payload", "a clear route is the empty payload, not JSON")
	}
	type plain Route
	r.TS = r.TS.UTC()
	return json.Marshal(plain(r))
}

func fieldErr(field, reason string) error {
	return &signals.FieldError{Field: field, Reason: reason}
}

// positionWire is Position as it travels: pointers tell a missing field
// from a zero one; ts is a string so a bad one is reported by field.
type positionWire struct {
	VehicleID  *string  `json:"vehicle_id"`
	Seq        *uint64  `json:"seq"`
	TS         *string  `json:"ts"`
	Lat        *float64 `json:"lat"`
	Lon        *float64 `json:"lon"`
	SpeedMps   *float64 `json:"speed_mps"`
	HeadingDeg *float64 `json:"heading_deg"`
	AccuracyM  *float64 `json:"accuracy_m"`
	Emergency  *bool    `json:"emergency"`
}

// ParsePosition decodes and validates a position payload received on the
// topic of vehicle topicVehicleID. The body's vehicle_id must equal it;
// callers without a topic (tests, tools) pass "" to skip that comparison.
// A refused payload yields a *signals.FieldError naming the field.
func ParsePosition(topicVehicleID string, b []byte) (Position, error) {
	var w positionWire
	if err := signals.DecodePayload(b, &w); err != nil {
		return Position{}, err
	}
	var p Position
	switch {
	case w.VehicleID == nil:
		return Position{}, fieldErr("vehicle_id", "required")
	case w.Seq == nil:
		return Position{}, fieldErr("seq", "required")
	case w.TS == nil:
		return Position{}, fieldErr("ts", "required")
	case w.Lat == nil:
		return Position{}, fieldErr("lat", "required")
	case w.Lon == nil:
		return Position{}, fieldErr("lon", "required")
	case w.Emergency == nil:
		return Position{}, fieldErr("emergency", "required")
	}
	ts, err := signals.ParseTime("ts", *w.TS)
	if err != nil {
		return Position{}, err
	}
	p = Position{VehicleID: *w.VehicleID, Seq: *w.Seq, TS: ts, Lat: *w.Lat, Lon: *w.Lon,
		SpeedMps: w.SpeedMps, HeadingDeg: w.HeadingDeg, AccuracyM: w.AccuracyM, Emergency: *w.Emergency}
	if err := checkTopic(topicVehicleID, p.VehicleID); err != nil {
		return Position{}, err
	}
	if err := p.Validate(); err != nil {
		return Position{}, err
	}
	return p, nil
}

func checkTopic(topicVehicleID, bodyVehicleID string) error {
	if topicVehicleID != "" && topicVehicleID != bodyVehicleID {
		return fieldErr("vehicle_id", "body says "+strconv.Quote(truncate(bodyVehicleID, 70))+
			" but the topic says "+strconv.Quote(truncate(topicVehicleID, 70)))
	}
	return nil
}

// Validate checks p against the wire protocol; the error is a
// *signals.FieldError. The engine calls it on every Position it is given,
// so a fix built in Go (the simulator's path) gets the same checks as one
// that came over MQTT, including the non-finite numbers JSON cannot carry.
func (p Position) Validate() error { return p.validate(true) }

func (p *Position) validate(checkID bool) error {
	if checkID && !signals.ValidID(p.VehicleID) {
		return badID("vehicle_id", p.VehicleID)
	}
	if p.TS.IsZero() {
		return fieldErr("ts", "required")
	}
	if !finite(p.Lat) || p.Lat < -90 || p.Lat > 90 {
		return fieldErr("lat", "must be a finite number in [-90, 90], got "+formatFloat(p.Lat))
	}
	if !finite(p.Lon) || p.Lon < -180 || p.Lon > 180 {
		return fieldErr("lon", "must be a finite number in [-180, 180], got "+formatFloat(p.Lon))
	}
	if p.SpeedMps != nil && (!finite(*p.SpeedMps) || *p.SpeedMps < 0 || *p.SpeedMps > MaxSpeedMps) {
		return fieldErr("speed_mps", "must be a finite number in [0, "+formatFloat(MaxSpeedMps)+"], got "+formatFloat(*p.SpeedMps))
	}
	if p.HeadingDeg != nil && (!finite(*p.HeadingDeg) || *p.HeadingDeg < 0 || *p.HeadingDeg >= 360) {
		return fieldErr("heading_deg", "must be a finite number in [0, 360), got "+formatFloat(*p.HeadingDeg))
	}
	if p.AccuracyM != nil && (!finite(*p.AccuracyM) || *p.AccuracyM < 0) {
		return fieldErr("accuracy_m", "must be a finite number >= 0, got "+formatFloat(*p.AccuracyM))
	}
	return nil
}

// MaxSpeedMps bounds Position.SpeedMps: 100 m/s (360 km/h) is beyond any
// road vehicle, so a larger value is a unit error (km/h or knots sent as
// m/s would still pass, but not mm/s or garbage).
const MaxSpeedMps = 100

// routeWire is Route as it travels. Points are decoded as []float64 so that
// a point with the wrong number of coordinates is refused, not silently
// truncated or zero-filled as a [2]float64 would be.
type routeWire struct {
	VehicleID   *string     `json:"vehicle_id"`
	RouteID     *string     `json:"route_id"`
	TS          *string     `json:"ts"`
	Path        [][]float64 `json:"path"`
	Destination []float64   `json:"destination"`
}

// ParseRoute decodes and validates a route payload received on the topic of
// vehicle topicVehicleID ("" skips the comparison, as in ParsePosition). An
// empty payload is the retained-message clearance: it returns a Route with
// only VehicleID set (IsClear is true), which requires a topic vehicle id.
func ParseRoute(topicVehicleID string, b []byte) (Route, error) {
	if len(b) == 0 {
		if !signals.ValidID(topicVehicleID) {
			return Route{}, badID("vehicle_id", topicVehicleID)
		}
		return Route{VehicleID: topicVehicleID}, nil
	}
	var w routeWire
	if err := signals.DecodePayload(b, &w); err != nil {
		return Route{}, err
	}
	if w.VehicleID == nil {
		return Route{}, fieldErr("vehicle_id", "required")
	}
	if w.TS == nil {
		return Route{}, fieldErr("ts", "required")
	}
	ts, err := signals.ParseTime("ts", *w.TS)
	if err != nil {
		return Route{}, err
	}
	r := Route{VehicleID: *w.VehicleID, TS: ts}
	if w.RouteID != nil {
		if !signals.ValidID(*w.RouteID) {
			return Route{}, badID("route_id", *w.RouteID)
		}
		r.RouteID = *w.RouteID
	}
	if err := checkTopic(topicVehicleID, r.VehicleID); err != nil {
		return Route{}, err
	}
	switch {
	case w.Path != nil && w.Destination != nil:
		return Route{}, fieldErr("path", "give exactly one of path and destination, not both")
	case w.Path == nil && w.Destination == nil:
		return Route{}, fieldErr("path", "give exactly one of path and destination (an empty payload clears the route)")
	case w.Path != nil:
		r.Path = make([]orb.Point, len(w.Path))
		for i, pt := range w.Path {
			if len(pt) != 2 {
				return Route{}, fieldErr("path["+strconv.Itoa(i)+"]", "must be a [lon, lat] pair, got "+strconv.Itoa(len(pt))+" numbers")
			}
			r.Path[i] = orb.Point{pt[0], pt[1]}
		}
	default:
		if len(w.Destination) != 2 {
			return Route{}, fieldErr("destination", "must be a [lon, lat] pair, got "+strconv.Itoa(len(w.Destination))+" numbers")
		}
		r.Destination = &orb.Point{w.Destination[0], w.Destination[1]}
	}
	if err := r.Validate(); err != nil {
		return Route{}, err
	}
	return r, nil
}

// Validate checks r against the wire protocol (a clear route is valid);
// the error is a *signals.FieldError.
func (r Route) Validate() error {
	if !signals.ValidID(r.VehicleID) {
		return badID("vehicle_id", r.VehicleID)
	}
	if r.RouteID != "" && !signals.ValidID(r.RouteID) {
		return badID("route_id", r.RouteID)
	}
	if r.IsClear() {
		return nil
	}
	if r.TS.IsZero() {
		return fieldErr("ts", "required")
	}
	if r.Path != nil && r.Destination != nil {
		return fieldErr("path", "give exactly one of path and destination, not both")
	}
	if r.Path != nil {
		if len(r.Path) < 2 {
			return fieldErr("path", "needs at least two points, got "+strconv.Itoa(len(r.Path)))
		}
		for i, pt := range r.Path {
			if err := checkLonLat("path["+strconv.Itoa(i)+"]", pt); err != nil {
				return err
			}
		}
		return nil
	}
	return checkLonLat("destination", *r.Destination)
}

func checkLonLat(field string, p orb.Point) error {
	if !finite(p[0]) || p[0] < -180 || p[0] > 180 {
		return fieldErr(field, "longitude must be a finite number in [-180, 180], got "+formatFloat(p[0]))
	}
	if !finite(p[1]) || p[1] < -90 || p[1] > 90 {
		return fieldErr(field, "latitude must be a finite number in [-90, 90], got "+formatFloat(p[1]))
	}
	return nil
}

func badID(field, s string) error {
	if s == "" {
		return fieldErr(field, "required")
	}
	return fieldErr(field, "must match ^[A-Za-z0-9._-]{1,64}$, got "+strconv.Quote(truncate(s, 70)))
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
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
	if err := signals.DecodePayload(b, &w); err != nil {
		return ControllerStatus{}, err
	}
	var s ControllerStatus
	switch {
	case w.ControllerID == nil:
		return ControllerStatus{}, fieldErr("controller_id", "required")
	case *w.ControllerID != topicControllerID:
		return ControllerStatus{}, fieldErr("controller_id", "must equal the topic's controller id "+strconv.Quote(topicControllerID))
	case w.State == nil:
		return ControllerStatus{}, fieldErr("state", "required")
	case *w.State != ControllerOnline && *w.State != ControllerOffline:
		return ControllerStatus{}, fieldErr("state", `must be "online" or "offline", got `+strconv.Quote(*w.State))
	}
	s.ControllerID, s.State = *w.ControllerID, *w.State
	if w.TS != nil {
		ts, err := signals.ParseTime("ts", *w.TS)
		if err != nil {
			return ControllerStatus{}, err
		}
		s.TS = ts
	}
	return s, nil
}
