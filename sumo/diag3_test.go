package sumo

import (
	"context"
	"fmt"
	"testing"
)

func TestDiagPaths(t *testing.T) {
	sc, _ := LoadScenario("scenarios/luxembourg/luxembourg.yaml")
	w, _ := prepareWorld(sc, CoSimOptions{})
	w.tmpDir = t.TempDir()
	if err := w.idealRun(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tr := range w.trips {
		p, err := w.rnet.PathFromPolyline(tr.path)
		if err != nil {
			fmt.Println(tr.spec.ID, err)
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
		if fmt.Sprint(gw) != fmt.Sprint(su) {
			fmt.Printf("%s len path %.0f\n  gw   %v\n  sumo %v\n  edges %v\n", tr.spec.ID, p.LengthM(), gw, su, tr.edges)
		}
	}
}
