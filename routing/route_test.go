package routing

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bruteSnap is every road point Route may start or end at for ll, by
// looking at every segment of every edge: the oracle for the R-tree snap.
// Each road's nearest point (on its indexed edge, the first of a two-way
// road's pair) whose distance is at most SnapAlternativesM more than the
// nearest road's.
func bruteSnap(n *Network, ll orb.Point) []roadPoint {
	p := n.Projection().ToXY(ll)
	type hit struct {
		rp roadPoint
		d  float64
	}
	byRoad := map[int32]hit{}
	for e := int32(0); e < int32(n.NumEdges()); e++ {
		if tw := n.Edge(e).Twin; tw >= 0 && tw < e {
			continue
		}
		g, cum := n.EdgeGeometry(e)
		for s := 0; s+1 < len(g); s++ {
			_, t, d := projectOnSegment(p, g[s], g[s+1])
			if h, ok := byRoad[e]; !ok || d < h.d {
				byRoad[e] = hit{roadPoint{e, cum[s] + t*(cum[s+1]-cum[s])}, d}
			}
		}
	}
	nearest := math.Inf(1)
	for _, h := range byRoad {
		nearest = math.Min(nearest, h.d)
	}
	var out []roadPoint
	for _, h := range byRoad {
		if h.d <= nearest+SnapAlternativesM {
			out = append(out, h.rp)
		}
	}
	return out
}

// bruteJunctionAt is the intersection whose point or one of whose nodes
// is nearest to ll within SnapAlternativesM, by looking at every one.
func bruteJunctionAt(n *Network, ll orb.Point) int32 {
	p := n.Projection().ToXY(ll)
	best, bestD := int32(-1), math.Inf(1)
	for i := range n.Intersections() {
		ds := []float64{p.Dist(n.Intersection(int32(i)).XY)}
		for _, v := range n.IntersectionNodes(int32(i)) {
			ds = append(ds, p.Dist(n.NodeXY(v)))
		}
		for _, d := range ds {
			if d <= SnapAlternativesM && d < bestD {
				best, bestD = int32(i), d
			}
		}
	}
	return best
}

type dijkstraItem struct {
	edge int32
	t    float64
}
type dijkstraQueue []dijkstraItem

func (q dijkstraQueue) Len() int                     { return len(q) }
func (q dijkstraQueue) Less(i, j int) bool           { return q[i].t < q[j].t }
func (q dijkstraQueue) Swap(i, j int)                { q[i], q[j] = q[j], q[i] }
func (q *dijkstraQueue) Push(x any)                  { *q = append(*q, x.(dijkstraItem)) }
func (q *dijkstraQueue) Pop() any                    { old := *q; it := old[len(old)-1]; *q = old[:len(old)-1]; return it }
func (q dijkstraQueue) empty() bool                  { return len(q) == 0 }
func (q *dijkstraQueue) pushItem(e int32, t float64) { heap.Push(q, dijkstraItem{e, t}) }

// bruteFastest is the free-flow time of the fastest route between two
// points, by a plain Dijkstra over the directed edges (a label per edge,
// so that turn restrictions are simply checked at each step) from every
// start position, with the same partial-edge semantics as Route: start
// part-way along an edge, end part-way along one.
func bruteFastest(n *Network, from, to orb.Point) float64 {
	type rp struct {
		e   int32
		off float64
	}
	dirs := func(pts []roadPoint) []rp {
		var out []rp
		for _, p := range pts {
			out = append(out, rp{p.edge, p.off})
			if tw := n.Edge(p.edge).Twin; tw >= 0 {
				out = append(out, rp{tw, n.Edge(tw).LengthM - p.off})
			}
		}
		return out
	}
	starts, dests := dirs(bruteSnap(n, from)), dirs(bruteSnap(n, to))
	// A point at a junction may also leave it, or reach it, by any road of
	// its nodes.
	if ii := bruteJunctionAt(n, from); ii >= 0 {
		for _, v := range n.IntersectionNodes(ii) {
			for _, e := range n.OutEdges(v) {
				starts = append(starts, rp{e, 0})
			}
		}
	}
	if ii := bruteJunctionAt(n, to); ii >= 0 {
		for _, v := range n.IntersectionNodes(ii) {
			for _, e := range n.InEdges(v) {
				dests = append(dests, rp{e, n.Edge(e).LengthM})
			}
		}
	}
	best := math.Inf(1)
	for _, s := range starts {
		for _, d := range dests {
			if s.e == d.e && d.off >= s.off {
				best = math.Min(best, (d.off-s.off)/n.Edge(s.e).SpeedMps)
			}
		}
	}
	// dist[e]: the fastest time to the end of edge e.
	dist := make([]float64, n.NumEdges())
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	q := &dijkstraQueue{}
	for _, s := range starts {
		se := n.Edge(s.e)
		if t := (se.LengthM - s.off) / se.SpeedMps; t < dist[s.e] {
			dist[s.e] = t
			q.pushItem(s.e, t)
		}
	}
	for !q.empty() {
		it := heap.Pop(q).(dijkstraItem)
		if it.t > dist[it.edge] {
			continue
		}
		for _, o := range n.OutEdges(n.Edge(it.edge).To) {
			if !n.TurnAllowed(it.edge, o) {
				continue
			}
			od := n.Edge(o)
			if t := it.t + od.LengthM/od.SpeedMps; t < dist[o] {
				dist[o] = t
				q.pushItem(o, t)
			}
			for _, d := range dests {
				if d.e == o {
					best = math.Min(best, it.t+d.off/od.SpeedMps)
				}
			}
		}
	}
	return best
}

