package routing

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/paulmach/orb"
)

// MaxSnapDistM is how far a route's end point may be from the nearest road.
// Farther than this the point is not on the map (a typo, the wrong city, a
// swapped lon/lat) and routing from the nearest road would mislead.
const MaxSnapDistM = 200.0

// Route returns the fastest route at free-flow speeds from one [lon, lat]
// point to another. Each point is snapped to the nearest road segment (the
// path starts and ends part-way along an edge; on a two-way road either
// direction may be taken). The error says why when a point is farther than
// MaxSnapDistM from every road or when no route joins the two.
func (n *Network) Route(from, to orb.Point) (*Path, error) {
	start, err := n.snap("from", from)
	if err != nil {
		return nil, err
	}
	dest, err := n.snap("to", to)
	if err != nil {
		return nil, err
	}
	return n.route(n.bothDirections(start), n.bothDirections(dest), from, to)
}

// RouteFrom returns the fastest route at free-flow speeds from a matched
// position, in its direction of travel, to a [lon, lat] point. Like Route,
// it may turn round at a node (a junction or a dead end), never part-way
// along a road.
func (n *Network) RouteFrom(pos RoadPos, to orb.Point) (*Path, error) {
	if pos.Edge < 0 || int(pos.Edge) >= len(n.edges) {
		return nil, fmt.Errorf("route from: edge %d is not an edge of the network", pos.Edge)
	}
	if math.IsNaN(pos.OffsetM) || math.IsInf(pos.OffsetM, 0) {
		return nil, fmt.Errorf("route from: offset %v is not a number of metres", pos.OffsetM)
	}
	dest, err := n.snap("to", to)
	if err != nil {
		return nil, err
	}
	start := [2]roadPoint{{edge: pos.Edge, off: clamp(pos.OffsetM, 0, n.edges[pos.Edge].LengthM)}, {edge: -1}}
	return n.route(start, n.bothDirections(dest), n.proj.ToLonLat(pos.XY), to)
}

// roadPoint is a point part-way along a directed edge; edge -1 is none.
type roadPoint struct {
	edge int32
	off  float64
}

