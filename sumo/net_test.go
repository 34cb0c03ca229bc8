package sumo

import (
	"bytes"
	"compress/gzip"
	"os"
	"strings"
	"testing"
)

func TestReadNet(t *testing.T) {
	n, err := ReadNetFile("testdata/joined.net.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Edges) != 10 || len(n.TLLogics) != 1 || len(n.TLLogics[0].Phases) != 4 {
		t.Fatalf("%d edges, %d programs", len(n.Edges), len(n.TLLogics))
	}
	e, ok := n.EdgeByID("N1_J1")
	if !ok || e.From != "N1" || e.To != "J1" || e.Name != "Avenue" || len(e.Lanes) != 2 || e.Lanes[1].Index != 1 ||
		e.Lanes[0].Speed != 13.89 || len(e.Lanes[0].Shape) < 2 {
		t.Fatalf("edge N1_J1 %+v", e)
	}
	if j, ok := n.JunctionByID("J1"); !ok || j.Type != "traffic_light" {
		t.Fatalf("junction J1 %+v", j)
	}
	for _, c := range n.Connections {
		if strings.HasPrefix(c.From, ":") {
			t.Fatalf("internal connection kept: %+v", c)
		}
		if c.From == "W_J1" && c.To == "J1_J2" && (c.TL != "JT" || c.LinkIndex != 7 || c.Dir != "s") {
			t.Fatalf("connection %+v", c)
		}
	}
	if _, ok := n.EdgeByID(":J1_0"); ok {
		t.Fatal("internal edge kept")
	}
}

func TestReadNetGzip(t *testing.T) {
	raw, err := os.ReadFile("testdata/tee.net.xml")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	a, err := ReadNet(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadNet(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Edges) != len(b.Edges) || len(a.Connections) != len(b.Connections) || a.Location != b.Location {
		t.Fatal("the gzipped network reads differently")
	}
}

func TestReadNetErrors(t *testing.T) {
	const head = `<net><location netOffset="0,0" projParameter="+proj=utm +zone=32"/>`
	const junctions = `<junction id="a" type="priority" x="0" y="0"/><junction id="b" type="priority" x="10" y="0"/>`
	for name, c := range map[string]struct{ xml, want string }{
		"not xml":          {"<net><edge", "XML"},
		"no net element":   {"<routes/>", "no <net> element"},
		"bad shape":        {head + `<edge id="e" from="a" to="b"><lane id="e_0" index="0" speed="10" length="10" shape="0,0 x,1"/></edge>` + junctions + `</net>`, `line 1: lane "e_0": shape point "x,1"`},
		"one-point shape":  {head + `<edge id="e" from="a" to="b"><lane id="e_0" speed="10" shape="0,0"/></edge>` + junctions + `</net>`, "at least two points"},
		"nan speed":        {head + `<edge id="e" from="a" to="b"><lane id="e_0" speed="NaN" shape="0,0 1,1"/></edge>` + junctions + `</net>`, "not a finite number"},
		"zero speed":       {head + `<edge id="e" from="a" to="b"><lane id="e_0" speed="0" shape="0,0 1,1"/></edge>` + junctions + `</net>`, "speed must be"},
		"missing junction": {head + `<edge id="e" from="a" to="zz"><lane id="e_0" speed="10" shape="0,0 1,1"/></edge>` + junctions + `</net>`, `to-junction "zz"`},
		"duplicate edge":   {head + `<edge id="e" from="a" to="b"><lane id="e_0" speed="10" shape="0,0 1,1"/></edge><edge id="e" from="a" to="b"/>` + junctions + `</net>`, "duplicate edge"},
		"bad state":        {head + `<tlLogic id="t" programID="0"><phase duration="5" state="GxG"/></tlLogic></net>`, "not a signal"},
		"state lengths":    {head + `<tlLogic id="t" programID="0"><phase duration="5" state="GG"/><phase duration="5" state="GGG"/></tlLogic></net>`, "3 signals"},
		"negative dur":     {head + `<tlLogic id="t" programID="0"><phase duration="-5" state="GG"/></tlLogic></net>`, "durations"},
		"unknown tl":       {head + `<edge id="e" from="a" to="b"><lane id="e_0" speed="10" shape="0,0 1,1"/></edge>` + junctions + `<connection from="e" to="e" fromLane="0" toLane="0" tl="nope" linkIndex="0"/></net>`, `traffic light "nope" has no tlLogic`},
		"bad link index":   {head + `<tlLogic id="t" programID="0"><phase duration="5" state="GG"/></tlLogic><connection from="e" to="e" tl="t" linkIndex="-3"/></net>`, "linkIndex -3"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadNet(strings.NewReader(c.xml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// FuzzReadNet: no input makes the reader or the import panic.
func FuzzReadNet(f *testing.F) {
	for _, name := range []string{"cross", "joined", "tee", "nosignal"} {
		b, err := os.ReadFile("testdata/" + name + ".net.xml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// A small complete network: mutations of it reach the import quickly.
	f.Add([]byte(`<net><location netOffset="-292469.89,-5499026.64" projParameter="+proj=utm +zone=32"/>` +
		`<edge id="a" from="A" to="T"><lane id="a_0" speed="13" shape="0,0 100,0"/></edge>` +
		`<edge id="b" from="T" to="B"><lane id="b_0" speed="13" shape="100,0 200,0"/></edge>` +
		`<tlLogic id="T" programID="0"><phase duration="30" minDur="5" state="G"/><phase duration="3" state="y"/><phase duration="30" state="r"/></tlLogic>` +
		`<junction id="A" x="0" y="0"/><junction id="T" type="traffic_light" x="100" y="0"/><junction id="B" x="200" y="0"/>` +
		`<connection from="a" to="b" fromLane="0" toLane="0" tl="T" linkIndex="0" dir="s"/></net>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ReadNet(bytes.NewReader(data))
		if err != nil {
			return
		}
		m, _, err := Import(n, ImportOptions{})
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := m.WriteGeoJSON(&buf); err != nil {
			t.Fatal(err)
		}
	})
}
