package wire

import "testing"

func BenchmarkParseCommand(b *testing.B) {
	payload := []byte(specCommand)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseCommand("", payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidID(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !ValidID("amb-17.I-204.3") {
			b.Fatal("valid id refused")
		}
	}
}
