package routing

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// JoinToleranceM is how close two road end points must be to be joined into
// one graph node (map-format.md: within 1 m).
const JoinToleranceM = 1.0

// IntersectionToleranceM is how far an intersection's point may lie from the
// graph node it sits on. 30 m covers a junction drawn at the centre of a wide
// crossing while a file whose intersection lies off every road is rejected.
const IntersectionToleranceM = 30.0

// maxReportedErrors bounds how many validation errors Build reports at once:
// enough to fix a file in one go, not a flood.
const maxReportedErrors = 50

// Edge is one direction of travel along a road between two graph nodes.
type Edge struct {
	From, To int32
	Road     int32   // index into Network.Roads
	Twin     int32   // the edge for the opposite direction of a two-way road, or -1
	LengthM  float64 // along the geometry
	SpeedMps float64 // free-flow speed

	geomStart, geomEnd int32 // [geomStart, geomEnd) into Network.geom
	// state is the route search label of a vehicle at the end of this
	// edge: the To node, or where a turn there is forbidden a label of
	// the edge's own (see buildRestrictions).
	state int32
	// The bearings of the first and last segments, computed once: walking
	// the road ahead compares them at every junction, and each is an
	// atan2.
	firstBearing, entryBearing float64
}

// TravelTimeS is the free-flow time to traverse the whole edge.
func (e *Edge) TravelTimeS() float64 { return e.LengthM / e.SpeedMps }

// SegmentRef names segment Seg (between geometry points Seg and Seg+1) of
// edge Edge. Only one direction of a two-way road is indexed; its Twin is
// the other.
type SegmentRef struct {
	Edge int32
	Seg  int32
}

// Network is the road graph and the intersection inventory in one local
// projection, with R-tree indexes of road segments (for map matching) and
// of signalised intersections (for the path ahead). It is immutable once
// built and safe for concurrent readers.
type Network struct {
	proj  Projection
	nodes []XY
	edges []Edge
	geom  []XY      // every edge's geometry, edge after edge
	cum   []float64 // distance from the edge's start to each geometry point
	// segs[k] is the segment from geometry point k to k+1 of the same
	// edge (zero at an edge's last point): a path copies these rather
	// than computing a square root and an arctangent per point, every
	// time a vehicle's road ahead is derived.
	segs []geomSegment

	outStart, outEdges []int32 // CSR adjacency: edges leaving node n are outEdges[outStart[n]:outStart[n+1]]
	inStart, inEdges   []int32 // CSR adjacency of edges entering node n

	roads     []Road
	inters    []Intersection
	interByID map[string]int32
	nodeInter []int32 // the intersection at node n, or -1
	// Of each intersection: its graph nodes (the one nearest its point
	// first) and where each approach's stop lines are.
	interNodes [][]int32
	interStops [][]approachStop

	// Turn restrictions: bans[banStart[e]:banStart[e+1]] are the edges a
	// vehicle arriving on edge e may not take next. Both nil when the map
	// has none, which keeps route search on node labels alone.
	banStart, bans []int32
	// numStates is how many labels a route search needs: one per node,
	// and one per edge entering a node where some turn is forbidden
	// (Edge.state).
	numStates int32

	segIndex    rtree.RTreeG[SegmentRef]
	interIndex  rtree.RTreeG[int32]
	memberIndex rtree.RTreeG[[2]int32] // (intersection, node) of every intersection node
	maxSpeed    float64
}

