package routing

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// etaPath is 2 km east along one street at 13.9 m/s, then 1 km north at
// 8.3 m/s.
func etaPath(t *testing.T) *Path {
	n := buildTestNet(t, &Inventory{Roads: []Road{
		testRoad("fast", false, 13.9, XY{0, 0}, XY{2000, 0}),
		testRoad("slow", false, 8.3, XY{2000, 0}, XY{2000, 1000}),
	}})
	p, err := n.PathFromPolyline([]orb.Point{ll(0, 0), ll(2000, 0), ll(2000, 1000)})
	require.NoError(t, err)
	return p
}

func TestETAMonotoneAndBanded(t *testing.T) {
	p := etaPath(t)
	for _, speed := range []float64{math.NaN(), 0, 5, 12, 25} {
		for _, from := range []float64{0, 700, 1999} {
			prev := ETA{}
			for to := from; to <= p.LengthM(); to += 25 {
				e := p.ETA(from, to, speed)
				require.LessOrEqual(t, e.MinS, e.S, "speed %v from %v to %v", speed, from, to)
				require.LessOrEqual(t, e.S, e.MaxS)
				require.GreaterOrEqual(t, e.S, prev.S, "ETA grows with distance (speed %v, %v..%v)", speed, from, to)
				require.GreaterOrEqual(t, e.MaxS, prev.MaxS)
				require.GreaterOrEqual(t, e.MinS, prev.MinS)
				if to > from {
					require.Greater(t, e.MaxS, e.MinS, "a band, not a point")
				}
				prev = e
			}
		}
	}
}

func TestETAModel(t *testing.T) {
	p := etaPath(t)
	// No speed known: the roads' free-flow times, emergency factor applied.
	e := p.ETA(0, 3000, math.NaN())
	assert.InDelta(t, p.FreeFlowS()/EmergencySpeedFactor, e.S, 1e-9)
	assert.InDelta(t, (2000/13.9+1000/8.3)/EmergencySpeedFactor, e.S, 0.1)

	// Close ahead, the vehicle's own speed dominates: a vehicle crawling
	// at 4 m/s takes about 100/4 s to the stop line 100 m on, not the
	// road's 100/(13.9·1.2).
	slow := p.ETA(0, 100, 4)
	assert.InDelta(t, 100/4.0, slow.S, 100/4.0*0.2)
	assert.Greater(t, slow.S, 2*p.ETA(0, 100, math.NaN()).S)
	// Far ahead, it fades: the last kilometre takes about the road's time
	// whatever the vehicle does now.
	lastKmSlow := p.ETA(0, 3000, 4).S - p.ETA(0, 2000, 4).S
	lastKmFast := p.ETA(0, 3000, 20).S - p.ETA(0, 2000, 20).S
	assert.InDelta(t, lastKmSlow, lastKmFast, 0.05*lastKmFast)
	assert.InDelta(t, 1000/8.3/EmergencySpeedFactor, lastKmFast, 0.05*lastKmFast)

	// A stopped vehicle is about to move: finite, as if at 3 m/s.
	assert.InDelta(t, p.ETA(0, 50, 3).S, p.ETA(0, 50, 0).S, 1e-9)

	// The band widens relative to S with distance.
	near, far := p.ETA(0, 50, 12), p.ETA(0, 3000, 12)
	assert.Less(t, (near.MaxS-near.MinS)/near.S, (far.MaxS-far.MinS)/far.S)
	assert.InDelta(t, 1.1, near.MaxS/near.S, 0.03, "about ±10% close ahead")

	// Behind, at, or nonsense: nothing to wait for.
	assert.Equal(t, ETA{}, p.ETA(500, 400, 10))
	assert.Equal(t, ETA{}, p.ETA(500, 500, 10))
	assert.Equal(t, ETA{}, p.ETA(math.NaN(), 500, 10))
	assert.Equal(t, ETA{}, p.ETA(4000, 5000, 10), "both past the path's end")
	assert.InDelta(t, p.ETA(0, 3000, 10).S, p.ETA(-50, 1e9, 10).S, 1e-9, "clamped to the path")
}
