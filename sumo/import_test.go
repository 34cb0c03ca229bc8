package sumo

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greenwave-project/greenwave/routing"
)

var update = flag.Bool("update", false, "rewrite the golden maps in testdata")

func importFile(t *testing.T, name string) (*Map, *ImportReport) {
	t.Helper()
	n, err := ReadNetFile(filepath.Join("testdata", name+".net.xml"))
	if err != nil {
		t.Fatal(err)
	}
	m, rep, err := Import(n, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m, rep
}

// TestGolden imports each test network and compares the map with the
// committed one, then loads it back with the routing loader.
func TestGolden(t *testing.T) {
	for _, name := range []string{"cross", "joined", "tee"} {
		t.Run(name, func(t *testing.T) {
			m, rep := importFile(t, name)
			var buf bytes.Buffer
			if err := m.WriteGeoJSON(&buf); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".geojson")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("map differs from %s (go test ./sumo -update rewrites it); got:\n%s", golden, buf.String())
			}
			inv, err := routing.LoadGeoJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("the routing loader rejects the map: %v", err)
			}
			if _, err := routing.Build(inv); err != nil {
				t.Fatalf("the map does not build: %v", err)
			}
			t.Logf("%s\n%s", rep, buf.String())
		})
	}
}

func approachByEdge(t *testing.T, m *Map, edge string) (routing.Approach, Approach) {
	t.Helper()
	for i, link := range m.Intersections {
		for k, a := range link.Approaches {
			if a.Edge == edge {
				return m.Inventory.Intersections[i].Approaches[k], a
			}
		}
	}
	t.Fatalf("no approach from edge %q", edge)
	return routing.Approach{}, Approach{}
}

func TestImportCross(t *testing.T) {
	m, rep := importFile(t, "cross")
	if rep.TrafficLights != 1 || rep.Intersections != 1 || rep.Approaches != 4 || rep.Roads != 8 || len(rep.Warnings) != 0 {
		t.Fatalf("report %+v", rep)
	}
	in := m.Inventory.Intersections[0]
	if in.ID != "C" || m.Intersections[0].TLS != "C" || m.Intersections[0].LinkCount != 14 {
		t.Errorf("intersection %+v / %+v", in, m.Intersections[0])
	}
	// The program's first phase greens east-west: phases 2 (eastbound,
	// along the axis) and 6; north-south get 4 and 8.
	want := map[string]struct {
		phase   int
		bearing float64
		through []int
	}{"WC": {2, 90, []int{11, 12}}, "EC": {6, 270, []int{4, 5}}, "SC": {4, 0, []int{8}}, "NC": {8, 180, []int{1}}}
	for edge, w := range want {
		a, link := approachByEdge(t, m, edge)
		if a.Phase != w.phase || a.BearingDeg != w.bearing || !equalInts(link.ThroughLinks, w.through) {
			t.Errorf("%s: phase %d bearing %v through %v; want %d %v %v", edge, a.Phase, a.BearingDeg, link.ThroughLinks, w.phase, w.bearing, w.through)
		}
	}
	// A static program: min green is the green phases' duration.
	if in.Timing.MinGreenS != 42 || in.Timing.YellowS != 3 || in.Timing.AllRedS != 0 || in.Timing.PedClearanceS != 0 {
		t.Errorf("timing %+v", in.Timing)
	}
	m2, _ := importWith(t, "cross", ImportOptions{MinGreenS: 7})
	if m2.Inventory.Intersections[0].Timing.MinGreenS != 7 {
		t.Errorf("MinGreenS option ignored: %+v", m2.Inventory.Intersections[0].Timing)
	}
}

func importWith(t *testing.T, name string, opt ImportOptions) (*Map, *ImportReport) {
	t.Helper()
	n, err := ReadNetFile(filepath.Join("testdata", name+".net.xml"))
	if err != nil {
		t.Fatal(err)
	}
	m, rep, err := Import(n, opt)
	if err != nil {
		t.Fatal(err)
	}
	return m, rep
}

