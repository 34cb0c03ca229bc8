package routing

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crossingNet is one signalised intersection at the origin with a straight
// road through it at roadBearing and a cross road at roadBearing+90, and
// the given approaches.
func crossingNet(t *testing.T, roadBearing float64, approaches ...Approach) *Network {
	t.Helper()
	dir := func(b, d float64) XY {
		r := b * math.Pi / 180
		return XY{d * math.Sin(r), d * math.Cos(r)}
	}
	o := XY{0, 0}
	in := fourWay("X", 0, 0)
	in.Approaches = approaches
	return buildTestNet(t, &Inventory{
		Intersections: []Intersection{in},
		Roads: []Road{
			testRoad("in", false, 10, dir(roadBearing, -300), o), testRoad("out", false, 10, o, dir(roadBearing, 300)),
			testRoad("left", false, 10, dir(roadBearing+90, -300), o), testRoad("right", false, 10, o, dir(roadBearing+90, 300)),
		}})
}

func TestApproachMatchingAcrossNorth(t *testing.T) {
	wrapApproaches := func(nb float64) []Approach {
		return []Approach{{ID: "NB", BearingDeg: nb, Phase: 2}, {ID: "EB", BearingDeg: math.Mod(nb+90, 360), Phase: 4},
			{ID: "SB", BearingDeg: math.Mod(nb+180, 360), Phase: 6}, {ID: "WB", BearingDeg: math.Mod(nb+270, 360), Phase: 8}}
	}
	for _, tc := range []struct {
		name             string
		approach, travel float64
	}{
		{"approach 358, path 2", 358, 2},
		{"approach 2, path 358", 2, 358},
		{"approach 0, path 359", 0, 359},
		{"approach 359.5, path 0.5", 359.5, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := crossingNet(t, tc.travel, wrapApproaches(tc.approach)...)
			r := tc.travel * math.Pi / 180
			from, to := ll(-200*math.Sin(r), -200*math.Cos(r)), ll(200*math.Sin(r), 200*math.Cos(r))

			routed, err := n.Route(from, to)
			require.NoError(t, err)
			drawn, err := n.PathFromPolyline([]orb.Point{from, to})
			require.NoError(t, err)
			for _, p := range []*Path{routed, drawn} {
				require.Len(t, p.Signals(), 1)
				s := p.Signals()[0]
				assert.Equal(t, "X", s.ID)
				assert.Equal(t, "NB", s.Approach)
				assert.Equal(t, 2, s.Phase)
				assert.InDelta(t, 200, s.AlongM, 0.5)
			}
			// The other way is southbound.
			back, err := n.Route(to, from)
			require.NoError(t, err)
			require.Len(t, back.Signals(), 1)
			assert.Equal(t, "SB", back.Signals()[0].Approach)
		})
	}
}

func TestIntersectionWithoutMatchingApproachIsSkipped(t *testing.T) {
	// Only east-west approaches are signalised (a pedestrian crossing
	// on an arterial, say): a path going north passes no signal of it.
	n := crossingNet(t, 0, Approach{ID: "EB", BearingDeg: 90, Phase: 2}, Approach{ID: "WB", BearingDeg: 270, Phase: 6})
	north, err := n.Route(ll(0, -200), ll(0, 200))
	require.NoError(t, err)
	assert.Empty(t, north.Signals(), "no approach within 60° of north")
	east, err := n.Route(ll(-200, 0), ll(200, 0))
	require.NoError(t, err)
	require.Len(t, east.Signals(), 1)
	assert.Equal(t, "EB", east.Signals()[0].Approach)
	turn, err := n.Route(ll(0, -200), ll(200, 0))
	require.NoError(t, err)
	assert.Empty(t, turn.Signals(), "arrives northbound, then turns: the entry bearing is what counts")
}

type wantSignal struct {
	id, approach string
	along        float64
}

func assertSignals(t *testing.T, p *Path, want []wantSignal) {
	t.Helper()
	got := p.Signals()
	var gotS []string
	for _, s := range got {
		gotS = append(gotS, fmt.Sprintf("%s/%s@%.0f", s.ID, s.Approach, s.AlongM))
	}
	require.Len(t, got, len(want), "signals %v", gotS)
	for i, w := range want {
		assert.Equal(t, w.id, got[i].ID, "signal %d of %v", i, gotS)
		assert.Equal(t, w.approach, got[i].Approach, "signal %d of %v", i, gotS)
		assert.InDelta(t, w.along, got[i].AlongM, 5, "signal %d of %v", i, gotS)
	}
}

