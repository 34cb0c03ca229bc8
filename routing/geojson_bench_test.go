package routing

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkLoadMapFile measures what the live service and the simulator pay
// at start-up: read, parse, validate and build the Luxembourg map.
func BenchmarkLoadMapFile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadMapFile("../testdata/luxembourg.geojson"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadGeoJSON is the parsing and validation part of LoadMapFile,
// from memory.
func BenchmarkLoadGeoJSON(b *testing.B) {
	data, err := os.ReadFile("../testdata/luxembourg.geojson")
	require.NoError(b, err)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadGeoJSON(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteGeoJSON(b *testing.B) {
	inv, _ := importFile(b, "../testdata/luxembourg.osm")
	b.ReportAllocs()
	for b.Loop() {
		if err := inv.WriteGeoJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
