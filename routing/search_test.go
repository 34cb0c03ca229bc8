package routing

import (
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// searchFrom must find exactly what sort.SearchFloat64s finds on the
// points' distances, from any valid starting index, including for values
// before, between, on and beyond the points, NaN, and repeated points: the
// path's ETAs and positions depend on it bit for bit.
func TestSearchFromMatchesSortSearch(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for trial := 0; trial < 2000; trial++ {
		a := make([]float64, rng.Intn(40))
		x := 0.0
		for i := range a {
			if rng.Intn(8) > 0 {
				x += rng.Float64() * 50
			}
			a[i] = x
		}
		probes := []float64{-1, math.NaN(), x, x + 1}
		for k := 0; k < 10; k++ {
			probes = append(probes, rng.Float64()*(x+10))
		}
		probes = append(probes, a...)
		points := make([]pathPoint, len(a))
		for i := range a {
			points[i].cum = a[i]
		}
		for _, q := range probes {
			want := sort.SearchFloat64s(a, q)
			for lo := 0; lo <= len(a); lo++ {
				if lo > want && !math.IsNaN(q) {
					break // lo must not pass the answer
				}
				require.Equal(t, want, searchFrom(points, lo, q), "a=%v x=%v lo=%d", a, q, lo)
			}
		}
	}
}

// A cursor's PointAt and ETA origin, which search from its segment, give exactly
// the path's own answers wherever the cursor is and whatever is asked:
// behind it, on its segment's ends, ahead, beyond the path, NaN.
func TestCursorSearchesAgreeWithPath(t *testing.T) {
	n, p, fixes := luxembourgTrace(t, 10)
	rng := rand.New(rand.NewSource(3))
	c := p.NewCursor()
	for _, f := range fixes {
		_, _, ok := c.Locate(n.Projection().ToXY(f.LonLat), 100)
		require.True(t, ok)
		asks := []float64{c.AlongM(), c.AlongM() + rng.Float64()*50, c.AlongM() - rng.Float64()*50,
			p.points[c.seg].cum, p.points[c.seg+1].cum, -3, p.LengthM() + 7, math.NaN(), rng.Float64() * p.LengthM()}
		for _, a := range asks {
			pt, b := p.PointAt(a)
			cpt, cb := c.PointAt(a)
			if !math.IsNaN(a) { // NaN in, NaN out: not comparable with ==
				require.Equal(t, pt, cpt, "along %v", a)
				require.Equal(t, b, cb, "along %v", a)
			}
			for _, to := range []float64{a + 1, a + rng.Float64()*900, p.LengthM(), a - 1} {
				for _, v := range []float64{math.NaN(), 0, 12.5, 40} {
					o := c.ETAOrigin(a, v)
					require.Equal(t, p.ETA(a, to, v), o.To(to), "from %v to %v speed %v", a, to, v)
				}
			}
		}
	}
}

// An ETAOrigin's ToSignal, which reads the stop line's time recorded with
// the path, gives exactly ETA to the stop line, on graph paths (the road
// ahead) and announced polylines alike; so does its To, from the one
// free-flow time it finds for all the estimates from a position.
func TestETAToSignalAgreesWithETA(t *testing.T) {
	n, p, fixes := luxembourgTrace(t, 10)
	poly, err := n.PathFromPolyline(p.LonLats())
	require.NoError(t, err)
	ahead := n.RoadAhead(RoadPos{Edge: 0}, 5000)
	signals := 0
	for _, path := range []*Path{p, poly, ahead} {
		c := path.NewCursor()
		signals += len(path.Signals())
		for k, f := range fixes {
			c.Locate(n.Projection().ToXY(f.LonLat), 1e9)
			for i, s := range path.Signals() {
				for _, from := range []float64{c.AlongM(), c.AlongM() + 30, s.AlongM - 1, s.AlongM, -5, math.NaN()} {
					for _, v := range []float64{math.NaN(), 0, float64(k % 30)} {
						want := path.ETA(from, s.AlongM, v)
						o := c.ETAOrigin(from, v)
						require.Equal(t, want, o.ToSignal(i), "origin: signal %d from %v speed %v", i, from, v)
						require.Equal(t, want, o.To(s.AlongM), "origin: to %v from %v speed %v", s.AlongM, from, v)
						require.Equal(t, path.ETA(from, s.AlongM+7, v), o.To(s.AlongM+7), "origin: past the stop line")
					}
				}
			}
		}
	}
	require.NotZero(t, signals, "no signal on the test paths: nothing was compared")
}
