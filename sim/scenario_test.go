package sim

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const minimalScenario = `
name: t
duration_s: 300
map:
  generator: corridor
  signals: 2
vehicles:
  - id: amb-1
    from: W
    to: E
`

func TestParseScenarioDefaults(t *testing.T) {
	sc, err := ParseScenario([]byte(minimalScenario), "t.yaml")
	require.NoError(t, err)
	assert.Equal(t, 300.0, sc.Map.SpacingM)
	assert.Equal(t, 90.0, sc.Plans.CycleS)
	assert.Equal(t, 1800.0, sc.Traffic.SatFlowVehHLane)
	assert.Equal(t, 0.1, sc.EV.StepS)
	assert.Equal(t, 1.2, sc.EV.SpeedFactor)
	assert.Equal(t, 1.0, sc.GPS.PeriodS)
	assert.Equal(t, "path", sc.Vehicles[0].Announce)
	assert.Equal(t, 1, sc.Vehicles[0].Priority)
	assert.Equal(t, "W", sc.Vehicles[0].From.Name)
}

// Every field out of range is refused with an error naming it, and the
// line it is on.
func TestParseScenarioValidation(t *testing.T) {
	cases := []struct {
		name, replace, with, field string
		line                       int
	}{
		{"no name", "name: t", "name: ''", "name", 0},
		{"bad name", "name: t", "name: a b", "name", 2},
		{"negative duration", "duration_s: 300", "duration_s: -1", "duration_s", 3},
		{"bad start", "duration_s: 300", "duration_s: 300\nstart: yesterday", "start", 4},
		{"no map", "map:\n  generator: corridor\n  signals: 2", "map: {}", "map", 4},
		{"both map sources", "generator: corridor", "generator: corridor\n  file: x.geojson", "map", 0},
		{"unknown generator", "generator: corridor", "generator: spiral", "map.generator", 5},
		{"zero signals", "signals: 2", "signals: 0", "map.signals", 6},
		{"tiny spacing", "signals: 2", "signals: 2\n  spacing_m: 5", "map.spacing_m", 7},
		{"short yellow", "signals: 2", "signals: 2\n  timing: {yellow_s: 2}", "map.timing.yellow_s", 7},
		{"main share 1", "vehicles:", "plans: {main_share: 1}\nvehicles:", "plans.main_share", 7},
		{"cycle in minutes", "vehicles:", "plans: {cycle_s: 1.5}\nvehicles:", "plans.cycle_s", 7},
		{"negative demand", "vehicles:", "traffic: {main_veh_h: -5}\nvehicles:", "traffic.main_veh_h", 7},
		{"zero lanes", "vehicles:", "traffic: {lanes: -1}\nvehicles:", "traffic.lanes", 7},
		{"bad override", "vehicles:", "traffic:\n  approaches: [{intersection: 'C 1', approach: EB, veh_h: 10}]\nvehicles:", "traffic.approaches[0].intersection", 8},
		{"decel zero", "vehicles:", "ev: {decel_mps2: -1}\nvehicles:", "ev.decel_mps2", 7},
		{"no vehicles", "vehicles:\n  - id: amb-1\n    from: W\n    to: E", "vehicles: []", "vehicles", 7},
		{"bad vehicle id", "id: amb-1", "id: amb/1", "vehicles[0].id", 8},
		{"missing to", "    to: E", "", "vehicles[0].to", 0},
		{"via and from", "    to: E", "    to: E\n    via: [W, E]", "vehicles[0]", 8},
		{"one via", "    from: W\n    to: E", "    via: [W]", "vehicles[0].via", 9},
		{"bad lonlat", "from: W", "from: [200, 49]", "vehicles[0].from", 9},
		{"depart after end", "to: E", "to: E\n    depart_s: 301", "vehicles[0].depart_s", 11},
		{"priority 0", "to: E", "to: E\n    priority: 256", "vehicles[0].priority", 11},
		{"bad announce", "to: E", "to: E\n    announce: telepathy", "vehicles[0].announce", 11},
		{"loss 1", "vehicles:", "gps: {loss: 1}\nvehicles:", "gps.loss", 7},
		{"negative jitter", "vehicles:", "gps: {jitter_s: -1}\nvehicles:", "gps.jitter_s", 7},
		{"duplicate > 1", "vehicles:", "gps: {duplicate: 2}\nvehicles:", "gps.duplicate", 7},
		{"latency", "vehicles:", "network: {command_latency_s: 100}\nvehicles:", "network.command_latency_s", 7},
		{"plan override share", "vehicles:", "plans:\n  intersections: [{intersection: C01, main_share: 1.5}]\nvehicles:", "plans.intersections[0].main_share", 8},
		{"plan override twice", "vehicles:", "plans:\n  intersections: [{intersection: C01}, {intersection: C01}]\nvehicles:", "plans.intersections[1].intersection", 8},
		{"refresh after lease", "vehicles:", "controller: {lease_s: 10, refresh_s: 10}\nvehicles:", "controller.refresh_s", 7},
		{"negative range", "vehicles:", "controller: {range_m: -300}\nvehicles:", "controller.range_m", 7},
		{"negative price", "vehicles:", "controller: {price: -1}\nvehicles:", "controller.price", 7},
		{"trips every 0", "vehicles:", "random_trips: {count: 3, every_s: -1}\nvehicles:", "random_trips.every_s", 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(minimalScenario, c.replace, c.with, 1)
			require.NotEqual(t, minimalScenario, src, "the case must change the scenario")
			_, err := ParseScenario([]byte(src), "t.yaml")
			require.Error(t, err)
			var fe *wire.FieldError
			found := false
			for _, e := range unwrapAll(err) {
				if errors.As(e, &fe) && fe.Field == c.field {
					found = true
					if c.line > 0 {
						assert.Equal(t, c.line, fe.Line, "line of %s in:\n%s", c.field, src)
					}
				}
			}
			assert.True(t, found, "want an error naming %s, got: %v", c.field, err)
		})
	}
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestParseScenarioRefusesUnknownFieldsAndTypes(t *testing.T) {
	_, err := ParseScenario([]byte(minimalScenario+"colour: red\n"), "t.yaml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "colour")
	_, err = ParseScenario([]byte(strings.Replace(minimalScenario, "signals: 2", "signals: many", 1)), "t.yaml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 6")
	_, err = ParseScenario(nil, "t.yaml")
	assert.ErrorContains(t, err, "empty")
}

// Names that are not on the map are caught when the world is built,
// naming the field and its line.
func TestBuildWorldUnknownPlace(t *testing.T) {
	sc, err := ParseScenario([]byte(strings.Replace(minimalScenario, "to: E", "to: Nowhere", 1)), "t.yaml")
	require.NoError(t, err)
	_, err = buildWorld(sc)
	var fe *wire.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "vehicles[0].to", fe.Field)
	assert.Equal(t, 10, fe.Line)
}

