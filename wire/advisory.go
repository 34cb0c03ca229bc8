package wire

import (
	"encoding/json"
	"time"
)

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

// MarshalJSON writes ts in UTC, as every greenwave payload does, and
// "signals" as an array even when empty.
func (a Advisory) MarshalJSON() ([]byte, error) {
	type plain Advisory
	a.TS = a.TS.UTC()
	if a.Signals == nil {
		a.Signals = []AdvisorySignal{}
	}
	return marshal(plain(a))
}

func marshal(v any) ([]byte, error) { return json.Marshal(v) }
