package routing

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/paulmach/orb"
)

// MaxPolylinePoints bounds an announced path: a route across a city drawn
// every few metres is a few thousand points; more is not a route.
const MaxPolylinePoints = 20000

// polylineSignalBufferM is how close an intersection's node (a stop line)
// must be to an announced polyline to be on it: navigation units draw the road's centre
// line, inventories put the junction at its centre, and the two differ by
// half a carriageway or so.
const polylineSignalBufferM = 15.0

// arrivalLookBackM is the stretch of path before a stop line whose bearing
// is the vehicle's bearing of arrival: long enough to ignore the vertex at
// the junction itself (where a drawn polyline turns), short enough to be
// the approaching road.
const arrivalLookBackM = 20.0

// speedMatchM is how near a road must be to a polyline segment for the
// segment to take that road's free-flow speed.
const speedMatchM = 20.0

// PathFromPolyline builds the path of an announced route (the wire
// protocol's `path`: [lon, lat] points, at least two). The path is the
// polyline itself, not a route on the graph, so a navigation unit's choice
// is followed exactly. Each segment's free-flow speed is that of the road
// it runs along (DefaultSpeedMps where none is near). Its signals are the
// intersections found by an R-tree query along the polyline whose node lies
// within 15 m of it and whose approaches stopping there match the
// polyline's bearing of arrival (within MaxApproachDiffDeg); a path
// through the same junction twice meets it twice.
func (n *Network) PathFromPolyline(lonlat []orb.Point) (*Path, error) {
	if len(lonlat) < 2 {
		return nil, fmt.Errorf("path: needs at least two [lon, lat] points, got %d", len(lonlat))
	}
	if len(lonlat) > MaxPolylinePoints {
		return nil, fmt.Errorf("path: %d points, at most %d allowed", len(lonlat), MaxPolylinePoints)
	}
	pts := make([]XY, len(lonlat))
	for i, ll := range lonlat {
		if !validLonLat(ll) {
			return nil, fmt.Errorf("path[%d]: %v is not a valid [lon, lat]", i, ll)
		}
		pts[i] = n.proj.ToXY(ll)
	}
	near := false
	for _, q := range pts {
		if _, ok := n.nearestRoad(q, MaxSnapDistM); ok {
			near = true
			break
		}
	}
	if !near {
		return nil, fmt.Errorf("path: no point is within %.0f m of a road of the map", MaxSnapDistM)
	}
	b := newPathBuilder(n, len(pts))
	b.add(pts[0], DefaultSpeedMps)
	for i := 1; i < len(pts); i++ {
		b.add(pts[i], n.roadSpeedAlong(pts[i-1], pts[i]))
	}
	p := b.finish()
	if p.LengthM() == 0 {
		return nil, fmt.Errorf("path: all %d points are the same: the path has no length", len(pts))
	}
	n.polylineSignals(&b)
	p.indexSignals()
	return p, nil
}

// roadSpeedAlong is the free-flow speed of the road nearest to the middle
// of segment ab that runs the same way (either direction, within 30°).
func (n *Network) roadSpeedAlong(a, b XY) float64 {
	mid := XY{(a.X + b.X) / 2, (a.Y + b.Y) / 2}
	bearing := BearingDeg(a, b)
	speed, bestD := DefaultSpeedMps, math.Inf(1)
	n.SearchSegments(mid, speedMatchM, func(ref SegmentRef) bool {
		g, _ := n.EdgeGeometry(ref.Edge)
		_, _, d := projectOnSegment(mid, g[ref.Seg], g[ref.Seg+1])
		diff := AngleDiffDeg(bearing, BearingDeg(g[ref.Seg], g[ref.Seg+1]))
		if d <= speedMatchM && d < bestD && (diff <= 30 || diff >= 150) {
			speed, bestD = n.edges[ref.Edge].SpeedMps, d
		}
		return true
	})
	return speed
}

