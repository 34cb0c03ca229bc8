package routing

import "math"

// Projection returns the network's local projection; every XY the network
// hands out is in it.
func (n *Network) Projection() Projection { return n.proj }

// NumNodes returns the number of graph nodes.
func (n *Network) NumNodes() int { return len(n.nodes) }

// NodeXY returns the position of graph node i.
func (n *Network) NodeXY(i int32) XY { return n.nodes[i] }

// NumEdges returns the number of directed edges.
func (n *Network) NumEdges() int { return len(n.edges) }

// Edge returns directed edge i. The pointer is into the network and must
// not be modified.
func (n *Network) Edge(i int32) *Edge { return &n.edges[i] }

// EdgeGeometry returns edge i's polyline in the local projection, from its
// From node to its To node, and the distance from the edge's start to each
// point. Both slices are shared and must not be modified.
func (n *Network) EdgeGeometry(i int32) ([]XY, []float64) {
	e := &n.edges[i]
	return n.geom[e.geomStart:e.geomEnd], n.cum[e.geomStart:e.geomEnd]
}

// OutEdges returns the edges leaving node i (shared; do not modify).
func (n *Network) OutEdges(i int32) []int32 { return n.outEdges[n.outStart[i]:n.outStart[i+1]] }

// InEdges returns the edges entering node i (shared; do not modify).
func (n *Network) InEdges(i int32) []int32 { return n.inEdges[n.inStart[i]:n.inStart[i+1]] }

// Road returns road i of the inventory (do not modify).
func (n *Network) Road(i int32) *Road { return &n.roads[i] }

// NumRoads returns the number of roads.
func (n *Network) NumRoads() int { return len(n.roads) }

// Intersections returns every intersection, indexed as the network's
// intersection indexes are (shared; do not modify).
func (n *Network) Intersections() []Intersection { return n.inters }

// Intersection returns intersection i (do not modify).
func (n *Network) Intersection(i int32) *Intersection { return &n.inters[i] }

// IntersectionByID returns the index of the intersection with that id.
func (n *Network) IntersectionByID(id string) (int32, bool) {
	i, ok := n.interByID[id]
	return i, ok
}

// IntersectionAtNode returns the intersection on graph node i, or -1.
func (n *Network) IntersectionAtNode(i int32) int32 { return n.nodeInter[i] }

// MaxSpeedMps is the highest free-flow speed on the network; route search
// uses it for an admissible A* heuristic.
func (n *Network) MaxSpeedMps() float64 { return n.maxSpeed }

// SearchSegments calls fn for every indexed road segment whose bounding box
// meets the square of half-side radius around p, until fn returns false.
// Each two-way road is indexed once, by one of its two edges.
func (n *Network) SearchSegments(p XY, radius float64, fn func(ref SegmentRef) bool) {
	n.segIndex.Search([2]float64{p.X - radius, p.Y - radius}, [2]float64{p.X + radius, p.Y + radius},
		func(_, _ [2]float64, ref SegmentRef) bool { return fn(ref) })
}

// SearchIntersections calls fn for every intersection inside the box
// [lo, hi], until fn returns false.
func (n *Network) SearchIntersections(lo, hi XY, fn func(i int32) bool) {
	n.interIndex.Search([2]float64{lo.X, lo.Y}, [2]float64{hi.X, hi.Y},
		func(_, _ [2]float64, i int32) bool { return fn(i) })
}

// PointOnEdge returns the point offsetM metres from the start of edge i
// (clamped to the edge) and the edge's bearing there.
func (n *Network) PointOnEdge(i int32, offsetM float64) (XY, float64) {
	pt, s := n.pointOnEdge(i, offsetM)
	g, _ := n.EdgeGeometry(i)
	return pt, BearingDeg(g[s], g[s+1])
}

// pointOnEdge is PointOnEdge's point and the index of the geometry segment
// it is on, without the bearing (an atan2) that building a path does not
// need.
func (n *Network) pointOnEdge(i int32, offsetM float64) (XY, int) {
	g, cum := n.EdgeGeometry(i)
	if offsetM <= 0 {
		return g[0], 0
	}
	for s := 1; s < len(g); s++ {
		if offsetM <= cum[s] || s == len(g)-1 {
			segLen := cum[s] - cum[s-1]
			t := 1.0
			if segLen > 0 {
				t = math.Min(1, (offsetM-cum[s-1])/segLen)
			}
			a, b := g[s-1], g[s]
			return XY{a.X + t*(b.X-a.X), a.Y + t*(b.Y-a.Y)}, s - 1
		}
	}
	return g[len(g)-1], len(g) - 2
}

// EntryBearingDeg is the bearing of travel on the last segment of edge i,
// as a vehicle arrives at its To node: what an intersection's approaches
// are matched against.
func (n *Network) EntryBearingDeg(i int32) float64 { return n.edges[i].entryBearing }
