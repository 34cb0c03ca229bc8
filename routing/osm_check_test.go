package routing

import (
	"bufio"
	"compress/gzip"
	"container/heap"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The checks an imported city must pass, whatever the city: run on the
// shipped Luxembourg extract by the tests, and on any other with
//
//	GREENWAVE_OSM_CHECK=/path/to/town.osm[.gz|.pbf] go test ./routing -run ImportedCity -v

// checkImportedMap checks what must hold of any import: every signal node
// on a drivable road accounted for, every intersection with an approach
// whose stop line a road enters near its bearing, no two intersections
// within NearIntersectionsM unless the report names why, and the count of
// intersections against an independent clustering of the extract's
// signal nodes (logged; asserted close for the shipped map by its test).
func checkImportedMap(t *testing.T, path string, inv *Inventory, rep ImportReport) (*Network, int) {
	t.Helper()
	assert.Equal(t, rep.SignalNodes, rep.SignalsKept+rep.SignalsDropped, "every signal node on a road is kept or dropped with a reason")
	assert.Len(t, rep.Dropped, rep.SignalsDropped+rep.SignalsOffRoad)
	for _, d := range rep.Dropped {
		assert.NotEmpty(t, d.Reason, "node %d", d.Node)
	}
	n, err := Build(inv)
	require.NoError(t, err)
	ids := map[string]bool{}
	for i, in := range n.Intersections() {
		assert.NotEmpty(t, in.Approaches, in.ID)
		assert.False(t, ids[in.ID])
		ids[in.ID] = true
		for k, a := range in.Approaches {
			found := false
			for _, stop := range n.StopLineNodes(int32(i), k) {
				for _, e := range n.InEdges(stop) {
					if n.IntersectionAtNode(n.Edge(e).From) != int32(i) && AngleDiffDeg(n.EntryBearingDeg(e), a.BearingDeg) <= MaxApproachDiffDeg {
						found = true
					}
				}
			}
			assert.True(t, found, "%s approach %s (%v°): a road enters its stop line within MaxApproachDiffDeg of its bearing", in.ID, a.ID, a.BearingDeg)
		}
	}
	named := map[[2]string]string{}
	for _, p := range rep.Near {
		named[[2]string{p.A, p.B}] = p.Why
	}
	inters := n.Intersections()
	for i := range inters {
		for j := i + 1; j < len(inters); j++ {
			if d := inters[i].XY.Dist(inters[j].XY); d < NearIntersectionsM {
				a, b := inters[i].ID, inters[j].ID
				if b < a {
					a, b = b, a
				}
				assert.NotEmpty(t, named[[2]string{a, b}], "%s and %s are %.1f m apart and the report does not say why", a, b, d)
			}
		}
	}
	clusters := signalClusters(t, path, NearIntersectionsM)
	t.Logf("%s: %d signal nodes on drivable roads, %d groups of them within %.0f m of each other (straight line), %d intersections imported",
		path, rep.SignalNodes, clusters, NearIntersectionsM, rep.Intersections)
	return n, clusters
}

// openOSM opens an extract with a scanner of its format.
func openOSM(t *testing.T, path string) osm.Scanner {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	format, err := OSMFormatFromPath(path)
	require.NoError(t, err)
	var r io.Reader = bufio.NewReader(f)
	switch format {
	case FormatOSMPBF:
		return osmpbf.New(context.Background(), r, 1)
	case FormatOSMXMLGz:
		gz, err := gzip.NewReader(r)
		require.NoError(t, err)
		r = gz
	}
	return osmxml.New(context.Background(), r)
}

// signalClusters is an independent count of the extract's signal-controlled
// junctions: the signal nodes (highway=traffic_signals, or a crossing with
// crossing=traffic_signals) that some road of a drivable class uses,
// grouped by single linkage at withinM in a straight line.
func signalClusters(t *testing.T, path string, withinM float64) int {
	t.Helper()
	sc := openOSM(t, path)
	defer sc.Close()
	pos := map[osm.NodeID]orb.Point{}
	signal := map[osm.NodeID]bool{}
	onRoad := map[osm.NodeID]bool{}
	for sc.Scan() {
		switch o := sc.Object().(type) {
		case *osm.Node:
			pos[o.ID] = orb.Point{o.Lon, o.Lat}
			hw := o.Tags.Find("highway")
			if hw == "traffic_signals" || hw == "crossing" && o.Tags.Find("crossing") == "traffic_signals" {
				signal[o.ID] = true
			}
		case *osm.Way:
			if _, ok := ClassSpeedMps[o.Tags.Find("highway")]; ok {
				for _, wn := range o.Nodes {
					onRoad[wn.ID] = true
				}
			}
		}
	}
	require.NoError(t, sc.Err())
	var pts []orb.Point
	for id := range signal {
		if onRoad[id] {
			pts = append(pts, pos[id])
		}
	}
	parent := make([]int, len(pts))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		if parent[x] != x {
			parent[x] = find(parent[x])
		}
		return parent[x]
	}
	for i := range pts {
		for j := i + 1; j < len(pts); j++ {
			if HaversineM(pts[i], pts[j]) <= withinM {
				parent[find(i)] = find(j)
			}
		}
	}
	groups := map[int]bool{}
	for i := range pts {
		groups[find(i)] = true
	}
	return len(groups)
}

