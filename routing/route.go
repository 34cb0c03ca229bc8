package routing

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"
)

// MaxSnapDistM is how far a route's end point may be from the nearest road.
// Farther than this the point is not on the map (a typo, the wrong city, a
// swapped lon/lat) and routing from the nearest road would mislead.
const MaxSnapDistM = 200.0

// SnapAlternativesM is how much farther than the nearest road another
// road may be from a route's end point and still be where the route
// starts or ends. A point at a junction is as near to every road of it;
// one beside a divided road is a few metres from each carriageway. The
// route is the fastest from any of them, so a point at a junction may
// leave by any road of it, not only by the one that happens to be a
// centimetre nearer (a one-way carriageway pointing away, say).
const SnapAlternativesM = 5.0

// maxSnapRoads bounds the roads a route's end point may snap to: a
// junction of eight roads.
const maxSnapRoads = 8

// snapSearchM is the radius first searched for a route's end point:
// nearly every point given is on or beside a road, and a small search is
// fast.
const snapSearchM = 30.0

// maxSnapPoints bounds the directed positions a route's end point may
// snap to: each of maxSnapRoads roads both ways, and the roads of a
// junction of several nodes.
const maxSnapPoints = 64

// Route returns the fastest route at free-flow speeds from one [lon, lat]
// point to another. Each point is snapped to the nearest road and to any
// other within SnapAlternativesM of that distance (the path starts and
// ends part-way along an edge; on a two-way road either direction may be
// taken); a point within SnapAlternativesM of an intersection's point or
// of one of its nodes is at that junction, and may also leave it (or
// reach it) by any of its nodes' roads. The route is the fastest between
// any of those positions.
// It never takes a turn a restriction forbids. The error says why when a
// point is farther than MaxSnapDistM from every road or when no route
// joins the two.
func (n *Network) Route(from, to orb.Point) (*Path, error) {
	var starts, dests snapSet
	if err := n.snap("from", from, &starts, true); err != nil {
		return nil, err
	}
	if err := n.snap("to", to, &dests, false); err != nil {
		return nil, err
	}
	return n.route(&starts, &dests, from, to)
}

// RouteFrom returns the fastest route at free-flow speeds from a matched
// position, in its direction of travel, to a [lon, lat] point (snapped as
// Route snaps it). Like Route, it may turn round at a node (a junction or
// a dead end), never part-way along a road, and never takes a forbidden
// turn.
func (n *Network) RouteFrom(pos RoadPos, to orb.Point) (*Path, error) {
	if pos.Edge < 0 || int(pos.Edge) >= len(n.edges) {
		return nil, fmt.Errorf("route from: edge %d is not an edge of the network", pos.Edge)
	}
	if math.IsNaN(pos.OffsetM) || math.IsInf(pos.OffsetM, 0) {
		return nil, fmt.Errorf("route from: offset %v is not a number of metres", pos.OffsetM)
	}
	var starts, dests snapSet
	if err := n.snap("to", to, &dests, false); err != nil {
		return nil, err
	}
	starts.add(roadPoint{edge: pos.Edge, off: clamp(pos.OffsetM, 0, n.edges[pos.Edge].LengthM)})
	return n.route(&starts, &dests, n.proj.ToLonLat(pos.XY), to)
}

// roadPoint is a point part-way along a directed edge.
type roadPoint struct {
	edge int32
	off  float64
}

// snapSet is the directed road positions a route's end point snaps to.
type snapSet struct {
	pts [maxSnapPoints]roadPoint
	n   int
}

func (s *snapSet) add(rp roadPoint) {
	for _, o := range s.pts[:s.n] {
		if o == rp {
			return
		}
	}
	if s.n < len(s.pts) {
		s.pts[s.n] = rp
		s.n++
	}
}

func (s *snapSet) all() []roadPoint { return s.pts[:s.n] }

