package routing

import (
	"bytes"
	"compress/gzip"
	"flag"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files of the OSM import tests")

const smallOSM = "testdata/osm/small.osm"

func importFile(t testing.TB, path string) (*Inventory, ImportReport) {
	t.Helper()
	inv, rep, err := ImportOSMFile(path, ImportOptions{})
	require.NoError(t, err)
	return inv, rep
}

func geojsonBytes(t testing.TB, inv *Inventory) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, inv.WriteGeoJSON(&buf))
	return buf.Bytes()
}

// goldenFixtures are the hand-written OSM files of testdata/osm; each has
// a .golden.geojson (the map) and a .golden.report (the import report)
// beside it.
var goldenFixtures = []string{"small", "divided_cross", "t_divided", "midblock", "roundabout", "restrictions", "bad_input"}

func TestImportOSMGolden(t *testing.T) {
	for _, name := range goldenFixtures {
		t.Run(name, func(t *testing.T) {
			inv, rep := importFile(t, "testdata/osm/"+name+".osm")
			got := map[string]string{".golden.geojson": string(geojsonBytes(t, inv)), ".golden.report": rep.String()}
			for ext, text := range got {
				golden := "testdata/osm/" + name + ext
				if *update {
					require.NoError(t, os.WriteFile(golden, []byte(text), 0o644))
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err, "run go test ./routing -run Golden -update to create it")
				assert.Equal(t, string(want), text, "regenerate with -update if the change is intended")
			}
			if len(inv.Roads) > 0 {
				_, err := Build(inv)
				require.NoError(t, err, "an imported map builds")
			}
		})
	}
}

func TestImportOSMSmall(t *testing.T) {
	inv, rep := importFile(t, smallOSM)
	assert.Equal(t, ImportReport{
		NodesRead: 16, WaysRead: 7, DrivableWays: 5, ExcludedByAccess: 1, MissingNodeRefs: 1, WaysCut: 1,
		Roads: 12, SignalNodes: 6, SignalsKept: 6, SignalsOffRoad: 1, Intersections: 3, mergeM: 30, joinM: 30,
		Dropped: []DroppedSignal{{Node: 7, LonLat: orb.Point{6.0997, 49.6003}, Reason: "on a highway=footway (way 300), no drivable road"}},
		Junctions: []JunctionReport{{ID: "n1", Signals: []int64{11, 12, 13, 14}, Nodes: []int64{1, 11, 12, 13, 14}, Why: []string{
			"signal 11 stands 8 m from junction node 1 (a stop-line or crossing signal, within --merge-m 30)",
			"signal 12 stands 8 m from junction node 1 (a stop-line or crossing signal, within --merge-m 30)",
			"signal 13 stands 8 m from junction node 1 (a stop-line or crossing signal, within --merge-m 30)",
			"signal 14 stands 8 m from junction node 1 (a stop-line or crossing signal, within --merge-m 30)"}}},
	}, rep)

	require.Len(t, inv.Intersections, 3)
	cross := inv.Intersections[0]
	assert.Equal(t, "n1", cross.ID, "the four stop-line signals merge into the junction node they stand before")
	assert.Equal(t, orb.Point{6.1, 49.6}, cross.LonLat)
	assert.Equal(t, "Main Street & Side Street", cross.Name)
	assert.Equal(t, DefaultTiming(), cross.Timing)
	// North arm leaves the junction (oneway=-1): no southbound approach.
	// Each approach stops at its signal, 8 m before the junction node.
	assert.Equal(t, []Approach{{ID: "NB", BearingDeg: 0, Phase: 4, StopLines: []orb.Point{{6.1, 49.59993}}},
		{ID: "EB", BearingDeg: 90, Phase: 2, StopLines: []orb.Point{{6.09989, 49.6}}},
		{ID: "WB", BearingDeg: 270, Phase: 6, StopLines: []orb.Point{{6.10011, 49.6}}}}, cross.Approaches)
	assert.Equal(t, []orb.Point{{6.1, 49.6}, {6.1, 49.60007}}, cross.Nodes, "the junction node and the north arm's signal, where no approach stops")

	oneway := inv.Intersections[1]
	assert.Equal(t, "n10", oneway.ID, "a mid-block signal on a one-way road is kept, with its one approach")
	assert.Equal(t, []Approach{{ID: "NB", BearingDeg: 0, Phase: 2}}, oneway.Approaches)
	mid := inv.Intersections[2]
	assert.Equal(t, "n8", mid.ID, "a two-way mid-block signal is its own intersection")
	assert.Equal(t, []Approach{{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "WB", BearingDeg: 270, Phase: 6}}, mid.Approaches)

	roads := map[string]Road{}
	for _, r := range inv.Roads {
		roads[r.ID] = r
	}
	assert.Len(t, roads, 12)
	main := roads["w100.1"]
	assert.Equal(t, []orb.Point{{6.09989, 49.6}, {6.1, 49.6}}, main.Coords, "split at the signal node and the junction")
	assert.False(t, main.Oneway)
	assert.InDelta(t, 30*0.44704, main.SpeedMps, 0.005, "30 mph")
	assert.Equal(t, "primary", main.Class)

	north := roads["w-200.0"]
	assert.True(t, north.Oneway)
	assert.Equal(t, []orb.Point{{6.1, 49.6}, {6.1, 49.60007}}, north.Coords, "oneway=-1 is reversed: traffic flows north from the junction")
	assert.InDelta(t, ClassSpeedMps["residential"], roads["w201.0"].SpeedMps, 0.005, "no maxspeed: the class speed")
	assert.InDelta(t, 50/3.6, roads["w400.0"].SpeedMps, 0.005)
	assert.InDelta(t, 50/3.6, roads["w500.0"].SpeedMps, 0.005, "FR:urban")
	assert.Equal(t, orb.Point{6.1042, 49.6018}, roads["w500.1"].Coords[1], "the missing node 999 is cut off")
	for id := range roads {
		assert.False(t, strings.HasPrefix(id, "w300") || strings.HasPrefix(id, "w600"), "footway and private way are not roads: %s", id)
	}

	n, err := Build(inv)
	require.NoError(t, err)
	i, ok := n.IntersectionByID("n1")
	require.True(t, ok)
	assert.Len(t, n.IntersectionNodes(i), 5)
	// Every way into the junction from outside meets its signal where it
	// enters, on the approach of its bearing.
	entered := 0
	for e := int32(0); e < int32(n.NumEdges()); e++ {
		if ii, ok := n.entersIntersection(e); ok && ii == i {
			entered++
			a, ok := n.approachAt(i, n.Edge(e).To, n.EntryBearingDeg(e), 20)
			assert.True(t, ok, "edge %d into the junction has an approach", e)
			assert.Contains(t, []string{"NB", "EB", "WB"}, a.ID)
		}
	}
	assert.Equal(t, 3, entered, "three ways in: east, west and from the south")
}

