package routing

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateErrors(t *testing.T) {
	base := func() *Inventory {
		return &Inventory{
			Intersections: []Intersection{{ID: "I-1", LonLat: orb.Point{6.001, 49.0}, Timing: DefaultTiming(),
				Approaches: []Approach{{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "WB", BearingDeg: 270, Phase: 6}}}},
			Roads: []Road{{ID: "r1", Coords: []orb.Point{{6.0, 49.0}, {6.001, 49.0}}, SpeedMps: 10},
				{ID: "r2", Coords: []orb.Point{{6.001, 49.0}, {6.002, 49.0}}, SpeedMps: 10}},
		}
	}
	require.NoError(t, base().Validate())
	tests := []struct {
		name    string
		edit    func(*Inventory)
		feature string
		field   string
		reason  string
	}{
		{"bearing 360", func(v *Inventory) { v.Intersections[0].Approaches[0].BearingDeg = 360 }, `intersection "I-1"`, "approaches[0].bearing_deg", "got 360"},
		{"bearing -1", func(v *Inventory) { v.Intersections[0].Approaches[0].BearingDeg = -1 }, `intersection "I-1"`, "approaches[0].bearing_deg", "got -1"},
		{"bearing NaN", func(v *Inventory) { v.Intersections[0].Approaches[1].BearingDeg = math.NaN() }, `intersection "I-1"`, "approaches[1].bearing_deg", "got NaN"},
		{"phase missing", func(v *Inventory) { v.Intersections[0].Approaches[1].Phase = 0 }, `intersection "I-1"`, "approaches[1].phase", "got 0"},
		{"no approaches", func(v *Inventory) { v.Intersections[0].Approaches = nil }, `intersection "I-1"`, "approaches", "at least one approach"},
		{"intersection NaN lat", func(v *Inventory) { v.Intersections[0].LonLat[1] = math.NaN() }, `intersection "I-1"`, "geometry.coordinates", "not a valid"},
		{"intersection lon 200", func(v *Inventory) { v.Intersections[0].LonLat[0] = 200 }, `intersection "I-1"`, "geometry.coordinates", "not a valid"},
		{"intersection lat 95", func(v *Inventory) { v.Intersections[0].LonLat[1] = 95 }, `intersection "I-1"`, "geometry.coordinates", "not a valid"},
		{"road +Inf lon", func(v *Inventory) { v.Roads[0].Coords[1][0] = math.Inf(1) }, `road "r1"`, "geometry.coordinates[1]", "not a valid"},
		{"road NaN lon", func(v *Inventory) { v.Roads[1].Coords[0][0] = math.NaN() }, `road "r2"`, "geometry.coordinates[0]", "not a valid"},
		{"road one point", func(v *Inventory) { v.Roads[0].Coords = v.Roads[0].Coords[:1] }, `road "r1"`, "geometry.coordinates", "at least two points"},
		{"duplicate road id", func(v *Inventory) { v.Roads[1].ID = "r1" }, `road "r1"`, "id", "duplicate"},
		{"duplicate intersection id", func(v *Inventory) {
			v.Intersections = append(v.Intersections, v.Intersections[0])
		}, `intersection "I-1"`, "id", "duplicate"},
		{"road without id", func(v *Inventory) { v.Roads[1].ID = "" }, "road #1", "id", "missing"},
		{"speed NaN", func(v *Inventory) { v.Roads[0].SpeedMps = math.NaN() }, `road "r1"`, "speed_mps", "got NaN"},
		{"timing NaN", func(v *Inventory) { v.Intersections[0].Timing.AllRedS = math.NaN() }, `intersection "I-1"`, "timing.all_red_s", "got NaN"},
		{"timing +Inf", func(v *Inventory) { v.Intersections[0].Timing.PedClearanceS = math.Inf(1) }, `intersection "I-1"`, "timing.ped_clearance_s", "got +Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := base()
			tc.edit(inv)
			err := inv.Validate()
			require.Error(t, err)
			fe := findFieldError(err, tc.field)
			require.NotNil(t, fe, "no *wire.FieldError for field %q in: %v", tc.field, err)
			assert.Equal(t, tc.feature, fe.Where)
			assert.Contains(t, fe.Reason, tc.reason)
			_, err = Build(inv)
			assert.Error(t, err, "Build validates too")
		})
	}
}

