package routing

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
)

// osmRoad is an imported road with the OSM node of each of its points.
type osmRoad struct {
	road     Road
	way      osm.WayID
	reversed bool // nodes run against the OSM way's order (oneway=-1)
	ring     bool // on a roundabout's ring
	nodes    []osm.NodeID
	pts      []XY // in the importer's projection
	cum      []float64
}

// roadEnd is one end of a road at a graph node.
type roadEnd struct {
	road    int32
	atStart bool // the road starts here (a one-way road leaves the node)
}

// osmGraph is the road graph at OSM-node level, used to find junctions and
// approaches before the inventory exists.
type osmGraph struct {
	nodes map[osm.NodeID]osmNode
	proj  Projection
	roads []osmRoad
	uses  map[osm.NodeID]int // how often drivable ways use each node
	ends  map[osm.NodeID][]roadEnd
	deg   map[osm.NodeID]int // road ends at each graph node (a loop counts twice)
}

// buildOSMGraph splits the ways into roads at junction and signal nodes
// and at the extra split nodes (turn restrictions' via nodes).
func buildOSMGraph(ways []osmWay, nodes map[osm.NodeID]osmNode, extraSplits map[osm.NodeID]bool) *osmGraph {
	g := &osmGraph{nodes: nodes, uses: make(map[osm.NodeID]int), ends: make(map[osm.NodeID][]roadEnd),
		deg: make(map[osm.NodeID]int)}
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, w := range ways {
		for _, id := range w.nodes {
			g.uses[id]++
			b = b.Extend(nodes[id].ll)
		}
	}
	g.proj = NewProjection(b.Center())
	split := func(id osm.NodeID) bool { return g.uses[id] >= 2 || nodes[id].signal || extraSplits[id] }

	piece := make(map[osm.WayID]int)
	for _, w := range ways {
		start := 0
		for i := 1; i < len(w.nodes); i++ {
			if i == len(w.nodes)-1 || split(w.nodes[i]) {
				g.addRoad(w, piece[w.id], w.nodes[start:i+1])
				piece[w.id]++
				start = i
			}
		}
	}
	for ri, r := range g.roads {
		a, z := r.nodes[0], r.nodes[len(r.nodes)-1]
		g.ends[a] = append(g.ends[a], roadEnd{road: int32(ri), atStart: true})
		g.ends[z] = append(g.ends[z], roadEnd{road: int32(ri), atStart: false})
		g.deg[a]++
		g.deg[z]++
	}
	return g
}

func (g *osmGraph) addRoad(w osmWay, k int, ids []osm.NodeID) {
	r := osmRoad{nodes: append([]osm.NodeID(nil), ids...), way: w.id, reversed: w.reversed, ring: w.ring}
	r.road = Road{ID: fmt.Sprintf("w%d.%d", w.id, k), Name: w.name, Oneway: w.oneway,
		SpeedMps: math.Round(w.speedMps*100) / 100, Class: w.class}
	r.road.Coords = make([]orb.Point, len(ids))
	r.pts = make([]XY, len(ids))
	r.cum = make([]float64, len(ids))
	for i, id := range ids {
		r.road.Coords[i] = g.nodes[id].ll
		r.pts[i] = g.proj.ToXY(g.nodes[id].ll)
		if i > 0 {
			r.cum[i] = r.cum[i-1] + r.pts[i].Dist(r.pts[i-1])
		}
	}
	g.roads = append(g.roads, r)
}

func (r *osmRoad) lengthM() float64 { return r.cum[len(r.cum)-1] }

// other returns the node at the far end of road end e.
func (g *osmGraph) other(e roadEnd) osm.NodeID {
	r := &g.roads[e.road]
	if e.atStart {
		return r.nodes[len(r.nodes)-1]
	}
	return r.nodes[0]
}

// isJunction: three or more road ends meet (a real junction, not a bend or
// a signal node in the middle of a road).
func (g *osmGraph) isJunction(id osm.NodeID) bool { return g.deg[id] >= 3 }

// arrivesForward reports whether a vehicle arriving at a node through
// road end e travels in its OSM way's node order: what a signal's
// traffic_signals:direction=forward refers to.
func (g *osmGraph) arrivesForward(e roadEnd) bool { return e.atStart == g.roads[e.road].reversed }

// canArrive reports whether traffic can reach the node through road end e
// (a one-way road leaving the node cannot bring any).
func (g *osmGraph) canArrive(e roadEnd) bool { return !(e.atStart && g.roads[e.road].road.Oneway) }

