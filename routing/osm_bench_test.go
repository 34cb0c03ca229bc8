package routing

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkImportOSM imports the Luxembourg extract (1.9 MB of XML) from
// memory: XML decoding, way splitting, signal clustering and phases.
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