// polylineSignals finds the path's signals by querying the index of
// intersection nodes along each segment. One pass of the path through a
// junction hits each of its nodes the path runs near (a node at a
// polyline vertex hits both neighbouring segments): of each pass the
// signal is the stop line whose approach best matches the path's bearing
// of arrival there. Hits of one intersection more than a junction's
// width apart along the path are separate passes.
func (n *Network) polylineSignals(b *pathBuilder) {
	p := b.p
	type hit struct {
		inter, node int32
		along, dist float64
	}
	var hits []hit
	pts := p.points
	for s := 0; s+1 < len(pts); s++ {
		lo, hi := bbox(pts[s].xy, pts[s+1].xy)
		buf := polylineSignalBufferM
		n.memberIndex.Search([2]float64{lo[0] - buf, lo[1] - buf}, [2]float64{hi[0] + buf, hi[1] + buf},
			func(_, _ [2]float64, m [2]int32) bool {
				_, t, d := projectOnSegment(n.nodes[m[1]], pts[s].xy, pts[s+1].xy)
				if d <= buf {
					hits = append(hits, hit{inter: m[0], node: m[1], along: pts[s].cum + t*(pts[s+1].cum-pts[s].cum), dist: d})
				}
				return true
			})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].inter != hits[j].inter {
			return hits[i].inter < hits[j].inter
		}
		if hits[i].along != hits[j].along {
			return hits[i].along < hits[j].along
		}
		return hits[i].node < hits[j].node
	})
	type found struct {
		inter int32
		a     Approach
		along float64
	}
	var kept []found
	for i := 0; i < len(hits); {
		j := i + 1
		for j < len(hits) && hits[j].inter == hits[i].inter && hits[j].along-hits[j-1].along <= 4*polylineSignalBufferM {
			j++
		}
		// The pass is hits[i:j]: each node at its nearest hit.
		pass := hits[i:j]
		best, bestDiff := -1, math.Inf(1)
		var bestA Approach
		for k, h := range pass {
			nearest := true
			for _, o := range pass {
				if o.node == h.node && (o.dist < h.dist || o.dist == h.dist && o.along < h.along) {
					nearest = false
					break
				}
			}
			if !nearest {
				continue
			}
			bearing := p.arrivalBearing(h.along)
			for _, st := range n.interStops[h.inter] {
				if st.node != h.node {
					continue
				}
				a := n.inters[h.inter].Approaches[st.approach]
				if d := AngleDiffDeg(a.BearingDeg, bearing); d < bestDiff {
					best, bestDiff, bestA = k, d, a
				}
			}
		}
		if best >= 0 && bestDiff <= MaxApproachDiffDeg {
			kept = append(kept, found{inter: pass[best].inter, a: bestA, along: pass[best].along})
		}
		i = j
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].along < kept[j].along })
	for _, f := range kept {
		b.addSignal(f.inter, f.a, f.along)
	}
}

// arrivalBearing is the bearing of the path over the arrivalLookBackM
// before alongM (or over the first metres when alongM is at the start).
func (p *Path) arrivalBearing(alongM float64) float64 {
	from := alongM - arrivalLookBackM
	if from < 0 {
		from = 0
	}
	if alongM-from < 1 {
		_, bearing := p.PointAt(alongM)
		return bearing
	}
	a, _ := p.PointAt(from)
	b, _ := p.PointAt(alongM)
	if a == b {
		_, bearing := p.PointAt(alongM)
		return bearing
	}
	return BearingDeg(a, b)
}

// maxRoadAheadEdges bounds RoadAhead's walk whatever maxDistM it is given.
const maxRoadAheadEdges = 10000

// roadAheadScanEdges is how many edges RoadAhead checks for a loop by a
// linear scan before it builds a set.
const roadAheadScanEdges = 64

// RoadAhead is the path of a vehicle at pos when no route is known: it
// follows the road, taking at each node the continuation whose bearing is
// nearest to the bearing of arrival (never the U-turn onto the twin edge,
// never a turn a restriction forbids),
// up to maxDistM metres, a dead end, or an edge it has already taken (a
// roundabout's ring is driven once, not round and round). An invalid pos
// gives a path of zero length at pos.XY.
func (n *Network) RoadAhead(pos RoadPos, maxDistM float64) *Path {
	if pos.Edge < 0 || int(pos.Edge) >= len(n.edges) || math.IsNaN(pos.OffsetM) || math.IsInf(pos.OffsetM, 0) {
		b := newPathBuilder(n, 2)
		b.add(pos.XY, DefaultSpeedMps)
		return b.finish()
	}
	if !(maxDistM > 0) {
		maxDistM = 0
	}
	cur := pos.Edge
	off := clamp(pos.OffsetM, 0, n.edges[cur].LengthM)
	edges := make([]int32, 1, 64)
	edges[0] = cur
	// A walk of a few kilometres takes tens of edges: a linear scan for a
	// loop beats a set until it is long.
	var taken map[int32]bool
	remaining := maxDistM - (n.edges[cur].LengthM - off)
	for remaining > 0 && len(edges) < maxRoadAheadEdges {
		next := n.straightestNext(cur)
		if next < 0 {
			break
		}
		if len(edges) == roadAheadScanEdges {
			taken = make(map[int32]bool, 2*roadAheadScanEdges)
			for _, e := range edges {
				taken[e] = true
			}
		}
		if taken != nil {
			if taken[next] {
				break
			}
			taken[next] = true
		} else if slices.Contains(edges, next) {
			break
		}
		edges = append(edges, next)
		remaining -= n.edges[next].LengthM
		cur = next
	}
	last := n.edges[cur].LengthM
	toOff := last
	if remaining < 0 {
		toOff = last + remaining
	}
	if len(edges) == 1 {
		toOff = math.Min(off+maxDistM, last)
	}
	return n.pathFromEdges(edges, off, toOff)
}

// straightestNext is the edge leaving e's end node whose first bearing is
// nearest to e's bearing of arrival, other than e's twin and any turn a
// restriction forbids; -1 at a dead end.
func (n *Network) straightestNext(e int32) int32 {
	in := n.EntryBearingDeg(e)
	twin := n.edges[e].Twin
	bans := n.bannedAfter(e)
	best, bestDiff := int32(-1), math.Inf(1)
	for _, o := range n.OutEdges(n.edges[e].To) {
		if o == twin || len(bans) > 0 && slices.Contains(bans, o) {
			continue
		}
		if d := AngleDiffDeg(in, n.edges[o].firstBearing); d < bestDiff {
			best, bestDiff = o, d
		}
	}
	return best
}
