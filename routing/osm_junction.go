package routing

import (
	"container/heap"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
)

// How the importer makes one intersection per physical junction (compare
// SUMO netconvert's --junctions.join and --tls.join, and OSMnx's
// consolidate_intersections, which merge nodes within a distance and
// keep apart those no short road connects):
//
//  1. Every traffic-signal node has a home. A signal at a junction node
//     (three or more road ends) is its own home. Any other signal is a
//     stop-line or crossing signal of the nearest junction within
//     SignalMergeM along the roads (see homeJunction) if that junction is
//     signalised (a signal node itself, the junction two or more such
//     signals stand before, or one within JunctionJoinM of another
//     signalised junction node) or the signal stands right at it; else it
//     is a junction of its own (a mid-block pedestrian crossing, or one on
//     a single arm of a junction without signals). A signal before a
//     roundabout's ring node is that entry's signal.
//  2. Homes are joined into one junction when a road path of at most
//     JunctionJoinM links them (the carriageways of a divided road, both
//     sides of a short connecting link), or when they face each other
//     across a divided road's median within JunctionJoinM. Joins are made
//     shortest first, and none that would make a junction's homes span
//     more than twice JunctionJoinM, so a chain of junctions along an
//     avenue does not become one.
//  3. The junction's nodes are its homes, the nodes on the links that
//     joined them, any junction node with short links to two of them
//     (the fourth corner of a divided road crossing whose signals are
//     tagged on two), its signals, and the nodes between a stop-line
//     signal and its junction.
//  4. Its approaches are the roads entering it from outside, each with its
//     stop line where it enters (see junctionApproaches). Roads between
//     two of its nodes are inside it.
//  5. It is one intersection at the centre of its homes and links, with
//     one set of phases (assignPhases).

// atJunctionM is how near a junction node a signal stands to be the
// junction's own, drawn a step off its node, even when no other signal
// marks the junction as signalised.
const atJunctionM = 6.0

// slipRoadFactor: two homes closer than NearIntersectionsM in a straight
// line are one junction when a road path of at most this many times
// JunctionJoinM links them: a crossing on a junction's slip lane, which
// the road reaches only round the corner.
const slipRoadFactor = 4.0

// joinKind is why two homes are one junction.
type joinKind int8

const (
	joinAlongRoad joinKind = iota
	joinAcrossMedian
	joinSlipRoad
)

// joinLink is a candidate join of two homes.
type joinLink struct {
	a, b  osm.NodeID
	dist  float64      // along the road, or straight across a median
	path  []osm.NodeID // the road path's nodes, a to b (nil across a median)
	kind  joinKind
	roadM float64 // for a slip road: the road path's length
}

// junctionCluster is one physical junction in the making.
type junctionCluster struct {
	homes   []osm.NodeID
	links   []joinLink
	core    []osm.NodeID        // homes, link path nodes and closing corners
	members map[osm.NodeID]bool // every node of the junction
	noStop  map[osm.NodeID]bool // nodes between a stop-line signal and its junction: no approach stops there
	signals []osm.NodeID
	why     []string
}

// stopLineMerge is a signal merged into the junction it stands before.
type stopLineMerge struct {
	signal, home osm.NodeID
	distM        float64
	path         []osm.NodeID // home ... signal
}

// unionFind over the homes, with each set's homes kept for the extent
// check.
type unionFind struct {
	parent map[osm.NodeID]osm.NodeID
	sets   map[osm.NodeID][]osm.NodeID
}