// snap fills set with the road positions ll snaps to (see Route), as a
// start or as a destination, or returns an error naming which end (what)
// is off the map and by how far.
func (n *Network) snap(what string, ll orb.Point, set *snapSet, asStart bool) error {
	if !validLonLat(ll) {
		return fmt.Errorf("%s: %v is not a valid [lon, lat]", what, ll)
	}
	p := n.proj.ToXY(ll)
	var hits [maxSnapRoads]RoadPos
	k := n.nearestRoads(p, snapSearchM, hits[:])
	switch {
	case k == 0:
		k = n.nearestRoads(p, MaxSnapDistM, hits[:])
	case hits[0].DistM+SnapAlternativesM > snapSearchM:
		// Roads the small search could not see may be near enough.
		k = n.nearestRoads(p, hits[0].DistM+SnapAlternativesM, hits[:])
	}
	if k > 0 {
		for _, h := range hits[:k] {
			for _, rp := range n.bothDirections(roadPoint{edge: h.Edge, off: h.OffsetM}) {
				if rp.edge >= 0 {
					set.add(rp)
				}
			}
		}
		if ii := n.junctionAt(p); ii >= 0 {
			for _, v := range n.interNodes[ii] {
				if asStart {
					for _, e := range n.OutEdges(v) {
						set.add(roadPoint{edge: e})
					}
				} else {
					for _, e := range n.InEdges(v) {
						set.add(roadPoint{edge: e, off: n.edges[e].LengthM})
					}
				}
			}
		}
		return nil
	}
	// Say how far off the map the point is: it tells a typo (thousands of
	// km) from a point just outside the map's area.
	for r := 2 * MaxSnapDistM; r < 2e7; r *= 4 {
		if pos, ok := n.nearestRoad(p, r); ok {
			return fmt.Errorf("%s: point [%.6f, %.6f] is %.0f m from the nearest road (at most %.0f m allowed)",
				what, ll[0], ll[1], pos.DistM, MaxSnapDistM)
		}
	}
	return fmt.Errorf("%s: point [%.6f, %.6f] is nowhere near the map's roads", what, ll[0], ll[1])
}

// junctionAt returns the intersection whose point or one of whose nodes
// is nearest to p within SnapAlternativesM, or -1.
func (n *Network) junctionAt(p XY) int32 {
	best, bestD := int32(-1), math.Inf(1)
	r := SnapAlternativesM
	lo, hi := [2]float64{p.X - r, p.Y - r}, [2]float64{p.X + r, p.Y + r}
	n.interIndex.Search(lo, hi, func(_, _ [2]float64, ii int32) bool {
		if d := p.Dist(n.inters[ii].XY); d <= r && (d < bestD || d == bestD && ii < best) {
			best, bestD = ii, d
		}
		return true
	})
	n.memberIndex.Search(lo, hi, func(_, _ [2]float64, m [2]int32) bool {
		if d := p.Dist(n.nodes[m[1]]); d <= r && (d < bestD || d == bestD && m[0] < best) {
			best, bestD = m[0], d
		}
		return true
	})
	return best
}