// roadGraph is the imported roads as a plain directed graph, built here
// from the inventory alone (nodes are road end points with the very same
// coordinates, lengths by the haversine formula), independently of
// Network: the oracle for routes.
type roadGraph struct {
	node  map[orb.Point]int
	arcs  [][]roadArc // leaving each node
	roads map[string][2]int
	// banned[from road id][to road id at via node]
	banned map[[3]string]bool
	only   map[[2]string][]string // (from road, via) -> allowed to roads
}

type roadArc struct {
	to   int
	time float64
	road string
}

func newRoadGraph(inv *Inventory) *roadGraph {
	g := &roadGraph{node: map[orb.Point]int{}, roads: map[string][2]int{}, banned: map[[3]string]bool{}, only: map[[2]string][]string{}}
	id := func(p orb.Point) int {
		if k, ok := g.node[p]; ok {
			return k
		}
		g.node[p] = len(g.arcs)
		g.arcs = append(g.arcs, nil)
		return g.node[p]
	}
	for _, r := range inv.Roads {
		length := 0.0
		for k := 1; k < len(r.Coords); k++ {
			length += HaversineM(r.Coords[k-1], r.Coords[k])
		}
		a, b := id(r.Coords[0]), id(r.Coords[len(r.Coords)-1])
		g.roads[r.ID] = [2]int{a, b}
		g.arcs[a] = append(g.arcs[a], roadArc{to: b, time: length / r.SpeedMps, road: r.ID})
		if !r.Oneway {
			g.arcs[b] = append(g.arcs[b], roadArc{to: a, time: length / r.SpeedMps, road: r.ID})
		}
	}
	for _, r := range inv.Restrictions {
		via := fmtPoint(r.Via)
		if r.Only() {
			g.only[[2]string{r.From, via}] = append(g.only[[2]string{r.From, via}], r.To)
		} else {
			g.banned[[3]string{r.From, via, r.To}] = true
		}
	}
	return g
}

func fmtPoint(p orb.Point) string { return fmt.Sprintf("%.7f,%.7f", p[0], p[1]) }

// allowed: may a vehicle on road from, at node v, leave by road to.
func (g *roadGraph) allowed(from string, v orb.Point, to string) bool {
	via := fmtPoint(v)
	if g.banned[[3]string{from, via, to}] {
		return false
	}
	if only, ok := g.only[[2]string{from, via}]; ok {
		for _, o := range only {
			if o == to {
				return true
			}
		}
		return false
	}
	return true
}

type oracleItem struct {
	node int
	road string // the road arrived by ("" at a start)
	t    float64
}
type oracleQueue []oracleItem

