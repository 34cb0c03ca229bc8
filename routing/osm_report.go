package routing

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"
)

// ImportReport counts what ImportOSM read, kept, joined and dropped, and
// says why, so that a city's engineer can check the map against the
// street: per joined junction what was merged and why, per signal node
// that is no intersection why, per pair of intersections closer than
// NearIntersectionsM why they stay two, per turn restriction not applied
// why.
type ImportReport struct {
	NodesRead     int // OSM nodes in the input
	WaysRead      int // OSM ways in the input
	RelationsRead int // OSM relations in the input
	DrivableWays  int // ways of a drivable highway class with motor-vehicle access
	// ExcludedByAccess counts ways of a drivable class left out for
	// access=no/private (without a motor_vehicle/motorcar/emergency
	// exception), area=yes, or a service road that is a parking aisle or
	// drive-through.
	ExcludedByAccess int
	MissingNodeRefs  int // way node references absent from the input (an extract cut mid-way)
	WaysCut          int // drivable ways that lost at least one node that way
	Roads            int // roads written, after splitting ways at junctions, signals and restrictions' via nodes

	// SignalNodes counts traffic-signal nodes on drivable roads:
	// highway=traffic_signals, and highway=crossing with
	// crossing=traffic_signals (a signalised pedestrian crossing). Nodes
	// at the very same position count once: they are one graph node.
	// SignalNodes = SignalsKept + SignalsDropped.
	SignalNodes int
	SignalsKept int // signal nodes that are part of an intersection
	// SignalsDropped counts signal nodes on a drivable road that are part
	// of no intersection: no vehicle can arrive at them in the direction
	// they control (each listed in Dropped with the reason).
	SignalsDropped int
	// SignalsOffRoad counts traffic-signal nodes no drivable road uses: a
	// crossing signal on a footway or cycleway only, on a road closed to
	// motor vehicles, or on no road of the extract (each in Dropped).
	SignalsOffRoad int
	Dropped        []DroppedSignal // every signal node that is no intersection, in node id order

	Intersections int // intersections written
	// Junctions lists every intersection made of more than one node (or
	// more than one signal node), what was merged into it and why, in id
	// order.
	Junctions []JunctionReport
	// Near lists the pairs of intersections closer than
	// NearIntersectionsM in a straight line, and why each pair was not
	// joined.
	Near []NearPair

	Restrictions        int // type=restriction relations read
	RestrictionsApplied int // turn restrictions written (a relation with several from or to roads gives several)
	// SkippedRestrictions lists the relations not applied and why: a
	// member missing from the extract, a via way, an exception for
	// emergency vehicles, an unknown kind.
	SkippedRestrictions []SkippedRestriction

	mergeM, joinM float64
}

// DroppedSignal is a traffic-signal node that did not become (part of) an
// intersection.
type DroppedSignal struct {
	Node   int64     // OSM node id
	LonLat orb.Point // where it is
	Reason string
}

// JunctionReport says what one joined intersection is made of.
type JunctionReport struct {
	ID      string  // the intersection's id
	Signals []int64 // its OSM signal nodes
	Nodes   []int64 // its road graph nodes (OSM node ids)
	Why     []string
}

// NearPair is two intersections closer than NearIntersectionsM, and why
// they were not joined.
type NearPair struct {
	A, B  string
	DistM float64 // straight line between their points
	Why   string
}

// SkippedRestriction is a type=restriction relation that was not applied.
type SkippedRestriction struct {
	Relation int64
	Reason   string
}

// String renders the report as import-osm prints it: the counts, then one
// line per joined junction, near pair, dropped signal and skipped
// restriction.
func (r ImportReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "read        %d nodes, %d ways, %d relations\n", r.NodesRead, r.WaysRead, r.RelationsRead)
	fmt.Fprintf(&b, "roads       %d drivable ways (%d excluded by access/area/service; %d missing node refs cut %d ways) -> %d roads\n",
		r.DrivableWays, r.ExcludedByAccess, r.MissingNodeRefs, r.WaysCut, r.Roads)
	fmt.Fprintf(&b, "signals     %d signal nodes on drivable roads: %d kept, %d dropped; %d off the road network\n",
		r.SignalNodes, r.SignalsKept, r.SignalsDropped, r.SignalsOffRoad)
	fmt.Fprintf(&b, "junctions   %d intersections, %d of them joined from several nodes (signals within %.0f m of their junction, junction nodes within %.0f m along the road)\n",
		r.Intersections, len(r.Junctions), r.mergeM, r.joinM)
	for _, j := range r.Junctions {
		fmt.Fprintf(&b, "  %s: signals %s; nodes %s\n", j.ID, ids(j.Signals), ids(j.Nodes))
		for _, w := range j.Why {
			fmt.Fprintf(&b, "      %s\n", w)
		}
	}
	fmt.Fprintf(&b, "near        %d pairs of intersections within %.0f m\n", len(r.Near), NearIntersectionsM)
	for _, p := range r.Near {
		fmt.Fprintf(&b, "  %s and %s, %.1f m apart: %s\n", p.A, p.B, p.DistM, p.Why)
	}
	for _, d := range r.Dropped {
		fmt.Fprintf(&b, "dropped     signal node %d at %.7f,%.7f: %s\n", d.Node, d.LonLat[0], d.LonLat[1], d.Reason)
	}
	fmt.Fprintf(&b, "turns       %d restriction relations: %d turn restrictions written, %d relations not applied\n",
		r.Restrictions, r.RestrictionsApplied, len(r.SkippedRestrictions))
	for _, s := range r.SkippedRestrictions {
		fmt.Fprintf(&b, "  relation %d: %s\n", s.Relation, s.Reason)
	}
	fmt.Fprintf(&b, "result      %d intersections, %d roads, %d turn restrictions\n", r.Intersections, r.Roads, r.RestrictionsApplied)
	return b.String()
}

func ids(xs []int64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, " ")
}
