package controller

import (
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/routing"
)

// Test maps are drawn in metres east (x) and north (y) of testOrigin, near
// Luxembourg, and converted to [lon, lat] with the same local projection
// the network uses, so that "x=350" in a script is 350 m along the road.
var testOrigin = orb.Point{6.1, 49.6}

var testProj = routing.NewProjection(testOrigin)

func lonLatAt(x, y float64) orb.Point { return testProj.ToLonLat(routing.XY{X: x, Y: y}) }

// testTiming is brisk so that scripts stay short: entry 5+0+3+1 = 9 s,
// which with the 6 s default flush and 3 s margin gives an 18 s lead.
func testTiming(maxHoldS float64) routing.Timing {
	return routing.Timing{MinGreenS: 5, YellowS: 3, AllRedS: 1, PedClearanceS: 0, MaxPreemptS: maxHoldS}
}

func fourWay(id string, x, y float64, maxHoldS float64) routing.Intersection {
	return routing.Intersection{ID: id, LonLat: lonLatAt(x, y), Timing: testTiming(maxHoldS),
		Approaches: []routing.Approach{
			{ID: "EB", BearingDeg: 90, Phase: 2},
			{ID: "WB", BearingDeg: 270, Phase: 6},
			{ID: "NB", BearingDeg: 0, Phase: 4},
			{ID: "SB", BearingDeg: 180, Phase: 8},
		}}
}

func road(id string, speed float64, pts ...[2]float64) routing.Road {
	r := routing.Road{ID: id, SpeedMps: speed}
	for _, p := range pts {
		r.Coords = append(r.Coords, lonLatAt(p[0], p[1]))
	}
	return r
}

// corridorMap is an east-west arterial "main" from x=0 to x=2000 with
// signalised four-way junctions I1, I2, I3 at x=500, 1000, 1500 (cross
// streets 300 m each way), and an unsignalised alley going north at x=300.
func corridorMap(t testing.TB, maxHoldS float64) *routing.Network {
	inv := &routing.Inventory{}
	xs := []float64{0, 300, 500, 1000, 1500, 2000}
	for i := 0; i+1 < len(xs); i++ {
		inv.Roads = append(inv.Roads, road(fmt.Sprintf("main-%d", i), 13.9, [2]float64{xs[i], 0}, [2]float64{xs[i+1], 0}))
	}
	inv.Roads = append(inv.Roads, road("alley", 8.3, [2]float64{300, 0}, [2]float64{300, 200}))
	for i, x := range []float64{500, 1000, 1500} {
		id := fmt.Sprintf("I%d", i+1)
		inv.Intersections = append(inv.Intersections, fourWay(id, x, 0, maxHoldS))
		inv.Roads = append(inv.Roads,
			road(id+"-n", 11.1, [2]float64{x, 0}, [2]float64{x, 300}),
			road(id+"-s", 11.1, [2]float64{x, 0}, [2]float64{x, -300}))
	}
	n, err := routing.Build(inv)
	require.NoError(t, err)
	return n
}

// chainMap is an east-west road from x=0 to x=1400 with three signalised
// four-way junctions J1, J2, J3 at x=500, 700, 900 (cross streets 300 m
// each way): close enough that a vehicle has all three within reach of
// one plan.
func chainMap(t testing.TB, maxHoldS float64) *routing.Network {
	inv := &routing.Inventory{}
	xs := []float64{0, 500, 700, 900, 1400}
	for i := 0; i+1 < len(xs); i++ {
		inv.Roads = append(inv.Roads, road(fmt.Sprintf("main-%d", i), 13.9, [2]float64{xs[i], 0}, [2]float64{xs[i+1], 0}))
	}
	for i, x := range []float64{500, 700, 900} {
		id := fmt.Sprintf("J%d", i+1)
		inv.Intersections = append(inv.Intersections, fourWay(id, x, 0, maxHoldS))
		inv.Roads = append(inv.Roads,
			road(id+"-n", 11.1, [2]float64{x, 0}, [2]float64{x, 300}),
			road(id+"-s", 11.1, [2]float64{x, 0}, [2]float64{x, -300}))
	}
	n, err := routing.Build(inv)
	require.NoError(t, err)
	return n
}

// crossMap is one signalised junction X at the origin where an east-west
// road and a north-south road, each 2 km long, cross.
func crossMap(t testing.TB, maxHoldS float64) *routing.Network {
	inv := &routing.Inventory{
		Intersections: []routing.Intersection{fourWay("X", 0, 0, maxHoldS)},
		Roads: []routing.Road{
			road("west", 13.9, [2]float64{-1000, 0}, [2]float64{0, 0}),
			road("east", 13.9, [2]float64{0, 0}, [2]float64{1000, 0}),
			road("south", 13.9, [2]float64{0, -1000}, [2]float64{0, 0}),
			road("north", 13.9, [2]float64{0, 0}, [2]float64{0, 1000}),
		},
	}
	n, err := routing.Build(inv)
	require.NoError(t, err)
	return n
}

func TestTestMapsAreWhatTheScriptsAssume(t *testing.T) {
	n := corridorMap(t, 60)
	path, err := n.PathFromPolyline([]orb.Point{lonLatAt(0, 0), lonLatAt(2000, 0)})
	require.NoError(t, err)
	require.Len(t, path.Signals(), 3)
	for i, s := range path.Signals() {
		require.Equal(t, fmt.Sprintf("I%d", i+1), s.ID)
		require.Equal(t, "EB", s.Approach)
		require.InDelta(t, 500*float64(i+1), s.AlongM, 1)
	}
	require.InDelta(t, 2000, path.LengthM(), 1)
	c := crossMap(t, 60)
	require.Len(t, c.Intersections(), 1)
	require.InDelta(t, 0, math.Hypot(c.Intersection(0).XY.X-c.Projection().ToXY(lonLatAt(0, 0)).X,
		c.Intersection(0).XY.Y-c.Projection().ToXY(lonLatAt(0, 0)).Y), 0.01)
}