// reorder returns the fixture with its relations before its ways before
// its nodes, each in reverse order: the import must not depend on element
// order.
func reorder(t *testing.T, xml string) string {
	t.Helper()
	nodes := regexp.MustCompile(`(?s)<node [^>]*/>|<node [^>]*[^/]>.*?</node>`).FindAllString(xml, -1)
	ways := regexp.MustCompile(`(?s)<way .*?</way>`).FindAllString(xml, -1)
	rels := regexp.MustCompile(`(?s)<relation .*?</relation>`).FindAllString(xml, -1)
	require.NotEmpty(t, nodes)
	require.NotEmpty(t, ways)
	var b strings.Builder
	b.WriteString("<osm>\n")
	for _, group := range [][]string{rels, ways, nodes} {
		for i := len(group) - 1; i >= 0; i-- {
			b.WriteString(group[i] + "\n")
		}
	}
	b.WriteString("</osm>\n")
	return b.String()
}

func TestImportOSMIndependentOfElementOrder(t *testing.T) {
	for _, name := range goldenFixtures {
		data, err := os.ReadFile("testdata/osm/" + name + ".osm")
		require.NoError(t, err)
		a, repA, err := ImportOSM(bytes.NewReader(data), FormatOSMXML, ImportOptions{})
		require.NoError(t, err)
		b, repB, err := ImportOSM(strings.NewReader(reorder(t, string(data))), FormatOSMXML, ImportOptions{})
		require.NoError(t, err)
		assert.Equal(t, string(geojsonBytes(t, a)), string(geojsonBytes(t, b)), name)
		assert.Equal(t, repA.String(), repB.String(), name)
	}
}

func TestImportOSMGzipMatchesXML(t *testing.T) {
	data, err := os.ReadFile(smallOSM)
	require.NoError(t, err)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	path := t.TempDir() + "/small.osm.gz"
	require.NoError(t, os.WriteFile(path, gz.Bytes(), 0o600))

	plain, _ := importFile(t, smallOSM)
	zipped, _ := importFile(t, path)
	assert.Equal(t, plain, zipped)
}

