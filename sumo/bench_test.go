package sumo

import "testing"

// BenchmarkImportLuxembourg reads the shipped Luxembourg network (gzipped,
// 12 MB of XML) and imports it.
func BenchmarkImportLuxembourg(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		n, err := ReadNetFile("scenarios/luxembourg/luxembourg.net.xml.gz")
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := Import(n, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
