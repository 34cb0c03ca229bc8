package sumo

import (
	"context"
	"fmt"
	"testing"

	"github.com/paulmach/orb"
)

func TestDiagRoutes(t *testing.T) {
	sc, err := LoadScenario("scenarios/luxembourg/luxembourg.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w, err := prepareWorld(sc, CoSimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.tmpDir = t.TempDir()
	if err := w.idealRun(context.Background()); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, tr := range w.trips {
		lo, la := w.proj.ToLonLat(pointAlong(mustEdge(w, tr.from).Lanes[0].Shape, tr.departPos)); p, err := w.rnet.Route(orb.Point{lo, la}, tr.dest)
		if err != nil {
			t.Log(err)
			continue
		}
		var gw, su []string
		for _, s := range p.Signals() {
			gw = append(gw, s.ID+"/"+s.Approach)
		}
		for _, s := range tr.signals {
			in := w.m.Inventory.Intersections[s.inter]
			su = append(su, in.ID+"/"+in.Approaches[s.approach].ID)
		}
		same := fmt.Sprint(gw) == fmt.Sprint(su)
		if !same {
			bad++
		}
		fmt.Printf("%s same=%v len gw %.0f sumo-ideal %.0fs gw-ff %.0fs\n  gw   %v\n  sumo %v\n", tr.spec.ID, same, p.LengthM(), tr.idealS, p.FreeFlowS(), gw, su)
	}
	fmt.Println("different:", bad)
	_ = orb.Point{}
}
func mustEdge(w *coWorld, id string) *Edge { e, _ := w.net.EdgeByID(id); return e }
