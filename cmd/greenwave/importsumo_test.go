package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/routing"
)

// TestImportSUMOThenRouteAndSim imports a SUMO network and uses the map
// with route and sim, as a user would.
func TestImportSUMOThenRouteAndSim(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "map.geojson")
	code, stdout, stderr := runGreenwave("import-sumo", "../../sumo/testdata/joined.net.xml", "-o", out)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "1 traffic lights -> 1 intersections (1 controlling several junctions), 4 approaches")
	_, err := routing.LoadMapFile(out)
	require.NoError(t, err)

	// Eastbound across the joined traffic light: one signal, approach
	// W_J1 (phase 4: the avenue's stage came first in the program).
	code, stdout, stderr = runGreenwave("route", "--map", out, "--from", "6.1275,49.61", "--to", "6.1325,49.61")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "1 signals")
	assert.Regexp(t, `JT\s+W_J1\s+4\s`, stdout)

	scenario := filepath.Join(dir, "sim.yaml")
	require.NoError(t, os.WriteFile(scenario, []byte(`name: joined
seed: 1
duration_s: 300
map:
  file: map.geojson
plans:
  cycle_s: 120
vehicles:
  - id: amb-east
    from: [6.1275, 49.61]
    to: [6.1325, 49.61]
    depart_s: 30
`), 0o600))
	code, stdout, stderr = runGreenwave("sim", scenario, "--strategies", "none,greenwave")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "amb-east")
}

func TestImportSUMOToStdoutQuiet(t *testing.T) {
	code, stdout, stderr := runGreenwave("import-sumo", "-q", "../../sumo/testdata/tee.net.xml")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	golden, err := os.ReadFile("../../sumo/testdata/tee.geojson")
	require.NoError(t, err)
	assert.Equal(t, string(golden), stdout)
}

func TestImportSUMOBadInput(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.net.xml")
	require.NoError(t, os.WriteFile(broken, []byte(`<net><edge id="e" from="a" to="b"><lane id="e_0" speed="x" shape="0,0 1,1"/></edge></net>`), 0o600))
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no input", []string{"import-sumo"}, "usage: greenwave import-sumo"},
		{"missing file", []string{"import-sumo", filepath.Join(dir, "nope.net.xml")}, "no such file"},
		{"no traffic lights", []string{"import-sumo", "../../sumo/testdata/nosignal.net.xml"},
			"../../sumo/testdata/nosignal.net.xml: no traffic lights"},
		{"broken", []string{"import-sumo", broken}, `broken.net.xml: line 1: lane "e_0": attribute "speed"`},
		{"bad min green", []string{"import-sumo", "-min-green", "-1", "../../sumo/testdata/tee.net.xml"}, "-min-green"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".geojson")
			code, _, stderr := runGreenwave(append(c.args, "-o", out)...)
			assert.NotEqual(t, 0, code)
			assert.Contains(t, stderr, c.want)
			if c.name != "no input" {
				assert.NotContains(t, strings.TrimSpace(stderr), "\n", "a one-line reason")
			}
			_, err := os.Stat(out)
			assert.ErrorIs(t, err, os.ErrNotExist, "nothing written")
		})
	}
}
