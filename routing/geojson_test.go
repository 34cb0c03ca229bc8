package routing

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A T junction at (6.001, 49.0): a west-east road in two pieces and a road
// from the south ending at the junction.
const (
	tInter = `{"type":"Feature","geometry":{"type":"Point","coordinates":[6.001,49.0]},
 "properties":{"kind":"intersection","id":"I-1","name":"Main & South","colour":"green",
  "approaches":[{"id":"EB","bearing_deg":90,"phase":2},{"id":"WB","bearing_deg":270,"phase":6,"queue_flush_s":8},
                {"id":"NB","bearing_deg":0,"phase":4}],
  "timing":{"min_green_s":5,"max_preempt_s":60}}}`
	tRoadW = `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[6.0,49.0],[6.001,49.0]]},
 "properties":{"kind":"road","id":"main-1","name":"Main","oneway":false,"speed_mps":16.7}}`
	tRoadE = `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[6.001,49.0,250.5],[6.0015,49.0001],[6.002,49.0]]},
 "properties":{"kind":"road","id":"main-2","highway":"primary"}}`
	tRoadS = `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[6.001,48.999],[6.001,49.0]]},
 "properties":{"kind":"road","id":"south","oneway":true,"highway":"no_such_class","lanes":2}}`
)

func collection(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

func TestLoadGeoJSONReadsFieldsAndDefaults(t *testing.T) {
	inv, err := LoadGeoJSON(strings.NewReader(collection(tInter, tRoadW, tRoadE, tRoadS)))
	require.NoError(t, err)
	require.Len(t, inv.Intersections, 1)
	require.Len(t, inv.Roads, 3)

	in := inv.Intersections[0]
	assert.Equal(t, "I-1", in.ID)
	assert.Equal(t, "Main & South", in.Name)
	assert.Equal(t, orb.Point{6.001, 49.0}, in.LonLat)
	assert.Equal(t, []Approach{{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "WB", BearingDeg: 270, Phase: 6, QueueFlushS: 8},
		{ID: "NB", BearingDeg: 0, Phase: 4}}, in.Approaches)
	want := DefaultTiming()
	want.MinGreenS, want.MaxPreemptS = 5, 60 // the others default one by one
	assert.Equal(t, want, in.Timing)

	w, e, s := inv.Roads[0], inv.Roads[1], inv.Roads[2]
	assert.Equal(t, Road{ID: "main-1", Name: "Main", Coords: []orb.Point{{6.0, 49.0}, {6.001, 49.0}}, SpeedMps: 16.7}, w)
	assert.Equal(t, ClassSpeedMps["primary"], e.SpeedMps, "speed from the highway class")
	assert.Equal(t, "primary", e.Class)
	assert.False(t, e.Oneway, "oneway defaults to false")
	assert.Equal(t, orb.Point{6.001, 49.0}, e.Coords[0], "altitude dropped")
	assert.Equal(t, DefaultSpeedMps, s.SpeedMps, "unknown class: the default speed")
	assert.True(t, s.Oneway)
}

func TestLoadGeoJSONNullOptionalIsAbsent(t *testing.T) {
	road := `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[6.0,49.0],[6.001,49.0]]},
	 "properties":{"kind":"road","id":"r","name":null,"oneway":null,"speed_mps":null}}`
	inv, err := LoadGeoJSON(strings.NewReader(collection(road)))
	require.NoError(t, err)
	assert.Equal(t, DefaultSpeedMps, inv.Roads[0].SpeedMps)
}

// replace returns s with old replaced once, failing the test if old is not
// in s (a fixture edit that no longer applies would make a test vacuous).
func replace(t *testing.T, s, old, new string) string {
	t.Helper()
	require.Contains(t, s, old)
	return strings.Replace(s, old, new, 1)
}

func TestLoadGeoJSONErrors(t *testing.T) {
	inter := func(old, new string) string { return collection(replace(t, tInter, old, new), tRoadW) }
	road := func(old, new string) string { return collection(tInter, replace(t, tRoadW, old, new)) }
	tests := []struct {
		name    string
		input   string
		feature string // "" when the error is not a *wire.FieldError
		field   string
		reason  string // a substring of the error
	}{
		{"empty file", "", "", "", "empty input"},
		{"only whitespace", " \n\t", "", "", "empty input"},
		{"not JSON", "<osm/>", "", "", "not a GeoJSON FeatureCollection"},
		{"truncated", collection(tInter)[:50], "", "", "not a GeoJSON FeatureCollection"},
		{"an array", "[]", "", "", "not a GeoJSON FeatureCollection"},
		{"a Feature", tRoadW, "", "", `"type" is the string "Feature", want "FeatureCollection"`},
		{"no type", `{"features":[]}`, "", "", `"type" is missing`},
		{"features not an array", `{"type":"FeatureCollection","features":{}}`, "", "", `"features": must be an array, got an object`},
		{"features missing", `{"type":"FeatureCollection"}`, "", "", `"features": must be an array, got missing`},
		{"trailing garbage", collection(tRoadW) + "x", "", "", "not a GeoJSON FeatureCollection"},

		{"feature not an object", collection(`3`), "feature #0", "", "must be an object, got the number 3"},
		{"feature type", collection(replace(t, tRoadW, `"type":"Feature"`, `"type":"Point"`)), "feature #0", "type", `must be "Feature"`},
		{"no properties", collection(`{"type":"Feature","geometry":null}`), "feature #0", "properties", "must be an object, got missing"},
		{"kind missing", collection(replace(t, tRoadW, `"kind":"road",`, ``)), "feature #0", "kind", "missing"},
		{"kind unknown", collection(tRoadW, replace(t, tRoadW, `"kind":"road"`, `"kind":"bus_stop"`)), "feature #1", "kind", `unknown kind "bus_stop"`},
		{"kind not a string", collection(replace(t, tRoadW, `"kind":"road"`, `"kind":1`)), "feature #0", "kind", "must be a string, got the number 1"},

		{"intersection id missing", inter(`"id":"I-1",`, ``), "feature #0", "id", "missing"},
		{"intersection id a number", inter(`"id":"I-1"`, `"id":1`), "feature #0", "id", "must be a string, got the number 1"},
		{"intersection bad id", inter(`"id":"I-1"`, `"id":"I 1"`), `intersection "I 1"`, "id", "must match"},
		{"duplicate ids", collection(tInter, tRoadW, replace(t, tRoadE, `"id":"main-2"`, `"id":"main-1"`)), `road "main-1"`, "id", `duplicate id "main-1"`},
		{"intersection and road share an id", collection(tInter, replace(t, tRoadW, `"id":"main-1"`, `"id":"I-1"`)), `road "I-1"`, "id", "duplicate id"},
		{"name a number", inter(`"name":"Main & South"`, `"name":7`), `intersection "I-1"`, "name", "must be a string"},
		{"geometry missing", collection(`{"type":"Feature","properties":{"kind":"road","id":"r"}}`), `road "r"`, "geometry", "must be an object, got missing"},
		{"point is a linestring", inter(`"type":"Point","coordinates":[6.001,49.0]`, `"type":"LineString","coordinates":[[6.001,49.0],[6,49]]`), `intersection "I-1"`, "geometry.type", `must be "Point"`},
		{"coordinates missing", inter(`,"coordinates":[6.001,49.0]`, ``), `intersection "I-1"`, "geometry.coordinates", "missing"},
		{"coordinates a string", inter(`[6.001,49.0]`, `"6.001,49.0"`), `intersection "I-1"`, "geometry.coordinates", "must be a position"},
		{"coordinate a string", inter(`[6.001,49.0]`, `["6.001",49.0]`), `intersection "I-1"`, "geometry.coordinates[0]", "must be a number"},
		{"one coordinate", inter(`[6.001,49.0]`, `[6.001]`), `intersection "I-1"`, "geometry.coordinates", "must be a position"},
		{"lon 200", inter(`[6.001,49.0]`, `[200,49.0]`), `intersection "I-1"`, "geometry.coordinates", "not a valid [lon, lat]"},
		{"lat 95", inter(`[6.001,49.0]`, `[6.001,95]`), `intersection "I-1"`, "geometry.coordinates", "not a valid [lon, lat]"},
		{"lat -90.5", inter(`[6.001,49.0]`, `[6.001,-90.5]`), `intersection "I-1"`, "geometry.coordinates", "not a valid [lon, lat]"},
		{"approaches missing", inter(`"approaches":[`, `"approachez":[`), `intersection "I-1"`, "approaches", "missing"},
		{"approaches empty", inter(`{"id":"EB","bearing_deg":90,"phase":2},{"id":"WB","bearing_deg":270,"phase":6,"queue_flush_s":8},
                {"id":"NB","bearing_deg":0,"phase":4}`, ``), `intersection "I-1"`, "approaches", "at least one approach"},
		{"approaches an object", inter(`"approaches":[{"id":"EB","bearing_deg":90,"phase":2},`, `"approaches":{},"x":[`), `intersection "I-1"`, "approaches", "must be an array, got an object"},
		{"approach a string", inter(`{"id":"EB","bearing_deg":90,"phase":2}`, `"EB"`), `intersection "I-1"`, "approaches[0]", "must be an object"},
		{"approach without phase", inter(`"bearing_deg":270,"phase":6,`, `"bearing_deg":270,`), `intersection "I-1"`, "approaches[1].phase", "missing"},
		{"phase a string", inter(`"phase":6`, `"phase":"6"`), `intersection "I-1"`, "approaches[1].phase", `must be a number, got the string "6"`},
		{"phase fractional", inter(`"phase":6`, `"phase":6.5`), `intersection "I-1"`, "approaches[1].phase", "must be a signal phase 1..16, got 6.5"},
		{"phase 0", inter(`"phase":6`, `"phase":0`), `intersection "I-1"`, "approaches[1].phase", "must be a signal phase 1..16"},
		{"phase 17", inter(`"phase":6`, `"phase":17`), `intersection "I-1"`, "approaches[1].phase", "must be a signal phase 1..16"},
		{"approach without id", inter(`{"id":"WB",`, `{`), `intersection "I-1"`, "approaches[1].id", "missing"},
		{"duplicate approach id", inter(`{"id":"WB",`, `{"id":"EB",`), `intersection "I-1"`, "approaches[1].id", `duplicate approach id "EB"`},
		{"bearing missing", inter(`"bearing_deg":270,`, ``), `intersection "I-1"`, "approaches[1].bearing_deg", "missing"},
		{"bearing 400", inter(`"bearing_deg":270`, `"bearing_deg":400`), `intersection "I-1"`, "approaches[1].bearing_deg", "must be in [0, 360), got 400"},
		{"bearing 360", inter(`"bearing_deg":270`, `"bearing_deg":360`), `intersection "I-1"`, "approaches[1].bearing_deg", "must be in [0, 360), got 360"},
		{"bearing -1", inter(`"bearing_deg":270`, `"bearing_deg":-1`), `intersection "I-1"`, "approaches[1].bearing_deg", "must be in [0, 360), got -1"},
		{"bearing a bool", inter(`"bearing_deg":270`, `"bearing_deg":true`), `intersection "I-1"`, "approaches[1].bearing_deg", "must be a number, got a boolean"},
		{"bearing overflows", inter(`"bearing_deg":270`, `"bearing_deg":1e999`), `intersection "I-1"`, "approaches[1].bearing_deg", "must be a finite number"},
		{"queue_flush_s negative", inter(`"queue_flush_s":8`, `"queue_flush_s":-8`), `intersection "I-1"`, "approaches[1].queue_flush_s", "must be in [0, 600]"},
		{"timing an array", inter(`"timing":{"min_green_s":5,"max_preempt_s":60}`, `"timing":[]`), `intersection "I-1"`, "timing", "must be an object, got an array"},
		{"timing field a string", inter(`"min_green_s":5`, `"min_green_s":"5"`), `intersection "I-1"`, "timing.min_green_s", "must be a number"},
		{"yellow too short", inter(`"min_green_s":5`, `"min_green_s":5,"yellow_s":1`), `intersection "I-1"`, "timing.yellow_s", "must be in [3, 3600]"},
		{"max_preempt_s 0", inter(`"max_preempt_s":60`, `"max_preempt_s":0`), `intersection "I-1"`, "timing.max_preempt_s", "must be in [1, 3600]"},

		{"road id missing", road(`"id":"main-1",`, ``), "feature #1", "id", "missing"},
		{"road one point", road(`[[6.0,49.0],[6.001,49.0]]`, `[[6.0,49.0]]`), `road "main-1"`, "geometry.coordinates", "at least two points, got 1"},
		{"road no points", road(`[[6.0,49.0],[6.001,49.0]]`, `[]`), `road "main-1"`, "geometry.coordinates", "at least two points, got 0"},
		{"road points identical", road(`[[6.0,49.0],[6.001,49.0]]`, `[[6.0,49.0],[6.0,49.0]]`), `road "main-1"`, "geometry.coordinates", "all points are the same"},
		{"road point lon 200", road(`[6.001,49.0]]`, `[200,49.0]]`), `road "main-1"`, "geometry.coordinates[1]", "not a valid [lon, lat]"},
		{"road point not a position", road(`[6.001,49.0]]`, `{"lon":6}]`), `road "main-1"`, "geometry.coordinates[1]", "must be a position"},
		{"road coordinates an object", road(`[[6.0,49.0],[6.001,49.0]]`, `{}`), `road "main-1"`, "geometry.coordinates", "must be an array of positions"},
		{"road is a point", road(`"type":"LineString","coordinates":[[6.0,49.0],[6.001,49.0]]`, `"type":"Point","coordinates":[6.0,49.0]`), `road "main-1"`, "geometry.type", `must be "LineString", got the string "Point"`},
		{"oneway a string", road(`"oneway":false`, `"oneway":"yes"`), `road "main-1"`, "oneway", `must be a boolean, got the string "yes"`},
		{"speed a string", road(`"speed_mps":16.7`, `"speed_mps":"fast"`), `road "main-1"`, "speed_mps", "must be a number"},
		{"speed 0", road(`"speed_mps":16.7`, `"speed_mps":0`), `road "main-1"`, "speed_mps", "must be in (0, 100]"},
		{"speed 150", road(`"speed_mps":16.7`, `"speed_mps":150`), `road "main-1"`, "speed_mps", "must be in (0, 100]"},
		{"highway a number", road(`"name":"Main"`, `"highway":3`), `road "main-1"`, "highway", "must be a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := LoadGeoJSON(strings.NewReader(tc.input))
			require.Error(t, err)
			assert.Nil(t, inv)
			assert.Contains(t, err.Error(), tc.reason)
			if tc.feature == "" {
				return
			}
			fe := findFieldError(err, tc.field)
			require.NotNil(t, fe, "no *wire.FieldError for field %q in: %v", tc.field, err)
			assert.Equal(t, tc.feature, fe.Where)
			assert.Contains(t, fe.Reason, tc.reason)
		})
	}
}

