package wire

import (
	"strconv"
	"time"

	"github.com/paulmach/orb"
)

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

// MarshalJSON writes ts in UTC. A clear route has no JSON form (it is the
// empty payload): publish zero bytes for it instead.
func (r Route) MarshalJSON() ([]byte, error) {
	if r.IsClear() {
		return nil, Invalid("payload", "a clear route is the empty payload, not JSON")
	}
	type plain Route
	r.TS = r.TS.UTC()
	return marshal(plain(r))
}

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
		if err := CheckID("vehicle_id", topicVehicleID, true); err != nil {
			return Route{}, err
		}
		return Route{VehicleID: topicVehicleID}, nil
	}
	var w routeWire
	if err := DecodePayload(b, &w); err != nil {
		return Route{}, err
	}
	if err := required(field{"vehicle_id", w.VehicleID != nil}, field{"ts", w.TS != nil}); err != nil {
		return Route{}, err
	}
	ts, err := ParseTime("ts", *w.TS)
	if err != nil {
		return Route{}, err
	}
	r := Route{VehicleID: *w.VehicleID, TS: ts}
	if w.RouteID != nil {
		if err := CheckID("route_id", *w.RouteID, true); err != nil {
			return Route{}, err
		}
		r.RouteID = *w.RouteID
	}
	if err := checkTopic("vehicle_id", topicVehicleID, r.VehicleID); err != nil {
		return Route{}, err
	}
	switch {
	case w.Path != nil && w.Destination != nil:
		return Route{}, Invalid("path", "give exactly one of path and destination, not both")
	case w.Path == nil && w.Destination == nil:
		return Route{}, Invalid("path", "give exactly one of path and destination (an empty payload clears the route)")
	case w.Path != nil:
		r.Path = make([]orb.Point, len(w.Path))
		for i, pt := range w.Path {
			if len(pt) != 2 {
				return Route{}, Invalid("path["+strconv.Itoa(i)+"]", "must be a [lon, lat] pair, got "+strconv.Itoa(len(pt))+" numbers")
			}
			r.Path[i] = orb.Point{pt[0], pt[1]}
		}
	default:
		if len(w.Destination) != 2 {
			return Route{}, Invalid("destination", "must be a [lon, lat] pair, got "+strconv.Itoa(len(w.Destination))+" numbers")
		}
		r.Destination = &orb.Point{w.Destination[0], w.Destination[1]}
	}
	if err := r.Validate(); err != nil {
		return Route{}, err
	}
	return r, nil
}

// Validate checks r against the wire protocol (a clear route is valid);
// the error is a *FieldError.
func (r Route) Validate() error {
	if err := CheckID("vehicle_id", r.VehicleID, true); err != nil {
		return err
	}
	if err := CheckID("route_id", r.RouteID, false); err != nil {
		return err
	}
	if r.IsClear() {
		return nil
	}
	if r.TS.IsZero() {
		return Invalid("ts", "required")
	}
	if r.Path != nil && r.Destination != nil {
		return Invalid("path", "give exactly one of path and destination, not both")
	}
	if r.Path != nil {
		if len(r.Path) < 2 {
			return Invalid("path", "needs at least two points, got "+strconv.Itoa(len(r.Path)))
		}
		for i, pt := range r.Path {
			if err := CheckLonLat("path["+strconv.Itoa(i)+"]", pt); err != nil {
				return err
			}
		}
		return nil
	}
	return CheckLonLat("destination", *r.Destination)
}

// CheckLonLat returns a *FieldError naming field unless p is a finite
// WGS84 [lon, lat] point.
func CheckLonLat(field string, p orb.Point) error {
	if !finite(p[0]) || p[0] < -180 || p[0] > 180 {
		return Invalid(field, "longitude must be a finite number in [-180, 180], got "+FormatFloat(p[0]))
	}
	if !finite(p[1]) || p[1] < -90 || p[1] > 90 {
		return Invalid(field, "latitude must be a finite number in [-90, 90], got "+FormatFloat(p[1]))
	}
	return nil
}
