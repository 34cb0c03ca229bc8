package controller

import (
	"testing"
)

// checkInvariants fails t when the engine's cross-references disagree:
// each passage's signal index names its stop line on its vehicle's path
// (an ETA to it reads the path's times at that index), the intersections'
// lists hold exactly the listed passages, and the wake heap's indexes and
// keys are its vehicles'. A stale index would not crash: it would quietly
// give a wrong ETA, so it is checked rather than trusted.
func checkInvariants(t testing.TB, e *Engine) {
	t.Helper()
	listed := 0
	for id, v := range e.vehicles {
		if len(v.passages) > 0 && v.path == nil {
			t.Fatalf("vehicle %s has %d passages and no path", id, len(v.passages))
		}
		for _, p := range v.passages {
			if p.v != v {
				t.Fatalf("vehicle %s holds a passage of %s", id, p.v.id)
			}
			sigs := v.path.Signals()
			if p.sig < 0 || p.sig >= len(sigs) || sigs[p.sig].Intersection != p.inter || sigs[p.sig].AlongM != p.alongM {
				t.Fatalf("vehicle %s: passage at intersection %d, %.1f m has stale signal index %d of %d",
					id, p.inter, p.alongM, p.sig, len(sigs))
			}
			if p.listed {
				listed++
			}
		}
		if v.heapIdx >= 0 && (v.heapIdx >= len(e.wake) || e.wake[v.heapIdx].v != v || e.wake[v.heapIdx].at != v.wakeAt) {
			t.Fatalf("vehicle %s: wake heap index %d is not its entry", id, v.heapIdx)
		}
	}
	inList := 0
	for i := range e.inters {
		for _, p := range e.inters[i].passages {
			if !p.listed || p.inter != int32(i) {
				t.Fatalf("intersection %s lists a passage that is not listed there", e.inters[i].id)
			}
			inList++
		}
	}
	if inList != listed {
		t.Fatalf("%d passages are listed, the intersections hold %d", listed, inList)
	}
	for i, w := range e.wake {
		if w.v.heapIdx != i {
			t.Fatalf("wake heap entry %d belongs to %s whose index is %d", i, w.v.id, w.v.heapIdx)
		}
		if i > 0 && e.wake[(i-1)/2].at > w.at {
			t.Fatalf("wake heap out of order at %d", i)
		}
	}
}