func (q oracleQueue) Len() int           { return len(q) }
func (q oracleQueue) Less(i, j int) bool { return q[i].t < q[j].t }
func (q oracleQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *oracleQueue) Push(x any)        { *q = append(*q, x.(oracleItem)) }
func (q *oracleQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// fastest is the free-flow time from any of the start nodes to any of the
// destination nodes, by a plain Dijkstra over (node, road arrived by),
// so that turn restrictions are checked at each step; +Inf when none.
func (g *roadGraph) fastest(starts, dests []orb.Point) float64 {
	pt := make([]orb.Point, len(g.arcs))
	for p, k := range g.node {
		pt[k] = p
	}
	isDest := map[int]bool{}
	for _, d := range dests {
		if k, ok := g.node[d]; ok {
			isDest[k] = true
		}
	}
	type state struct {
		node int
		road string
	}
	dist := map[state]float64{}
	q := &oracleQueue{}
	for _, s := range starts {
		if k, ok := g.node[s]; ok {
			dist[state{k, ""}] = 0
			heap.Push(q, oracleItem{node: k})
		}
	}
	for q.Len() > 0 {
		it := heap.Pop(q).(oracleItem)
		if it.t > dist[state{it.node, it.road}] {
			continue
		}
		if isDest[it.node] {
			return it.t
		}
		for _, a := range g.arcs[it.node] {
			if it.road != "" && !g.allowed(it.road, pt[it.node], a.road) {
				continue
			}
			s := state{a.to, a.road}
			if old, ok := dist[s]; !ok || it.t+a.time < old {
				dist[s] = it.t + a.time
				heap.Push(q, oracleItem{node: a.to, road: a.road, t: it.t + a.time})
			}
		}
	}
	return math.Inf(1)
}

// junctionPoints are the road end points of an intersection: its nodes and
// stop lines, or for a junction of one node the road end at its point.
func junctionPoints(in *Intersection) []orb.Point {
	pts := append([]orb.Point(nil), in.Nodes...)
	for _, a := range in.Approaches {
		pts = append(pts, a.StopLines...)
	}
	if len(pts) == 0 {
		pts = append(pts, in.LonLat)
	}
	return pts
}

// checkRoutesBetweenIntersections routes between random pairs of
// intersections at least minApartM apart and compares each route's
// free-flow time with the oracle's, from any road end of the one
// junction to any of the other: within 2%.
func checkRoutesBetweenIntersections(t *testing.T, inv *Inventory, n *Network, pairs int, minApartM float64) {
	t.Helper()
	g := newRoadGraph(inv)
	rng := rand.New(rand.NewPCG(12, 2026))
	inters := inv.Intersections
	if len(inters) < 2 {
		t.Skip("fewer than two intersections: no routes between them to check")
	}
	var worst float64
	checked, unroutable := 0, 0
	for tries := 0; checked+unroutable < pairs && tries < 100*pairs; tries++ {
		a, b := &inters[rng.IntN(len(inters))], &inters[rng.IntN(len(inters))]
		if HaversineM(a.LonLat, b.LonLat) < minApartM {
			continue
		}
		want := g.fastest(junctionPoints(a), junctionPoints(b))
		p, err := n.Route(a.LonLat, b.LonLat)
		if math.IsInf(want, 1) {
			unroutable++
			continue
		}
		require.NoError(t, err, "%s -> %s: the oracle finds a route of %.1f s", a.ID, b.ID, want)
		diff := (p.FreeFlowS() - want) / want
		worst = math.Max(worst, math.Abs(diff))
		assert.InDelta(t, want, p.FreeFlowS(), 0.02*want, "%s -> %s: route %.1f s, independent shortest path %.1f s", a.ID, b.ID, p.FreeFlowS(), want)
		for k := 0; k+1 < len(p.edges); k++ {
			require.True(t, n.TurnAllowed(p.edges[k], p.edges[k+1]), "%s -> %s takes a forbidden turn", a.ID, b.ID)
		}
		checked++
	}
	t.Logf("%d routes between intersections at least %.0f m apart checked against an independent Dijkstra (largest difference %.2f%%), %d pairs with no route", checked, minApartM, 100*worst, unroutable)
	assert.Greater(t, checked, pairs/2)
}

func TestRoutesBetweenLuxembourgIntersectionsMatchIndependentShortestPaths(t *testing.T) {
	inv, _ := importFile(t, "../testdata/luxembourg.osm")
	n, err := Build(inv)
	require.NoError(t, err)
	checkRoutesBetweenIntersections(t, inv, n, 200, 1000)
}

func TestImportedCity(t *testing.T) {
	path := os.Getenv("GREENWAVE_OSM_CHECK")
	if path == "" {
		t.Skip("set GREENWAVE_OSM_CHECK to an OSM extract (.osm, .osm.gz, .osm.pbf) to run the import checks on it")
	}
	inv, rep := importFile(t, path)
	t.Logf("import report:\n%s", rep)
	n, _ := checkImportedMap(t, path, inv, rep)
	checkRoutesBetweenIntersections(t, inv, n, 200, 500)
}
