package signals

import (
	"testing"
	"time"
)

// FuzzRoadside drives a unit with arbitrary operation sequences (five bytes
// each: time step, then the operation) and checks it never panics and never
// breaks an invariant (see driver.check and checker).
func FuzzRoadside(f *testing.F) {
	f.Add(uint8(0), []byte{0, 0, 1, 2, 3, 200, 5, 1, 1, 1, 100, 0, 2, 2, 2})
	f.Add(uint8(7), []byte{255, 8, 0, 0, 0, 10, 0, 3, 4, 5, 255, 7, 0, 0, 0})
	f.Add(uint8(13), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Fuzz(func(t *testing.T, config uint8, ops []byte) {
		plan, tm := propertyCase(int(config))
		d, err := newDriver(plan, tm, t0.Add(time.Duration(config)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+5 <= len(ops) && i < 5*500; i += 5 {
			// Steps up to ~64 s, in 1/4 s, so that instants coincide often.
			gap := time.Duration(ops[i]) * 250 * time.Millisecond
			if err := d.advance(d.now.Add(gap)); err != nil {
				t.Fatalf("op %d: %v", i/5, err)
			}
			if err := d.op(ops[i+1], ops[i+2], ops[i+3], ops[i+4]); err != nil {
				t.Fatalf("op %d: %v", i/5, err)
			}
		}
		if err := d.advance(d.now.Add(10 * time.Minute)); err != nil {
			t.Fatal(err)
		}
	})
}
