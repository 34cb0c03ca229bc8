package routing

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/greenwave-project/greenwave/signals"
	"github.com/paulmach/orb"
)

// Timing is an intersection's preemption timing as the inventory gives it,
// in seconds (map-format.md). A preempt reaches green after at most
// MinGreenS + PedClearanceS + YellowS + AllRedS.
type Timing struct {
	MinGreenS     float64 `json:"min_green_s"`
	YellowS       float64 `json:"yellow_s"`
	AllRedS       float64 `json:"all_red_s"`
	PedClearanceS float64 `json:"ped_clearance_s"`
	MaxPreemptS   float64 `json:"max_preempt_s"`
}

// DefaultTiming is used for every field an intersection's `timing` leaves
// out. The values are those of map-format.md's example, which are typical
// of urban NEMA controllers: 7 s minimum green, 12 s pedestrian clearance
// (a 42 ft crossing at 3.5 ft/s), 4 s yellow, 2 s all red, and a 90 s cap on
// one preempt hold.
func DefaultTiming() Timing {
	return Timing{MinGreenS: 7, YellowS: 4, AllRedS: 2, PedClearanceS: 12, MaxPreemptS: 90}
}

// WorstCaseEntryS is the longest a preempt can take to bring up its phase:
// the running phase's minimum green and pedestrian clearance, then yellow,
// then all red.
func (t Timing) WorstCaseEntryS() float64 {
	return t.MinGreenS + t.PedClearanceS + t.YellowS + t.AllRedS
}

// Signal converts the timing to the signal side's durations (rounded to
// the nanosecond). Everything that times a junction of a map (the
// simulator, the roadside-unit simulator, the engine's lead times)
// converts through here, so they time the same junction the same way.
func (t Timing) Signal() signals.Timing {
	d := func(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }
	return signals.Timing{MinGreen: d(t.MinGreenS), PedClearance: d(t.PedClearanceS), Yellow: d(t.YellowS),
		AllRed: d(t.AllRedS), MaxPreempt: d(t.MaxPreemptS)}
}

// Approach is one way into an intersection: the direction of travel of a
// vehicle entering on it and the signal phase that gives it its green.
type Approach struct {
	ID         string  `json:"id"`
	BearingDeg float64 `json:"bearing_deg"`
	Phase      int     `json:"phase"`
	// QueueFlushS is how long the standing queue on this approach takes to
	// discharge once it gets green; 0 means the engine's default.
	QueueFlushS float64 `json:"queue_flush_s,omitempty"`
	// FlowVehH is the approach's typical traffic, vehicles per hour, and
	// SatFlowVehH its saturation flow (all lanes): what a minute of its
	// green is worth, for the controller's estimate of what a preempt
	// costs the other approaches. 0 means the engine's default.
	FlowVehH    float64 `json:"flow_veh_h,omitempty"`
	SatFlowVehH float64 `json:"sat_flow_veh_h,omitempty"`
	// StopLines are the road graph nodes ([lon, lat], each within
	// JoinToleranceM of a road end point) where a vehicle on this approach
	// enters the intersection and meets its signal. Empty means the
	// intersection's own node, the one nearest its point: a junction
	// drawn as one node. A junction of several nodes (a dual carriageway
	// crossing, stop-line signals before the junction) has one stop line
	// per road that enters it on this approach.
	StopLines []orb.Point `json:"stop_lines,omitempty"`
}

// Intersection is a signalised intersection of the inventory.
type Intersection struct {
	ID         string
	Name       string
	LonLat     orb.Point // its centre
	Approaches []Approach
	Timing     Timing
	// Nodes are further road graph nodes ([lon, lat]) that belong to the
	// junction besides the approaches' stop lines: the junction nodes of a
	// divided road between its carriageways, the node the stop-line
	// signals stand before. A road with both ends among the intersection's
	// nodes and stop lines is inside the junction: a vehicle on it has
	// already entered. Empty for a junction of one node.
	Nodes []orb.Point

	// Set by Build: the position in the network's projection and the graph
	// node the intersection sits on.
	XY   XY
	Node int32
}

// Phases returns the distinct signal phases of the intersection's
// approaches, in approach order.
func (in *Intersection) Phases() []int {
	phases := make([]int, 0, len(in.Approaches))
	for _, a := range in.Approaches {
		if !slices.Contains(phases, a.Phase) {
			phases = append(phases, a.Phase)
		}
	}
	return phases
}

// NormalPlan is the intersection's fixed-time plan (signals.NormalPlan of
// its phases and timing) for the given cycle and main-street share, with
// the timing it runs on.
func (in *Intersection) NormalPlan(cycle time.Duration, mainShare float64) (signals.Plan, signals.Timing, error) {
	t := in.Timing.Signal()
	plan, err := signals.NormalPlan(in.Phases(), t, cycle, mainShare)
	return plan, t, err
}

// Road is a road of the inventory: a polyline that joins other roads at its
// end points.
type Road struct {
	ID       string
	Name     string
	Coords   []orb.Point // [lon, lat]
	Oneway   bool        // traffic flows in the order of Coords
	SpeedMps float64     // free-flow speed
	Class    string      // OSM highway class, when known
}

// Inventory is a city's signalised intersections and roads as map-format.md
// describes them, before the road graph is built.
type Inventory struct {
	Intersections []Intersection
	Roads         []Road
	Restrictions  []TurnRestriction
}

// TurnRestriction forbids turns at one junction, as an OpenStreetMap
// type=restriction relation with a via node does: a "no_*" kind forbids
// the turn from road From to road To at Via, an "only_*" kind forbids
// every turn from From at Via except the one to To (and to the To of any
// other only_* restriction from the same road there). Routes and the
// road ahead never take a forbidden turn.
type TurnRestriction struct {
	ID   string    // unique among the map's features
	Kind string    // the OSM restriction value: no_left_turn, only_straight_on, ...
	From string    // id of the road the vehicle arrives on
	To   string    // id of the road it would leave by
	Via  orb.Point // [lon, lat] of the junction node, an end point of both roads
}

// Only reports whether the restriction allows only its turn (an only_*
// kind) rather than forbidding it.
func (r *TurnRestriction) Only() bool { return strings.HasPrefix(r.Kind, "only_") }

// DefaultSpeedMps is the free-flow speed of a road with no speed of its own.
// 50 km/h is the urban default speed limit in most of Europe and close to
// the US 30 mph.
const DefaultSpeedMps = 50 / 3.6

// ClassSpeedMps gives the free-flow speed used for an OSM highway class when
// a way has no usable maxspeed. They are the usual urban limits (km/h):
// motorway 90, trunk 70, primary/secondary 50, tertiary 50, residential and
// unclassified 30 (the growing European urban default), service and
// living streets 20 and 10.
var ClassSpeedMps = map[string]float64{
	"motorway": 90 / 3.6, "motorway_link": 60 / 3.6,
	"trunk": 70 / 3.6, "trunk_link": 50 / 3.6,
	"primary": 50 / 3.6, "primary_link": 40 / 3.6,
	"secondary": 50 / 3.6, "secondary_link": 40 / 3.6,
	"tertiary": 50 / 3.6, "tertiary_link": 40 / 3.6,
	"unclassified": 30 / 3.6, "residential": 30 / 3.6,
	"living_street": 10 / 3.6, "service": 20 / 3.6,
}
