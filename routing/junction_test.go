package routing

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dividedCrossing is a divided road crossing a divided road, drawn as OSM
// draws it: four one-way carriageways, 12 m apart, crossing at four nodes
// NW, NE, SW, SE, with one intersection "X" at the centre whose four
// approaches stop where each carriageway enters the junction.
func dividedCrossing(t *testing.T) *Network {
	t.Helper()
	const w = 6.0
	nw, ne, sw, se := XY{-w, w}, XY{w, w}, XY{-w, -w}, XY{w, -w}
	roads := []Road{
		testRoad("sb-in", true, 13.9, XY{-w, 300}, nw), testRoad("sb-mid", true, 13.9, nw, sw), testRoad("sb-out", true, 13.9, sw, XY{-w, -300}),
		testRoad("nb-in", true, 13.9, XY{w, -300}, se), testRoad("nb-mid", true, 13.9, se, ne), testRoad("nb-out", true, 13.9, ne, XY{w, 300}),
		testRoad("wb-in", true, 13.9, XY{300, w}, ne), testRoad("wb-mid", true, 13.9, ne, nw), testRoad("wb-out", true, 13.9, nw, XY{-300, w}),
		testRoad("eb-in", true, 13.9, XY{-300, -w}, sw), testRoad("eb-mid", true, 13.9, sw, se), testRoad("eb-out", true, 13.9, se, XY{300, -w}),
	}
	stop := func(p XY) []orb.Point { return []orb.Point{ll(p.X, p.Y)} }
	x := Intersection{ID: "X", LonLat: ll(0, 0), Timing: DefaultTiming(), Approaches: []Approach{
		{ID: "NB", BearingDeg: 0, Phase: 4, StopLines: stop(se)}, {ID: "EB", BearingDeg: 90, Phase: 2, StopLines: stop(sw)},
		{ID: "SB", BearingDeg: 180, Phase: 8, StopLines: stop(nw)}, {ID: "WB", BearingDeg: 270, Phase: 6, StopLines: stop(ne)}}}
	return buildTestNet(t, &Inventory{Roads: roads, Intersections: []Intersection{x}})
}

func TestJunctionOfSeveralNodesIsMetOnceWhereThePathEntersIt(t *testing.T) {
	n := dividedCrossing(t)
	i, ok := n.IntersectionByID("X")
	require.True(t, ok)
	assert.Len(t, n.IntersectionNodes(i), 4, "its four stop lines are its nodes")
	for _, node := range n.IntersectionNodes(i) {
		assert.Equal(t, i, n.IntersectionAtNode(node))
	}
	for _, tc := range []struct {
		name     string
		from, to XY
		approach string
		along    float64
	}{
		{"southbound straight on", XY{-6, 200}, XY{-6, -200}, "SB", 194},
		{"westbound turning left", XY{200, 6}, XY{-6, -200}, "WB", 194},
		{"eastbound turning right", XY{-200, -6}, XY{-6, -200}, "EB", 194},
		{"eastbound U-turn through the whole junction", XY{-200, -6}, XY{-200, 6}, "EB", 194},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := n.Route(ll(tc.from.X, tc.from.Y), ll(tc.to.X, tc.to.Y))
			require.NoError(t, err)
			assertSignals(t, p, []wantSignal{{"X", tc.approach, tc.along}})
			assert.InDelta(t, tc.along, p.Signals()[0].AlongM, 0.01, "the stop line is where the path enters the junction")
			drawn, err := n.PathFromPolyline(p.LonLats())
			require.NoError(t, err)
			assertSignals(t, drawn, []wantSignal{{"X", tc.approach, tc.along}})
			assert.InDelta(t, tc.along, drawn.Signals()[0].AlongM, 0.01, "a drawn path meets the same stop line")
		})
	}
	// The road ahead from the southbound carriageway goes straight
	// through and meets the junction once.
	start, err := snapNearest(n, ll(-6, 250))
	require.NoError(t, err)
	ahead := n.RoadAhead(RoadPos{Edge: start.edge, OffsetM: start.off}, 400)
	assertSignals(t, ahead, []wantSignal{{"X", "SB", 244}})
}