func checkRouteAgainstDijkstra(t *testing.T, n *Network, rng *rand.Rand, pairs int) (routed, unroutable int) {
	t.Helper()
	for i := 0; i < pairs; i++ {
		from, to := randomRoadPoint(n, rng), randomRoadPoint(n, rng)
		want := bruteFastest(n, from, to)
		p, err := n.Route(from, to)
		if math.IsInf(want, 1) {
			require.Error(t, err, "pair %d: Dijkstra finds no route, Route must fail", i)
			require.ErrorIs(t, err, errNoRoute)
			unroutable++
			continue
		}
		require.NoError(t, err, "pair %d %v -> %v", i, from, to)
		require.InDelta(t, want, p.FreeFlowS(), 1e-6*want+1e-6, "pair %d %v -> %v: free-flow time", i, from, to)
		checkPathShape(t, n, p)
		routed++
	}
	return routed, unroutable
}

// checkPathShape checks invariants every path has: cumulative distance
// and time rise along it, signals are ordered and on it.
func checkPathShape(t *testing.T, n *Network, p *Path) {
	t.Helper()
	pts := p.Points()
	require.GreaterOrEqual(t, len(pts), 2)
	for i := 1; i < len(pts); i++ {
		require.InDelta(t, pts[i-1].Dist(pts[i]), p.points[i].cum-p.points[i-1].cum, 1e-6)
		require.Greater(t, p.points[i].tcum, p.points[i-1].tcum-1e-12)
	}
	prev := -1.0
	for _, s := range p.Signals() {
		require.GreaterOrEqual(t, s.AlongM, prev)
		prev = s.AlongM
		at, _ := p.PointAt(s.AlongM)
		require.LessOrEqual(t, at.Dist(n.Intersection(s.Intersection).XY), polylineSignalBufferM+IntersectionToleranceM)
	}
}

func TestRouteMatchesDijkstraOnGrid(t *testing.T) {
	inv := gridInventory(8, 6, 150)
	// A few one-way streets so that direction matters.
	for i := range inv.Roads {
		if i%7 == 3 {
			inv.Roads[i].Oneway = true
		}
	}
	n := buildTestNet(t, inv)
	routed, _ := checkRouteAgainstDijkstra(t, n, rand.New(rand.NewPCG(1, 2)), 300)
	assert.Greater(t, routed, 250)
}

func TestRouteMatchesDijkstraOnLuxembourg(t *testing.T) {
	n := luxembourg(t)
	routed, unroutable := checkRouteAgainstDijkstra(t, n, rand.New(rand.NewPCG(7, 11)), 250)
	t.Logf("Luxembourg: %d pairs routed, %d unroutable (separate parts of the extract), all equal to Dijkstra", routed, unroutable)
	assert.GreaterOrEqual(t, routed, 200)
}

