package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/routing"
)

// The imported junctions run end to end: a junction of several nodes is
// preempted once per passage, a signal with one approach (a pedestrian
// crossing on a one-way street) gets a plan whose other stage is the
// pedestrians' and is preempted and released like any other, in the
// simulator and the engine it drives.

// fixtureLL is the [lon, lat] of a point of the OSM fixtures, in metres
// east and north of 6.1E 49.6N.
func fixtureLL(x, y float64) string {
	ll := routing.NewProjection(orb.Point{6.1, 49.6}).ToLonLat(routing.XY{X: x, Y: y})
	return fmt.Sprintf("[%.7f, %.7f]", ll[0], ll[1])
}

type simRun struct {
	Strategy string             `json:"strategy"`
	Totals   map[string]float64 `json:"totals"`
}

// importAndSimulate imports an OSM fixture and runs a scenario of one
// ambulance on it, from and to points given in metres.
func importAndSimulate(t *testing.T, fixture string, from, to [2]float64) []simRun {
	t.Helper()
	dir := t.TempDir()
	m := filepath.Join(dir, "map.geojson")
	code, _, stderr := runGreenwave("import-osm", "-q", "../../routing/testdata/osm/"+fixture, "-o", m)
	require.Equal(t, 0, code, stderr)
	scenario := fmt.Sprintf(`name: imported
seed: 3
duration_s: 900
map:
  file: %s
plans:
  cycle_s: 90
  main_share: 0.6
traffic:
  main_veh_h: 400
  side_veh_h: 200
vehicles:
`, m)
	// Four ambulances 130 s apart, one at a time: whatever the plan
	// shows when each comes, some meet red without preemption.
	for k := range 4 {
		scenario += fmt.Sprintf("  - {id: amb-%d, from: %s, to: %s, depart_s: %d, announce: destination}\n",
			k, fixtureLL(from[0], from[1]), fixtureLL(to[0], to[1]), 30+130*k)
	}
	sc := filepath.Join(dir, "scenario.yaml")
	require.NoError(t, os.WriteFile(sc, []byte(scenario), 0o600))
	code, stdout, stderr := runGreenwave("sim", sc, "--json", "--strategies", "none,greenwave")
	require.Equal(t, 0, code, stderr)
	var rep struct {
		Runs []simRun `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Len(t, rep.Runs, 2)
	return rep.Runs
}

func TestSimOnDividedRoadJunctions(t *testing.T) {
	// Eastbound along Avenue A through its three divided crossings: one
	// preempt each, not one per signal node.
	runs := importAndSimulate(t, "divided_cross.osm", [2]float64{-850, -7}, [2]float64{1500, -7})
	none, gw := runs[0].Totals, runs[1].Totals
	assert.Less(t, none["green_arrival_rate"], 1.0, "without preemption some meet red")
	assert.LessOrEqual(t, gw["preempts"], 4*3.0, "at most one preempt per junction and passage")
	assert.Greater(t, gw["preempts"], 0.0)
	assert.Zero(t, gw["unreleased_preempts"])
	assert.Equal(t, 1.0, gw["green_arrival_rate"])
	assert.Zero(t, gw["ev_stops"])
}

func TestSimOnOneApproachSignal(t *testing.T) {
	// Westbound on one-way Market Street through its pedestrian signal.
	runs := importAndSimulate(t, "midblock.osm", [2]float64{450, 0}, [2]float64{-200, 0})
	none, gw := runs[0].Totals, runs[1].Totals
	assert.Less(t, none["green_arrival_rate"], 1.0, "without preemption some meet red")
	assert.Greater(t, gw["preempts"], 0.0)
	assert.LessOrEqual(t, gw["preempts"], 4.0)
	assert.Zero(t, gw["unreleased_preempts"])
	assert.Equal(t, 1.0, gw["green_arrival_rate"])

	// Its plan: the vehicles' phase, then the pedestrians' stage.
	dir := t.TempDir()
	m := filepath.Join(dir, "map.geojson")
	code, _, stderr := runGreenwave("import-osm", "-q", "../../routing/testdata/osm/midblock.osm", "-o", m)
	require.Equal(t, 0, code, stderr)
	net, err := routing.LoadMapFile(m)
	require.NoError(t, err)
	i, ok := net.IntersectionByID("n1")
	require.True(t, ok)
	plan, _, err := net.Intersection(i).NormalPlan(90*time.Second, 0.6)
	require.NoError(t, err)
	require.Len(t, plan.Stages, 2)
	assert.Equal(t, []int{2}, plan.Stages[0].Phases)
	assert.Empty(t, plan.Stages[1].Phases, "the conflicting stage is the pedestrians'")
	assert.True(t, plan.Conflicts(2, 6))
}
