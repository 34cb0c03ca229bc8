package routing

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What the golden fixtures must show, beyond their golden files: the
// intersections, approaches and phases a traffic engineer would draw, and
// paths that meet each junction once and never take a forbidden turn.

// fixtureProj is the projection the fixtures are drawn in: metres east
// and north of 6.1E 49.6N.
var fixtureProj = NewProjection(orb.Point{6.1, 49.6})

// at is the [lon, lat] of a fixture point given in metres.
func at(x, y float64) orb.Point { return fixtureProj.ToLonLat(XY{x, y}) }

type wantApproach struct {
	id    string
	phase int
}

func approachesOf(in *Intersection) []wantApproach {
	var out []wantApproach
	for _, a := range in.Approaches {
		out = append(out, wantApproach{a.ID, a.Phase})
	}
	return out
}

func TestImportDividedRoadCrossingDividedRoad(t *testing.T) {
	inv, rep := importFile(t, "testdata/osm/divided_cross.osm")
	assert.Equal(t, 10, rep.SignalNodes)
	require.Len(t, inv.Intersections, 3, "each crossing of four (or two) signal nodes is one intersection")
	want := []wantApproach{{"NB", 4}, {"EB", 2}, {"SB", 8}, {"WB", 6}}
	for _, in := range inv.Intersections {
		assert.Equal(t, want, approachesOf(&in), in.ID)
	}
	assert.Equal(t, "Avenue A & Boulevard B", inv.Intersections[0].Name)
	assert.Empty(t, rep.Near)

	// A route straight through, and one turning left, each meet the
	// junction once, at the stop line where they enter it.
	n, err := Build(inv)
	require.NoError(t, err)
	for _, tc := range []struct {
		name     string
		from, to XY
		signals  []wantSignal
	}{
		{"eastbound along the avenue", XY{-200, -7}, XY{900, -7}, []wantSignal{{"n1", "EB", 193}, {"n11", "EB", 781}}},
		{"westbound past the crossing signalised on two corners", XY{1500, 7}, XY{1100, 7}, []wantSignal{{"n31", "WB", 293}}},
		{"southbound, then left onto the avenue eastbound", XY{-7, 200}, XY{300, -7}, []wantSignal{{"n1", "SB", 193}}},
		{"westbound, U-turn through the junction", XY{300, 7}, XY{200, -7}, []wantSignal{{"n1", "WB", 293}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := n.Route(at(tc.from.X, tc.from.Y), at(tc.to.X, tc.to.Y))
			require.NoError(t, err)
			assertSignals(t, p, tc.signals)
			drawn, err := n.PathFromPolyline(p.LonLats())
			require.NoError(t, err)
			assertSignals(t, drawn, tc.signals)
		})
	}
}

func TestImportTJunctionWithOneDividedLeg(t *testing.T) {
	inv, rep := importFile(t, "testdata/osm/t_divided.osm")
	require.Len(t, inv.Intersections, 1, "two signal nodes 12 m apart and a slip lane's crossing: one junction")
	in := inv.Intersections[0]
	assert.Equal(t, []wantApproach{{"NB", 4}, {"EB", 2}, {"SWB", 10}, {"WB", 6}}, approachesOf(&in))
	assert.Equal(t, "Main Street & Side Road", in.Name)
	assert.Equal(t, at(0, 0), in.LonLat, "at the centre of its two junction nodes")
	require.Len(t, rep.Junctions, 1)
	assert.Equal(t, []int64{1, 2, 9}, rep.Junctions[0].Signals)
	assert.Empty(t, rep.Near)
	n, err := Build(inv)
	require.NoError(t, err)
	// Westbound on Main Street it stops at the east node; turning left
	// into Side Road's southbound carriageway it leaves there.
	p, err := n.Route(at(200, 0), at(-200, 0))
	require.NoError(t, err)
	assertSignals(t, p, []wantSignal{{"n1", "WB", 194}})
	p, err = n.Route(at(-6, -200), at(200, 0))
	require.NoError(t, err)
	assertSignals(t, p, []wantSignal{{"n1", "NB", 200}})
	// Turning right by the slip lane it meets the slip's crossing, once.
	p, err = n.Route(at(200, 0), at(6, -150))
	require.NoError(t, err)
	assertSignals(t, p, []wantSignal{{"n1", "SWB", 186}})
}