func TestPathFromPolylineSignals(t *testing.T) {
	n := buildTestNet(t, gridInventory(5, 5, 200))
	// Drawn 4 m east and north of the centre lines (as a navigation unit's
	// lane-level line would be), up x=200 then east along y=600.
	p, err := n.PathFromPolyline([]orb.Point{ll(204, 50), ll(204, 604), ll(750, 604)})
	require.NoError(t, err)
	assertSignals(t, p, []wantSignal{
		{"I-1-1", "NB", 150}, {"I-1-2", "NB", 350}, {"I-1-3", "NB", 550}, {"I-2-3", "EB", 750}, {"I-3-3", "EB", 950},
	})
	assert.InDelta(t, 554+546, p.LengthM(), 0.5)
	assert.InDelta(t, 554/8.3+546/13.9, p.FreeFlowS(), 0.05, "each stretch at the speed of the road it follows")
	checkPathShape(t, n, p)

	// Round a block and back through its first junction in another
	// direction: the junction is met twice.
	loop, err := n.PathFromPolyline([]orb.Point{ll(200, 100), ll(200, 400), ll(400, 400), ll(400, 200), ll(100, 200)})
	require.NoError(t, err)
	assertSignals(t, loop, []wantSignal{
		{"I-1-1", "NB", 100}, {"I-1-2", "NB", 300}, {"I-2-2", "EB", 500}, {"I-2-1", "SB", 700}, {"I-1-1", "WB", 900},
	})

	// The same route on the graph finds the same signals.
	routed, err := n.Route(ll(200, 50), ll(750, 600))
	require.NoError(t, err)
	assert.Len(t, routed.Signals(), 5)
}