// homeJunction returns the junction a signal node s (not itself a junction)
// controls: the nearest junction along the roads within maxM that is
// itself a signal node, else the nearest junction within maxM. Preferring
// a signalised junction keeps a direction's stop-line signal with its own
// junction when an unsignalised side street joins the road between them.
// A signal tagged with the direction it controls looks first downstream
// in that direction (the junction its stop line is before), then either
// way (a pedestrian crossing on a junction's exit). Ties go to the
// smaller node id, so the result does not depend on map order. The
// distance and the road path from s are returned with it.
func (g *osmGraph) homeJunction(s osm.NodeID, maxM float64) (osm.NodeID, float64, []osm.NodeID, bool) {
	if dir := g.nodes[s].sigDir; dir != twoWay {
		if j, d, path, ok := g.searchJunction(s, maxM, func(e roadEnd) bool {
			// Leaving s in the controlled direction: the road end through
			// which such a vehicle would not arrive.
			return g.arrivesForward(e) != (dir == forward)
		}); ok {
			return j, d, path, true
		}
	}
	return g.searchJunction(s, maxM, func(roadEnd) bool { return true })
}

// searchJunction is homeJunction's search, leaving s only through the
// road ends first allows.
func (g *osmGraph) searchJunction(s osm.NodeID, maxM float64, first func(roadEnd) bool) (osm.NodeID, float64, []osm.NodeID, bool) {
	dist := map[osm.NodeID]float64{s: 0}
	prev := map[osm.NodeID]osm.NodeID{}
	pq := &osmNodeQueue{{id: s}}
	best, bestD, found := osm.NodeID(0), 0.0, false
	for pq.Len() > 0 {
		it := heap.Pop(pq).(osmNodeItem)
		if it.d > dist[it.id] {
			continue
		}
		if it.id != s && g.isJunction(it.id) {
			if g.nodes[it.id].signal {
				best, bestD, found = it.id, it.d, true
				break
			}
			if !found {
				best, bestD, found = it.id, it.d, true
			}
		}
		for _, e := range g.ends[it.id] {
			if it.id == s && !first(e) {
				continue
			}
			nd := it.d + g.roads[e.road].lengthM()
			to := g.other(e)
			if old, seen := dist[to]; nd <= maxM && (!seen || nd < old) {
				dist[to] = nd
				prev[to] = it.id
				heap.Push(pq, osmNodeItem{id: to, d: nd})
			}
		}
	}
	if !found {
		return 0, 0, nil, false
	}
	var path []osm.NodeID
	for v := best; v != s; v = prev[v] {
		path = append(path, v)
	}
	path = append(path, s)
	return best, bestD, path, true
}

type osmNodeItem struct {
	id osm.NodeID
	d  float64
}

// osmNodeQueue is a min-heap by distance, then node id.
type osmNodeQueue []osmNodeItem

func (q osmNodeQueue) Len() int { return len(q) }
func (q osmNodeQueue) Less(i, j int) bool {
	if q[i].d != q[j].d {
		return q[i].d < q[j].d
	}
	return q[i].id < q[j].id
}
func (q osmNodeQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *osmNodeQueue) Push(x any)   { *q = append(*q, x.(osmNodeItem)) }
func (q *osmNodeQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// approachBackM is how far back along an incoming road the approach
// bearing is measured: far enough to ignore the last metre's digitising
// kink, short enough to be the direction a vehicle has at the stop line.
const approachBackM = 10.0

// approachMergeDeg: incoming roads whose bearings differ by less than this
// are one approach (a slip road joining right at the junction, the two
// roads of one direction entering a junction at two nodes): a vehicle's
// bearing could not tell them apart anyway.
const approachMergeDeg = 15.0

// approachCand is a road entering a junction, before ids and phases.
type approachCand struct {
	bearing float64
	rank    int
	name    string
	stops   []osm.NodeID // where it enters the junction (several once merged)
}

// arrivalBearing is the bearing at which traffic on road end e enters its
// node, measured over the last approachBackM.
func (g *osmGraph) arrivalBearing(node osm.NodeID, e roadEnd) (float64, bool) {
	at := g.proj.ToXY(g.nodes[node].ll)
	back := g.pointBack(e)
	if back == at {
		return 0, false
	}
	return BearingDeg(back, at), true
}

// pointBack returns the point approachBackM before the node along road end
// e (or the road's far end when it is shorter).
func (g *osmGraph) pointBack(e roadEnd) XY {
	r := &g.roads[e.road]
	n := len(r.pts)
	total := r.lengthM()
	for k := 1; k < n; k++ {
		// Walk from the node's end towards the other.
		i := n - 1 - k
		distFromNode := total - r.cum[i]
		if e.atStart {
			i = k
			distFromNode = r.cum[i]
		}
		if distFromNode >= approachBackM || k == n-1 {
			return r.pts[i]
		}
	}
	return r.pts[0]
}

// mergeCandidates folds incoming roads less than approachMergeDeg apart into
// one, keeping the higher-ranked road's bearing and every stop line; the
// result is sorted by bearing.
func mergeCandidates(cs []approachCand) []approachCand {
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].rank != cs[j].rank {
			return cs[i].rank > cs[j].rank
		}
		return cs[i].bearing < cs[j].bearing
	})
	var out []approachCand
