package routing

import (
	"container/heap"
	"fmt"
	"math"
	"sort"
)

// Kinds of MapFinding.
const (
	// FindingNear: two intersections closer than CheckOptions.NearM. Two
	// signal controllers that near are almost always one junction's.
	FindingNear = "near"
	// FindingApproachNoRoad: no road enters an approach's stop line
	// within MaxApproachDiffDeg of its bearing, so no path can ever meet
	// the signal on it.
	FindingApproachNoRoad = "approach-no-road"
	// FindingSharedPhase: two approaches that cross each other's path
	// have the same phase: green for one is green for both.
	FindingSharedPhase = "shared-phase"
	// FindingGreenTogether: two approaches that cross each other's path
	// have phases the normal plan shows green together.
	FindingGreenTogether = "green-together"
)

// crossingMinDeg and crossingMaxDeg bound the angle between two approaches'
// bearings for their paths to cross: nearer than crossingMinDeg they run
// the same way (two roads merging into one direction); at crossingMaxDeg
// or more they are the two directions of one road through the junction,
// opposite through movements (NEMA 2 and 6) that share green, as the
// importer pairs them (throughPairDeg).
const (
	crossingMinDeg = 30.0
	crossingMaxDeg = throughPairDeg
)

// nearRoadSearchM bounds the road distance Check measures between two near
// intersections.
const nearRoadSearchM = 500.0

// MapFinding is one suspicious thing Check found about a map's
// intersections.
type MapFinding struct {
	Kind         string   `json:"kind"`
	Intersection string   `json:"intersection_id"`
	Other        string   `json:"other_intersection_id,omitempty"` // the other of a near pair
	Approaches   []string `json:"approaches,omitempty"`
	DistM        float64  `json:"distance_m,omitempty"` // between a near pair, straight line
	Detail       string   `json:"detail"`
}

// String is the finding on one line.
func (f MapFinding) String() string {
	s := f.Kind + " " + f.Intersection
	if f.Other != "" {
		s += " " + f.Other
	}
	for _, a := range f.Approaches {
		s += " " + a
	}
	return s + ": " + f.Detail
}

// CheckOptions tunes Check; zero fields take their defaults.
type CheckOptions struct {
	// NearM: intersections closer than this are reported (default
	// NearIntersectionsM).
	NearM float64
	// GreenTogether reports whether phases p and q of intersection in are
	// green at the same time in its normal plan; when set, crossing
	// approaches on such phases are reported. The routing package knows
	// nothing of signal plans: the caller that does supplies it.
	GreenTogether func(in *Intersection, p, q int) bool
}