func TestPlanOverrides(t *testing.T) {
	src := strings.Replace(minimalScenario, "vehicles:", "plans:\n  intersections: [{intersection: C02, cycle_s: 120, offset_s: 7}]\nvehicles:", 1)
	sc, err := ParseScenario([]byte(src), "t.yaml")
	require.NoError(t, err)
	w, err := buildWorld(sc)
	require.NoError(t, err)
	assert.Equal(t, 90*time.Second, w.units[0].plan.Cycle)
	assert.Equal(t, 120*time.Second, w.units[1].plan.Cycle)
	assert.Equal(t, 7*time.Second, w.units[1].plan.Offset)

	sc, err = ParseScenario([]byte(strings.Replace(src, "intersection: C02", "intersection: C09", 1)), "t.yaml")
	require.NoError(t, err)
	_, err = buildWorld(sc)
	var fe *wire.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "plans.intersections[0].intersection", fe.Field)
}

func TestShippedScenariosParse(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 4)
	for _, f := range files {
		_, err := LoadScenario(f)
		assert.NoError(t, err, f)
	}
}

// Validate is a check, not a step of loading: calling it leaves the
// scenario exactly as it was, valid or not.
func TestValidateChangesNothing(t *testing.T) {
	for _, src := range []string{minimalScenario, minimalScenario + `traffic:
  approaches:
    - {intersection: I1, approach: EB, veh_h: 300}
    - {intersection: I1, approach: EB, veh_h: 400}
`} {
		sc, err := ParseScenario([]byte(minimalScenario), "t.yaml")
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal([]byte(src), sc))
		before := *sc
		before.Traffic.Approaches = slices.Clone(sc.Traffic.Approaches)
		before.Vehicles = slices.Clone(sc.Vehicles)
		_ = sc.Validate()
		assert.Equal(t, before, *sc)
	}
}

func FuzzLoadScenario(f *testing.F) {
	f.Add([]byte(minimalScenario))
	for _, name := range []string{"corridor", "grid-crossing", "chaos", "luxembourg"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name+".yaml")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("name: [\n"))
	f.Add([]byte("vehicles: [{from: [1], to: {a: b}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseScenario(data, "fuzz.yaml")
		if err != nil {
			return
		}
		// What parses must satisfy its own validation.
		require.NoError(t, sc.Validate())
	})
}
