package sim

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"github.com/greenwave-project/greenwave/routing"
)

// generatedOrigin is where generated maps are placed: Luxembourg City, so
// that metres per degree are those of the real map the other scenarios use.
var generatedOrigin = orb.Point{6.13, 49.61}

// metresPerDegree converts a local east/north offset to degrees around the
// origin (equirectangular; exact enough over a few kilometres, and the
// network's own projection inverts it).
func offsetLonLat(x, y float64) orb.Point {
	const mPerDegLat = 111_320.0
	mPerDegLon := mPerDegLat * math.Cos(generatedOrigin[1]*math.Pi/180)
	return orb.Point{generatedOrigin[0] + x/mPerDegLon, generatedOrigin[1] + y/mPerDegLat}
}

// fourWay is the approaches of a generated intersection: east-west is the
// main street (NEMA 2 eastbound, 6 westbound), north-south the side street
// (4 northbound, 8 southbound).
func fourWay() []routing.Approach {
	return []routing.Approach{
		{ID: "EB", BearingDeg: 90, Phase: 2},
		{ID: "WB", BearingDeg: 270, Phase: 6},
		{ID: "NB", BearingDeg: 0, Phase: 4},
		{ID: "SB", BearingDeg: 180, Phase: 8},
	}
}

func (m MapSpec) timing() routing.Timing {
	t := routing.DefaultTiming()
	set := func(dst *float64, v float64) {
		if v != 0 {
			*dst = v
		}
	}
	set(&t.MinGreenS, m.Timing.MinGreenS)
	set(&t.YellowS, m.Timing.YellowS)
	set(&t.AllRedS, m.Timing.AllRedS)
	set(&t.PedClearanceS, m.Timing.PedClearanceS)
	set(&t.MaxPreemptS, m.Timing.MaxPreemptS)
	return t
}

// generateMap builds the inventory of a generated map and records its
// anchors (named places for vehicles' from/to/via):
//
//   - corridor: signals C01..Cnn on an east-west arterial spacing_m apart,
//     the first at x = 0; the arterial runs on spacing_m past each end to
//     anchors W and E; each signal has side-street stubs side_length_m long
//     to anchors Cnn-N and Cnn-S.
//   - grid: signals G-r-c (row r from the south, column c from the west,
//     both from 0) spacing_m apart; east-west roads are main streets,
//     north-south side streets; stubs of side_length_m lead out of the grid
//     to anchors W-r, E-r (rows) and S-c, N-c (columns).
func generateMap(m MapSpec, anchors map[string]orb.Point) (*routing.Inventory, error) {
	inv := &routing.Inventory{}
	timing := m.timing()
	addSignal := func(id string, x, y float64) {
		inv.Intersections = append(inv.Intersections, routing.Intersection{
			ID: id, LonLat: offsetLonLat(x, y), Approaches: fourWay(), Timing: timing})
		anchors[id] = offsetLonLat(x, y)
	}
	addRoad := func(id string, x0, y0, x1, y1, speed float64) {
		inv.Roads = append(inv.Roads, routing.Road{ID: id, Coords: []orb.Point{offsetLonLat(x0, y0), offsetLonLat(x1, y1)},
			SpeedMps: speed})
	}
	sp, side := m.SpacingM, m.SideLengthM
	switch m.Generator {
	case "corridor":
		n := m.Signals
		for i := range n {
			id := fmt.Sprintf("C%02d", i+1)
			x := float64(i) * sp
			addSignal(id, x, 0)
			addRoad(id+"-N", x, 0, x, side, m.SideSpeedMps)
			addRoad(id+"-S", x, 0, x, -side, m.SideSpeedMps)
			anchors[id+"-N"] = offsetLonLat(x, side)
			anchors[id+"-S"] = offsetLonLat(x, -side)
			if i > 0 {
				addRoad(fmt.Sprintf("main-%02d", i), x-sp, 0, x, 0, m.SpeedMps)
			}
		}
		addRoad("main-W", -sp, 0, 0, 0, m.SpeedMps)
		addRoad("main-E", float64(n-1)*sp, 0, float64(n)*sp, 0, m.SpeedMps)
		anchors["W"] = offsetLonLat(-sp, 0)
		anchors["E"] = offsetLonLat(float64(n)*sp, 0)
	case "grid":
		rows, cols := m.Rows, m.Cols
		for r := range rows {
			for c := range cols {
				x, y := float64(c)*sp, float64(r)*sp
				addSignal(fmt.Sprintf("G-%d-%d", r, c), x, y)
				if c > 0 {
					addRoad(fmt.Sprintf("row-%d-%d", r, c), x-sp, y, x, y, m.SpeedMps)
				}
				if r > 0 {
					addRoad(fmt.Sprintf("col-%d-%d", c, r), x, y-sp, x, y, m.SideSpeedMps)
				}
			}
		}
		east, north := float64(cols-1)*sp, float64(rows-1)*sp
		for r := range rows {
			y := float64(r) * sp
			addRoad(fmt.Sprintf("W-%d", r), -side, y, 0, y, m.SpeedMps)
			addRoad(fmt.Sprintf("E-%d", r), east, y, east+side, y, m.SpeedMps)
			anchors[fmt.Sprintf("W-%d", r)] = offsetLonLat(-side, y)
			anchors[fmt.Sprintf("E-%d", r)] = offsetLonLat(east+side, y)
		}
		for c := range cols {
			x := float64(c) * sp
			addRoad(fmt.Sprintf("S-%d", c), x, -side, x, 0, m.SideSpeedMps)
			addRoad(fmt.Sprintf("N-%d", c), x, north, x, north+side, m.SideSpeedMps)
			anchors[fmt.Sprintf("S-%d", c)] = offsetLonLat(x, -side)
			anchors[fmt.Sprintf("N-%d", c)] = offsetLonLat(x, north+side)
		}
	default:
		return nil, fmt.Errorf("unknown generator %q", m.Generator)
	}
	return inv, nil
}