// TestImportJoined: a traffic light over two junctions is one
// intersection between them, and an approach's through links cross both.
func TestImportJoined(t *testing.T) {
	m, rep := importFile(t, "joined")
	if rep.Intersections != 1 || rep.JoinedSignals != 1 || rep.EdgesInsideTLS != 2 || rep.Roads != 8 {
		t.Fatalf("report %+v", rep)
	}
	link := m.Intersections[0]
	if !equalStrings(link.Junctions, []string{"J1", "J2"}) {
		t.Errorf("junctions %v", link.Junctions)
	}
	in := m.Inventory.Intersections[0]
	// J1 and J2 straddle 6.13 E.
	if d := routing.HaversineM(in.LonLat, [2]float64{6.13, 49.61}); d > 0.5 {
		t.Errorf("intersection at %v, %.2f m from the junctions' centroid", in.LonLat, d)
	}
	for _, r := range m.Roads {
		if r.Edge == "J1_J2" || r.Edge == "J2_J1" {
			t.Errorf("edge %s between the two junctions became a road", r.Edge)
		}
	}
	// Eastbound: link 7 at J1, then link 14 at J2.
	if _, a := approachByEdge(t, m, "W_J1"); !equalInts(a.ThroughLinks, []int{7, 14}) || !equalInts(a.GreenPhases, []int{2}) {
		t.Errorf("W_J1: through %v green in %v; want [7 14] in [2]", a.ThroughLinks, a.GreenPhases)
	}
	if _, a := approachByEdge(t, m, "E_J2"); !equalInts(a.ThroughLinks, []int{4, 9}) {
		t.Errorf("E_J2: through %v; want [4 9]", a.ThroughLinks)
	}
	// The avenue and the street are the two stages.
	a1, _ := approachByEdge(t, m, "N1_J1")
	a2, _ := approachByEdge(t, m, "S2_J2")
	a3, _ := approachByEdge(t, m, "W_J1")
	a4, _ := approachByEdge(t, m, "E_J2")
	if a1.Phase+a2.Phase != 8 || a3.Phase+a4.Phase != 12 {
		t.Errorf("phases N %d S %d W %d E %d; want 2/6 and 4/8", a1.Phase, a2.Phase, a3.Phase, a4.Phase)
	}
}

// TestImportTee: a stem without a straight-on connection for cars takes
// its turns as through links; an edge for bicycles only is no road.
func TestImportTee(t *testing.T) {
	m, rep := importFile(t, "tee")
	if rep.EdgesNotForCars != 1 || rep.Roads != 6 || rep.Approaches != 3 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range m.Roads {
		if r.Edge == "TN" {
			t.Error("the cycle path TN became a road")
		}
	}
	// ST's straight-on link (4) leads onto the cycle path: its through
	// links are its right and left turns.
	a, link := approachByEdge(t, m, "ST")
	if !equalInts(link.ThroughLinks, []int{3, 5}) || !equalInts(link.Links, []int{3, 4, 5}) || a.Phase != 4 {
		t.Errorf("ST: links %v through %v phase %d", link.Links, link.ThroughLinks, a.Phase)
	}
	// An actuated program: min green is its minDur.
	if tm := m.Inventory.Intersections[0].Timing; tm.MinGreenS != 5 {
		t.Errorf("timing %+v, want min green 5 (minDur)", tm)
	}
	if m.Inventory.Intersections[0].Name != "Main Road & Stem Street" {
		t.Errorf("name %q", m.Inventory.Intersections[0].Name)
	}
}

func TestImportNoTrafficLights(t *testing.T) {
	n, err := ReadNetFile("testdata/nosignal.net.xml")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Import(n, ImportOptions{}); !errors.Is(err, ErrNoTrafficLights) {
		t.Fatalf("a network without traffic lights: %v", err)
	}
}

func TestImportNotGeoReferenced(t *testing.T) {
	n, err := ReadNetFile("testdata/cross.net.xml")
	if err != nil {
		t.Fatal(err)
	}
	n.Location.ProjParameter = "!"
	if _, _, err := Import(n, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "not geo-referenced") {
		t.Fatalf("a network without projection: %v", err)
	}
}

func TestSanitizeID(t *testing.T) {
	for in, want := range map[string]string{
		"C": "C", "cluster_-16374_-4150": "cluster_-16374_-4150", "-31420#7": "-31420_7", "a b/c": "a_b_c", "": "_",
	} {
		if got := sanitizeID(in); got != want {
			t.Errorf("sanitizeID(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("cluster_12345_", 10)
	a, b := sanitizeID(long), sanitizeID(long+"x")
	if len(a) != 64 || a == b || !strings.HasPrefix(a, long[:55]) {
		t.Errorf("long ids: %q, %q", a, b)
	}
	taken := map[string]bool{"x": true, "x-2": true}
	if got := uniqueID("x", taken); got != "x-3" {
		t.Errorf("uniqueID = %q", got)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