// findFieldError returns the *wire.FieldError for field among the (joined)
// errors in err.
func findFieldError(err error, field string) *wire.FieldError {
	var fe *wire.FieldError
	if errors.As(err, &fe) && fe.Field == field {
		return fe
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if fe := findFieldError(e, field); fe != nil {
				return fe
			}
		}
	}
	return nil
}

func TestLoadGeoJSONReportsManyErrorsAtOnce(t *testing.T) {
	bad := replace(t, tInter, `"bearing_deg":270`, `"bearing_deg":400`)
	bad = replace(t, bad, `"phase":4`, `"phase":"4"`)
	road := replace(t, tRoadW, `"oneway":false`, `"oneway":1`)
	_, err := LoadGeoJSON(strings.NewReader(collection(bad, road)))
	require.Error(t, err)
	assert.NotNil(t, findFieldError(err, "approaches[2].phase"))
	assert.NotNil(t, findFieldError(err, "oneway"))
}

func TestLoadGeoJSONCapsErrors(t *testing.T) {
	var fs []string
	for i := 0; i < 2*maxReportedErrors; i++ {
		fs = append(fs, `{"type":"Feature","properties":{"kind":"road"}}`)
	}
	_, err := LoadGeoJSON(strings.NewReader(collection(fs...)))
	require.Error(t, err)
	assert.Equal(t, maxReportedErrors, strings.Count(err.Error(), "\n")+1)
}

