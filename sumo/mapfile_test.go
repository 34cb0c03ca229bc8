package sumo

import (
	"os"
	"strings"
	"testing"
)

// TestReadMapFile reads back a map import-sumo wrote, with what ties it
// to SUMO, and refuses maps that lack it or contradict the network.
func TestReadMapFile(t *testing.T) {
	m, err := ReadMapFile("testdata/cosim/cross-mg7.geojson")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Intersections) != 1 || m.Intersections[0].TLS != "C" || m.Intersections[0].LinkCount != 14 ||
		len(m.Intersections[0].Approaches) != 4 || len(m.Roads) != len(m.Inventory.Roads) {
		t.Fatalf("map %+v", m.Intersections)
	}
	if m.Inventory.Intersections[0].Timing.MinGreenS != 7 {
		t.Errorf("min green %v, want the -min-green 7 it was imported with", m.Inventory.Intersections[0].Timing.MinGreenS)
	}
	n, err := ReadNetFile("testdata/cross.net.xml")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkMapNet(m, n); err != nil {
		t.Errorf("the map of cross.net.xml against it: %v", err)
	}
	other, err := ReadNetFile("testdata/tee.net.xml")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkMapNet(m, other); err == nil || !strings.Contains(err.Error(), `traffic light "C" is not in the network`) {
		t.Errorf("the map of cross.net.xml against tee.net.xml: %v", err)
	}

	data, err := os.ReadFile("testdata/cosim/cross-mg7.geojson")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ from, to, want string }{
		"no sumo_tls":       {`"sumo_tls":"C"`, `"sumo_tls":""`, "no sumo_tls"},
		"link out of range": {`"sumo_through_links":[4,5]`, `"sumo_through_links":[4,55]`, "link 55 outside"},
	} {
		bad := strings.Replace(string(data), c.from, c.to, 1)
		if bad == string(data) {
			t.Fatalf("%s: %q not in the map", name, c.from)
		}
		if _, err := parseMap([]byte(bad)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func FuzzParseMap(f *testing.F) {
	for _, name := range []string{"testdata/cosim/cross-mg7.geojson", "testdata/joined.geojson", "testdata/tee.geojson"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseMap(data)
		if err != nil {
			return
		}
		if len(m.Intersections) != len(m.Inventory.Intersections) || len(m.Roads) != len(m.Inventory.Roads) {
			t.Fatalf("%d intersections tied to SUMO for %d in the inventory", len(m.Intersections), len(m.Inventory.Intersections))
		}
		for _, in := range m.Intersections {
			for _, a := range in.Approaches {
				for _, li := range append(append([]int(nil), a.Links...), a.ThroughLinks...) {
					if li < 0 || li >= in.LinkCount {
						t.Fatalf("link %d of %d accepted", li, in.LinkCount)
					}
				}
			}
		}
	})
}