func TestRouteOnGrid(t *testing.T) {
	n := buildTestNet(t, gridInventory(5, 5, 200))
	// From the middle of the bottom street to the middle of the top one:
	// east-west streets are faster, so the route goes up the nearest
	// north-south street (x = 200 or 400: both 100 m away) then along.
	p, err := n.Route(ll(300, 0), ll(300, 800))
	require.NoError(t, err)
	assert.InDelta(t, 100+800+100, p.LengthM(), 0.5)
	assert.InDelta(t, 100/13.9+800/8.3+100/13.9, p.FreeFlowS(), 0.01)
	sig := p.Signals()
	require.Len(t, sig, 3, "the three inner intersections of the north-south street")
	for i, s := range sig {
		assert.Equal(t, "NB", s.Approach)
		assert.Equal(t, 4, s.Phase)
		assert.InDelta(t, 100+200*float64(i+1), s.AlongM, 0.5)
	}
	assert.Contains(t, []string{"I-1-1", "I-2-1"}, sig[0].ID)

	start, _ := p.PointAt(0)
	assert.InDelta(t, 0, start.Dist(xy(n, 300, 0)), 0.5, "starts at the snapped start point")
	end, bearing := p.PointAt(p.LengthM())
	assert.InDelta(t, 0, end.Dist(xy(n, 300, 800)), 0.5)
	assert.True(t, AngleDiffDeg(bearing, 90) < 1 || AngleDiffDeg(bearing, 270) < 1, "ends along the top street, bearing %v", bearing)
	assert.InDelta(t, 800/8.3, p.FreeFlowTimeS(100, 900), 0.01, "free-flow time on the vertical street")
	assert.InDelta(t, 400/8.3, p.FreeFlowTimeS(300, 700), 0.01)
	assert.Zero(t, p.FreeFlowTimeS(700, 300))
}

func TestRouteSameEdge(t *testing.T) {
	n := buildTestNet(t, gridInventory(3, 3, 200))
	p, err := n.Route(ll(20, 0), ll(150, 0))
	require.NoError(t, err)
	assert.InDelta(t, 130, p.LengthM(), 0.5)
	assert.Empty(t, p.Signals())
	back, err := n.Route(ll(150, 0), ll(20, 0))
	require.NoError(t, err)
	assert.InDelta(t, 130, back.LengthM(), 0.5, "the two-way street's other direction")
	same, err := n.Route(ll(20, 0), ll(20, 0))
	require.NoError(t, err)
	assert.Zero(t, same.LengthM())
	assert.Len(t, same.Points(), 2)
}