func (u *unionFind) find(x osm.NodeID) osm.NodeID {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

// consolidate turns the traffic-signal nodes into intersections, one per
// physical junction (see above), and fills the report's signal counts,
// joined junctions, dropped signals and near pairs.
func (g *osmGraph) consolidate(opt ImportOptions, rep *ImportReport) []Intersection {
	var signals []osm.NodeID
	for id, n := range g.nodes {
		if n.signal && g.uses[id] > 0 {
			signals = append(signals, id)
		}
	}
	slices.Sort(signals)
	rep.SignalNodes = len(signals)

	// 1. Homes. A signal joins a junction node that is itself signalised,
	// or one that two or more signals stand before (stop-line tagging),
	// or one it stands at (within atJunctionM: the junction's signal drawn
	// a step off its node). A lone signal some way up one arm of a
	// junction without signals is a crossing of that arm alone: its own
	// intersection, so that traffic through the junction on other roads
	// is not given a signal it never passes.
	homeOf := make(map[osm.NodeID]osm.NodeID, len(signals))
	merges := map[osm.NodeID][]stopLineMerge{}
	var cands []stopLineMerge
	before := map[osm.NodeID]int{}
	for _, s := range signals {
		homeOf[s] = s
		if g.isJunction(s) {
			continue
		}
		if j, d, path, ok := g.homeJunction(s, opt.SignalMergeM); ok {
			cands = append(cands, stopLineMerge{signal: s, home: j, distM: d, path: path})
			before[j]++
		}
	}
	strong := func(m stopLineMerge) bool {
		return g.nodes[m.home].signal || before[m.home] >= 2 || m.distM <= atJunctionM || g.onRing(m.home)
	}
	// A junction node with one such signal is still signalised when it is
	// part of a larger junction with another signalised node: the
	// carriageways of a divided road crossing, each with its stop-line
	// signal before its own crossing node.
	junctionHomes := map[osm.NodeID]bool{}
	for _, s := range signals {
		if g.isJunction(s) {
			junctionHomes[s] = true
		}
	}
	for _, m := range cands {
		junctionHomes[m.home] = true
	}
	for _, m := range cands {
		ok := strong(m)
		if !ok {
			g.roadPaths(m.home, opt.JunctionJoinM, func(v osm.NodeID) bool { return junctionHomes[v] }, func(osm.NodeID, float64, []osm.NodeID) { ok = true })
		}
		if ok {
			homeOf[m.signal] = m.home
			merges[m.home] = append(merges[m.home], m)
		}
	}
	var homes []osm.NodeID
	seen := map[osm.NodeID]bool{}
	for _, s := range signals {
		if h := homeOf[s]; !seen[h] {
			seen[h] = true
			homes = append(homes, h)
		}
	}
	slices.Sort(homes)

	// 2. Join homes, nearest first, within the extent cap.
	links := g.joinLinks(homes, seen, opt.JunctionJoinM)
	uf := &unionFind{parent: make(map[osm.NodeID]osm.NodeID, len(homes)), sets: make(map[osm.NodeID][]osm.NodeID, len(homes))}
	for _, h := range homes {
		uf.parent[h] = h
		uf.sets[h] = []osm.NodeID{h}
	}
	maxExtent := 2 * opt.JunctionJoinM
	accepted := map[osm.NodeID][]joinLink{}
	refused := map[[2]osm.NodeID]float64{} // pairs of homes whose join would span too far, and that span
	for _, l := range links {
		ra, rb := uf.find(l.a), uf.find(l.b)
		if ra == rb {
			continue
		}
		if span := g.span(append(slices.Clone(uf.sets[ra]), uf.sets[rb]...)); span > maxExtent {
			refused[[2]osm.NodeID{l.a, l.b}] = span
			continue
		}
		if rb < ra {
			ra, rb = rb, ra
		}
		uf.parent[rb] = ra
		uf.sets[ra] = append(uf.sets[ra], uf.sets[rb]...)
		delete(uf.sets, rb)
		accepted[ra] = append(accepted[ra], accepted[rb]...)
		delete(accepted, rb)
		accepted[ra] = append(accepted[ra], l)
	}

	// 3. Each set of homes is a junction; its nodes.
	roots := make([]osm.NodeID, 0, len(uf.sets))
	for r := range uf.sets {
		roots = append(roots, r)
	}
	slices.Sort(roots)
	signalsOf := make(map[osm.NodeID][]osm.NodeID, len(roots))
	for _, s := range signals {
		r := uf.find(homeOf[s])
		signalsOf[r] = append(signalsOf[r], s)
	}
	claimed := map[osm.NodeID]bool{}
	var out []Intersection
	var clusters []*junctionCluster
	for _, root := range roots {
		c := &junctionCluster{homes: slices.Sorted(slices.Values(uf.sets[root])), links: accepted[root],
			members: map[osm.NodeID]bool{}, noStop: map[osm.NodeID]bool{}}
		add := func(v osm.NodeID, core bool) bool {
			if claimed[v] && !c.members[v] {
				return false // another junction's node already
			}
			if !c.members[v] {
				c.members[v] = true
				claimed[v] = true
				if core {
					c.core = append(c.core, v)
				}
			}
			return true
		}
		for _, h := range c.homes {
			add(h, true)
		}
		for _, l := range c.links {
			if l.kind != joinSlipRoad { // a slip lane's road runs round the corner, not inside the junction
				for _, v := range l.path {
					add(v, true)
				}
			}
			switch l.kind {
			case joinAcrossMedian:
				c.why = append(c.why, fmt.Sprintf("signals %d and %d face each other across a divided road, %.0f m apart (within --join-m %.0f)",
					l.a, l.b, l.dist, opt.JunctionJoinM))
			case joinSlipRoad:
				c.why = append(c.why, fmt.Sprintf("signalised nodes %d and %d are %.0f m apart, linked by %.0f m of road (a slip lane; within %.0f m, and %.0f × --join-m of road)",
					l.a, l.b, l.dist, l.roadM, NearIntersectionsM, slipRoadFactor))
			default:
				c.why = append(c.why, fmt.Sprintf("signalised nodes %d and %d are %.0f m apart along the road (within --join-m %.0f)",
					l.a, l.b, l.dist, opt.JunctionJoinM))
			}
		}
		if len(c.homes) > 1 {
			for _, v := range g.closingCorners(c, opt.JunctionJoinM) {
				if add(v, true) {
					c.why = append(c.why, fmt.Sprintf("junction node %d links two of its nodes within %.0f m: between its carriageways",
						v, opt.JunctionJoinM))
				}
			}
		}
		for _, h := range c.homes {
			for _, m := range merges[h] {
				// The path runs home ... signal: the nodes between are
				// inside the junction, and no approach stops there.
				for _, v := range m.path[1 : len(m.path)-1] {
					if !c.members[v] && add(v, false) {
						c.noStop[v] = true
					}
				}
				add(m.signal, false)
				c.why = append(c.why, fmt.Sprintf("signal %d stands %.0f m from junction node %d (a stop-line or crossing signal, within --merge-m %.0f)",
					m.signal, m.distM, h, opt.SignalMergeM))
			}
		}
		c.signals = signalsOf[root]
		in, ok := g.junctionIntersection(c, opt, rep)
		if !ok {
			continue
		}
		out = append(out, in)
		clusters = append(clusters, c)
		rep.SignalsKept += len(c.signals)
		if len(c.members) > 1 || len(c.signals) > 1 {
			jr := JunctionReport{ID: in.ID, Why: c.why}
			for _, s := range c.signals {
				jr.Signals = append(jr.Signals, int64(s))
			}
			for _, v := range slices.Sorted(maps.Keys(c.members)) {
				jr.Nodes = append(jr.Nodes, int64(v))
			}
			rep.Junctions = append(rep.Junctions, jr)
		}
	}
	sort.Slice(rep.Junctions, func(i, j int) bool { return rep.Junctions[i].ID < rep.Junctions[j].ID })
	rep.Near = g.nearPairs(out, clusters, refused, opt)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// joinLinks finds every pair of homes a road path of at most joinM links,
// and every pair facing each other across a divided road within joinM,
// sorted shortest first (then by node ids).
func (g *osmGraph) joinLinks(homes []osm.NodeID, isHome map[osm.NodeID]bool, joinM float64) []joinLink {
	var links []joinLink
	linked := map[[2]osm.NodeID]bool{}
	for _, h := range homes {
		g.roadPaths(h, joinM, func(o osm.NodeID) bool { return isHome[o] }, func(o osm.NodeID, d float64, path []osm.NodeID) {
			if o > h {
				links = append(links, joinLink{a: h, b: o, dist: d, path: path})
				linked[[2]osm.NodeID{h, o}] = true
			}
		})
	}
	// Homes near each other in a straight line and not linked by a short
	// road: across a median (on one-way roads running opposite ways, the
	// line between them crossing the roads rather than following them), or
	// on a slip lane that the road reaches round the corner.
	near := max(joinM, NearIntersectionsM)
	grid := map[[2]int64][]osm.NodeID{}
	cell := func(p XY) [2]int64 { return [2]int64{int64(math.Floor(p.X / near)), int64(math.Floor(p.Y / near))} }
	for _, h := range homes {
		c := cell(g.xy(h))
		grid[c] = append(grid[c], h)
	}
	for _, h := range homes {
		p, c := g.xy(h), cell(g.xy(h))
		for dx := int64(-1); dx <= 1; dx++ {
			for dy := int64(-1); dy <= 1; dy++ {
				for _, o := range grid[[2]int64{c[0] + dx, c[1] + dy}] {
					if o <= h || linked[[2]osm.NodeID{h, o}] {
						continue
					}
					d := p.Dist(g.xy(o))
					if d <= joinM && g.acrossMedian(h, o) {
						links = append(links, joinLink{a: h, b: o, dist: d, kind: joinAcrossMedian})
						continue
					}
					if d <= NearIntersectionsM && d <= joinM {
						g.roadPaths(h, slipRoadFactor*joinM, func(v osm.NodeID) bool { return v == o }, func(_ osm.NodeID, roadM float64, path []osm.NodeID) {
							links = append(links, joinLink{a: h, b: o, dist: d, path: path, kind: joinSlipRoad, roadM: roadM})
						})
					}
				}
			}
		}
	}
	sort.Slice(links, func(i, j int) bool {
		if links[i].dist != links[j].dist {
			return links[i].dist < links[j].dist
		}
		if links[i].a != links[j].a {
			return links[i].a < links[j].a
		}
		return links[i].b < links[j].b
	})
	return links
}

// roadPaths searches the roads from h (either direction of travel) up to
// maxM and calls found with each node that stop accepts, its distance and
// the path h ... node; the search does not go on past such a node.
func (g *osmGraph) roadPaths(h osm.NodeID, maxM float64, stop func(osm.NodeID) bool, found func(osm.NodeID, float64, []osm.NodeID)) {
	dist := map[osm.NodeID]float64{h: 0}
	prev := map[osm.NodeID]osm.NodeID{}
	pq := &osmNodeQueue{{id: h}}
	for pq.Len() > 0 {
		it := heap.Pop(pq).(osmNodeItem)
		if it.d > dist[it.id] {
			continue
		}
		if it.id != h && stop(it.id) {
			var path []osm.NodeID
			for v := it.id; v != h; v = prev[v] {
				path = append(path, v)
			}
			path = append(path, h)
			slices.Reverse(path)
			found(it.id, it.d, path)
			continue
		}
		for _, e := range g.ends[it.id] {
			nd := it.d + g.roads[e.road].lengthM()
			to := g.other(e)
			if old, ok := dist[to]; nd <= maxM && (!ok || nd < old) {
				dist[to] = nd
				prev[to] = it.id
				heap.Push(pq, osmNodeItem{id: to, d: nd})
			}
		}
	}
}

func (g *osmGraph) xy(v osm.NodeID) XY { return g.proj.ToXY(g.nodes[v].ll) }

// onRing reports whether node v is on a roundabout's ring.
func (g *osmGraph) onRing(v osm.NodeID) bool {
	for _, e := range g.ends[v] {
		if g.roads[e.road].ring {
			return true
		}
	}
	return false
}

// travelBearing is the direction of travel of road end e at node v: into
// v along a road that ends there, out of v along one that starts there.
func (g *osmGraph) travelBearing(v osm.NodeID, e roadEnd) (float64, bool) {
	at, p := g.xy(v), g.pointBack(e)
	if at == p {
		return 0, false
	}
	if e.atStart {
		return BearingDeg(at, p), true
	}
	return BearingDeg(p, at), true
}

// acrossMedian reports whether nodes a and b stand on the two carriageways
// of one divided road: each on a one-way road (not a roundabout's), the
// two running opposite ways (within 30°), and the line from a to b
// crossing them (at least 45° off their direction).
func (g *osmGraph) acrossMedian(a, b osm.NodeID) bool {
	ab := BearingDeg(g.xy(a), g.xy(b))
	for _, ea := range g.ends[a] {
		ra := &g.roads[ea.road]
		if !ra.road.Oneway || ra.ring {
			continue
		}
		ba, ok := g.travelBearing(a, ea)
		if !ok {
			continue
		}
		if d := AngleDiffDeg(ab, ba); d < 45 || d > 135 {
			continue
		}
		for _, eb := range g.ends[b] {
			rb := &g.roads[eb.road]
			if !rb.road.Oneway || rb.ring {
				continue
			}
			if bb, ok := g.travelBearing(b, eb); ok && AngleDiffDeg(ba, bb) >= 150 {
				return true
			}
		}
	}
	return false
}

// span is the greatest straight-line distance between two of the nodes.
func (g *osmGraph) span(vs []osm.NodeID) float64 {
	m := 0.0
	for i := range vs {
		for j := i + 1; j < len(vs); j++ {
			m = math.Max(m, g.xy(vs[i]).Dist(g.xy(vs[j])))
		}
	}
	return m
}

// closingCorners returns the junction nodes outside c that single roads
// of at most joinM link to two or more of c's core nodes: the corners of
// a divided road crossing left out when its signals are tagged on two
// opposite corners only.
func (g *osmGraph) closingCorners(c *junctionCluster, joinM float64) []osm.NodeID {
	count := map[osm.NodeID]int{}
	for _, v := range c.core {
		seenHere := map[osm.NodeID]bool{}
		for _, e := range g.ends[v] {
			o := g.other(e)
			if c.members[o] || seenHere[o] || !g.isJunction(o) || g.roads[e.road].lengthM() > joinM {
				continue
			}
			seenHere[o] = true
			count[o]++
		}
	}
	var out []osm.NodeID
	for v, k := range count {
		if k >= 2 {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// junctionApproaches returns the roads entering junction c from outside,
// one candidate per road end, with the node where each enters: roads
// between two of its nodes are inside it, and no approach stops between a
// stop-line signal and its junction. A roundabout's ring is no approach
// unless a signal of the junction stands on the ring itself: a signal at
// a roundabout controls its entry. A lone signal tagged with the
// direction it controls has only that direction's approach.
func (g *osmGraph) junctionApproaches(c *junctionCluster) []approachCand {
	ringSignal := false
	for _, s := range c.signals {
		all := len(g.ends[s]) > 0
		for _, e := range g.ends[s] {
			all = all && g.roads[e.road].ring
		}
		ringSignal = ringSignal || all
	}
	var lone osm.NodeID
	if len(c.members) == 1 && len(c.signals) == 1 && !g.isJunction(c.signals[0]) {
		lone = c.signals[0]
	}
	var cands []approachCand
	for _, m := range slices.Sorted(maps.Keys(c.members)) {
		if c.noStop[m] {
			continue
		}
		for _, e := range g.ends[m] {
			r := &g.roads[e.road]
			if !g.canArrive(e) || c.members[g.other(e)] || r.ring && !ringSignal {
				continue
			}
			if lone != 0 && g.nodes[lone].sigDir != twoWay && g.arrivesForward(e) != (g.nodes[lone].sigDir == forward) {
				continue
			}
			b, ok := g.arrivalBearing(m, e)
			if !ok {
				continue
			}
			cands = append(cands, approachCand{bearing: b, rank: classRank(r.road.Class), name: r.road.Name, stops: []osm.NodeID{m}})
		}
	}
	return cands
}

// junctionIntersection makes c's intersection, or drops its signals (into
// the report) when no road enters it.
func (g *osmGraph) junctionIntersection(c *junctionCluster, opt ImportOptions, rep *ImportReport) (Intersection, bool) {
	cands := g.junctionApproaches(c)
	if len(cands) == 0 {
		why := g.noApproachReason(c)
		for _, s := range c.signals {
			rep.Dropped = append(rep.Dropped, DroppedSignal{Node: int64(s), LonLat: g.nodes[s].ll, Reason: why})
		}
		rep.SignalsDropped += len(c.signals)
		return Intersection{}, false
	}
	cands = mergeCandidates(cands)
	approaches := assignPhases(cands)
	multi := len(c.members) > 1
	stopping := map[osm.NodeID]bool{}
	if multi {
		for i := range approaches {
			stops := slices.Sorted(slices.Values(cands[i].stops))
			for _, v := range stops {
				approaches[i].StopLines = append(approaches[i].StopLines, g.nodes[v].ll)
				stopping[v] = true
			}
		}
	}
	// The centre of its junction nodes (of its homes and links, when it
	// has none: a crossing); the node of them nearest that centre (within
	// half a metre, the smallest id) names it.
	centreOf := slices.DeleteFunc(slices.Clone(c.core), func(v osm.NodeID) bool { return !g.isJunction(v) })
	if len(centreOf) == 0 {
		centreOf = c.core
	}
	var sum XY
	for _, v := range centreOf {
		sum.X += g.xy(v).X
		sum.Y += g.xy(v).Y
	}
	centre := XY{sum.X / float64(len(centreOf)), sum.Y / float64(len(centreOf))}
	nearest := math.Inf(1)
	for _, v := range centreOf {
		nearest = math.Min(nearest, centre.Dist(g.xy(v)))
	}
	named := osm.NodeID(0)
	for _, v := range centreOf {
		if centre.Dist(g.xy(v)) <= nearest+0.5 && (named == 0 || v < named) {
			named = v
		}
	}
	nearest = centre.Dist(g.xy(named))
	ll := g.nodes[named].ll
	if len(centreOf) > 1 && nearest < IntersectionToleranceM-1 {
		p := g.proj.ToLonLat(centre)
		ll = orb.Point{round7(p[0]), round7(p[1])}
	}
	in := Intersection{ID: fmt.Sprintf("n%d", named), Name: junctionName(cands), LonLat: ll, Approaches: approaches, Timing: opt.Timing}
	if multi {
		for _, v := range slices.Sorted(maps.Keys(c.members)) {
			if !stopping[v] {
				in.Nodes = append(in.Nodes, g.nodes[v].ll)
			}
		}
	}
	return in, true
}

// noApproachReason says why no road enters junction c.
func (g *osmGraph) noApproachReason(c *junctionCluster) string {
	if len(c.members) == 1 {
		v := c.homes[0]
		dir := g.nodes[v].sigDir
		arrive := 0
		for _, e := range g.ends[v] {
			if g.canArrive(e) {
				arrive++
			}
		}
		switch {
		case g.deg[v] == 1 && arrive == 0:
			return "at the start of a one-way dead end: no vehicle arrives at it"
		case arrive == 0:
			return "where one-way roads only leave: no vehicle arrives at it"
		case dir != twoWay:
			return fmt.Sprintf("no road arrives at it in the direction it controls (traffic_signals:direction=%s)", map[direction]string{forward: "forward", backward: "backward"}[dir])
		}
	}
	return "no road enters the junction from outside it (only a roundabout's ring, or roads between its own nodes)"
}

// nearPairs lists the intersections closer than NearIntersectionsM and
// why each pair stayed two.
func (g *osmGraph) nearPairs(out []Intersection, clusters []*junctionCluster, refused map[[2]osm.NodeID]float64, opt ImportOptions) []NearPair {
	pts := make([]XY, len(out))
	grid := map[[2]int64][]int{}
	cell := func(p XY) [2]int64 {
		return [2]int64{int64(math.Floor(p.X / NearIntersectionsM)), int64(math.Floor(p.Y / NearIntersectionsM))}
	}
	for i := range out {
		pts[i] = g.proj.ToXY(out[i].LonLat)
		grid[cell(pts[i])] = append(grid[cell(pts[i])], i)
	}
	var pairs []NearPair
	for i := range out {
		c := cell(pts[i])
		for dx := int64(-1); dx <= 1; dx++ {
			for dy := int64(-1); dy <= 1; dy++ {
				for _, j := range grid[[2]int64{c[0] + dx, c[1] + dy}] {
					d := pts[i].Dist(pts[j])
					if j == i || d > NearIntersectionsM || out[j].ID < out[i].ID || out[j].ID == out[i].ID && j < i {
						continue
					}
					pairs = append(pairs, NearPair{A: out[i].ID, B: out[j].ID, DistM: math.Round(d*10) / 10,
						Why: g.whyApart(clusters[i], clusters[j], refused, opt)})
				}
			}
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].A != pairs[j].A {
			return pairs[i].A < pairs[j].A
		}
		return pairs[i].B < pairs[j].B
	})
	return pairs
}

// whyApart says why two junctions near each other were not joined.
func (g *osmGraph) whyApart(a, b *junctionCluster, refused map[[2]osm.NodeID]float64, opt ImportOptions) string {
	for _, ha := range a.homes {
		for _, hb := range b.homes {
			k := [2]osm.NodeID{min(ha, hb), max(ha, hb)}
			if span, ok := refused[k]; ok {
				return fmt.Sprintf("not joined: together their nodes would span %.0f m, over twice --join-m (%.0f m)", span, 2*opt.JunctionJoinM)
			}
		}
	}
	// The shortest road path between them, either direction of travel.
	limit := math.Max(200, 4*opt.JunctionJoinM)
	dist := map[osm.NodeID]float64{}
	pq := &osmNodeQueue{}
	for _, v := range a.core {
		dist[v] = 0
		heap.Push(pq, osmNodeItem{id: v})
	}
	isB := map[osm.NodeID]bool{}
	for _, v := range b.core {
		isB[v] = true
	}
	for pq.Len() > 0 {
		it := heap.Pop(pq).(osmNodeItem)
		if it.d > dist[it.id] {
			continue
		}
		if isB[it.id] {
			return fmt.Sprintf("not joined: %.0f m apart along the roads, over --join-m (%.0f m)", it.d, opt.JunctionJoinM)
		}
		for _, e := range g.ends[it.id] {
			nd := it.d + g.roads[e.road].lengthM()
			to := g.other(e)
			if old, ok := dist[to]; nd <= limit && (!ok || nd < old) {
				dist[to] = nd
				heap.Push(pq, osmNodeItem{id: to, d: nd})
			}
		}
	}
	return fmt.Sprintf("not joined: no road joins them within %.0f m (separate roads, or one above the other)", limit)
}
