package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// routeTestMap is a crossing at (6.11, 49.60) of an east-west street
// (west and east halves) and a north-south one, with a signal on it, and a
// one-way street on its own 1.4 km east of it.
const routeTestMap = `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[6.11,49.60]},
 "properties":{"kind":"intersection","id":"I-1","name":"Main & Cross",
  "approaches":[{"id":"EB","bearing_deg":90,"phase":2},{"id":"WB","bearing_deg":270,"phase":6},
                {"id":"NB","bearing_deg":0,"phase":4},{"id":"SB","bearing_deg":180,"phase":8}]}},
{"type":"Feature","geometry":{"type":"LineString","coordinates":[[6.10,49.60],[6.11,49.60]]},
 "properties":{"kind":"road","id":"main-w","oneway":false,"speed_mps":13.9}},
{"type":"Feature","geometry":{"type":"LineString","coordinates":[[6.11,49.60],[6.12,49.60]]},
 "properties":{"kind":"road","id":"main-e","oneway":false,"speed_mps":13.9}},
{"type":"Feature","geometry":{"type":"LineString","coordinates":[[6.11,49.59],[6.11,49.60]]},
 "properties":{"kind":"road","id":"cross-s","oneway":false,"speed_mps":8.3}},
{"type":"Feature","geometry":{"type":"LineString","coordinates":[[6.11,49.60],[6.11,49.61]]},
 "properties":{"kind":"road","id":"cross-n","oneway":false,"speed_mps":8.3}},
{"type":"Feature","geometry":{"type":"LineString","coordinates":[[6.13,49.60],[6.131,49.60]]},
 "properties":{"kind":"road","id":"island","oneway":true,"speed_mps":8.3}}
]}`

func writeRouteTestMap(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "map.geojson")
	require.NoError(t, os.WriteFile(path, []byte(routeTestMap), 0o644))
	return path
}

func runGreenwave(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRouteJSON(t *testing.T) {
	m := writeRouteTestMap(t)
	code, stdout, stderr := runGreenwave("route", "--map", m, "--from", "6.105,49.6001", "--to", "6.11,49.605", "--json")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)

	dec := json.NewDecoder(strings.NewReader(stdout))
	var got struct {
		LengthM   *float64     `json:"length_m"`
		FreeFlowS *float64     `json:"free_flow_s"`
		Path      [][2]float64 `json:"path"`
		Signals   []struct {
			IntersectionID string   `json:"intersection_id"`
			Approach       string   `json:"approach"`
			Phase          int      `json:"phase"`
			DistanceM      *float64 `json:"distance_m"`
		} `json:"signals"`
	}
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&got))
	_, err := dec.Token()
	assert.ErrorIs(t, err, io.EOF, "exactly one JSON object")

	// 0.005° of longitude at 49.6° N is 360 m; 0.005° of latitude 556 m.
	require.NotNil(t, got.LengthM)
	assert.InDelta(t, 360+556, *got.LengthM, 3)
	assert.InDelta(t, 360/13.9+556/8.3, *got.FreeFlowS, 0.5)
	require.GreaterOrEqual(t, len(got.Path), 2)
	assert.InDelta(t, 6.105, got.Path[0][0], 1e-6, "starts at the start point snapped to the street")
	assert.InDelta(t, 49.60, got.Path[0][1], 1e-6)
	assert.InDelta(t, 6.11, got.Path[len(got.Path)-1][0], 1e-6)
	assert.InDelta(t, 49.605, got.Path[len(got.Path)-1][1], 1e-6)
	require.Len(t, got.Signals, 1)
	assert.Equal(t, "I-1", got.Signals[0].IntersectionID)
	assert.Equal(t, "EB", got.Signals[0].Approach)
	assert.Equal(t, 2, got.Signals[0].Phase)
	assert.InDelta(t, 360, *got.Signals[0].DistanceM, 2)

	// No signal on the way: an empty list, not null.
	code, stdout, stderr = runGreenwave("route", "--map", m, "--from", "6.115,49.6", "--to", "6.118,49.6", "--json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, `"signals":[]`)
}

func TestRouteTable(t *testing.T) {
	m := writeRouteTestMap(t)
	code, stdout, stderr := runGreenwave("route", "--map", m, "--from=6.11,49.595", "--to=6.115,49.6")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 3, stdout)
	assert.Contains(t, lines[0], "1 signals")
	assert.Regexp(t, `^\s*1\s+556\s+1:07\s+I-1\s+NB\s+4\s+Main & Cross$`, lines[2])
}

func TestRouteFailures(t *testing.T) {
	m := writeRouteTestMap(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"off the map", []string{"--map", m, "--from", "6.105,49.6", "--to", "6.105,49.65"}, "to: point [6.105000, 49.650000] is 4462 m from the nearest road"},
		{"unroutable", []string{"--map", m, "--from", "6.105,49.6", "--to", "6.1305,49.6"}, "no route from"},
		{"against a one-way", []string{"--map", m, "--from", "6.1308,49.6", "--to", "6.1302,49.6"}, "no route from"},
		{"no map", []string{"--from", "6.105,49.6", "--to", "6.11,49.6"}, "--map FILE is required"},
		{"missing map file", []string{"--map", filepath.Join(t.TempDir(), "nope.geojson"), "--from", "6.105,49.6", "--to", "6.11,49.6"}, "nope.geojson"},
		{"no to", []string{"--map", m, "--from", "6.105,49.6"}, "--to LON,LAT is required"},
		{"lat,lon swapped", []string{"--map", m, "--from", "49.6,106.105", "--to", "6.11,49.6"}, "is the order LON,LAT?"},
		{"not a point", []string{"--map", m, "--from", "here", "--to", "6.11,49.6"}, "want LON,LAT"},
		{"stray argument", []string{"--map", m, "--from", "6.105,49.6", "--to", "6.11,49.6", "extra"}, `unexpected argument "extra"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runGreenwave(append([]string{"route"}, tc.args...)...)
			assert.NotEqual(t, 0, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.want)
			if !strings.Contains(stderr, "usage:") {
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			}
		})
	}
}