func TestLoadGeoJSONRefusesOversizedInput(t *testing.T) {
	// The cap is tested at a small size: the real one is 512 MiB.
	input := collection(tInter, tRoadW, tRoadE, tRoadS)
	_, err := loadGeoJSON(strings.NewReader(input), int64(len(input)))
	require.NoError(t, err, "exactly at the cap is accepted")
	_, err = loadGeoJSON(strings.NewReader(input+" "), int64(len(input)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "map larger than")
}

func TestWriteGeoJSONRoundTripsAndIsStable(t *testing.T) {
	inv, err := LoadGeoJSON(strings.NewReader(collection(tRoadS, tRoadE, tInter, tRoadW)))
	require.NoError(t, err)
	var a, b bytes.Buffer
	require.NoError(t, inv.WriteGeoJSON(&a))
	require.NoError(t, inv.WriteGeoJSON(&b))
	assert.Equal(t, a.String(), b.String())

	back, err := LoadGeoJSON(bytes.NewReader(a.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, inv.Intersections, back.Intersections)
	// Roads come back sorted by id; their content is unchanged.
	require.Len(t, back.Roads, 3)
	assert.Equal(t, []string{"main-1", "main-2", "south"}, []string{back.Roads[0].ID, back.Roads[1].ID, back.Roads[2].ID})
	for _, r := range back.Roads {
		for _, orig := range inv.Roads {
			if orig.ID == r.ID {
				assert.InDelta(t, orig.SpeedMps, r.SpeedMps, 0.005, "speeds are written to 0.01 m/s")
				r.SpeedMps = orig.SpeedMps
				assert.Equal(t, orig, r)
			}
		}
	}
	// Intersections first, then roads, one feature a line.
	lines := strings.Split(strings.TrimSpace(a.String()), "\n")
	require.Len(t, lines, 6)
	assert.Contains(t, lines[1], `"kind":"intersection"`)
	assert.Contains(t, lines[2], `"id":"main-1"`)
	assert.Contains(t, lines[1], `"name":"Main & South"`, "no HTML escaping of &")
}

func TestWriteGeoJSONRounds(t *testing.T) {
	inv := &Inventory{
		Intersections: []Intersection{{ID: "I", LonLat: orb.Point{6.123456789, -49.000000049}, Timing: DefaultTiming(),
			Approaches: []Approach{{ID: "A", BearingDeg: 359.97, Phase: 2}, {ID: "B", BearingDeg: 12.345, Phase: 6}}}},
		Roads: []Road{{ID: "r", Coords: []orb.Point{{6.12345674999, 49.1}, {6.2, 49.2}}, SpeedMps: 13.8888889}},
	}
	var buf bytes.Buffer
	require.NoError(t, inv.WriteGeoJSON(&buf))
	out := buf.String()
	assert.Contains(t, out, `"coordinates":[6.1234568,-49]`)
	assert.Contains(t, out, `"bearing_deg":0,`, "359.97 rounds to 360, which wraps to 0 to stay valid")
	assert.Contains(t, out, `"bearing_deg":12.3,`)
	assert.Contains(t, out, `[[6.1234567,49.1],[6.2,49.2]]`)
	assert.Contains(t, out, `"speed_mps":13.89`)
	_, err := LoadGeoJSON(&buf)
	require.NoError(t, err)
}

func TestLoadMapFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.geojson")
	require.NoError(t, os.WriteFile(good, []byte(collection(tInter, tRoadW, tRoadE, tRoadS)), 0o600))
	n, err := LoadMapFile(good)
	require.NoError(t, err)
	assert.Equal(t, 1, len(n.Intersections()))

	bad := filepath.Join(dir, "bad.geojson")
	require.NoError(t, os.WriteFile(bad, []byte(collection(replace(t, tInter, `"phase":2`, `"phase":0`), tRoadW)), 0o600))
	_, err = LoadMapFile(bad)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), bad+": "), err.Error())

	off := filepath.Join(dir, "off.geojson")
	require.NoError(t, os.WriteFile(off, []byte(collection(replace(t, tInter, `[6.001,49.0]`, `[7,49.0]`), tRoadW)), 0o600))
	_, err = LoadMapFile(off)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), off+": "), err.Error())

	_, err = LoadMapFile(filepath.Join(dir, "missing.geojson"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestLoadMapFileLuxembourg(t *testing.T) {
	n, err := LoadMapFile("../testdata/luxembourg.geojson")
	require.NoError(t, err)
	assert.Greater(t, len(n.Intersections()), 150, "the extract has about 200 signalised junctions")
	for _, in := range n.Intersections() {
		// A signal with one approach (a crossing on a one-way street) is
		// an intersection too.
		assert.NotEmpty(t, in.Approaches, in.ID)
	}
}

func FuzzLoadGeoJSON(f *testing.F) {
	f.Add([]byte(collection(tInter, tRoadW, tRoadE, tRoadS)))
	f.Add([]byte(collection(tRoadW)))
	f.Add([]byte(collection(strings.Replace(tInter, `[6.001,49.0]`, `[6.001,49.0005]`, 1), tRoadW)))
	f.Add([]byte(`{"type":"FeatureCollection","features":[]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[0,0]]},"properties":{"kind":"road","id":"a"}}]}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := LoadGeoJSON(bytes.NewReader(data))
		if err != nil {
			assert.Nil(t, inv)
			return
		}
		require.NoError(t, inv.Validate(), "a loaded inventory is valid")
		var buf bytes.Buffer
		require.NoError(t, inv.WriteGeoJSON(&buf))
		if _, err := LoadGeoJSON(&buf); err != nil {
			// Rounding to 1 cm may merge the points of a road shorter than
			// that; anything else is a writer bug.
			require.Contains(t, err.Error(), "all points are the same")
		}
		_, _ = Build(inv) // must not panic
	})
}