// Validate checks an inventory for everything that would make a network
// built from it wrong: duplicate ids, approaches without phase, bearings out
// of range, roads with fewer than two points, non-finite or out-of-range
// coordinates, and impossible speeds or timings. It reports at most 50
// errors, each a *wire.FieldError.
func (inv *Inventory) Validate() error {
	var errs []error
	add := func(feature, field, format string, args ...any) {
		if len(errs) < maxReportedErrors {
			errs = append(errs, &wire.FieldError{Where: feature, Field: field, Reason: fmt.Sprintf(format, args...)})
		}
	}
	ids := make(map[string]bool, len(inv.Intersections)+len(inv.Roads))
	// checkID: an id is present, unique across every feature, and (where
	// the protocol carries it: intersections, restrictions) well formed.
	checkID := func(name, id string, wireID bool) {
		switch {
		case id == "":
			add(name, "id", "missing")
		case wireID && !wire.ValidID(id):
			add(name, "id", "must match "+wire.IDPattern)
		case ids[id]:
			add(name, "id", "duplicate id %q", id)
		}
		ids[id] = true
	}
	for i := range inv.Intersections {
		in := &inv.Intersections[i]
		name := featureName("intersection", i, in.ID)
		checkID(name, in.ID, true)
		if !validLonLat(in.LonLat) {
			add(name, "geometry.coordinates", "not a valid [lon, lat]: %v", in.LonLat)
		}
		if len(in.Approaches) == 0 {
			add(name, "approaches", "an intersection needs at least one approach")
		}
		approachIDs := make(map[string]bool, len(in.Approaches))
		for j, a := range in.Approaches {
			field := fmt.Sprintf("approaches[%d]", j)
			switch {
			case a.ID == "":
				add(name, field+".id", "missing")
			case !wire.ValidID(a.ID):
				add(name, field+".id", "must match "+wire.IDPattern)
			case approachIDs[a.ID]:
				add(name, field+".id", "duplicate approach id %q", a.ID)
			}
			approachIDs[a.ID] = true
			if math.IsNaN(a.BearingDeg) || a.BearingDeg < 0 || a.BearingDeg >= 360 {
				add(name, field+".bearing_deg", "must be in [0, 360), got %v", a.BearingDeg)
			}
			if a.Phase < 1 || a.Phase > 16 {
				add(name, field+".phase", "must be a signal phase 1..16, got %d", a.Phase)
			}
			if math.IsNaN(a.QueueFlushS) || a.QueueFlushS < 0 || a.QueueFlushS > 600 {
				add(name, field+".queue_flush_s", "must be in [0, 600], got %v", a.QueueFlushS)
			}
			if math.IsNaN(a.FlowVehH) || a.FlowVehH < 0 || a.FlowVehH > 20000 {
				add(name, field+".flow_veh_h", "must be in [0, 20000] vehicles an hour, got %v", a.FlowVehH)
			}
			if math.IsNaN(a.SatFlowVehH) || a.SatFlowVehH < 0 || a.SatFlowVehH > 20000 {
				add(name, field+".sat_flow_veh_h", "must be in [0, 20000] vehicles an hour, got %v", a.SatFlowVehH)
			}
			for k, c := range a.StopLines {
				if !validLonLat(c) {
					add(name, fmt.Sprintf("%s.stop_lines[%d]", field, k), "not a valid [lon, lat]: %v", c)
				}
			}
		}
		for k, c := range in.Nodes {
			if !validLonLat(c) {
				add(name, fmt.Sprintf("nodes[%d]", k), "not a valid [lon, lat]: %v", c)
			}
		}
		t := in.Timing
		for _, f := range []struct {
			field string
			v     float64
			min   float64
		}{{"timing.min_green_s", t.MinGreenS, 0}, {"timing.yellow_s", t.YellowS, 3},
			{"timing.all_red_s", t.AllRedS, 0}, {"timing.ped_clearance_s", t.PedClearanceS, 0},
			{"timing.max_preempt_s", t.MaxPreemptS, 1}} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < f.min || f.v > 3600 {
				add(name, f.field, "must be in [%v, 3600] seconds, got %v", f.min, f.v)
			}
		}
	}
	for i := range inv.Roads {
		r := &inv.Roads[i]
		name := featureName("road", i, r.ID)
		checkID(name, r.ID, false)
		if len(r.Coords) < 2 {
			add(name, "geometry.coordinates", "a road needs at least two points, got %d", len(r.Coords))
		}
		distinct := false
		for j, c := range r.Coords {
			if !validLonLat(c) {
				add(name, fmt.Sprintf("geometry.coordinates[%d]", j), "not a valid [lon, lat]: %v", c)
			}
			if j > 0 && c != r.Coords[0] {
				distinct = true
			}
		}
		if len(r.Coords) >= 2 && !distinct {
			add(name, "geometry.coordinates", "all points are the same: the road has no length")
		}
		if math.IsNaN(r.SpeedMps) || r.SpeedMps <= 0 || r.SpeedMps > 100 {
			add(name, "speed_mps", "must be in (0, 100], got %v", r.SpeedMps)
		}
	}
	for i := range inv.Restrictions {
		r := &inv.Restrictions[i]
		name := featureName("restriction", i, r.ID)
		checkID(name, r.ID, true)
		if !strings.HasPrefix(r.Kind, "no_") && !strings.HasPrefix(r.Kind, "only_") {
			add(name, "restriction", `must be an OSM restriction, "no_…" or "only_…", got %q`, r.Kind)
		}
		if r.From == "" {
			add(name, "from", "missing")
		}
		if r.To == "" {
			add(name, "to", "missing")
		}
		if !validLonLat(r.Via) {
			add(name, "geometry.coordinates", "not a valid [lon, lat]: %v", r.Via)
		}
	}
	return errors.Join(errs...)
}

