package routing

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/require"
)

// Synthetic networks for the navigation tests: a grid of two-way streets
// with a signalised intersection on every inner node, and helpers to lay
// roads and intersections out in metres.

// testOrigin is where synthetic networks are laid out (Luxembourg city).
var testOrigin = orb.Point{6.13, 49.61}

var testProj = NewProjection(testOrigin)

// ll returns the [lon, lat] point x metres east and y metres north of
// testOrigin.
func ll(x, y float64) orb.Point { return testProj.ToLonLat(XY{x, y}) }

// testRoad is a road through points given in metres.
func testRoad(id string, oneway bool, speed float64, pts ...XY) Road {
	r := Road{ID: id, Oneway: oneway, SpeedMps: speed}
	for _, p := range pts {
		r.Coords = append(r.Coords, ll(p.X, p.Y))
	}
	return r
}

// fourWay is a signalised intersection at (x, y) metres with the four
// compass approaches and the usual NEMA phases (EB 2, WB 6, NB 4, SB 8).
func fourWay(id string, x, y float64) Intersection {
	return Intersection{ID: id, LonLat: ll(x, y), Timing: DefaultTiming(), Approaches: []Approach{
		{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "WB", BearingDeg: 270, Phase: 6},
		{ID: "NB", BearingDeg: 0, Phase: 4}, {ID: "SB", BearingDeg: 180, Phase: 8}}}
}

// gridInventory is nx by ny nodes spacing metres apart, (0, 0) at
// testOrigin, joined by two-way roads block by block (speed 13.9 m/s
// east-west, 8.3 m/s north-south, so the fastest route is not just the
// shortest). Inner nodes are signalised intersections "I-x-y".
func gridInventory(nx, ny int, spacing float64) *Inventory {
	inv := &Inventory{}
	for i := 0; i < nx; i++ {
		for j := 0; j < ny; j++ {
			x, y := float64(i)*spacing, float64(j)*spacing
			if i+1 < nx {
				inv.Roads = append(inv.Roads, testRoad(fmt.Sprintf("h-%d-%d", i, j), false, 13.9, XY{x, y}, XY{x + spacing/2, y}, XY{x + spacing, y}))
			}
			if j+1 < ny {
				inv.Roads = append(inv.Roads, testRoad(fmt.Sprintf("v-%d-%d", i, j), false, 8.3, XY{x, y}, XY{x, y + spacing}))
			}
			if i > 0 && j > 0 && i+1 < nx && j+1 < ny {
				inv.Intersections = append(inv.Intersections, fourWay(fmt.Sprintf("I-%d-%d", i, j), x, y))
			}
		}
	}
	return inv
}

func buildTestNet(t testing.TB, inv *Inventory) *Network {
	t.Helper()
	n, err := Build(inv)
	require.NoError(t, err)
	return n
}

// xy converts a point in testOrigin metres to the network's projection.
func xy(n *Network, x, y float64) XY { return n.Projection().ToXY(ll(x, y)) }

// luxembourgMap is testdata/luxembourg.geojson, loaded once.
var luxembourgMap = sync.OnceValues(func() (*Network, error) {
	const path = "../testdata/luxembourg.geojson"
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	return LoadMapFile(path)
})

// luxembourg returns the Luxembourg map or skips the test when the file is
// missing (it is produced by the OSM importer).
func luxembourg(t testing.TB) *Network {
	t.Helper()
	n, err := luxembourgMap()
	if os.IsNotExist(err) {
		t.Skip("testdata/luxembourg.geojson is missing: run greenwave import-osm testdata/luxembourg.osm -o testdata/luxembourg.geojson")
	}
	require.NoError(t, err)
	return n
}

// randomRoadPoint is a uniformly chosen point on a random edge's geometry.
func randomRoadPoint(n *Network, rng *rand.Rand) orb.Point {
	e := int32(rng.IntN(n.NumEdges()))
	p, _ := n.PointOnEdge(e, rng.Float64()*n.Edge(e).LengthM)
	return n.Projection().ToLonLat(p)
}

// gauss2 is a pair of independent N(0, sigma²) metres.
func gauss2(rng *rand.Rand, sigma float64) XY {
	return XY{rng.NormFloat64() * sigma, rng.NormFloat64() * sigma}
}

// snapNearest is the point of the road nearest to ll, on the road's
// indexed edge (Route's first snap candidate).
func snapNearest(n *Network, ll orb.Point) (roadPoint, error) {
	pos, ok := n.nearestRoad(n.Projection().ToXY(ll), MaxSnapDistM)
	if !ok {
		return roadPoint{}, fmt.Errorf("%v: no road within %v m", ll, MaxSnapDistM)
	}
	return roadPoint{edge: pos.Edge, off: pos.OffsetM}, nil
}