func TestRouteErrors(t *testing.T) {
	inv := gridInventory(3, 3, 200)
	// An island: a one-way street nobody can reach.
	inv.Roads = append(inv.Roads, testRoad("island", true, 10, XY{1000, 1000}, XY{1100, 1000}))
	n := buildTestNet(t, inv)

	_, err := n.Route(ll(5000, 0), ll(0, 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "from: point")
	assert.Regexp(t, `is 40[23]\d m from the nearest road`, err.Error())

	_, err = n.Route(ll(0, 0), ll(-300, 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "to: point")
	assert.Contains(t, err.Error(), "300 m from the nearest road")

	_, err = n.Route(ll(0, 0), orb.Point{math.NaN(), 1})
	require.ErrorContains(t, err, "to:")

	_, err = n.Route(ll(0, 0), ll(1050, 1000))
	require.ErrorIs(t, err, errNoRoute)
	assert.Contains(t, err.Error(), "no roads join them")

	// Inside the island's one-way street, forwards is fine, backwards not.
	_, err = n.Route(ll(1010, 1000), ll(1090, 1000))
	require.NoError(t, err)
	_, err = n.Route(ll(1090, 1000), ll(1010, 1000))
	require.ErrorIs(t, err, errNoRoute)
}

func TestRouteFrom(t *testing.T) {
	n := buildTestNet(t, gridInventory(4, 4, 200))
	// Heading west on the bottom street at x=250: RouteFrom keeps that
	// direction, so reaching a point behind (x=350) means driving on to
	// the junction at x=200 and turning round there.
	start, err := snapNearest(n, ll(250, 0))
	require.NoError(t, err)
	west := start.edge
	if _, b := n.PointOnEdge(west, start.off); AngleDiffDeg(b, 270) > 1 {
		west = n.Edge(west).Twin
	}
	off := n.Edge(west).LengthM - start.off
	if west == start.edge {
		off = start.off
	}
	pos := RoadPos{Edge: west, OffsetM: off, XY: xy(n, 250, 0)}
	p, err := n.RouteFrom(pos, ll(350, 0))
	require.NoError(t, err)
	assert.InDelta(t, 50+150, p.LengthM(), 0.5, "drives on to the junction and turns round")
	_, bearing := p.PointAt(0)
	assert.InDelta(t, 0, AngleDiffDeg(bearing, 270), 1, "starts westbound")
	q, err := n.Route(ll(250, 0), ll(350, 0))
	require.NoError(t, err)
	assert.InDelta(t, 100, q.LengthM(), 0.5)

	_, err = n.RouteFrom(RoadPos{Edge: 999999}, ll(0, 0))
	require.ErrorContains(t, err, "edge 999999")
	_, err = n.RouteFrom(RoadPos{Edge: 0, OffsetM: math.Inf(1)}, ll(0, 0))
	require.ErrorContains(t, err, "offset")
}

func BenchmarkRoute(b *testing.B) {
	n := luxembourg(b)
	rng := rand.New(rand.NewPCG(3, 4))
	pairs := make([][2]orb.Point, 256)
	for i := range pairs {
		pairs[i] = [2]orb.Point{randomRoadPoint(n, rng), randomRoadPoint(n, rng)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		pr := pairs[i%len(pairs)]
		_, _ = n.Route(pr[0], pr[1])
	}
}

// BenchmarkRouteCrossCity routes between the two points of the map
// farthest apart west to east.
func BenchmarkRouteCrossCity(b *testing.B) {
	n := luxembourg(b)
	west, east := int32(0), int32(0)
	for i := int32(0); i < int32(n.NumNodes()); i++ {
		if n.NodeXY(i).X < n.NodeXY(west).X {
			west = i
		}
		if n.NodeXY(i).X > n.NodeXY(east).X {
			east = i
		}
	}
	from, to := n.Projection().ToLonLat(n.NodeXY(west)), n.Projection().ToLonLat(n.NodeXY(east))
	p, err := n.Route(from, to)
	if err != nil {
		b.Skipf("west and east ends are not connected: %v", err)
	}
	b.Logf("cross-city route: %.0f m, %.0f s free flow", p.LengthM(), p.FreeFlowS())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, _ = n.Route(from, to)
	}
}

// BenchmarkRouteWithRestrictions is BenchmarkRoute on the Luxembourg map
// with 300 random turn restrictions at its junctions (the shipped extract
// has none): where a turn is forbidden the search labels arriving edges,
// not nodes.
func BenchmarkRouteWithRestrictions(b *testing.B) {
	inv, err := LoadGeoJSON(mustOpenFile(b, "../testdata/luxembourg.geojson"))
	require.NoError(b, err)
	base, err := Build(inv)
	require.NoError(b, err)
	rng := rand.New(rand.NewPCG(8, 9))
	for k := 0; len(inv.Restrictions) < 300 && k < 100000; k++ {
		v := int32(rng.IntN(base.NumNodes()))
		ins, outs := base.InEdges(v), base.OutEdges(v)
		if len(ins) < 2 || len(outs) < 2 {
			continue
		}
		a, c := ins[rng.IntN(len(ins))], outs[rng.IntN(len(outs))]
		inv.Restrictions = append(inv.Restrictions, TurnRestriction{ID: fmt.Sprintf("r%d", k), Kind: "no_left_turn",
			From: base.Road(base.Edge(a).Road).ID, To: base.Road(base.Edge(c).Road).ID, Via: base.Projection().ToLonLat(base.NodeXY(v))})
	}
	n, err := Build(inv)
	require.NoError(b, err)
	pairs := make([][2]orb.Point, 256)
	for i := range pairs {
		pairs[i] = [2]orb.Point{randomRoadPoint(n, rng), randomRoadPoint(n, rng)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		pr := pairs[i%len(pairs)]
		_, _ = n.Route(pr[0], pr[1])
	}
	b.ReportMetric(float64(n.NumTurnBans()), "bans")
}

func mustOpenFile(tb testing.TB, path string) *os.File {
	tb.Helper()
	f, err := os.Open(path)
	require.NoError(tb, err)
	tb.Cleanup(func() { f.Close() })
	return f
}