// snap returns the road point nearest to ll, or an error naming which end
// (what) is off the map and by how far.
func (n *Network) snap(what string, ll orb.Point) (roadPoint, error) {
	if !validLonLat(ll) {
		return roadPoint{}, fmt.Errorf("%s: %v is not a valid [lon, lat]", what, ll)
	}
	p := n.proj.ToXY(ll)
	if pos, ok := n.nearestRoad(p, MaxSnapDistM); ok {
		return roadPoint{edge: pos.Edge, off: pos.OffsetM}, nil
	}
	// Say how far off the map the point is: it tells a typo (thousands of
	// km) from a point just outside the map's area.
	for r := 2 * MaxSnapDistM; r < 2e7; r *= 4 {
		if pos, ok := n.nearestRoad(p, r); ok {
			return roadPoint{}, fmt.Errorf("%s: point [%.6f, %.6f] is %.0f m from the nearest road (at most %.0f m allowed)",
				what, ll[0], ll[1], pos.DistM, MaxSnapDistM)
		}
	}
	return roadPoint{}, fmt.Errorf("%s: point [%.6f, %.6f] is nowhere near the map's roads", what, ll[0], ll[1])
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
// twin edge.
func (n *Network) bothDirections(rp roadPoint) [2]roadPoint {
	out := [2]roadPoint{rp, {edge: -1}}
	if tw := n.edges[rp.edge].Twin; tw >= 0 {
		out[1] = roadPoint{edge: tw, off: math.Max(0, n.edges[tw].LengthM-rp.off)}
	}
	return out
}

// searchState is the reusable memory of one route search: per-node labels
// valid only where stamp equals the search's generation, so a search never
// clears arrays the size of the network.
type searchState struct {
	g     []float64 // best known free-flow time from the start to the node
	prev  []int32   // edge that reached the node; -2-k when seeded by start k
	stamp []uint32
	gen   uint32
	heap  []heapItem
}

type heapItem struct {
	f, g float64
	node int32
}

// searchPool keeps search states between calls: a route search then
// allocates only its result.
var searchPool sync.Pool

func getSearchState(nodes int) *searchState {
	s, _ := searchPool.Get().(*searchState)
	if s == nil || len(s.g) < nodes {
		s = &searchState{g: make([]float64, nodes), prev: make([]int32, nodes), stamp: make([]uint32, nodes),
			heap: make([]heapItem, 0, 256)}
	}
	s.gen++
	if s.gen == 0 { // wrapped: old stamps could collide
		clear(s.stamp)
		s.gen = 1
	}
	s.heap = s.heap[:0]
	return s
}

func (s *searchState) label(node int32) float64 {
	if s.stamp[node] != s.gen {
		return math.Inf(1)
	}
	return s.g[node]
}

func (s *searchState) set(node int32, g float64, prev int32) {
	s.stamp[node], s.g[node], s.prev[node] = s.gen, g, prev
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

// route runs A* from any of starts to any of dests (edge -1: unused) and
// builds the path. The heuristic, straight-line distance to the destination
// at the network's highest speed, never overestimates and is consistent,
// so the first time the best destination cost is below every open label
// the route is the fastest.
func (n *Network) route(starts, dests [2]roadPoint, from, to orb.Point) (*Path, error) {
	target := n.pointOn(dests[0])
	invSpeed := 1 / n.maxSpeed
	best, bestDest, direct := math.Inf(1), -1, -1
	// Start and destination on the same edge, destination ahead: no graph
	// search needed, but a route round the block is never shorter.
	for si, s := range starts {
		for di, d := range dests {
			if s.edge >= 0 && s.edge == d.edge && d.off >= s.off {
				if c := (d.off - s.off) / n.edges[s.edge].SpeedMps; c < best {
					best, bestDest, direct = c, di, si
				}
			}
		}
	}
	st := getSearchState(len(n.nodes))
	defer searchPool.Put(st)
	for k, s := range starts {
		if s.edge < 0 {
			continue
		}
		e := &n.edges[s.edge]
		g := (e.LengthM - s.off) / e.SpeedMps
		if g < st.label(e.To) {
			st.set(e.To, g, int32(-2-k))
			st.push(heapItem{f: g + n.nodes[e.To].Dist(target)*invSpeed, g: g, node: e.To})
		}
	}
	endNode := int32(-1)
	for len(st.heap) > 0 {
		it := st.pop()
		if it.f >= best {
			break
		}
		u := it.node
		if it.g > st.g[u] {
			continue // stale: u was reached faster since
		}
		for di, d := range dests {
			if d.edge >= 0 && n.edges[d.edge].From == u {
				if c := it.g + d.off/n.edges[d.edge].SpeedMps; c < best {
					best, bestDest, direct, endNode = c, di, -1, u
				}
			}
		}
		for _, ei := range n.outEdges[n.outStart[u]:n.outStart[u+1]] {
			e := &n.edges[ei]
			g := it.g + e.LengthM/e.SpeedMps
			if g < st.label(e.To) {
				st.set(e.To, g, ei)
				st.push(heapItem{f: g + n.nodes[e.To].Dist(target)*invSpeed, g: g, node: e.To})
			}
		}
	}
	if bestDest < 0 {
		return nil, fmt.Errorf("%w from [%.6f, %.6f] to [%.6f, %.6f]: no roads join them (one-way streets or a separate part of the map)",
			errNoRoute, from[0], from[1], to[0], to[1])
	}
	dest := dests[bestDest]
	if direct >= 0 {
		return n.pathFromEdges([]int32{dest.edge}, starts[direct].off, dest.off), nil
	}
	edges := []int32{dest.edge}
	u := endNode
	for st.prev[u] >= 0 {
		e := st.prev[u]
		edges = append(edges, e)
		u = n.edges[e].From
	}
	start := starts[-2-st.prev[u]]
	edges = append(edges, start.edge)
	for i, j := 0, len(edges)-1; i < j; i, j = i+1, j-1 {
		edges[i], edges[j] = edges[j], edges[i]
	}
	return n.pathFromEdges(edges, start.off, dest.off), nil
}

func (n *Network) pointOn(rp roadPoint) XY {
	p, _ := n.PointOnEdge(rp.edge, rp.off)
	return p
}