func TestJunctionNodesRoundTripThroughGeoJSON(t *testing.T) {
	inv := &Inventory{
		Roads: []Road{testRoad("a", false, 10, XY{-100, 0}, XY{0, 0}), testRoad("b", false, 10, XY{0, 0}, XY{10, 0}),
			testRoad("c", false, 10, XY{10, 0}, XY{100, 0}), testRoad("d", true, 10, XY{0, 100}, XY{0, 0})},
		Intersections: []Intersection{{ID: "J", LonLat: ll(5, 0), Timing: DefaultTiming(), Nodes: []orb.Point{ll(0, 0)},
			Approaches: []Approach{{ID: "EB", BearingDeg: 90, Phase: 2, StopLines: []orb.Point{ll(0, 0)}},
				{ID: "WB", BearingDeg: 270, Phase: 6, StopLines: []orb.Point{ll(10, 0)}},
				{ID: "SB", BearingDeg: 180, Phase: 4, StopLines: []orb.Point{ll(0, 0)}}}}},
		Restrictions: []TurnRestriction{{ID: "r1", Kind: "no_left_turn", From: "d", To: "b", Via: ll(0, 0)}},
	}
	var buf bytes.Buffer
	require.NoError(t, inv.WriteGeoJSON(&buf))
	back, err := LoadGeoJSON(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	var again bytes.Buffer
	require.NoError(t, back.WriteGeoJSON(&again))
	assert.Equal(t, buf.String(), again.String())
	require.Len(t, back.Restrictions, 1)
	assert.Equal(t, "no_left_turn", back.Restrictions[0].Kind)
	assert.Len(t, back.Intersections[0].Approaches[1].StopLines, 1)
	assert.Len(t, back.Intersections[0].Nodes, 1)
	n := buildTestNet(t, back)
	i, _ := n.IntersectionByID("J")
	assert.Len(t, n.IntersectionNodes(i), 2)
	assert.Equal(t, 1, n.NumTurnBans())
}

func TestBuildRejectsBadJunctionNodesAndRestrictions(t *testing.T) {
	roads := []Road{testRoad("a", false, 10, XY{-100, 0}, XY{0, 0}), testRoad("b", true, 10, XY{0, 0}, XY{100, 0}),
		testRoad("c", false, 10, XY{0, 0}, XY{0, 100})}
	in := func(mod func(*Intersection)) []Intersection {
		x := Intersection{ID: "J", LonLat: ll(0, 0), Timing: DefaultTiming(), Approaches: []Approach{{ID: "EB", BearingDeg: 90, Phase: 2}}}
		mod(&x)
		return []Intersection{x}
	}
	for _, tc := range []struct {
		name string
		inv  Inventory
		want string
	}{
		{"stop line off the road ends", Inventory{Roads: roads, Intersections: in(func(x *Intersection) {
			x.Approaches[0].StopLines = []orb.Point{ll(-50, 0)}
		})}, `intersection "J": approaches[0].stop_lines[0]: [`},
		{"node off the road ends", Inventory{Roads: roads, Intersections: in(func(x *Intersection) { x.Nodes = []orb.Point{ll(0, 3)} })},
			`intersection "J": nodes[0]: [`},
		{"point far from its nodes", Inventory{Roads: roads, Intersections: in(func(x *Intersection) {
			x.LonLat = ll(-100, 60)
			x.Approaches[0].StopLines = []orb.Point{ll(100, 0)}
		})}, "m from the nearest of its nodes"},
		{"two intersections share a node", Inventory{Roads: roads, Intersections: append(in(func(x *Intersection) {}),
			Intersection{ID: "K", LonLat: ll(0, 10), Timing: DefaultTiming(), Nodes: []orb.Point{ll(0, 0)},
				Approaches: []Approach{{ID: "SB", BearingDeg: 180, Phase: 2}}})}, `intersection "K": geometry.coordinates: sits on the same road node as intersection "J"`},
		{"restriction from an unknown road", Inventory{Roads: roads, Restrictions: []TurnRestriction{{ID: "r", Kind: "no_left_turn", From: "zz", To: "b", Via: ll(0, 0)}}},
			`restriction "r": from: no road "zz"`},
		{"restriction to a one-way road into the via", Inventory{Roads: roads, Restrictions: []TurnRestriction{{ID: "r", Kind: "no_right_turn", From: "c", To: "a", Via: ll(100, 0)}}},
			`restriction "r": from: road "c" does not lead into the via point`},
		{"restriction via no road end", Inventory{Roads: roads, Restrictions: []TurnRestriction{{ID: "r", Kind: "no_u_turn", From: "a", To: "a", Via: ll(-50, 0)}}},
			`restriction "r": geometry.coordinates:`},
		{"restriction of an unknown kind", Inventory{Roads: roads, Restrictions: []TurnRestriction{{ID: "r", Kind: "maybe_left", From: "a", To: "c", Via: ll(0, 0)}}},
			`restriction "r": restriction: must be an OSM restriction`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(&tc.inv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// restrictedGrid is the 5×5 grid of 200 m blocks with a no_left_turn from
// eastbound h-0-1 to northbound v-1-1 at (200, 200), and an
// only_straight_on for eastbound h-1-2 at (400, 400).
func restrictedGrid(t *testing.T) *Network {
	inv := gridInventory(5, 5, 200)
	inv.Restrictions = []TurnRestriction{
		{ID: "r1", Kind: "no_left_turn", From: "h-0-1", To: "v-1-1", Via: ll(200, 200)},
		{ID: "r2", Kind: "only_straight_on", From: "h-1-2", To: "h-2-2", Via: ll(400, 400)},
	}
	return buildTestNet(t, inv)
}

// takesTurn reports whether p drives from road `from` straight onto road
// `to`.
func takesTurn(n *Network, p *Path, from, to string) bool {
	for k := 0; k+1 < len(p.edges); k++ {
		if n.Road(n.Edge(p.edges[k]).Road).ID == from && n.Road(n.Edge(p.edges[k+1]).Road).ID == to {
			return true
		}
	}
	return false
}

func TestRouteNeverTakesAForbiddenTurn(t *testing.T) {
	n := restrictedGrid(t)
	free := buildTestNet(t, gridInventory(5, 5, 200))

	// East along y=200, then north at x=200: the left turn is forbidden.
	want, err := free.Route(ll(100, 200), ll(200, 300))
	require.NoError(t, err)
	require.True(t, takesTurn(free, want, "h-0-1", "v-1-1"), "without the restriction the route turns left there")
	p, err := n.Route(ll(100, 200), ll(200, 300))
	require.NoError(t, err)
	assert.False(t, takesTurn(n, p, "h-0-1", "v-1-1"))
	assert.Greater(t, p.FreeFlowS(), want.FreeFlowS()+10, "the way round is longer")
	assert.InDelta(t, bruteFastest(n, ll(100, 200), ll(200, 300)), p.FreeFlowS(), 1e-6)

	// only_straight_on at (400, 400) eastbound: no right turn south, no
	// left turn north, no U-turn.
	for _, to := range []XY{{400, 300}, {400, 500}, {300, 400}} {
		p, err := n.Route(ll(300, 400), ll(to.X, to.Y))
		require.NoError(t, err)
		for _, out := range []string{"v-2-1", "v-2-2", "h-1-2"} {
			assert.False(t, takesTurn(n, p, "h-1-2", out), "to %v: only straight on from h-1-2", to)
		}
		assert.InDelta(t, bruteFastest(n, ll(300, 400), ll(to.X, to.Y)), p.FreeFlowS(), 1e-6, "to %v", to)
	}

	// The road ahead: eastbound on h-1-2 it can only go straight on
	// (it would anyway); northbound on v-1-0 arriving at (200, 200) the
	// straightest continuation is allowed; and from h-0-1 a road ahead
	// forced left by a dead end would not take the forbidden turn.
	start, err := snapNearest(n, ll(350, 400))
	require.NoError(t, err)
	e, off := start.edge, start.off
	if _, b := n.PointOnEdge(e, off); AngleDiffDeg(b, 90) > 1 {
		e, off = n.Edge(e).Twin, n.Edge(e).LengthM-off
	}
	ahead := n.RoadAhead(RoadPos{Edge: e, OffsetM: off}, 300)
	assert.True(t, takesTurn(n, ahead, "h-1-2", "h-2-2"))
}

func TestRoadAheadAvoidsForbiddenTurns(t *testing.T) {
	// A T: eastbound "in" ends at a junction whose only ways on are north
	// (forbidden: no_left_turn) and south; the straightest, north by a
	// hair, is the forbidden one.
	inv := &Inventory{Roads: []Road{
		testRoad("in", false, 10, XY{-200, 0}, XY{0, 0}),
		testRoad("north", false, 10, XY{0, 0}, XY{1, 200}),
		testRoad("south", false, 10, XY{0, 0}, XY{-1, -200}),
	}}
	free := buildTestNet(t, inv)
	inv.Restrictions = []TurnRestriction{{ID: "r", Kind: "no_left_turn", From: "in", To: "north", Via: ll(0, 0)}}
	n := buildTestNet(t, inv)
	for _, net := range []*Network{free, n} {
		s, err := snapNearest(net, ll(-100, 0))
		require.NoError(t, err)
		e, off := s.edge, s.off
		if _, b := net.PointOnEdge(e, off); AngleDiffDeg(b, 90) > 1 {
			e, off = net.Edge(e).Twin, net.Edge(e).LengthM-off
		}
		p := net.RoadAhead(RoadPos{Edge: e, OffsetM: off}, 250)
		if net == free {
			assert.True(t, takesTurn(net, p, "in", "north"), "unrestricted, the road ahead bends north")
		} else {
			assert.False(t, takesTurn(net, p, "in", "north"))
			assert.True(t, takesTurn(net, p, "in", "south"))
		}
	}
}

func TestRouteWithRandomRestrictionsMatchesDijkstra(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	inv := gridInventory(7, 6, 150)
	for i := range inv.Roads {
		if i%9 == 4 {
			inv.Roads[i].Oneway = true
		}
	}
	base := buildTestNet(t, inv)
	// Random bans at random nodes: each a turn from one road ending there
	// onto another leaving it, of either kind.
	for k := 0; len(inv.Restrictions) < 40 && k < 1000; k++ {
		v := int32(rng.IntN(base.NumNodes()))
		ins, outs := base.InEdges(v), base.OutEdges(v)
		if len(ins) == 0 || len(outs) < 2 {
			continue
		}
		a, b := ins[rng.IntN(len(ins))], outs[rng.IntN(len(outs))]
		kind := "no_left_turn"
		if k%5 == 0 {
			kind = "only_straight_on"
		}
		inv.Restrictions = append(inv.Restrictions, TurnRestriction{ID: fmt.Sprintf("r%d", k), Kind: kind,
			From: base.Road(base.Edge(a).Road).ID, To: base.Road(base.Edge(b).Road).ID,
			Via: base.Projection().ToLonLat(base.NodeXY(v))})
	}
	n := buildTestNet(t, inv)
	require.Greater(t, n.NumTurnBans(), 40)
	routed, unroutable := checkRouteAgainstDijkstra(t, n, rng, 300)
	assert.Greater(t, routed, 200)
	t.Logf("%d routed, %d unroutable, with %d banned turns", routed, unroutable, n.NumTurnBans())
	// And no route takes a banned turn.
	for k := 0; k < 200; k++ {
		p, err := n.Route(randomRoadPoint(n, rng), randomRoadPoint(n, rng))
		if err != nil {
			continue
		}
		for i := 0; i+1 < len(p.edges); i++ {
			require.True(t, n.TurnAllowed(p.edges[i], p.edges[i+1]), "route %d takes a banned turn", k)
		}
	}
}

func TestRouteFromAJunctionLeavesByAnyOfItsRoads(t *testing.T) {
	// Two one-way carriageways 10 m apart, and a junction node J where a
	// side road meets the northbound one: a point at J is as near to the
	// side road as to both halves of the carriageway. The nearest by a
	// centimetre is the side road pointing away from the destination; the
	// route must still leave by the carriageway.
	inv := &Inventory{Roads: []Road{
		testRoad("nb-1", true, 13.9, XY{0, -500}, XY{0, 0}),
		testRoad("nb-2", true, 13.9, XY{0, 0}, XY{0, 500}),
		testRoad("sb", true, 13.9, XY{-10, 500}, XY{-10, -500}),
		testRoad("side", true, 8.3, XY{0, 0}, XY{300, 0}),
		testRoad("back", true, 8.3, XY{300, 0}, XY{300, -600}, XY{0, -600}, XY{0, -500}),
	}}
	n := buildTestNet(t, inv)
	p, err := n.Route(ll(0.01, 0), ll(0, 400))
	require.NoError(t, err)
	assert.InDelta(t, 400, p.LengthM(), 0.5, "straight up the carriageway, not round the block")
	assert.InDelta(t, bruteFastest(n, ll(0.01, 0), ll(0, 400)), p.FreeFlowS(), 1e-6)
}

func TestLoadGeoJSONRestrictionErrors(t *testing.T) {
	road := `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[6,49],[6.001,49]]},"properties":{"kind":"road","id":"a"}}`
	for _, tc := range []struct {
		name, feature, want string
	}{
		{"restriction without from", `{"type":"Feature","geometry":{"type":"Point","coordinates":[6,49]},"properties":{"kind":"restriction","id":"r","restriction":"no_u_turn","to":"a"}}`, `restriction "r": from: missing`},
		{"restriction as a line", `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[6,49],[6,49.1]]},"properties":{"kind":"restriction","id":"r","restriction":"no_u_turn","from":"a","to":"a"}}`, `geometry.type: must be "Point"`},
		{"stop lines not positions", strings.Replace(`{"type":"Feature","geometry":{"type":"Point","coordinates":[6,49]},"properties":{"kind":"intersection","id":"I","approaches":[{"id":"EB","bearing_deg":90,"phase":2,"stop_lines":X}]}}`, "X", `[[6]]`, 1), `approaches[0].stop_lines[0]: must be a position`},
		{"nodes an object", `{"type":"Feature","geometry":{"type":"Point","coordinates":[6,49]},"properties":{"kind":"intersection","id":"I","nodes":{},"approaches":[{"id":"EB","bearing_deg":90,"phase":2}]}}`, `nodes: must be an array of positions`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadGeoJSON(strings.NewReader(`{"type":"FeatureCollection","features":[` + road + `,` + tc.feature + `]}`))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