next:
	for _, c := range cs {
		for k := range out {
			if AngleDiffDeg(out[k].bearing, c.bearing) < approachMergeDeg {
				if out[k].name == "" {
					out[k].name = c.name
				}
				for _, st := range c.stops {
					if !slices.Contains(out[k].stops, st) {
						out[k].stops = append(out[k].stops, st)
					}
				}
				continue next
			}
		}
		c.stops = slices.Clone(c.stops)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].bearing < out[j].bearing })
	return out
}

func junctionName(cs []approachCand) string {
	byRank := append([]approachCand(nil), cs...)
	sort.SliceStable(byRank, func(i, j int) bool { return byRank[i].rank > byRank[j].rank })
	var names []string
	seen := map[string]bool{}
	for _, c := range byRank {
		if c.name != "" && !seen[c.name] {
			seen[c.name] = true
			names = append(names, c.name)
		}
	}
	return strings.Join(names, " & ")
}

// throughPairDeg: two approaches whose bearings differ by at least this are
// the two directions of one road through the junction.
const throughPairDeg = 135.0

// assignPhases gives each approach an id and a phase by this convention
// (NEMA dual-ring numbering of through movements):
//
//   - The major road is the pair of opposite approaches (bearings at least
//     throughPairDeg apart) of the highest class (sum of both classes),
//     ties broken by straightness (bearings nearest 180 apart), then by
//     bearing. Its approaches get phases 2 and 6 (2 to the smaller bearing).
//     With no opposite pair, the highest-class single approach gets 2.
//   - The minor road is chosen the same way among the rest: phases 4 and 8,
//     or 4 alone.
//   - Every further approach, by class then bearing, gets the next free even
//     phase: 10, 12, 14, 16; past 16 (nine approaches or more) it shares the
//     phase of the assigned approach nearest in bearing.
//
// Ids name the direction of travel: NB, EB, SB, WB by the nearest of the four
// compass points; where two approaches would share one, both take eight-point
// names (NEB, ...), and a number is appended if they still clash.
func assignPhases(cs []approachCand) []Approach {
	n := len(cs)
	phase := make([]int, n)
	pickAxis := func(first, second int) {
		bi, bj := -1, -1
		var bestScore [2]float64
		for i := 0; i < n; i++ {
			if phase[i] != 0 {
				continue
			}
			for j := i + 1; j < n; j++ {
				if phase[j] != 0 {
					continue
				}
				d := AngleDiffDeg(cs[i].bearing, cs[j].bearing)
				if d < throughPairDeg {
					continue
				}
				score := [2]float64{float64(cs[i].rank + cs[j].rank), -(180 - d)}
				if bi < 0 || score[0] > bestScore[0] || score[0] == bestScore[0] && score[1] > bestScore[1] {
					bi, bj, bestScore = i, j, score
				}
			}
		}
		if bi >= 0 {
			phase[bi], phase[bj] = first, second // cs is sorted by bearing: bi has the smaller one
			return
		}
		best := -1
		for i := 0; i < n; i++ {
			if phase[i] == 0 && (best < 0 || cs[i].rank > cs[best].rank) {
				best = i
			}
		}
		if best >= 0 {
			phase[best] = first
		}
	}
	pickAxis(2, 6)
	pickAxis(4, 8)
	rest := make([]int, 0, n)
	for i := range cs {
		if phase[i] == 0 {
			rest = append(rest, i)
		}
	}
	sort.SliceStable(rest, func(a, b int) bool { return cs[rest[a]].rank > cs[rest[b]].rank })
	next := 10
	for _, i := range rest {
		if next <= 16 {
			phase[i] = next
			next += 2
			continue
		}
		best, bestD := 0, math.Inf(1)
		for j := range cs {
			if phase[j] != 0 && j != i {
				if d := AngleDiffDeg(cs[i].bearing, cs[j].bearing); d < bestD {
					best, bestD = j, d
				}
			}
		}
		phase[i] = phase[best]
	}

	ids := make([]string, n)
	count4 := map[string]int{}
	for i, c := range cs {
		ids[i] = compass4(c.bearing)
		count4[ids[i]]++
	}
	for i, c := range cs {
		if count4[ids[i]] > 1 {
			ids[i] = compass8(c.bearing)
		}
	}
	seen := map[string]int{}
	out := make([]Approach, n)
	for i, c := range cs {
		id := ids[i]
		seen[id]++
		if seen[id] > 1 {
			id = fmt.Sprintf("%s%d", id, seen[id])
		}
		b := math.Round(c.bearing*10) / 10
		if b >= 360 {
			b -= 360
		}
		out[i] = Approach{ID: id, BearingDeg: b, Phase: phase[i]}
	}
	return out
}

func compass4(b float64) string {
	return [...]string{"NB", "EB", "SB", "WB"}[int(math.Floor(math.Mod(b+45, 360)/90))%4]
}

func compass8(b float64) string {
	return [...]string{"NB", "NEB", "EB", "SEB", "SB", "SWB", "WB", "NWB"}[int(math.Floor(math.Mod(b+22.5, 360)/45))%8]
}
