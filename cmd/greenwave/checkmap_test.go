package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// importFixtureMap imports an OSM fixture with the given extra flags into
// a temporary map file.
func importFixtureMap(t *testing.T, fixture string, flags ...string) string {
	t.Helper()
	m := filepath.Join(t.TempDir(), "map.geojson")
	args := append([]string{"import-osm", "-q", "../../routing/testdata/osm/" + fixture, "-o", m}, flags...)
	code, _, stderr := runGreenwave(args...)
	require.Equal(t, 0, code, stderr)
	return m
}

func TestCheckMapQuietOnAConsolidatedImport(t *testing.T) {
	m := importFixtureMap(t, "divided_cross.osm")
	code, stdout, stderr := runGreenwave("check-map", "--map", m)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "3 intersections checked, 0 findings\n", stdout)
}

func TestCheckMapListsNearIntersections(t *testing.T) {
	// Joining nothing, the divided crossings' signal nodes are 12
	// intersections, 14 m apart.
	m := importFixtureMap(t, "divided_cross.osm", "-join-m", "1", "-merge-m", "1")
	code, stdout, stderr := runGreenwave("check-map", "--map", m)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "suspicious findings")
	assert.Contains(t, stdout, "near n1 n2: 14.0 m apart (under 25 m), 14 m apart along the roads")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	assert.Contains(t, lines[len(lines)-1], "intersections checked")

	code, stdout, _ = runGreenwave("check-map", "--map", m, "--json", "--near-m", "15")
	assert.Equal(t, 1, code)
	var found []struct {
		Kind, Intersection string
		Other              string  `json:"other_intersection_id"`
		DistM              float64 `json:"distance_m"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &found), stdout)
	require.NotEmpty(t, found)
	for _, f := range found {
		assert.Equal(t, "near", f.Kind)
		assert.Less(t, f.DistM, 15.0)
	}
}

func TestCheckMapErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check-map"}, "--map FILE is required"},
		{[]string{"check-map", "--map", "nope.geojson"}, "no such file"},
		{[]string{"check-map", "--map", "x", "--near-m", "0"}, "--near-m must be"},
		{[]string{"check-map", "--map", "x", "extra"}, "unexpected argument"},
	} {
		code, _, stderr := runGreenwave(tc.args...)
		assert.Equal(t, 1, code, tc.args)
		assert.Contains(t, stderr, tc.want)
	}
}
