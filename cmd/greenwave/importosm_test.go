package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const importFixture = "../../routing/testdata/osm/small.osm"

func TestImportOSMToStdout(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"import-osm", importFixture}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	inv, err := routing.LoadGeoJSON(&stdout)
	require.NoError(t, err, "stdout is exactly the map")
	assert.Len(t, inv.Intersections, 3)
	assert.Contains(t, stderr.String(), "3 intersections", "the report goes to stderr")
	assert.Contains(t, stderr.String(), "signal 11 stands 8 m from junction node 1", "per joined junction, what merged and why")
	assert.Contains(t, stderr.String(), "signal node 7 at 6.0997000,49.6003000: on a highway=footway", "per dropped node, why")
}

func TestImportOSMToFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "map.geojson")
	var stdout, stderr bytes.Buffer
	// Flags after the input file work too.
	code := run(context.Background(), []string{"import-osm", importFixture, "-o", out, "-q"}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Empty(t, stdout.String())
	assert.Empty(t, stderr.String(), "-q silences the report")
	golden, err := os.ReadFile("../../routing/testdata/osm/small.golden.geojson")
	require.NoError(t, err)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, string(golden), string(got))
	_, err = os.Stat(out + ".tmp")
	assert.ErrorIs(t, err, os.ErrNotExist, "the temporary file is renamed into place")
}

func TestImportOSMJoinDistance(t *testing.T) {
	// With -join-m 1 the divided road crossing's four signalised nodes,
	// 14 m apart, stay four intersections, and the report says why each
	// pair within 25 m is not one.
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"import-osm", "-join-m", "1", "../../routing/testdata/osm/divided_cross.osm"}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stderr.String(), "m apart along the roads, over --join-m (1 m)")
	inv, err := routing.LoadGeoJSON(&stdout)
	require.NoError(t, err)
	assert.Greater(t, len(inv.Intersections), 3)
}

func TestImportOSMBadInput(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.osm")
	require.NoError(t, os.WriteFile(broken, []byte(`<osm><node id="1" lat="95" lon="6"/></osm>`), 0o600))
	noRoads := filepath.Join(dir, "paths.osm")
	require.NoError(t, os.WriteFile(noRoads, []byte(`<osm><node id="1" lat="49" lon="6"/><node id="2" lat="49.1" lon="6"/>`+
		`<way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>`), 0o600))
	out := filepath.Join(dir, "map.geojson")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no input", []string{"import-osm"}, "usage: greenwave import-osm"},
		{"two inputs", []string{"import-osm", "a.osm", "b.osm"}, "usage: greenwave import-osm"},
		{"unknown extension", []string{"import-osm", "city.shp"}, "unknown OSM format"},
		{"missing file", []string{"import-osm", filepath.Join(dir, "nope.osm")}, "no such file"},
		{"bad node", []string{"import-osm", broken, "-o", out}, "node 1: not a valid lon/lat"},
		{"negative merge distance", []string{"import-osm", importFixture, "-merge-m", "-3"}, "SignalMergeM"},
		{"join distance too large", []string{"import-osm", importFixture, "-join-m", "1000"}, "JunctionJoinM"},
		{"no roads", []string{"import-osm", noRoads, "-o", out}, "no drivable roads"},
		{"bad flag", []string{"import-osm", "-x", importFixture}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			assert.NotEqual(t, 0, code)
			assert.Contains(t, stderr.String(), tc.want)
			assert.Empty(t, stdout.String(), "no partial map on stdout")
			_, err := os.Stat(out)
			assert.ErrorIs(t, err, os.ErrNotExist, "no map written")
			if !strings.HasPrefix(tc.want, "usage") && !strings.HasPrefix(tc.want, "flag") {
				assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "a one-line reason: %q", stderr.String())
			}
		})
	}
}
