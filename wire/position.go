package wire

import "time"

// MaxSpeedMps bounds Position.SpeedMps: 100 m/s (360 km/h) is beyond any
// road vehicle, so a larger value is a unit error (km/h or knots sent as
// m/s would still pass, but not mm/s or garbage).
const MaxSpeedMps = 100

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

// MarshalJSON writes ts in UTC. Optional fields that are nil are left out.
func (p Position) MarshalJSON() ([]byte, error) {
	type plain Position
	p.TS = p.TS.UTC()
	return marshal(plain(p))
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
// topic of vehicle topicVehicleID. The body's vehicle_id must equal it
// (ErrIDMismatch); callers without a topic (tests, tools) pass "" to skip
// that comparison. A refused payload yields a *FieldError naming the field.
func ParsePosition(topicVehicleID string, b []byte) (Position, error) {
	var w positionWire
	if err := DecodePayload(b, &w); err != nil {
		return Position{}, err
	}
	if err := required(field{"vehicle_id", w.VehicleID != nil}, field{"seq", w.Seq != nil}, field{"ts", w.TS != nil},
		field{"lat", w.Lat != nil}, field{"lon", w.Lon != nil}, field{"emergency", w.Emergency != nil}); err != nil {
		return Position{}, err
	}
	ts, err := ParseTime("ts", *w.TS)
	if err != nil {
		return Position{}, err
	}
	p := Position{VehicleID: *w.VehicleID, Seq: *w.Seq, TS: ts, Lat: *w.Lat, Lon: *w.Lon,
		SpeedMps: w.SpeedMps, HeadingDeg: w.HeadingDeg, AccuracyM: w.AccuracyM, Emergency: *w.Emergency}
	if err := checkTopic("vehicle_id", topicVehicleID, p.VehicleID); err != nil {
		return Position{}, err
	}
	if err := p.Validate(); err != nil {
		return Position{}, err
	}
	return p, nil
}

// Validate checks p against the wire protocol; the error is a *FieldError.
// The engine calls it on every Position it is given, so a fix built in Go
// (the simulator's path) gets the same checks as one that came over MQTT,
// including the non-finite numbers JSON cannot carry.
func (p Position) Validate() error {
	if err := CheckID("vehicle_id", p.VehicleID, true); err != nil {
		return err
	}
	return p.ValidateFix()
}

// ValidateFix is Validate without the vehicle id, for a receiver that has
// already checked the id (the engine, for a vehicle it knows).
func (p *Position) ValidateFix() error {
	if p.TS.IsZero() {
		return Invalid("ts", "required")
	}
	if !finite(p.Lat) || p.Lat < -90 || p.Lat > 90 {
		return Invalid("lat", "must be a finite number in [-90, 90], got "+FormatFloat(p.Lat))
	}
	if !finite(p.Lon) || p.Lon < -180 || p.Lon > 180 {
		return Invalid("lon", "must be a finite number in [-180, 180], got "+FormatFloat(p.Lon))
	}
	if p.SpeedMps != nil && (!finite(*p.SpeedMps) || *p.SpeedMps < 0 || *p.SpeedMps > MaxSpeedMps) {
		return Invalid("speed_mps", "must be a finite number in [0, "+FormatFloat(MaxSpeedMps)+"], got "+FormatFloat(*p.SpeedMps))
	}
	if p.HeadingDeg != nil && (!finite(*p.HeadingDeg) || *p.HeadingDeg < 0 || *p.HeadingDeg >= 360) {
		return Invalid("heading_deg", "must be a finite number in [0, 360), got "+FormatFloat(*p.HeadingDeg))
	}
	if p.AccuracyM != nil && (!finite(*p.AccuracyM) || *p.AccuracyM < 0) {
		return Invalid("accuracy_m", "must be a finite number >= 0, got "+FormatFloat(*p.AccuracyM))
	}
	return nil
}
