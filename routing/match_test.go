package routing

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tracedFix is a synthetic fix with the directed edge the vehicle was
// really on.
type tracedFix struct {
	Fix
	truth int32
	along float64
}

// edgeAt is the edge of graph path p driven at alongM.
func (p *Path) edgeAt(alongM float64) int32 {
	i := sort.Search(len(p.edgeAlong), func(i int) bool { return p.edgeAlong[i] > alongM }) - 1
	return p.edges[max(i, 0)]
}

// traceAlong drives graph path p at speed m/s with a fix every everyS
// seconds:
// position with Gaussian noise of sigma metres on each axis, heading with
// 5° of noise (NaN when withHeading is false), accuracy reported as sigma.
func traceAlong(n *Network, p *Path, rng *rand.Rand, sigma, speed, everyS float64, withHeading bool) []tracedFix {
	var out []tracedFix
	for along := 0.0; along <= p.LengthM(); along += speed * everyS {
		pt, bearing := p.PointAt(along)
		noise := gauss2(rng, sigma)
		heading := math.NaN()
		if withHeading {
			heading = math.Mod(bearing+rng.NormFloat64()*5+720, 360)
		}
		out = append(out, tracedFix{Fix: Fix{LonLat: n.Projection().ToLonLat(XY{pt.X + noise.X, pt.Y + noise.Y}),
			HeadingDeg: heading, SpeedMps: speed, AccuracyM: sigma}, truth: p.edgeAt(along), along: along})
	}
	return out
}

// matchScore is how a trace was matched: the fraction of fixes on the
// right directed edge, on the right road in the wrong direction, and with
// no match.
type matchScore struct {
	fixes                         int
	right, wrongDirection, missed int
	// onPath counts the wrong ones that are still on the vehicle's path
	// within 2σ of the truth: mostly a fix just past a junction matched
	// to the end of the edge before it, harmless to the path ahead.
	onPath int
}

func (s matchScore) accuracy() float64 { return float64(s.right) / float64(s.fixes) }

func (s *matchScore) add(n *Network, m *Matcher, p *Path, trace []tracedFix) {
	m.Reset()
	onPath := make(map[int32]bool, len(p.edges))
	for _, e := range p.edges {
		onPath[e] = true
	}
	for _, f := range trace {
		s.fixes++
		pos, ok := m.Match(f.Fix)
		switch {
		case !ok:
			s.missed++
		case pos.Edge == f.truth:
			s.right++
		case pos.Edge == n.Edge(f.truth).Twin:
			s.wrongDirection++
		case onPath[pos.Edge]:
			if truth, _ := p.PointAt(f.along); pos.XY.Dist(truth) <= 2*f.AccuracyM {
				s.onPath++
			}
		}
	}
}

// scoreRandomRoutes matches traces along 20 random routes of at least
// minLenM, driven at speedMps with a fix every periodS and noise sigma.
func scoreRandomRoutes(n *Network, rng *rand.Rand, minLenM, sigma, speedMps, periodS float64, heading bool) matchScore {
	var s matchScore
	m := NewMatcher(n, MatcherConfig{})
	for routes := 0; routes < 20; {
		p, err := n.Route(randomRoadPoint(n, rng), randomRoadPoint(n, rng))
		if err != nil || p.LengthM() < minLenM {
			continue
		}
		routes++
		s.add(n, m, p, traceAlong(n, p, rng, sigma, speedMps, periodS, heading))
	}
	return s
}

// TestMatchNoisyTracesLuxembourg drives random routes of the Luxembourg
// map at 12 m/s with GPS noise of σ = 10, 20 and 30 m and counts the fixes
// matched to the edge, in the direction, the vehicle was really on. A fix
// a few metres past a junction matched to the end of the edge before it
// counts as wrong, so the figures understate the matcher a little.
func TestMatchNoisyTracesLuxembourg(t *testing.T) {
	n := luxembourg(t)
	floors := map[float64]float64{10: 0.93, 20: 0.87, 30: 0.80}
	for _, sigma := range []float64{10, 20, 30} {
		for _, heading := range []bool{true, false} {
			s := scoreRandomRoutes(n, rand.New(rand.NewPCG(uint64(sigma), 99)), 1000, sigma, 12, 1, heading)
			floor := floors[sigma]
			if !heading {
				floor -= 0.10
			}
			t.Logf("σ = %2.0f m, heading %-5v: %5d fixes, %.1f%% on the right edge and direction (%.1f%% on the path within 2σ), %.1f%% right road wrong direction, %d unmatched",
				sigma, heading, s.fixes, 100*s.accuracy(), 100*float64(s.right+s.onPath)/float64(s.fixes),
				100*float64(s.wrongDirection)/float64(s.fixes), s.missed)
			assert.GreaterOrEqual(t, s.accuracy(), floor, "σ = %v m, heading %v", sigma, heading)
		}
	}
}