func featureName(kind string, index int, id string) string {
	if id != "" {
		return fmt.Sprintf("%s %q", kind, id)
	}
	return fmt.Sprintf("%s #%d", kind, index)
}

// Build validates an inventory and builds its road graph and indexes. Roads
// are joined where their end points lie within JoinToleranceM; each
// intersection is attached to the nearest graph node within
// IntersectionToleranceM, or the inventory is rejected naming it.
func Build(inv *Inventory) (*Network, error) {
	if err := inv.Validate(); err != nil {
		return nil, err
	}
	if len(inv.Roads) == 0 {
		return nil, errors.New("the map has no roads: nothing to route or match on")
	}
	n := &Network{proj: NewProjection(centre(inv)), interByID: make(map[string]int32, len(inv.Intersections))}
	n.roads = append([]Road(nil), inv.Roads...)

	snap := newSnapGrid()
	nodeFor := func(p XY) int32 {
		if id, ok := snap.find(p, n.nodes); ok {
			return id
		}
		id := int32(len(n.nodes))
		n.nodes = append(n.nodes, p)
		snap.add(p, id)
		return id
	}
	for ri := range n.roads {
		r := &n.roads[ri]
		pts := make([]XY, 0, len(r.Coords))
		for _, c := range r.Coords {
			p := n.proj.ToXY(c)
			if len(pts) == 0 || pts[len(pts)-1] != p {
				pts = append(pts, p)
			}
		}
		from, to := nodeFor(pts[0]), nodeFor(pts[len(pts)-1])
		// Both ends joined to the nodes' canonical positions so the graph
		// has no 1 m gaps.
		pts[0], pts[len(pts)-1] = n.nodes[from], n.nodes[to]
		fwd := n.addEdge(from, to, int32(ri), r.SpeedMps, pts, false)
		if !r.Oneway {
			back := n.addEdge(to, from, int32(ri), r.SpeedMps, pts, true)
			n.edges[fwd].Twin, n.edges[back].Twin = back, fwd
		}
		if r.SpeedMps > n.maxSpeed {
			n.maxSpeed = r.SpeedMps
		}
	}
	n.buildAdjacency()
	for ei := range n.edges {
		e := &n.edges[ei]
		if e.Twin >= 0 && e.Twin < int32(ei) {
			continue
		}
		g := n.geom[e.geomStart:e.geomEnd]
		for s := 0; s+1 < len(g); s++ {
			lo, hi := bbox(g[s], g[s+1])
			n.segIndex.Insert(lo, hi, SegmentRef{Edge: int32(ei), Seg: int32(s)})
		}
	}

	errs := n.attachIntersections(inv.Intersections, snap)
	if len(errs) == 0 {
		errs = n.buildRestrictions(inv.Restrictions, snap)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return n, nil
}

// geomSegment is a segment of an edge's geometry, as a path built over it
// records it: its length (XY.Dist) and bearing (BearingDeg).
type geomSegment struct {
	lengthM, bearing float64
}

func (n *Network) addEdge(from, to, road int32, speed float64, pts []XY, reverse bool) int32 {
	start := int32(len(n.geom))
	length := 0.0
	for i := range pts {
		p := pts[i]
		if reverse {
			p = pts[len(pts)-1-i]
		}
		if i > 0 {
			prev := n.geom[len(n.geom)-1]
			d := p.Dist(prev)
			length += d
			n.segs[len(n.segs)-1] = geomSegment{lengthM: d, bearing: BearingDeg(prev, p)}
		}
		n.geom = append(n.geom, p)
		n.cum = append(n.cum, length)
		n.segs = append(n.segs, geomSegment{})
	}
	end := int32(len(n.geom))
	n.edges = append(n.edges, Edge{From: from, To: to, Road: road, Twin: -1, LengthM: length, SpeedMps: speed,
		geomStart: start, geomEnd: end, firstBearing: BearingDeg(n.geom[start], n.geom[start+1]),
		entryBearing: BearingDeg(n.geom[end-2], n.geom[end-1])})
	return int32(len(n.edges) - 1)
}

func (n *Network) buildAdjacency() {
	n.outStart = make([]int32, len(n.nodes)+1)
	n.inStart = make([]int32, len(n.nodes)+1)
	for _, e := range n.edges {
		n.outStart[e.From+1]++
		n.inStart[e.To+1]++
	}
	for i := 1; i <= len(n.nodes); i++ {
		n.outStart[i] += n.outStart[i-1]
		n.inStart[i] += n.inStart[i-1]
	}
	n.outEdges = make([]int32, len(n.edges))
	n.inEdges = make([]int32, len(n.edges))
	outFill := append([]int32(nil), n.outStart[:len(n.nodes)]...)
	inFill := append([]int32(nil), n.inStart[:len(n.nodes)]...)
	for i, e := range n.edges {
		n.outEdges[outFill[e.From]] = int32(i)
		outFill[e.From]++
		n.inEdges[inFill[e.To]] = int32(i)
		inFill[e.To]++
	}
}

// nearestNode returns the graph node nearest to p within maxDist, and its
// distance, or -1. Nodes are found through the segment index: every node is
// an end point of some indexed segment.
func (n *Network) nearestNode(p XY, maxDist float64) (int32, float64) {
	best, bestD := int32(-1), math.Inf(1)
	lo, hi := [2]float64{p.X - maxDist, p.Y - maxDist}, [2]float64{p.X + maxDist, p.Y + maxDist}
	n.segIndex.Search(lo, hi, func(_, _ [2]float64, ref SegmentRef) bool {
		e := &n.edges[ref.Edge]
		for _, node := range [2]int32{e.From, e.To} {
			if d := p.Dist(n.nodes[node]); d < bestD && d <= maxDist {
				best, bestD = node, d
			}
		}
		return true
	})
	return best, bestD
}

func centre(inv *Inventory) orb.Point {
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, r := range inv.Roads {
		for _, c := range r.Coords {
			b = b.Extend(c)
		}
	}
	return b.Center()
}

func bbox(a, b XY) ([2]float64, [2]float64) {
	return [2]float64{math.Min(a.X, b.X), math.Min(a.Y, b.Y)}, [2]float64{math.Max(a.X, b.X), math.Max(a.Y, b.Y)}
}

// snapGrid finds an existing node within JoinToleranceM of a point in O(1):
// a hash of 1 m cells, searched in the 3x3 block around the point.
type snapGrid map[[2]int64][]int32

func newSnapGrid() snapGrid { return make(snapGrid) }

func cellOf(p XY) [2]int64 {
	return [2]int64{int64(math.Floor(p.X / JoinToleranceM)), int64(math.Floor(p.Y / JoinToleranceM))}
}

func (g snapGrid) add(p XY, id int32) { c := cellOf(p); g[c] = append(g[c], id) }

func (g snapGrid) find(p XY, nodes []XY) (int32, bool) {
	c := cellOf(p)
	best, bestD := int32(-1), math.Inf(1)
	for dx := int64(-1); dx <= 1; dx++ {
		for dy := int64(-1); dy <= 1; dy++ {
			for _, id := range g[[2]int64{c[0] + dx, c[1] + dy}] {
				if d := p.Dist(nodes[id]); d <= JoinToleranceM && d < bestD {
					best, bestD = id, d
				}
			}
		}
	}
	return best, best >= 0
}
