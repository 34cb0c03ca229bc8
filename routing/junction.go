package routing

import (
	"fmt"
	"math"
	"slices"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/paulmach/orb"
)

// approachStop is one stop line of an intersection: the graph node where
// approach (an index into the intersection's Approaches) enters it.
type approachStop struct {
	node     int32
	approach int32
}

// attachIntersections places every intersection on the graph: its nodes
// (Intersection.Nodes and its approaches' stop lines, each a road end
// point within JoinToleranceM) and its own node, the one nearest its
// point within IntersectionToleranceM, which is where approaches without
// stop lines stop. A node belongs to at most one intersection.
func (n *Network) attachIntersections(inters []Intersection, snap snapGrid) []error {
	n.nodeInter = make([]int32, len(n.nodes))
	for i := range n.nodeInter {
		n.nodeInter[i] = -1
	}
	n.inters = append([]Intersection(nil), inters...)
	n.interNodes = make([][]int32, len(n.inters))
	n.interStops = make([][]approachStop, len(n.inters))
	var errs []error
	for ii := range n.inters {
		if len(errs) >= maxReportedErrors {
			break
		}
		in := &n.inters[ii]
		name := featureName("intersection", ii, in.ID)
		fail := func(field, format string, args ...any) {
			errs = append(errs, &wire.FieldError{Where: name, Field: field, Reason: fmt.Sprintf(format, args...)})
		}
		in.XY = n.proj.ToXY(in.LonLat)
		var members []int32
		onGraph := func(field string, c orb.Point) int32 {
			id, ok := snap.find(n.proj.ToXY(c), n.nodes)
			if !ok {
				fail(field, "[%.7f, %.7f] is not a road end point (none within %.0f m)", c[0], c[1], JoinToleranceM)
				return -1
			}
			if !slices.Contains(members, id) {
				members = append(members, id)
			}
			return id
		}
		for k, c := range in.Nodes {
			onGraph(fmt.Sprintf("nodes[%d]", k), c)
		}
		var stops []approachStop
		ownNodeNeeded := len(in.Approaches) == 0
		for j, a := range in.Approaches {
			if len(a.StopLines) == 0 {
				ownNodeNeeded = true
			}
			for k, c := range a.StopLines {
				if id := onGraph(fmt.Sprintf("approaches[%d].stop_lines[%d]", j, k), c); id >= 0 {
					stops = append(stops, approachStop{node: id, approach: int32(j)})
				}
			}
		}
		// The own node: the member nearest the point, or without members
		// the graph node nearest it.
		own, ownD := int32(-1), math.Inf(1)
		for _, m := range members {
			if d := in.XY.Dist(n.nodes[m]); d < ownD || d == ownD && m < own {
				own, ownD = m, d
			}
		}
		if own < 0 {
			own, ownD = n.nearestNode(in.XY, IntersectionToleranceM)
			if own >= 0 {
				members = append(members, own)
			}
		}
		switch {
		case own < 0 && len(members) == 0:
			fail("geometry.coordinates", "no road end point within %.0f m (nearest is farther): the intersection is off the road graph", IntersectionToleranceM)
			continue
		case ownD > IntersectionToleranceM:
			fail("geometry.coordinates", "%.0f m from the nearest of its nodes (at most %.0f m): the point is not at the junction", ownD, IntersectionToleranceM)
			continue
		}
		if ownNodeNeeded {
			for j, a := range in.Approaches {
				if len(a.StopLines) == 0 {
					stops = append(stops, approachStop{node: own, approach: int32(j)})
				}
			}
		}
		// The own node first: Intersection.Node, and where a single-node
		// junction's path signal is.
		members = slices.DeleteFunc(members, func(m int32) bool { return m == own })
		members = append([]int32{own}, members...)
		clash := false
		for _, m := range members {
			if other := n.nodeInter[m]; other >= 0 && other != int32(ii) {
				fail("geometry.coordinates", "sits on the same road node as intersection %q (%.1f m away)",
					n.inters[other].ID, in.XY.Dist(n.inters[other].XY))
				clash = true
				break
			}
		}
		if clash {
			continue
		}
		in.Node = own
		for _, m := range members {
			n.nodeInter[m] = int32(ii)
			p := n.nodes[m]
			n.memberIndex.Insert([2]float64{p.X, p.Y}, [2]float64{p.X, p.Y}, [2]int32{int32(ii), m})
		}
		n.interNodes[ii] = members
		n.interStops[ii] = stops
		n.interByID[in.ID] = int32(ii)
		n.interIndex.Insert([2]float64{in.XY.X, in.XY.Y}, [2]float64{in.XY.X, in.XY.Y}, int32(ii))
	}
	return errs
}

// IntersectionNodes returns the graph nodes of intersection i, its own
// node (Intersection.Node) first (shared; do not modify).
func (n *Network) IntersectionNodes(i int32) []int32 { return n.interNodes[i] }

// StopLineNodes returns the graph nodes where approach k of intersection i
// enters it (a fresh slice).
func (n *Network) StopLineNodes(i int32, k int) []int32 {
	var out []int32
	for _, s := range n.interStops[i] {
		if s.approach == int32(k) {
			out = append(out, s.node)
		}
	}
	return out
}

// approachAt returns the approach of intersection ii whose stop line is at
// node and whose bearing is nearest to bearingDeg, provided it is within
// maxDiffDeg.
func (n *Network) approachAt(ii, node int32, bearingDeg, maxDiffDeg float64) (Approach, bool) {
	in := &n.inters[ii]
	best, bestDiff := int32(-1), math.Inf(1)
	for _, s := range n.interStops[ii] {
		if s.node != node {
			continue
		}
		if d := AngleDiffDeg(in.Approaches[s.approach].BearingDeg, bearingDeg); d < bestDiff {
			best, bestDiff = s.approach, d
		}
	}
	if best < 0 || bestDiff > maxDiffDeg {
		return Approach{}, false
	}
	return in.Approaches[best], true
}

// entersIntersection reports whether edge e arrives at an intersection
// from outside it: its end node is one of an intersection's nodes and
// its start node is not one of the same intersection's. The intersection
// is returned.
func (n *Network) entersIntersection(e int32) (int32, bool) {
	ed := &n.edges[e]
	ii := n.nodeInter[ed.To]
	return ii, ii >= 0 && n.nodeInter[ed.From] != ii
}