func TestImportMidBlockSignals(t *testing.T) {
	inv, rep := importFile(t, "testdata/osm/midblock.osm")
	byID := map[string]Intersection{}
	for _, in := range inv.Intersections {
		byID[in.ID] = in
	}
	require.Len(t, byID, 5)
	in := byID["n1"]
	assert.Equal(t, []wantApproach{{"WB", 2}}, approachesOf(&in), "one-way (oneway=-1) pedestrian signal: its one approach, westbound")
	in = byID["n2"]
	assert.Equal(t, []wantApproach{{"EB", 2}, {"WB", 6}}, approachesOf(&in), "a highway=crossing with signals is a signal")
	in = byID["n3"]
	assert.Equal(t, []wantApproach{{"WB", 2}}, approachesOf(&in), "traffic_signals:direction=backward: only the westbound approach")
	assert.Equal(t, 1, rep.SignalsDropped)
	require.Len(t, rep.Dropped, 1)
	assert.Equal(t, int64(4), rep.Dropped[0].Node)
	assert.Contains(t, rep.Dropped[0].Reason, "in the direction it controls")
	in = byID["n5"]
	assert.Equal(t, []wantApproach{{"NB", 2}, {"SB", 6}}, approachesOf(&in), "a crossing up one arm of a junction without signals is its own")
	in = byID["n6"]
	assert.Equal(t, []wantApproach{{"EB", 2}, {"WB", 6}}, approachesOf(&in), "one crossing over both carriageways of a divided road")

	n, err := Build(inv)
	require.NoError(t, err)
	p, err := n.Route(at(90, 0), at(-90, 0))
	require.NoError(t, err)
	assertSignals(t, p, []wantSignal{{"n1", "WB", 90}})
	p, err = n.Route(at(-90, 600), at(90, 600))
	require.NoError(t, err)
	assert.Empty(t, p.Signals(), "Mill Lane eastbound meets no signal")
	p, err = n.Route(at(-150, 1200), at(150, 1200))
	require.NoError(t, err)
	assert.Empty(t, p.Signals(), "Bridge Street's traffic does not pass Ferry Lane's crossing")
	p, err = n.Route(at(-150, 1600), at(150, 1600))
	require.NoError(t, err)
	assertSignals(t, p, []wantSignal{{"n6", "EB", 150}})
}

func TestImportRoundaboutEntrySignal(t *testing.T) {
	inv, rep := importFile(t, "testdata/osm/roundabout.osm")
	require.Len(t, inv.Intersections, 1)
	in := inv.Intersections[0]
	assert.Equal(t, []wantApproach{{"WB", 2}}, approachesOf(&in), "the entry is the approach, the ring is not")
	require.Len(t, in.Approaches[0].StopLines, 1)
	assert.Equal(t, 1, rep.SignalsKept)
	n, err := Build(inv)
	require.NoError(t, err)
	// Entering from the east arm: the signal at its stop line. Round the
	// ring from the north arm to the south: none.
	p, err := n.Route(at(200, 0), at(0, -200))
	require.NoError(t, err)
	assertSignals(t, p, []wantSignal{{"n11", "WB", 168}})
	p, err = n.Route(at(0, 200), at(0, -200))
	require.NoError(t, err)
	assert.Empty(t, p.Signals(), "circulating traffic passes the east arm's ring node on no approach")
}

func TestImportTurnRestrictions(t *testing.T) {
	inv, rep := importFile(t, "testdata/osm/restrictions.osm")
	require.Len(t, inv.Restrictions, 2)
	assert.Equal(t, TurnRestriction{ID: "r1", Kind: "no_left_turn", From: "w200.0", To: "w100.0", Via: inv.Intersections[0].LonLat}, inv.Restrictions[0],
		"First Street runs through J unsplit: the left turn is onto its west piece")
	assert.Equal(t, TurnRestriction{ID: "r2", Kind: "only_straight_on", From: "w201.0", To: "w200.0", Via: inv.Intersections[0].LonLat}, inv.Restrictions[1])
	assert.Equal(t, 4, rep.Restrictions)
	require.Len(t, rep.SkippedRestrictions, 2)
	assert.Contains(t, rep.SkippedRestrictions[0].Reason, "via a way")
	assert.Contains(t, rep.SkippedRestrictions[1].Reason, "except=bus;emergency")

	n, err := Build(inv)
	require.NoError(t, err)
	free := inv.Restrictions
	inv.Restrictions = nil
	unrestricted, err := Build(inv)
	require.NoError(t, err)
	inv.Restrictions = free

	// no_left_turn: from the south, west along First Street.
	from, to := at(0, -100), at(-150, 0)
	direct, err := unrestricted.Route(from, to)
	require.NoError(t, err)
	require.True(t, takesTurn(unrestricted, direct, "w200.0", "w100.0"), "without the restriction the route turns left at J")
	p, err := n.Route(from, to)
	require.NoError(t, err)
	assert.False(t, takesTurn(n, p, "w200.0", "w100.0"))
	assert.Greater(t, p.FreeFlowS(), direct.FreeFlowS())
	assert.InDelta(t, bruteFastest(n, from, to), p.FreeFlowS(), 1e-6)

	// only_straight_on: from the north, neither east nor west at J.
	for _, dest := range []XY{{150, 0}, {-150, 0}} {
		p, err := n.Route(at(0, 100), at(dest.X, dest.Y))
		require.NoError(t, err)
		assert.False(t, takesTurn(n, p, "w201.0", "w100.0") || takesTurn(n, p, "w201.0", "w100.1"), "to %v", dest)
		assert.InDelta(t, bruteFastest(n, at(0, 100), at(dest.X, dest.Y)), p.FreeFlowS(), 1e-6)
	}

	// The road ahead from the north arm southbound goes straight on.
	s, err := snapNearest(n, at(0, 100))
	require.NoError(t, err)
	e, off := s.edge, s.off
	if _, b := n.PointOnEdge(e, off); AngleDiffDeg(b, 180) > 1 {
		e, off = n.Edge(e).Twin, n.Edge(e).LengthM-off
	}
	ahead := n.RoadAhead(RoadPos{Edge: e, OffsetM: off}, 250)
	assert.True(t, takesTurn(n, ahead, "w201.0", "w200.0"))
}