func TestBuildErrors(t *testing.T) {
	t.Run("no roads", func(t *testing.T) {
		_, err := Build(&Inventory{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "no roads")
	})
	t.Run("intersection off the road graph", func(t *testing.T) {
		// 0.0005 degrees of latitude is 55 m north of the junction.
		far := replace(t, tInter, `[6.001,49.0]`, `[6.001,49.0005]`)
		inv, err := LoadGeoJSON(strings.NewReader(collection(far, tRoadW, tRoadE, tRoadS)))
		require.NoError(t, err, "the loader alone cannot know the graph")
		_, err = Build(inv)
		require.Error(t, err)
		fe := findFieldError(err, "geometry.coordinates")
		require.NotNil(t, fe)
		assert.Equal(t, `intersection "I-1"`, fe.Where)
		assert.Contains(t, fe.Reason, "no road end point within 30 m")
	})
	t.Run("intersection within tolerance", func(t *testing.T) {
		// 0.0002 degrees of latitude is 22 m: inside IntersectionToleranceM.
		near := replace(t, tInter, `[6.001,49.0]`, `[6.001,49.0002]`)
		inv, err := LoadGeoJSON(strings.NewReader(collection(near, tRoadW, tRoadE, tRoadS)))
		require.NoError(t, err)
		n, err := Build(inv)
		require.NoError(t, err)
		in := n.Intersection(0)
		assert.InDelta(t, 0, n.NodeXY(in.Node).Dist(n.Projection().ToXY(orb.Point{6.001, 49.0})), 1e-6)
	})
	t.Run("two intersections on one node", func(t *testing.T) {
		twin := replace(t, tInter, `"id":"I-1"`, `"id":"I-2"`)
		twin = replace(t, twin, `[6.001,49.0]`, `[6.00101,49.0]`)
		inv, err := LoadGeoJSON(strings.NewReader(collection(tInter, twin, tRoadW, tRoadE, tRoadS)))
		require.NoError(t, err)
		_, err = Build(inv)
		require.Error(t, err)
		fe := findFieldError(err, "geometry.coordinates")
		require.NotNil(t, fe)
		assert.Equal(t, `intersection "I-2"`, fe.Where)
		assert.Contains(t, fe.Reason, `same road node as intersection "I-1"`)
	})
}

func TestBuildJoinsRoadsAtEndPoints(t *testing.T) {
	inv, err := LoadGeoJSON(strings.NewReader(collection(tInter, tRoadW, tRoadE, tRoadS)))
	require.NoError(t, err)
	n, err := Build(inv)
	require.NoError(t, err)
	assert.Equal(t, 4, n.NumNodes(), "three roads meeting at one node have four distinct nodes")
	assert.Equal(t, 5, n.NumEdges(), "two two-way roads and one one-way road")
	in := n.Intersection(0)
	assert.Len(t, n.InEdges(in.Node), 3, "west, east and the one-way road from the south enter the junction")
	assert.Len(t, n.OutEdges(in.Node), 2, "the one-way road cannot be left southwards")
}

func TestBuildJoinsEndPointsWithinTolerance(t *testing.T) {
	// 0.000007 degrees of longitude at 49 N is 0.51 m; 0.00003 is 2.2 m.
	for _, tc := range []struct {
		gapDeg float64
		nodes  int
	}{{0, 3}, {0.000007, 3}, {0.00003, 4}} {
		inv := &Inventory{Roads: []Road{
			{ID: "a", Coords: []orb.Point{{6.0, 49.0}, {6.001, 49.0}}, SpeedMps: 10},
			{ID: "b", Coords: []orb.Point{{6.001 + tc.gapDeg, 49.0}, {6.002, 49.0}}, SpeedMps: 10},
		}}
		n, err := Build(inv)
		require.NoError(t, err)
		assert.Equal(t, tc.nodes, n.NumNodes(), "gap %v deg", tc.gapDeg)
		if tc.nodes == 3 {
			// Joined: the second road's first point moved onto the shared node.
			g, _ := n.EdgeGeometry(2)
			assert.Equal(t, n.NodeXY(n.Edge(0).To), g[0])
		}
	}
}

func TestBuildEdgesAndIndexes(t *testing.T) {
	inv, err := LoadGeoJSON(strings.NewReader(collection(tInter, tRoadW, tRoadE, tRoadS)))
	require.NoError(t, err)
	n, err := Build(inv)
	require.NoError(t, err)
	for i := int32(0); i < int32(n.NumEdges()); i++ {
		e := n.Edge(i)
		if e.Twin >= 0 {
			tw := n.Edge(e.Twin)
			assert.Equal(t, i, tw.Twin)
			assert.Equal(t, e.From, tw.To)
			assert.InDelta(t, e.LengthM, tw.LengthM, 1e-9)
		}
		// Lengths in metres on the sphere, not in degrees.
		r := n.Road(e.Road)
		want := 0.0
		for k := 1; k < len(r.Coords); k++ {
			want += HaversineM(r.Coords[k-1], r.Coords[k])
		}
		assert.InDelta(t, want, e.LengthM, want*1e-3, "edge %d", i)
	}
	south := n.Road(2)
	require.Equal(t, "south", south.ID)
	var found []SegmentRef
	n.SearchSegments(n.Projection().ToXY(orb.Point{6.001, 48.9995}), 5, func(ref SegmentRef) bool {
		found = append(found, ref)
		return true
	})
	require.Len(t, found, 1, "only the south road passes 55 m south of the junction")
	assert.Equal(t, int32(2), n.Edge(found[0].Edge).Road)

	var inters []int32
	c := n.Projection().ToXY(orb.Point{6.001, 49.0})
	n.SearchIntersections(XY{c.X - 1, c.Y - 1}, XY{c.X + 1, c.Y + 1}, func(i int32) bool {
		inters = append(inters, i)
		return true
	})
	assert.Equal(t, []int32{0}, inters)
	i, ok := n.IntersectionByID("I-1")
	require.True(t, ok)
	assert.Equal(t, i, n.IntersectionAtNode(n.Intersection(i).Node))
}