// Check lists the map's suspicious intersections: two within NearM of
// each other, an approach whose bearing matches no road entering its stop
// line, a phase shared by approaches that cross, and (with
// GreenTogether) crossing approaches whose phases are green together.
// Findings come sorted by intersection id, then kind.
func (n *Network) Check(opt CheckOptions) []MapFinding {
	if !(opt.NearM > 0) {
		opt.NearM = NearIntersectionsM
	}
	var out []MapFinding
	for i := range n.inters {
		ii := int32(i)
		in := &n.inters[i]
		// Near pairs, each once.
		r := opt.NearM
		n.interIndex.Search([2]float64{in.XY.X - r, in.XY.Y - r}, [2]float64{in.XY.X + r, in.XY.Y + r}, func(_, _ [2]float64, jj int32) bool {
			other := &n.inters[jj]
			d := in.XY.Dist(other.XY)
			if jj == ii || d >= r || other.ID < in.ID {
				return true
			}
			along := "no road joins them within 500 m"
			if m, ok := n.roadDistance(ii, jj, nearRoadSearchM); ok {
				along = fmt.Sprintf("%.0f m apart along the roads", m)
			}
			out = append(out, MapFinding{Kind: FindingNear, Intersection: in.ID, Other: other.ID, DistM: math.Round(d*10) / 10,
				Detail: fmt.Sprintf("%.1f m apart (under %.0f m), %s: one junction's signals?", d, r, along)})
			return true
		})
		for k, a := range in.Approaches {
			if !n.approachHasRoad(ii, k) {
				out = append(out, MapFinding{Kind: FindingApproachNoRoad, Intersection: in.ID, Approaches: []string{a.ID},
					Detail: fmt.Sprintf("no road enters its stop line within %.0f° of its bearing %.1f°: no vehicle will ever meet it", MaxApproachDiffDeg, a.BearingDeg)})
			}
		}
		for k := range in.Approaches {
			for l := k + 1; l < len(in.Approaches); l++ {
				a, b := in.Approaches[k], in.Approaches[l]
				d := AngleDiffDeg(a.BearingDeg, b.BearingDeg)
				if d <= crossingMinDeg || d >= crossingMaxDeg {
					continue
				}
				switch {
				case a.Phase == b.Phase:
					out = append(out, MapFinding{Kind: FindingSharedPhase, Intersection: in.ID, Approaches: []string{a.ID, b.ID},
						Detail: fmt.Sprintf("both on phase %d, but their paths cross (bearings %.1f° and %.1f°)", a.Phase, a.BearingDeg, b.BearingDeg)})
				case opt.GreenTogether != nil && opt.GreenTogether(in, a.Phase, b.Phase):
					out = append(out, MapFinding{Kind: FindingGreenTogether, Intersection: in.ID, Approaches: []string{a.ID, b.ID},
						Detail: fmt.Sprintf("phases %d and %d are green together in the normal plan, but their paths cross (bearings %.1f° and %.1f°)",
							a.Phase, b.Phase, a.BearingDeg, b.BearingDeg)})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Intersection != out[j].Intersection {
			return out[i].Intersection < out[j].Intersection
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

// approachHasRoad reports whether some edge from outside intersection ii
// enters a stop line of its approach k within MaxApproachDiffDeg.
func (n *Network) approachHasRoad(ii int32, k int) bool {
	bearing := n.inters[ii].Approaches[k].BearingDeg
	for _, s := range n.interStops[ii] {
		if s.approach != int32(k) {
			continue
		}
		for _, e := range n.InEdges(s.node) {
			if n.nodeInter[n.edges[e].From] != ii && AngleDiffDeg(n.edges[e].entryBearing, bearing) <= MaxApproachDiffDeg {
				return true
			}
		}
	}
	return false
}

// roadDistance is the length of the shortest road path (either direction
// of travel) between a node of intersection a and a node of b, if one is
// at most maxM.
func (n *Network) roadDistance(a, b int32, maxM float64) (float64, bool) {
	dist := map[int32]float64{}
	pq := &nodeDistQueue{}
	for _, v := range n.interNodes[a] {
		dist[v] = 0
		heap.Push(pq, nodeDist{v, 0})
	}
	for pq.Len() > 0 {
		it := heap.Pop(pq).(nodeDist)
		if it.d > dist[it.node] {
			continue
		}
		if n.nodeInter[it.node] == b {
			return it.d, true
		}
		for _, list := range [2][]int32{n.OutEdges(it.node), n.InEdges(it.node)} {
			for _, e := range list {
				ed := &n.edges[e]
				to := ed.To
				if to == it.node {
					to = ed.From
				}
				nd := it.d + ed.LengthM
				if old, ok := dist[to]; nd <= maxM && (!ok || nd < old) {
					dist[to] = nd
					heap.Push(pq, nodeDist{to, nd})
				}
			}
		}
	}
	return 0, false
}

type nodeDist struct {
	node int32
	d    float64
}

type nodeDistQueue []nodeDist

func (q nodeDistQueue) Len() int           { return len(q) }
func (q nodeDistQueue) Less(i, j int) bool { return q[i].d < q[j].d }
func (q nodeDistQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *nodeDistQueue) Push(x any)        { *q = append(*q, x.(nodeDist)) }
func (q *nodeDistQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