func TestPathFromPolylineErrors(t *testing.T) {
	n := buildTestNet(t, gridInventory(3, 3, 200))
	for _, tc := range []struct {
		name string
		pts  []orb.Point
		want string
	}{
		{"empty", nil, "at least two"},
		{"one point", []orb.Point{ll(0, 0)}, "at least two"},
		{"NaN", []orb.Point{ll(0, 0), {math.NaN(), 49}}, "path[1]"},
		{"latitude out of range", []orb.Point{{6, 91}, ll(0, 0)}, "path[0]"},
		{"all the same", []orb.Point{ll(10, 0), ll(10, 0), ll(10, 0)}, "no length"},
		{"off the map", []orb.Point{ll(5000, 5000), ll(6000, 5000)}, "within 200 m of a road"},
		{"too many points", make([]orb.Point, MaxPolylinePoints+1), "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := n.PathFromPolyline(tc.pts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestRoadAhead(t *testing.T) {
	n := buildTestNet(t, gridInventory(5, 5, 200))
	start, err := snapNearest(n, ll(50, 200))
	require.NoError(t, err)
	east := start.edge
	off := start.off
	if _, b := n.PointOnEdge(east, off); AngleDiffDeg(b, 90) > 1 {
		east, off = n.Edge(east).Twin, n.Edge(east).LengthM-off
	}
	pos := RoadPos{Edge: east, OffsetM: off, XY: xy(n, 50, 200)}

	p := n.RoadAhead(pos, 500)
	assert.InDelta(t, 500, p.LengthM(), 1e-6)
	end, _ := p.PointAt(p.LengthM())
	assert.InDelta(t, 0, end.Dist(xy(n, 550, 200)), 0.5, "straight on through every junction")
	assertSignals(t, p, []wantSignal{{"I-1-1", "EB", 150}, {"I-2-1", "EB", 350}})

	// Past the grid's east edge the road ends in a T: it turns (either
	// way) and carries on, never back.
	long := n.RoadAhead(pos, 1500)
	assert.InDelta(t, 1500, long.LengthM(), 1e-6)
	at, _ := long.PointAt(750)
	assert.InDelta(t, 0, at.Dist(xy(n, 800, 200)), 0.5)
	after, bearing := long.PointAt(900)
	assert.True(t, after.Dist(xy(n, 800, 350)) < 0.5 || after.Dist(xy(n, 800, 50)) < 0.5, "on the east edge: %v", after)
	assert.True(t, AngleDiffDeg(bearing, 0) < 1 || AngleDiffDeg(bearing, 180) < 1, "turned along the east edge, bearing %v", bearing)

	// A roundabout whose only way out is the way in, a one-way street
	// (think of the map's edge): driven once round, not round and round
	// until the distance runs out.
	ring := buildTestNet(t, &Inventory{Roads: []Road{
		testRoad("entry", true, 10, XY{-200, 0}, XY{-30, 0}),
		testRoad("ring-s", true, 8, XY{-30, 0}, XY{0, -30}, XY{30, 0}),
		testRoad("ring-n", true, 8, XY{30, 0}, XY{0, 30}, XY{-30, 0}),
	}})
	in, err := snapNearest(ring, ll(-150, 0))
	require.NoError(t, err)
	inEdge, inOff := in.edge, in.off
	if _, b := ring.PointOnEdge(inEdge, inOff); AngleDiffDeg(b, 90) > 1 {
		inEdge, inOff = ring.Edge(inEdge).Twin, ring.Edge(inEdge).LengthM-inOff
	}
	round := ring.RoadAhead(RoadPos{Edge: inEdge, OffsetM: inOff}, 2000)
	ringLen := 4 * math.Hypot(30, 30)
	assert.InDelta(t, 120+ringLen, round.LengthM(), 1, "in, once round, and stop")

	// The same on a ring of more edges than RoadAhead scans linearly for
	// a loop before it keeps a set of them.
	const sides, radius = 3 * roadAheadScanEdges / 2, 800.0
	corner := func(i int) XY {
		a := -2 * math.Pi * float64(i) / sides
		return XY{radius * math.Cos(a), radius * math.Sin(a)}
	}
	roads := []Road{testRoad("entry", true, 10, XY{radius + 200, 0}, corner(0))}
	perimeter := 0.0
	for i := range sides {
		roads = append(roads, testRoad("side-"+strconv.Itoa(i), true, 10, corner(i), corner(i+1)))
		perimeter += corner(i).Dist(corner(i + 1))
	}
	bigRing := buildTestNet(t, &Inventory{Roads: roads})
	require.Greater(t, bigRing.NumEdges(), roadAheadScanEdges)
	entry, err := snapNearest(bigRing, ll(radius+150, 0))
	require.NoError(t, err)
	entryEdge, entryOff := entry.edge, entry.off
	if _, b := bigRing.PointOnEdge(entryEdge, entryOff); AngleDiffDeg(b, 270) > 1 {
		entryEdge, entryOff = bigRing.Edge(entryEdge).Twin, bigRing.Edge(entryEdge).LengthM-entryOff
	}
	bigRound := bigRing.RoadAhead(RoadPos{Edge: entryEdge, OffsetM: entryOff}, 100*perimeter)
	assert.InDelta(t, 150+perimeter, bigRound.LengthM(), 1, "in, once round the big ring, and stop")

	// A dead end: the path stops there.
	dead := buildTestNet(t, &Inventory{Roads: []Road{testRoad("cul-de-sac", false, 8, XY{0, 0}, XY{120, 0})}})
	snapped, err := snapNearest(dead, ll(20, 0))
	require.NoError(t, err)
	e := snapped.edge
	short := dead.RoadAhead(RoadPos{Edge: e, OffsetM: snapped.off}, 1000)
	assert.InDelta(t, dead.Edge(e).LengthM-snapped.off, short.LengthM(), 1e-6)

	// Nonsense in, a zero-length path out (and no panic).
	for _, bad := range []RoadPos{{Edge: -1}, {Edge: 1 << 30}, {Edge: e, OffsetM: math.NaN()}} {
		z := dead.RoadAhead(bad, 100)
		assert.Zero(t, z.LengthM())
		assert.Len(t, z.Points(), 2)
	}
	assert.Zero(t, dead.RoadAhead(RoadPos{Edge: e}, math.NaN()).LengthM())
}

// hairpinPath goes 300 m north, turns round through a tight hairpin and
// comes 300 m back south, its two legs 20 m apart.
func hairpinPath(t *testing.T) (*Network, *Path) {
	n := buildTestNet(t, &Inventory{Roads: []Road{
		testRoad("up", true, 10, XY{0, 0}, XY{0, 300}, XY{10, 310}, XY{20, 300}, XY{20, 0}),
	}})
	p, err := n.PathFromPolyline([]orb.Point{ll(0, 0), ll(0, 300), ll(10, 310), ll(20, 300), ll(20, 0)})
	require.NoError(t, err)
	return n, p
}

func TestCursorFollowsHairpin(t *testing.T) {
	n, p := hairpinPath(t)
	rng := rand.New(rand.NewPCG(5, 6))
	c := p.NewCursor()
	maxErr := 0.0
	for along := 5.0; along < p.LengthM(); along += 8 {
		truth, _ := p.PointAt(along)
		noise := gauss2(rng, 8)
		got, _, ok := c.Locate(XY{truth.X + noise.X, truth.Y + noise.Y}, 60)
		require.True(t, ok)
		maxErr = math.Max(maxErr, math.Abs(got-along))
		require.Less(t, math.Abs(got-along), 40.0, "at %.0f m the cursor jumped to %.0f m (the other leg)", along, got)
		assert.Equal(t, got, c.AlongM())
	}
	t.Logf("hairpin: largest along-path error %.1f m with 8 m noise", maxErr)

	// A fix 12 m off the southbound leg towards the northbound one (8 m
	// from it): a fresh cursor takes the nearest point, on the northbound
	// leg; a cursor that was on the southbound leg stays there.
	fresh := p.NewCursor()
	onFirst, _, ok := fresh.Locate(xy(n, 8, 150), 60)
	require.True(t, ok)
	assert.InDelta(t, 150, onFirst, 1)
	second := p.NewCursor()
	_, _, ok = second.Locate(xy(n, 20, 160), 60)
	require.True(t, ok)
	got, _, ok := second.Locate(xy(n, 8, 150), 60)
	require.True(t, ok)
	assert.Greater(t, got, 300.0, "stays on the southbound leg")
}

func TestCursorLeavesPathAndSignals(t *testing.T) {
	n := buildTestNet(t, gridInventory(5, 5, 200))
	p, err := n.PathFromPolyline([]orb.Point{ll(200, 50), ll(200, 750)})
	require.NoError(t, err)
	require.Len(t, p.Signals(), 3)
	c := p.NewCursor()
	var zero Cursor
	_, _, ok := zero.Locate(XY{}, 100)
	assert.False(t, ok, "a zero cursor has no path")
	assert.Equal(t, 0, c.NextSignal())

	along, off, ok := c.Locate(xy(n, 203, 100), 30)
	require.True(t, ok)
	assert.InDelta(t, 50, along, 0.5)
	assert.InDelta(t, 3, off, 0.5)
	assert.Equal(t, 0, c.NextSignal())

	_, _, ok = c.Locate(xy(n, 198, 260), 30)
	require.True(t, ok)
	assert.Equal(t, 1, c.NextSignal(), "past I-1-1 at 150 m")

	// GPS noise a few metres back before the stop line: not yet passed.
	_, _, ok = c.Locate(xy(n, 200, 195), 30)
	require.True(t, ok)
	assert.Equal(t, 0, c.NextSignal())

	// 80 m off the path: left it; the cursor stays where it was.
	before := c.AlongM()
	_, off, ok = c.Locate(xy(n, 280, 300), 30)
	assert.False(t, ok)
	assert.InDelta(t, 80, off, 0.5)
	assert.Equal(t, before, c.AlongM())

	// At the end, every signal is behind.
	_, _, ok = c.Locate(xy(n, 200, 760), 30)
	require.True(t, ok)
	assert.Equal(t, 3, c.NextSignal())
	assert.InDelta(t, p.LengthM(), c.AlongM(), 1e-9)
}

func TestCursorLoopBackToStart(t *testing.T) {
	n := buildTestNet(t, gridInventory(4, 4, 200))
	// Round the block and past the start point again.
	p, err := n.PathFromPolyline([]orb.Point{ll(200, 200), ll(400, 200), ll(400, 400), ll(200, 400), ll(200, 200), ll(200, 100)})
	require.NoError(t, err)
	c := p.NewCursor()
	for along := 0.0; along <= p.LengthM(); along += 20 {
		pt, _ := p.PointAt(along)
		got, _, ok := c.Locate(pt, 30)
		require.True(t, ok)
		require.InDelta(t, along, got, 1e-6, "the start and the loop's end are the same point; the cursor knows which")
	}
}

func TestPathPointAtAndTimes(t *testing.T) {
	n := buildTestNet(t, gridInventory(3, 3, 200))
	p, err := n.PathFromPolyline([]orb.Point{ll(0, 0), ll(200, 0), ll(200, 200)})
	require.NoError(t, err)
	for _, tc := range []struct {
		along, x, y, bearing float64
	}{{-5, 0, 0, 90}, {0, 0, 0, 90}, {100, 100, 0, 90}, {250, 200, 50, 0}, {400, 200, 200, 0}, {1e9, 200, 200, 0}} {
		q, b := p.PointAt(tc.along)
		assert.InDelta(t, 0, q.Dist(xy(n, tc.x, tc.y)), 0.01, "PointAt(%v)", tc.along)
		assert.InDelta(t, 0, AngleDiffDeg(b, tc.bearing), 0.5, "bearing at %v", tc.along)
	}
	assert.InDelta(t, 200/13.9+200/8.3, p.FreeFlowS(), 0.01)
	assert.InDelta(t, 100/13.9+50/8.3, p.FreeFlowTimeS(100, 250), 0.01)
	lls := p.LonLats()
	require.Len(t, lls, 3)
	assert.Less(t, HaversineM(lls[2], ll(200, 200)), 0.5)
}

// FuzzPathFromPolyline feeds arbitrary coordinates: the function returns a
// path or an error, never panics, and every path it returns is well formed
// and can be followed by a cursor.
func FuzzPathFromPolyline(f *testing.F) {
	n, err := Build(gridInventory(4, 4, 200))
	if err != nil {
		f.Fatal(err)
	}
	enc := func(pts ...orb.Point) []byte {
		var b []byte
		for _, p := range pts {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
		}
		return b
	}
	f.Add(enc(ll(0, 0), ll(200, 0), ll(200, 200)))
	f.Add(enc(ll(200, 100), ll(200, 400), ll(400, 400), ll(400, 200), ll(100, 200)))
	f.Add(enc(ll(0, 0), ll(0, 0)))
	f.Add(enc(orb.Point{math.NaN(), 0}, ll(0, 0)))
	f.Add(enc(orb.Point{180, 90}, orb.Point{-180, -90}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		var pts []orb.Point
		for len(data) >= 16 {
			pts = append(pts, orb.Point{math.Float64frombits(binary.LittleEndian.Uint64(data)),
				math.Float64frombits(binary.LittleEndian.Uint64(data[8:]))})
			data = data[16:]
		}
		p, err := n.PathFromPolyline(pts)
		if err != nil {
			return
		}
		if !(p.LengthM() > 0) || math.IsInf(p.LengthM(), 0) || math.IsNaN(p.FreeFlowS()) {
			t.Fatalf("bad path: length %v, free flow %v", p.LengthM(), p.FreeFlowS())
		}
		prev := -1.0
		for _, s := range p.Signals() {
			if s.AlongM < prev {
				t.Fatalf("signals out of order: %v", p.Signals())
			}
			prev = s.AlongM
		}
		c := p.NewCursor()
		for _, q := range p.Points() {
			c.Locate(q, 50)
		}
		_ = p.ETA(0, p.LengthM(), 10)
	})
}

// luxembourgTrace is a long route on the Luxembourg map and noisy fixes
// every second along it at 12 m/s.
func luxembourgTrace(tb testing.TB, sigma float64) (*Network, *Path, []Fix) {
	n := luxembourg(tb)
	rng := rand.New(rand.NewPCG(21, 22))
	var p *Path
	for p == nil || p.LengthM() < 5000 {
		var err error
		p, err = n.Route(randomRoadPoint(n, rng), randomRoadPoint(n, rng))
		if err != nil {
			p = nil
		}
	}
	var fixes []Fix
	for along := 0.0; along < p.LengthM(); along += 12 {
		pt, bearing := p.PointAt(along)
		noise := gauss2(rng, sigma)
		fixes = append(fixes, Fix{LonLat: n.Projection().ToLonLat(XY{pt.X + noise.X, pt.Y + noise.Y}),
			HeadingDeg: math.Mod(bearing+rng.NormFloat64()*5+360, 360), SpeedMps: 12, AccuracyM: sigma})
	}
	return n, p, fixes
}

func BenchmarkCursorAdvance(b *testing.B) {
	n, p, fixes := luxembourgTrace(b, 10)
	pts := make([]XY, len(fixes))
	for i, f := range fixes {
		pts[i] = n.Projection().ToXY(f.LonLat)
	}
	c := p.NewCursor()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%len(pts) == 0 {
			c = p.NewCursor()
			c.Locate(pts[0], 100)
		}
		c.Locate(pts[i%len(pts)], 100)
	}
}

// TestGraphAndPolylineSignalsAgree: a route's signals come from the graph
// nodes it passes; the same route announced as a polyline finds its
// signals by an R-tree query along the line. On the Luxembourg map the two
// must agree: same intersections, approaches and stop-line distances.
func TestGraphAndPolylineSignalsAgree(t *testing.T) {
	n := luxembourg(t)
	rng := rand.New(rand.NewPCG(5, 5))
	total, agree := 0, 0
	for routes := 0; routes < 150; {
		p, err := n.Route(randomRoadPoint(n, rng), randomRoadPoint(n, rng))
		if err != nil {
			continue
		}
		routes++
		drawn, err := n.PathFromPolyline(p.LonLats())
		require.NoError(t, err)
		require.InDelta(t, p.LengthM(), drawn.LengthM(), 1e-3*p.LengthM()+0.01)
		type key struct{ id, approach string }
		fromPolyline := map[key][]float64{}
		for _, s := range drawn.Signals() {
			fromPolyline[key{s.ID, s.Approach}] = append(fromPolyline[key{s.ID, s.Approach}], s.AlongM)
		}
		for _, s := range p.Signals() {
			total++
			for _, along := range fromPolyline[key{s.ID, s.Approach}] {
				if math.Abs(along-s.AlongM) < 2 {
					agree++
					break
				}
			}
		}
		extra := len(drawn.Signals()) - len(p.Signals())
		assert.LessOrEqual(t, extra, 1, "route %d: the polyline finds %d more signals", routes, extra)
	}
	t.Logf("%d of %d signals of 150 routes found alike from the graph and from the polyline", agree, total)
	assert.Greater(t, total, 500)
	assert.GreaterOrEqual(t, float64(agree), 0.99*float64(total))
}

// BenchmarkRoadAhead derives the 3 km road ahead (the engine's default
// lookahead) from random positions on the Luxembourg map, and locates the
// vehicle on it from scratch, as the engine does when it extends a
// vehicle's path: the costliest thing a fix can trigger.
func BenchmarkRoadAhead(b *testing.B) {
	n := luxembourg(b)
	rng := rand.New(rand.NewPCG(7, 7))
	starts := make([]RoadPos, 1024)
	for i := range starts {
		e := int32(rng.IntN(n.NumEdges()))
		off := rng.Float64() * n.Edge(e).LengthM
		xy, _ := n.PointOnEdge(e, off)
		starts[i] = RoadPos{Edge: e, OffsetM: off, XY: xy}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s := starts[i%len(starts)]
		p := n.RoadAhead(s, 3000)
		c := p.NewCursor()
		c.Locate(s.XY, 30)
	}
}

// A path copies whole edge segments' lengths and bearings from the
// network rather than computing them: each must be exactly what computing
// it from the path's own points gives.
func TestRoadAheadSegmentsAsComputed(t *testing.T) {
	n := luxembourg(t)
	rng := rand.New(rand.NewPCG(9, 9))
	for k := 0; k < 200; k++ {
		e := int32(rng.IntN(n.NumEdges()))
		off := 0.0
		if k%2 == 1 {
			off = rng.Float64() * n.Edge(e).LengthM
		}
		p := n.RoadAhead(RoadPos{Edge: e, OffsetM: off}, 3000)
		pts := p.points
		for s := 0; s+1 < len(pts); s++ {
			a, b := pts[s], pts[s+1]
			require.Equal(t, BearingDeg(a.xy, b.xy), a.bearing, "path %d segment %d bearing", k, s)
			require.Equal(t, a.cum+a.xy.Dist(b.xy), b.cum, "path %d point %d distance", k, s+1)
			d := b.xy.Sub(a.xy)
			require.Equal(t, 1/(d.X*d.X+d.Y*d.Y), a.invLen2, "path %d segment %d", k, s)
		}
		require.Equal(t, pts[len(pts)-1].cum, p.LengthM())
	}
}