// nearestRoads fills hits with the nearest point of each road within
// maxDist of p whose distance is at most SnapAlternativesM more than the
// nearest road's, nearest first (ties by edge), at most len(hits) of
// them, and returns how many.
func (n *Network) nearestRoads(p XY, maxDist float64, hits []RoadPos) int {
	var all [4 * maxSnapRoads]RoadPos
	k := 0
	n.SearchSegments(p, maxDist, func(ref SegmentRef) bool {
		g, cum := n.EdgeGeometry(ref.Edge)
		q, t, d := projectOnSegment(p, g[ref.Seg], g[ref.Seg+1])
		if d > maxDist {
			return true
		}
		pos := RoadPos{Edge: ref.Edge, OffsetM: cum[ref.Seg] + t*(cum[ref.Seg+1]-cum[ref.Seg]), XY: q, DistM: d}
		for i := 0; i < k; i++ {
			if all[i].Edge == ref.Edge {
				if d < all[i].DistM {
					all[i] = pos
				}
				return true
			}
		}
		if k < len(all) {
			all[k] = pos
			k++
			return true
		}
		worst := 0
		for i := 1; i < k; i++ {
			if all[i].DistM > all[worst].DistM {
				worst = i
			}
		}
		if d < all[worst].DistM {
			all[worst] = pos
		}
		return true
	})
	if k == 0 {
		return 0
	}
	// An insertion sort: a few roads, and no allocation.
	for i := 1; i < k; i++ {
		for j := i; j > 0 && (all[j].DistM < all[j-1].DistM || all[j].DistM == all[j-1].DistM && all[j].Edge < all[j-1].Edge); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	out := 0
	for _, h := range all[:k] {
		if out == len(hits) || h.DistM > all[0].DistM+SnapAlternativesM {
			break
		}
		hits[out] = h
		out++
	}
	return out
}

// nearestRoad returns the point of the road network nearest to p within
// maxDist, on the indexed direction of its road.
func (n *Network) nearestRoad(p XY, maxDist float64) (RoadPos, bool) {
	best := RoadPos{Edge: -1, DistM: math.Inf(1)}
	n.SearchSegments(p, maxDist, func(ref SegmentRef) bool {
		g, cum := n.EdgeGeometry(ref.Edge)
		q, t, d := projectOnSegment(p, g[ref.Seg], g[ref.Seg+1])
		if d < best.DistM || d == best.DistM && ref.Edge < best.Edge {
			best = RoadPos{Edge: ref.Edge, OffsetM: cum[ref.Seg] + t*(cum[ref.Seg+1]-cum[ref.Seg]), XY: q, DistM: d}
		}
		return true
	})
	return best, best.Edge >= 0 && best.DistM <= maxDist
}

// bothDirections returns rp and, on a two-way road, the same point on the
// twin edge (edge -1 when there is none).
func (n *Network) bothDirections(rp roadPoint) [2]roadPoint {
	out := [2]roadPoint{rp, {edge: -1}}
	if tw := n.edges[rp.edge].Twin; tw >= 0 {
		out[1] = roadPoint{edge: tw, off: math.Max(0, n.edges[tw].LengthM-rp.off)}
	}
	return out
}

// searchState is the reusable memory of one route search: per-label
// values valid only where stamp equals the search's generation, so a
// search never clears arrays the size of the network. A label is a node,
// or an edge into a node with a forbidden turn (Edge.state).
type searchState struct {
	g     []float64 // best known free-flow time from the start to the label
	prev  []int32   // edge that reached the label; -2-k when seeded by start k
	from  []int32   // the label that edge was taken from
	stamp []uint32
	// destAt[v] == gen marks a node some destination's edge leaves, so
	// the search looks at the destinations only there.
	destAt []uint32
	gen    uint32
	heap   []heapItem
}

type heapItem struct {
	f, g  float64
	state int32
}

// searchPool keeps search states between calls: a route search then
// allocates only its result.
var searchPool sync.Pool

func getSearchState(states, nodes int) *searchState {
	s, _ := searchPool.Get().(*searchState)
	if s == nil || len(s.g) < states || len(s.destAt) < nodes {
		s = &searchState{g: make([]float64, states), prev: make([]int32, states), from: make([]int32, states),
			stamp: make([]uint32, states), destAt: make([]uint32, nodes), heap: make([]heapItem, 0, 256)}
	}
	s.gen++
	if s.gen == 0 { // wrapped: old stamps could collide
		clear(s.stamp)
		clear(s.destAt)
		s.gen = 1
	}
	s.heap = s.heap[:0]
	return s
}

func (s *searchState) label(state int32) float64 {
	if s.stamp[state] != s.gen {
		return math.Inf(1)
	}
	return s.g[state]
}

func (s *searchState) set(state int32, g float64, prev, from int32) {
	s.stamp[state], s.g[state], s.prev[state], s.from[state] = s.gen, g, prev, from
}

func (s *searchState) push(it heapItem) {
	h := append(s.heap, it)
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].f <= it.f {
			break
		}
		h[i] = h[parent]
		i = parent
	}
	h[i] = it
	s.heap = h
}

func (s *searchState) pop() heapItem {
	h := s.heap
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	i := 0
	for {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if c+1 < len(h) && h[c+1].f < h[c].f {
			c++
		}
		if last.f <= h[c].f {
			break
		}
		h[i] = h[c]
		i = c
	}
	if len(h) > 0 {
		h[i] = last
	}
	s.heap = h
	return top
}

// errNoRoute is wrapped by every "no route" error.
var errNoRoute = errors.New("no route")

