package routing

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// BenchmarkImportOSM imports the Luxembourg extract (1.9 MB of XML) from
// memory: XML decoding, way splitting, junction consolidation, approaches
// and phases.
func BenchmarkImportOSM(b *testing.B) {
	data, err := os.ReadFile("../testdata/luxembourg.osm")
	require.NoError(b, err)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ImportOSM(bytes.NewReader(data), FormatOSMXML, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// syntheticCity writes the OSM XML of a grid city: n divided avenues
// (east-west) crossing n divided boulevards (north-south) 200 m apart,
// each road two one-way carriageways 14 m apart, so that every crossing is
// four crossing nodes and four signal nodes: on the crossing nodes
// themselves at every other junction, 12 m before them on the incoming
// carriageways (stop-line tagging) at the others. n*n junctions, 4*n*n
// signal nodes.
func syntheticCity(n int) []byte {
	const spacing, half, stop = 200.0, 7.0, 12.0
	proj := NewProjection(testOrigin)
	var b bytes.Buffer
	b.WriteString("<osm version=\"0.6\">\n")
	id := int64(0)
	node := func(x, y float64, signal bool) int64 {
		id++
		ll := proj.ToLonLat(XY{x, y})
		fmt.Fprintf(&b, "<node id=\"%d\" lat=\"%.7f\" lon=\"%.7f\">", id, ll[1], ll[0])
		if signal {
			b.WriteString("<tag k=\"highway\" v=\"traffic_signals\"/>")
		}
		b.WriteString("</node>\n")
		return id
	}
	way := func(wid int64, class, name string, nodes []int64) {
		fmt.Fprintf(&b, "<way id=\"%d\">", wid)
		for _, nd := range nodes {
			fmt.Fprintf(&b, "<nd ref=\"%d\"/>", nd)
		}
		fmt.Fprintf(&b, "<tag k=\"highway\" v=\"%s\"/><tag k=\"name\" v=\"%s\"/><tag k=\"oneway\" v=\"yes\"/></way>\n", class, name)
	}
	// crossing[i][j] holds the four crossing nodes NW, NE, SW, SE of
	// avenue j and boulevard i.
	type corners struct{ nw, ne, sw, se int64 }
	cross := make([][]corners, n)
	onNodes := func(i, j int) bool { return (i+j)%2 == 0 }
	for i := range n {
		cross[i] = make([]corners, n)
		for j := range n {
			x, y := float64(i)*spacing, float64(j)*spacing
			s := onNodes(i, j)
			cross[i][j] = corners{node(x-half, y+half, s), node(x+half, y+half, s), node(x-half, y-half, s), node(x+half, y-half, s)}
		}
	}
	end := float64(n) * spacing
	wid := int64(0)
	for j := range n {
		y := float64(j) * spacing
		// Eastbound carriageway (south), west to east; westbound (north),
		// east to west; stop-line signals before each crossing where the
		// junction is tagged that way.
		eb := []int64{node(-spacing, y-half, false)}
		for i := range n {
			if !onNodes(i, j) {
				eb = append(eb, node(float64(i)*spacing-half-stop, y-half, true))
			}
			eb = append(eb, cross[i][j].sw, cross[i][j].se)
		}
		eb = append(eb, node(end, y-half, false))
		wb := []int64{node(end, y+half, false)}
		for i := n - 1; i >= 0; i-- {
			if !onNodes(i, j) {
				wb = append(wb, node(float64(i)*spacing+half+stop, y+half, true))
			}
			wb = append(wb, cross[i][j].ne, cross[i][j].nw)
		}
		wb = append(wb, node(-spacing, y+half, false))
		wid++
		way(wid, "primary", fmt.Sprintf("Avenue %d", j), eb)
		wid++
		way(wid, "primary", fmt.Sprintf("Avenue %d", j), wb)
	}
	for i := range n {
		x := float64(i) * spacing
		nb := []int64{node(x+half, -spacing, false)}
		for j := range n {
			if !onNodes(i, j) {
				nb = append(nb, node(x+half, float64(j)*spacing-half-stop, true))
			}
			nb = append(nb, cross[i][j].se, cross[i][j].ne)
		}
		nb = append(nb, node(x+half, end, false))
		sb := []int64{node(x-half, end, false)}
		for j := n - 1; j >= 0; j-- {
			if !onNodes(i, j) {
				sb = append(sb, node(x-half, float64(j)*spacing+half+stop, true))
			}
			sb = append(sb, cross[i][j].nw, cross[i][j].sw)
		}
		sb = append(sb, node(x-half, -spacing, false))
		wid++
		way(wid, "secondary", fmt.Sprintf("Boulevard %d", i), nb)
		wid++
		way(wid, "secondary", fmt.Sprintf("Boulevard %d", i), sb)
	}
	b.WriteString("</osm>\n")
	return b.Bytes()
}

// The synthetic city imports as one intersection per crossing, each with
// its four approaches on phases 2/4/6/8, whichever way its signals are
// tagged.
func TestImportSyntheticCity(t *testing.T) {
	const n = 6
	inv, rep, err := ImportOSM(bytes.NewReader(syntheticCity(n)), FormatOSMXML, ImportOptions{})
	require.NoError(t, err)
	assert.Equal(t, 4*n*n, rep.SignalNodes)
	assert.Equal(t, 4*n*n, rep.SignalsKept)
	require.Len(t, inv.Intersections, n*n)
	for _, in := range inv.Intersections {
		assert.Equal(t, []wantApproach{{"NB", 4}, {"EB", 2}, {"SB", 8}, {"WB", 6}}, approachesOf(&in), in.ID)
	}
	assert.Empty(t, rep.Near)
	_, err = Build(inv)
	require.NoError(t, err)
}

// BenchmarkImportSyntheticCity imports a city of 10,000 signal nodes
// (2,500 divided-road crossings, see syntheticCity), generated once
// before the timing starts.
func BenchmarkImportSyntheticCity(b *testing.B) {
	data := syntheticCity(50)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var rep ImportReport
	for b.Loop() {
		var err error
		if _, rep, err = ImportOSM(bytes.NewReader(data), FormatOSMXML, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	if rep.SignalNodes != 10000 || rep.Intersections != 2500 {
		b.Fatalf("synthetic city: %d signal nodes, %d intersections; want 10000, 2500", rep.SignalNodes, rep.Intersections)
	}
}
