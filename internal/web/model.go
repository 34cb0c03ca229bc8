package web

import (
	"encoding/json"
	"math"
	"time"
)

// The page's coordinates are metres east (x) and south (y) of the map's
// projection centre (routing.Projection with y flipped, as SVG draws
// down), rounded to 0.1 m. Times are Unix milliseconds on the clock of
// the service that made them (a demo's clock runs faster than the wall).

// MapData is the map the page draws: GET /api/map.
type MapData struct {
	Name          string            `json:"name"`
	Bounds        [4]float64        `json:"bounds"` // min x, min y, max x, max y
	Roads         []RoadClass       `json:"roads"`
	Intersections []MapIntersection `json:"intersections"`
}

// RoadClass is the roads of one class ("major" or "minor"), each a flat
// list x0, y0, x1, y1, ...
type RoadClass struct {
	Class string      `json:"class"`
	Lines [][]float64 `json:"lines"`
}

// MapIntersection is one signalised intersection of the map.
type MapIntersection struct {
	ID         string        `json:"id"`
	Name       string        `json:"name,omitempty"`
	X          float64       `json:"x"`
	Y          float64       `json:"y"`
	Approaches []MapApproach `json:"approaches"`
}

// MapApproach is one approach of an intersection.
type MapApproach struct {
	ID         string  `json:"id"`
	BearingDeg float64 `json:"bearing_deg"`
	Phase      int     `json:"phase"`
}

// Signal states the page shows: the roadside's own (normal, entry, hold,
// exit, fault, from signals.State*), and StateOffline when its last status
// is older than Options.SignalStaleAfter. A signal never heard from is
// not sent at all; the page shows it as unknown.
const StateOffline = "offline"

// Signal is an intersection's last reported status.
type Signal struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	Greens    []int  `json:"greens,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	TS        int64  `json:"ts"`
}

// Vehicle is a vehicle's last accepted fix and where the engine has it.
type Vehicle struct {
	ID         string   `json:"id"`
	X          float64  `json:"x"`
	Y          float64  `json:"y"`
	HeadingDeg *float64 `json:"heading_deg,omitempty"` // clockwise from north; the path's bearing when the fix has none
	SpeedMps   *float64 `json:"speed_mps,omitempty"`
	Emergency  bool     `json:"emergency"`
	TS         int64    `json:"ts"`
	PathID     int64    `json:"path_id,omitempty"` // 0: no path
	AlongM     float64  `json:"along_m"`           // on the path, where the fix was located
	OnPath     bool     `json:"on_path"`
	// Signals is the vehicle's last advisory: the signals ahead and what
	// greenwave does about each. Only in a snapshot; a batch carries
	// changes as Advisories.
	Signals []VehicleSignal `json:"signals,omitempty"`
}

// VehicleSignal is one signal ahead of a vehicle (wire.AdvisorySignal).
type VehicleSignal struct {
	ID        string  `json:"id"`
	State     string  `json:"state"` // planned, requested, granted, denied, released
	EtaS      float64 `json:"eta_s"`
	DistanceM float64 `json:"distance_m"`
}

// Advisory replaces a vehicle's signals ahead.
type Advisory struct {
	VehicleID string          `json:"vehicle_id"`
	Signals   []VehicleSignal `json:"signals"`
}

// Path is the polyline a vehicle is followed on, sent once per path: the
// vehicle's PathID names it.
type Path struct {
	ID        int64     `json:"id"`
	VehicleID string    `json:"vehicle_id"`
	Points    []float64 `json:"points"` // x0, y0, x1, y1, ...
}

// Preempt is a live preempt request.
type Preempt struct {
	RequestID      string `json:"request_id"`
	VehicleID      string `json:"vehicle_id"`
	IntersectionID string `json:"intersection_id"`
	Since          int64  `json:"since"`      // the first request
	ExpiresAt      int64  `json:"expires_at"` // of the last (re)send
	Granted        bool   `json:"granted"`
}

// Ended is a preempt that is no longer live: released (Reason is the
// release's reason) or past its expiry with no refresh ("expired").
type Ended struct {
	RequestID string `json:"request_id"`
	Reason    string `json:"reason"`
}

// ReasonExpired ends a preempt whose expires_at passed with no refresh
// and no release seen: the roadside has ended it itself.
const ReasonExpired = "expired"

// Batch is what changed in one batch interval: one Server-Sent Event
// "batch", one line of a recording. Applying batches in order to a
// snapshot gives the state.
type Batch struct {
	Seq        uint64            `json:"seq"`
	Now        int64             `json:"now"`
	Rate       float64           `json:"rate"`               // clock seconds per real second
	Statuses   []Signal          `json:"statuses,omitempty"` // in order; the last per signal stands
	Vehicles   []Vehicle         `json:"vehicles,omitempty"`
	Paths      []Path            `json:"paths,omitempty"`
	Advisories []Advisory        `json:"advisories,omitempty"`
	Gone       []string          `json:"gone,omitempty"` // vehicles not heard from for Options.VehicleGoneAfter
	Preempts   []Preempt         `json:"preempts,omitempty"`
	Ended      []Ended           `json:"ended,omitempty"`
	Decisions  []json.RawMessage `json:"decisions,omitempty"` // controller.Decision's stable JSON
	// Skipped counts decisions left out of this batch because more came
	// than Options.MaxDecisions allows (a flood of rejects, say).
	Skipped int `json:"skipped,omitempty"`
}

func (b *Batch) empty() bool {
	return len(b.Statuses) == 0 && len(b.Vehicles) == 0 && len(b.Paths) == 0 && len(b.Advisories) == 0 &&
		len(b.Gone) == 0 && len(b.Preempts) == 0 && len(b.Ended) == 0 && len(b.Decisions) == 0 && b.Skipped == 0
}

// Snapshot is the whole state: the first event a page gets ("snapshot"),
// again after it fell behind, and GET /api/state.
type Snapshot struct {
	Seq       uint64            `json:"seq"` // the last batch it includes
	Now       int64             `json:"now"`
	Rate      float64           `json:"rate"`
	Replay    bool              `json:"replay,omitempty"`
	Signals   []Signal          `json:"signals"`
	Vehicles  []Vehicle         `json:"vehicles"`
	Paths     []Path            `json:"paths"`
	Preempts  []Preempt         `json:"preempts"`
	Decisions []json.RawMessage `json:"decisions"` // the last Options.DecisionsKept, oldest first
	// Dropped counts the batches this page was not sent because it did
	// not keep up; the snapshot replaces them.
	Dropped int64 `json:"dropped"`
}

// HistoryEntry is one event of a signal's recent history (GET
// /api/signals/{id}/history): a status it reported or a decision about it.
type HistoryEntry struct {
	At       int64           `json:"at"`
	Status   *Signal         `json:"status,omitempty"`
	Decision json.RawMessage `json:"decision,omitempty"`
}

func unixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func round1(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return math.Round(f*10) / 10
}
