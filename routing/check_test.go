package routing

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckFindsSuspiciousIntersections(t *testing.T) {
	inv := gridInventory(4, 3, 200)
	// I-1-1 and I-2-1 stay as they are. Add a second intersection 20 m
	// east of I-1-1 on the same street (a node there splits h-1-1).
	for i := range inv.Roads {
		if inv.Roads[i].ID == "h-1-1" {
			inv.Roads[i] = testRoad("h-1-1", false, 13.9, XY{200, 200}, XY{220, 200})
			inv.Roads = append(inv.Roads, testRoad("h-1-1b", false, 13.9, XY{220, 200}, XY{400, 200}))
		}
	}
	near := Intersection{ID: "P", LonLat: ll(220, 200), Timing: DefaultTiming(), Approaches: []Approach{
		{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "WB", BearingDeg: 270, Phase: 6}}}
	inv.Intersections = append(inv.Intersections, near)
	for i := range inv.Intersections {
		switch inv.Intersections[i].ID {
		case "I-2-1":
			// NB shares EB's phase although their paths cross.
			inv.Intersections[i].Approaches[2].Phase = 2
		}
	}
	// And no road comes to I-2-1 from the south any more: its NB
	// approach is one no vehicle takes.
	for i := range inv.Roads {
		if inv.Roads[i].ID == "v-2-0" {
			inv.Roads = append(inv.Roads[:i], inv.Roads[i+1:]...)
			break
		}
	}
	n := buildTestNet(t, inv)
	found := n.Check(CheckOptions{})
	var got []string
	for _, f := range found {
		got = append(got, f.String())
	}
	assert.Equal(t, []string{
		"near I-1-1 P: 20.0 m apart (under 25 m), 20 m apart along the roads: one junction's signals?",
		"approach-no-road I-2-1 NB: no road enters its stop line within 60° of its bearing 0.0°: no vehicle will ever meet it",
		"shared-phase I-2-1 EB NB: both on phase 2, but their paths cross (bearings 90.0° and 0.0°)",
	}, got)
	require.Len(t, found, 3)
	assert.Equal(t, 20.0, found[0].DistM)

	// With the plans' answer, crossing approaches on phases green
	// together are reported too: here, say, 2 and 4 run together.
	together := func(_ *Intersection, p, q int) bool { return p+q == 6 }
	withPlan := n.Check(CheckOptions{GreenTogether: together, NearM: 10})
	var kinds []string
	for _, f := range withPlan {
		kinds = append(kinds, f.Kind+" "+f.Intersection)
	}
	assert.Contains(t, kinds, "green-together I-1-1", "EB (2) and NB (4) cross")
	assert.NotContains(t, kinds, "near I-1-1", "20 m is not under 10 m")
}

func TestCheckIsQuietOnTheGoldenImports(t *testing.T) {
	for _, name := range goldenFixtures {
		inv, _ := importFile(t, "testdata/osm/"+name+".osm")
		if len(inv.Roads) == 0 {
			continue
		}
		n := buildTestNet(t, inv)
		assert.Empty(t, n.Check(CheckOptions{}), name)
	}
}