// TestMatchSparseFixes: a fix every 4 s at 15 m/s (60 m apart, often a
// junction or two between them), where the bounded search between fixes
// does not always reach: the matcher must not lose the vehicle.
func TestMatchSparseFixes(t *testing.T) {
	n := luxembourg(t)
	s := scoreRandomRoutes(n, rand.New(rand.NewPCG(4, 15)), 1000, 20, 15, 4, true)
	t.Logf("σ = 20 m, a fix every 60 m: %d fixes, %.1f%% right (%.1f%% on the path within 2σ)", s.fixes,
		100*s.accuracy(), 100*float64(s.right+s.onPath)/float64(s.fixes))
	assert.GreaterOrEqual(t, s.accuracy(), 0.85)
}

func TestMatchNoisyTracesGrid(t *testing.T) {
	n := buildTestNet(t, gridInventory(10, 10, 150))
	for _, sigma := range []float64{10, 20, 30} {
		s := scoreRandomRoutes(n, rand.New(rand.NewPCG(uint64(sigma), 7)), 600, sigma, 12, 1, true)
		t.Logf("grid, σ = %2.0f m: %d fixes, %.1f%% right", sigma, s.fixes, 100*s.accuracy())
		assert.GreaterOrEqual(t, s.accuracy(), map[float64]float64{10: 0.9, 20: 0.85, 30: 0.75}[sigma])
	}
}

// TestMatchParallelOneWays: two one-way roads 25 m apart in opposite
// directions (a dual carriageway), joined at both ends. A vehicle on one
// with 20 m of noise is nearer the other road on a good third of its
// fixes; heading, and without heading the direction of its progress,
// keep it on its own.
func TestMatchParallelOneWays(t *testing.T) {
	n := buildTestNet(t, &Inventory{Roads: []Road{
		testRoad("westbound", true, 13.9, XY{2000, 0}, XY{1000, 0}, XY{0, 0}),
		testRoad("eastbound", true, 13.9, XY{0, 25}, XY{1000, 25}, XY{2000, 25}),
		testRoad("west-end", true, 8, XY{0, 0}, XY{-20, 12}, XY{0, 25}),
		testRoad("east-end", true, 8, XY{2000, 25}, XY{2020, 12}, XY{2000, 0}),
	}})
	for _, road := range []struct {
		name     string
		from, to orb.Point
	}{{"westbound", ll(1950, 0), ll(50, 0)}, {"eastbound", ll(50, 25), ll(1950, 25)}} {
		p, err := n.Route(road.from, road.to)
		require.NoError(t, err)
		require.InDelta(t, 1900, p.LengthM(), 1, "stays on the %s road", road.name)
		for _, heading := range []bool{true, false} {
			rng := rand.New(rand.NewPCG(3, 3))
			var s matchScore
			nearerOther, middle := 0, xy(n, 0, 12.5).Y
			for run := 0; run < 10; run++ {
				trace := traceAlong(n, p, rng, 20, 12, 1, heading)
				for _, f := range trace {
					q := n.Projection().ToXY(f.LonLat)
					if onWest := road.name == "westbound"; onWest && q.Y > middle || !onWest && q.Y < middle {
						nearerOther++
					}
				}
				s.add(n, NewMatcher(n, MatcherConfig{}), p, trace)
			}
			t.Logf("%s, heading %v: %.1f%% right (%.0f%% of fixes nearer the other road)", road.name, heading,
				100*s.accuracy(), 100*float64(nearerOther)/float64(s.fixes))
			floor := 0.97
			if !heading {
				floor = 0.90 // the first fixes, before the vehicle has moved, are a coin toss
			}
			assert.GreaterOrEqual(t, s.accuracy(), floor, "%s heading %v", road.name, heading)
			assert.Greater(t, nearerOther, s.fixes/5, "the test must be hard: many fixes nearer the other road")
		}
	}
}