// route runs A* from any of starts to any of dests and builds the path.
// The heuristic, straight-line distance to the nearest destination at the
// network's highest speed, never overestimates and is consistent, so the
// first time the best destination cost is below every open label the
// route is the fastest. Labels are nodes, except where a turn is
// forbidden: there they are the edges arriving (Edge.state), and a label
// leaves by no edge its arrival forbids.
func (n *Network) route(starts, dests *snapSet, from, to orb.Point) (*Path, error) {
	target := n.pointOn(dests.pts[0])
	// spread: how much nearer than target another destination may be.
	spread := 0.0
	for _, d := range dests.all()[1:] {
		spread = math.Max(spread, target.Dist(n.pointOn(d)))
	}
	invSpeed := 1 / n.maxSpeed
	h := func(v int32) float64 { return math.Max(0, n.nodes[v].Dist(target)-spread) * invSpeed }
	numNodes := int32(len(n.nodes))
	best, bestDest, direct := math.Inf(1), -1, -1
	// Start and destination on the same edge, destination ahead: no graph
	// search needed, but a route round the block is never shorter.
	for si, s := range starts.all() {
		for di, d := range dests.all() {
			if s.edge == d.edge && d.off >= s.off {
				if c := (d.off - s.off) / n.edges[s.edge].SpeedMps; c < best {
					best, bestDest, direct = c, di, si
				}
			}
		}
	}
	st := getSearchState(int(n.numStates), len(n.nodes))
	defer searchPool.Put(st)
	for _, d := range dests.all() {
		st.destAt[n.edges[d.edge].From] = st.gen
	}
	for k, s := range starts.all() {
		e := &n.edges[s.edge]
		g := (e.LengthM - s.off) / e.SpeedMps
		if g < st.label(e.state) {
			st.set(e.state, g, int32(-2-k), -1)
			st.push(heapItem{f: g + h(e.To), g: g, state: e.state})
		}
	}
	endState := int32(-1)
	for len(st.heap) > 0 {
		it := st.pop()
		if it.f >= best {
			break
		}
		s := it.state
		if it.g > st.g[s] {
			continue // stale: reached faster since
		}
		u, arrival := s, int32(-1)
		if s >= numNodes {
			arrival = s - numNodes
			u = n.edges[arrival].To
		}
		var bans []int32
		if arrival >= 0 {
			bans = n.bannedAfter(arrival)
		}
		for di, d := range dests.all() {
			if st.destAt[u] != st.gen {
				break
			}
			if n.edges[d.edge].From == u && !slices.Contains(bans, d.edge) {
				if c := it.g + d.off/n.edges[d.edge].SpeedMps; c < best {
					best, bestDest, direct, endState = c, di, -1, s
				}
			}
		}
		for _, ei := range n.outEdges[n.outStart[u]:n.outStart[u+1]] {
			if len(bans) > 0 && slices.Contains(bans, ei) {
				continue
			}
			e := &n.edges[ei]
			g := it.g + e.LengthM/e.SpeedMps
			if g < st.label(e.state) {
				st.set(e.state, g, ei, s)
				st.push(heapItem{f: g + h(e.To), g: g, state: e.state})
			}
		}
	}
	if bestDest < 0 {
		return nil, fmt.Errorf("%w from [%.6f, %.6f] to [%.6f, %.6f]: no roads join them (one-way streets, forbidden turns or a separate part of the map)",
			errNoRoute, from[0], from[1], to[0], to[1])
	}
	dest := dests.pts[bestDest]
	if direct >= 0 {
		return n.pathFromEdges([]int32{dest.edge}, starts.pts[direct].off, dest.off), nil
	}
	edges := []int32{dest.edge}
	s := endState
	for st.prev[s] >= 0 {
		edges = append(edges, st.prev[s])
		s = st.from[s]
	}
	start := starts.pts[-2-st.prev[s]]
	edges = append(edges, start.edge)
	slices.Reverse(edges)
	return n.pathFromEdges(edges, start.off, dest.off), nil
}

func (n *Network) pointOn(rp roadPoint) XY {
	p, _ := n.PointOnEdge(rp.edge, rp.off)
	return p
}