func TestImportOSMErrors(t *testing.T) {
	data, err := os.ReadFile(smallOSM)
	require.NoError(t, err)
	tests := []struct {
		name   string
		input  string
		format string
		opt    ImportOptions
		want   string
	}{
		{"unknown format", string(data), "shp", ImportOptions{}, `unknown OSM format "shp"`},
		{"not gzip", string(data), FormatOSMXMLGz, ImportOptions{}, "not gzip-compressed"},
		{"not pbf", string(data), FormatOSMPBF, ImportOptions{}, "reading OSM pbf"},
		{"broken XML", `<osm><node id="1" lat="49" lon="6"><tag k="a"`, FormatOSMXML, ImportOptions{}, "reading OSM osm"},
		{"lat not a number", `<osm><node id="1" lat="north" lon="6"/></osm>`, FormatOSMXML, ImportOptions{}, "reading OSM osm"},
		{"lat 95", `<osm><node id="-7" lat="95" lon="6"/></osm>`, FormatOSMXML, ImportOptions{}, "node -7: not a valid lon/lat"},
		{"lon 200", `<osm><node id="7" lat="49" lon="200"/></osm>`, FormatOSMXML, ImportOptions{}, "node 7: not a valid lon/lat"},
		{"too large", string(data), FormatOSMXML, ImportOptions{MaxBytes: 100}, "input larger than 100 bytes"},
		{"merge distance NaN", string(data), FormatOSMXML, ImportOptions{SignalMergeM: math.NaN()}, "SignalMergeM"},
		{"merge distance negative", string(data), FormatOSMXML, ImportOptions{SignalMergeM: -1}, "SignalMergeM"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv, _, err := ImportOSM(strings.NewReader(tc.input), tc.format, tc.opt)
			require.Error(t, err)
			assert.Nil(t, inv)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, _, err = ImportOSMFile("map.shp", ImportOptions{})
	assert.ErrorContains(t, err, "unknown OSM format")
	_, _, err = ImportOSMFile(t.TempDir()+"/missing.osm", ImportOptions{})
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestOSMFormatFromPath(t *testing.T) {
	for path, want := range map[string]string{"lux.osm": FormatOSMXML, "LUX.OSM.GZ": FormatOSMXMLGz,
		"city.osm.pbf": FormatOSMPBF, "x.xml": FormatOSMXML} {
		got, err := OSMFormatFromPath(path)
		require.NoError(t, err, path)
		assert.Equal(t, want, got, path)
	}
}

func TestImportOSMWithoutMergingEverySignalIsItsOwnIntersection(t *testing.T) {
	// With no merging and no joining each stop-line signal is its own
	// intersection: those on two-way Main Street with two approaches,
	// those on the one-way side-street arms with one. None is dropped,
	// and the report names each pair closer than 25 m and why it stays
	// two.
	inv, rep, err := ImportOSMFile(smallOSM, ImportOptions{SignalMergeM: 1e-9, JunctionJoinM: 1e-9})
	require.NoError(t, err)
	assert.Empty(t, rep.Junctions)
	ids := []string{}
	for _, in := range inv.Intersections {
		ids = append(ids, in.ID)
	}
	assert.Equal(t, []string{"n10", "n11", "n12", "n13", "n14", "n8"}, ids)
	assert.Zero(t, rep.SignalsDropped)
	require.NotEmpty(t, rep.Near)
	for _, p := range rep.Near {
		assert.Contains(t, p.Why, "m apart along the roads, over --join-m", "%s and %s", p.A, p.B)
		assert.Less(t, p.DistM, NearIntersectionsM)
	}
}

func TestSpeedFromMaxspeed(t *testing.T) {
	kmh := func(v float64) float64 { return v / 3.6 }
	tests := []struct {
		in   string
		want float64 // 0: no usable speed
	}{
		{"50", kmh(50)}, {" 70 ", kmh(70)}, {"50 km/h", kmh(50)}, {"50kmh", kmh(50)}, {"50 kph", kmh(50)},
		{"30 mph", 30 * 0.44704}, {"20mph", 20 * 0.44704}, {"10 knots", 10 * 1852.0 / 3600},
		{"50;30", kmh(50)}, {"7.5", kmh(7.5)},
		{"FR:urban", kmh(50)}, {"DE:rural", kmh(90)}, {"RU:motorway", kmh(130)}, {"DE:living_street", kmh(10)},
		{"DE:zone30", kmh(30)}, {"zone:30", kmh(30)}, {"DE:zone:30", kmh(30)}, {"BE:zone20", kmh(20)},
		{"none", 0}, {"signals", 0}, {"variable", 0}, {"walk", 0}, {"", 0}, {"0", 0}, {"-30", 0},
		{"50 furlongs", 0}, {"XX:moon", 0}, {"999", 0}, {".", 0},
	}
	for _, tc := range tests {
		got, ok := speedFromMaxspeed(tc.in)
		if tc.want == 0 {
			assert.False(t, ok, "%q gave %v", tc.in, got)
			continue
		}
		assert.True(t, ok, tc.in)
		assert.InDelta(t, tc.want, got, 1e-9, tc.in)
	}
}

func tags(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestWayDirection(t *testing.T) {
	tests := []struct {
		tags map[string]string
		want direction
	}{
		{tags("highway", "residential"), twoWay},
		{tags("highway", "residential", "oneway", "yes"), forward},
		{tags("highway", "residential", "oneway", "true"), forward},
		{tags("highway", "residential", "oneway", "1"), forward},
		{tags("highway", "residential", "oneway", "-1"), backward},
		{tags("highway", "residential", "oneway", "reversible"), twoWay},
		{tags("highway", "primary", "junction", "roundabout"), forward},
		{tags("highway", "primary", "junction", "roundabout", "oneway", "no"), twoWay},
		{tags("highway", "motorway"), forward},
		{tags("highway", "motorway_link"), forward},
		{tags("highway", "motorway", "oneway", "no"), twoWay},
		{tags("highway", "trunk"), twoWay},
		{tags("highway", "residential", "oneway", "yes", "oneway:emergency", "no"), twoWay},
		{tags("highway", "residential", "oneway", "yes", "oneway:emergency", "yes"), forward},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, wayDirection(osmTags(tc.tags)), "%v", tc.tags)
	}
}

func TestExcludedWay(t *testing.T) {
	tests := []struct {
		tags map[string]string
		want bool
	}{
		{tags("highway", "residential"), false},
		{tags("highway", "residential", "access", "private"), true},
		{tags("highway", "residential", "access", "no"), true},
		{tags("highway", "residential", "access", "no", "motor_vehicle", "yes"), false},
		{tags("highway", "residential", "motor_vehicle", "no"), true},
		{tags("highway", "residential", "access", "no", "emergency", "yes"), false},
		{tags("highway", "residential", "motor_vehicle", "private", "emergency", "designated"), false},
		{tags("highway", "service", "service", "parking_aisle"), true},
		{tags("highway", "service", "service", "driveway"), false},
		{tags("highway", "primary", "area", "yes"), true},
		{tags("highway", "residential", "vehicle", "no"), true},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, excludedWay(osmTags(tc.tags)), "%v", tc.tags)
	}
	for class, want := range map[string]bool{"primary": true, "motorway_link": true, "living_street": true, "service": true,
		"footway": false, "cycleway": false, "path": false, "steps": false, "pedestrian": false, "track": false,
		"construction": false, "proposed": false, "bus_stop": false, "": false} {
		assert.Equal(t, want, drivableClass(class), class)
	}
}

func TestAssignPhases(t *testing.T) {
	c := func(bearing float64, rank int) approachCand { return approachCand{bearing: bearing, rank: rank} }
	type ap struct {
		id    string
		phase int
	}
	tests := []struct {
		name string
		in   []approachCand // sorted by bearing, as mergeCandidates returns them
		want []ap
	}{
		{"cross, primary east-west", []approachCand{c(0, 3), c(90, 7), c(180, 3), c(270, 7)},
			[]ap{{"NB", 4}, {"EB", 2}, {"SB", 8}, {"WB", 6}}},
		{"cross, primary north-south", []approachCand{c(2, 7), c(91, 3), c(182, 7), c(268, 3)},
			[]ap{{"NB", 2}, {"EB", 4}, {"SB", 6}, {"WB", 8}}},
		{"equal classes: the straighter pair is major", []approachCand{c(0, 3), c(80, 3), c(180, 3), c(250, 3)},
			[]ap{{"NB", 2}, {"EB", 4}, {"SB", 6}, {"WB", 8}}},
		{"T junction", []approachCand{c(0, 3), c(90, 6), c(270, 6)},
			[]ap{{"NB", 4}, {"EB", 2}, {"WB", 6}}},
		{"no opposite pair: best class alone gets 2", []approachCand{c(10, 3), c(100, 5)},
			[]ap{{"NB", 4}, {"EB", 2}}},
		{"five ways: the fifth gets 10", []approachCand{c(0, 3), c(90, 7), c(150, 2), c(180, 3), c(270, 7)},
			[]ap{{"NB", 4}, {"EB", 2}, {"SEB", 10}, {"SB", 8}, {"WB", 6}}},
		{"two near north: eight-point ids across the 0/360 wrap", []approachCand{c(20, 3), c(180, 3), c(330, 3)},
			[]ap{{"NB", 2}, {"SB", 6}, {"NWB", 4}}},
		{"a clash left after eight-point names gets a number", []approachCand{c(30, 3), c(50, 3), c(60, 3), c(200, 3)},
			[]ap{{"NB", 2}, {"NEB", 4}, {"NEB2", 10}, {"SB", 6}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := assignPhases(tc.in)
			require.Len(t, got, len(tc.want))
			for i, w := range tc.want {
				assert.Equal(t, w.id, got[i].ID, "approach %d", i)
				assert.Equal(t, w.phase, got[i].Phase, "approach %d (%s)", i, w.id)
				assert.InDelta(t, tc.in[i].bearing, got[i].BearingDeg, 0.05)
			}
		})
	}
}

func TestAssignPhasesNineApproachesStayValid(t *testing.T) {
	var cs []approachCand
	for b := 0.0; b < 360; b += 36 {
		cs = append(cs, approachCand{bearing: b, rank: 3})
	}
	got := assignPhases(cs)
	in := Intersection{ID: "x", LonLat: orb.Point{6, 49}, Approaches: got, Timing: DefaultTiming()}
	inv := Inventory{Intersections: []Intersection{in}}
	require.NoError(t, inv.Validate(), "phases stay in 1..16 and ids unique")
}

func TestImportOSMLuxembourg(t *testing.T) {
	const path = "../testdata/luxembourg.osm"
	inv, rep := importFile(t, path)
	t.Logf("Luxembourg import:\n%s", rep)
	assert.Equal(t, 203, rep.SignalNodes, "the extract's highway=traffic_signals nodes (testdata/README.md)")
	assert.Zero(t, rep.SignalsDropped, "every signal on a drivable road is kept")
	n, clusters := checkImportedMap(t, path, inv, rep)
	assert.Equal(t, rep.Intersections, len(n.Intersections()))
	// The shipped extract tags its signals on the junction nodes, so the
	// signal nodes within 25 m of each other are its junctions; the
	// importer's junctions are within a couple of them.
	assert.InDelta(t, clusters, rep.Intersections, 2, "intersections against an independent clustering of the signal nodes")

	first := geojsonBytes(t, inv)
	again, _ := importFile(t, path)
	assert.True(t, bytes.Equal(first, geojsonBytes(t, again)), "two imports give identical bytes")
	committed, err := os.ReadFile("../testdata/luxembourg.geojson")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(first, committed),
		"testdata/luxembourg.geojson is stale: go run ./cmd/greenwave import-osm testdata/luxembourg.osm -o testdata/luxembourg.geojson")
}

// badInputSeeds are OSM documents the importer must report on without
// failing: an extract cut mid-way, restrictions with missing members, a
// signal on a footway only.
var badInputSeeds = []string{
	`<osm><node id="1" lat="49" lon="6"/><node id="2" lat="49.001" lon="6"/><way id="1"><nd ref="1"/><nd ref="7"/><nd ref="2"/><nd ref="8"/><tag k="highway" v="primary"/></way></osm>`,
	`<osm><node id="1" lat="49" lon="6"/><node id="2" lat="49.001" lon="6"/><way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way>` +
		`<relation id="5"><member type="way" ref="9" role="from"/><member type="node" ref="2" role="via"/><member type="way" ref="1" role="to"/><tag k="type" v="restriction"/><tag k="restriction" v="no_u_turn"/></relation>` +
		`<relation id="6"><member type="node" ref="77" role="via"/><tag k="type" v="restriction"/><tag k="restriction" v="only_left_turn"/></relation></osm>`,
	`<osm><node id="1" lat="49" lon="6"><tag k="highway" v="traffic_signals"/></node><node id="2" lat="49.001" lon="6"/><way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>`,
}

func TestImportOSMBadInputIsReportedNotFatal(t *testing.T) {
	for i, doc := range badInputSeeds {
		inv, rep, err := ImportOSM(strings.NewReader(doc), FormatOSMXML, ImportOptions{})
		require.NoError(t, err, "seed %d", i)
		switch i {
		case 0:
			assert.Equal(t, 2, rep.MissingNodeRefs)
			assert.Equal(t, 1, rep.WaysCut)
			assert.Len(t, inv.Roads, 0, "nothing of the way is left contiguous")
		case 1:
			assert.Equal(t, 2, rep.Restrictions)
			require.Len(t, rep.SkippedRestrictions, 2)
			assert.Contains(t, rep.SkippedRestrictions[0].Reason, "from way 9 does not lead into via node 2")
			assert.Contains(t, rep.SkippedRestrictions[1].Reason, "missing its from or to member")
			assert.Empty(t, inv.Restrictions)
		case 2:
			assert.Equal(t, 1, rep.SignalsOffRoad)
			require.Len(t, rep.Dropped, 1)
			assert.Equal(t, "on a highway=footway (way 1), no drivable road", rep.Dropped[0].Reason)
		}
	}
	// The fixture with all of them at once.
	inv, rep := importFile(t, "testdata/osm/bad_input.osm")
	assert.Equal(t, 2, rep.MissingNodeRefs)
	assert.Equal(t, 1, rep.WaysCut)
	assert.Equal(t, 3, rep.SignalsOffRoad)
	assert.Len(t, rep.Dropped, 3)
	assert.Len(t, rep.SkippedRestrictions, 3)
	assert.Empty(t, inv.Intersections)
	_, err := Build(inv)
	require.NoError(t, err)
}

func FuzzImportOSM(f *testing.F) {
	for _, name := range goldenFixtures {
		data, err := os.ReadFile("testdata/osm/" + name + ".osm")
		require.NoError(f, err)
		f.Add(data)
	}
	for _, doc := range badInputSeeds {
		f.Add([]byte(doc))
	}
	f.Add([]byte(`<osm><node id="-1" lat="49" lon="6"><tag k="highway" v="traffic_signals"/></node><node id="-2" lat="49.001" lon="6"/>` +
		`<way id="-3"><nd ref="-1"/><nd ref="-2"/><nd ref="-1"/><tag k="highway" v="primary"/><tag k="oneway" v="-1"/></way></osm>`))
	f.Add([]byte(`<osm><node id="1" lat="0" lon="0"/><node id="2" lat="0" lon="0"/><way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="service"/></way></osm>`))
	f.Add([]byte(`<osm><way id="1"><nd ref="1"/><tag k="highway" v="motorway"/><tag k="maxspeed" v="none"/></way></osm>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, rep, err := ImportOSM(bytes.NewReader(data), FormatOSMXML, ImportOptions{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		require.Equal(t, rep.SignalNodes, rep.SignalsKept+rep.SignalsDropped)
		require.Len(t, rep.Dropped, rep.SignalsDropped+rep.SignalsOffRoad)
		require.Equal(t, rep.Restrictions, len(rep.SkippedRestrictions)+countRelations(inv.Restrictions))
		if len(inv.Roads) == 0 {
			return
		}
		n, err := Build(inv)
		require.NoError(t, err, "an imported map always builds")
		for _, in := range n.Intersections() {
			require.NotEmpty(t, in.Approaches)
		}
		back, err := LoadGeoJSON(bytes.NewReader(geojsonBytes(t, inv)))
		require.NoError(t, err, "an imported map always loads back")
		require.Equal(t, len(inv.Roads), len(back.Roads))
		require.Equal(t, len(inv.Restrictions), len(back.Restrictions))
	})
}

// countRelations is how many relations the restrictions came from (ids
// r<relation> or r<relation>.<k>).
func countRelations(rs []TurnRestriction) int {
	seen := map[string]bool{}
	for _, r := range rs {
		id, _, _ := strings.Cut(r.ID, ".")
		seen[id] = true
	}
	return len(seen)
}

func osmTags(m map[string]string) osm.Tags {
	var ts osm.Tags
	for k, v := range m {
		ts = append(ts, osm.Tag{Key: k, Value: v})
	}
	ts.SortByKeyValue()
	return ts
}