func TestMatchEdgeCases(t *testing.T) {
	n := buildTestNet(t, gridInventory(3, 3, 200))
	m := NewMatcher(n, MatcherConfig{})
	_, ok := m.Match(Fix{LonLat: ll(1000, 1000), HeadingDeg: math.NaN(), SpeedMps: math.NaN()})
	assert.False(t, ok, "no road within 50 m")
	_, ok = m.Match(Fix{LonLat: orb.Point{math.NaN(), 49}})
	assert.False(t, ok)
	_, ok = m.Match(Fix{LonLat: orb.Point{200, 49}})
	assert.False(t, ok)

	pos, ok := m.Match(Fix{LonLat: ll(103, 6), HeadingDeg: 90, SpeedMps: 10})
	require.True(t, ok)
	q, bearing := n.PointOnEdge(pos.Edge, pos.OffsetM)
	assert.InDelta(t, 0, q.Dist(pos.XY), 1e-6, "XY is the point at OffsetM")
	assert.InDelta(t, 0, pos.XY.Dist(xy(n, 103, 0)), 0.5)
	assert.InDelta(t, 6, pos.DistM, 0.5)
	assert.InDelta(t, 0, AngleDiffDeg(bearing, 90), 1, "eastbound, as the heading says")

	pos, ok = m.Match(Fix{LonLat: ll(115, -4), HeadingDeg: math.NaN(), SpeedMps: 10})
	require.True(t, ok)
	_, bearing = n.PointOnEdge(pos.Edge, pos.OffsetM)
	assert.InDelta(t, 0, AngleDiffDeg(bearing, 90), 1, "no heading: continuity keeps the direction")

	// A fix's accuracy widens the search: 120 m from a road with a
	// 50 m accuracy is a match, with 10 m it is not.
	m.Reset()
	_, ok = m.Match(Fix{LonLat: ll(100, 120), HeadingDeg: math.NaN(), AccuracyM: 10})
	assert.False(t, ok)
	_, ok = m.Match(Fix{LonLat: ll(100, 120), HeadingDeg: math.NaN(), AccuracyM: 50})
	assert.True(t, ok)
}

func TestMatchDoesNotAllocate(t *testing.T) {
	n := buildTestNet(t, gridInventory(6, 6, 150))
	p, err := n.Route(ll(0, 0), ll(750, 750))
	require.NoError(t, err)
	trace := traceAlong(n, p, rand.New(rand.NewPCG(1, 1)), 20, 12, 1, true)
	m := NewMatcher(n, MatcherConfig{})
	c := p.NewCursor()
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		pos, _ := m.Match(trace[i%len(trace)].Fix)
		c.Locate(pos.XY, 100)
		i++
	})
	assert.Zero(t, allocs)
}

// benchTrace is the Luxembourg benchmark's fixes: 20 m noise along a long
// route.
func benchTrace(b *testing.B) (*Network, *Path, []Fix) { return luxembourgTrace(b, 20) }

func BenchmarkMatch(b *testing.B) {
	n, _, fixes := benchTrace(b)
	m := NewMatcher(n, MatcherConfig{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%len(fixes) == 0 {
			m.Reset()
		}
		m.Match(fixes[i%len(fixes)])
	}
}

// BenchmarkMatchAndPathAhead is one fix as the engine handles it: match,
// advance the cursor on the vehicle's path, and the ETA to the next signal.
func BenchmarkMatchAndPathAhead(b *testing.B) {
	n, p, fixes := benchTrace(b)
	m := NewMatcher(n, MatcherConfig{})
	c := p.NewCursor()
	sig := p.Signals()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%len(fixes) == 0 {
			m.Reset()
			c = p.NewCursor()
		}
		pos, ok := m.Match(fixes[i%len(fixes)])
		if !ok {
			continue
		}
		along, _, _ := c.Locate(pos.XY, 50)
		if k := c.NextSignal(); k < len(sig) {
			_ = p.ETA(along, sig[k].AlongM, 12)
		}
	}
}

// FuzzMatch feeds arbitrary fixes, in sequence: Match never panics, and a
// match it reports is a valid position on the graph near the fix.
func FuzzMatch(f *testing.F) {
	n, err := Build(gridInventory(4, 4, 200))
	if err != nil {
		f.Fatal(err)
	}
	origin := testProj.ToLonLat(XY{})
	f.Add(0.0, 0.0, 90.0, 10.0, 5.0, 1.0, 1.0)
	f.Add(100.0, 3.0, math.NaN(), math.NaN(), 0.0, 30.0, -2.0)
	f.Add(1e9, -1e9, math.Inf(1), -3.0, math.Inf(1), 0.0, 0.0)
	f.Add(250.0, 199.0, 720.0, 100.0, -5.0, 1e-9, 1e9)
	m := NewMatcher(n, MatcherConfig{})
	f.Fuzz(func(t *testing.T, x, y, heading, speed, accuracy, dx, dy float64) {
		for k := 0.0; k < 3; k++ {
			ll := orb.Point{origin[0] + (x+k*dx)/70000, origin[1] + (y+k*dy)/111000}
			pos, ok := m.Match(Fix{LonLat: ll, HeadingDeg: heading, SpeedMps: speed, AccuracyM: accuracy})
			if !ok {
				continue
			}
			if pos.Edge < 0 || int(pos.Edge) >= n.NumEdges() {
				t.Fatalf("edge %d out of range", pos.Edge)
			}
			if l := n.Edge(pos.Edge).LengthM; !(pos.OffsetM >= -1e-9 && pos.OffsetM <= l+1e-9) {
				t.Fatalf("offset %v outside [0, %v]", pos.OffsetM, l)
			}
			if !(pos.DistM <= MaxSnapDistM) {
				t.Fatalf("matched %v m away", pos.DistM)
			}
		}
	})
}
