package sumo

import (
	"context"
	"fmt"
	"testing"

	"github.com/paulmach/orb"
	"github.com/greenwave-project/greenwave/traci"
)

func TestDiagRoutes2(t *testing.T) {
	sc, _ := LoadScenario("scenarios/luxembourg/luxembourg.yaml")
	w, _ := prepareWorld(sc, CoSimOptions{})
	w.tmpDir = t.TempDir()
	if err := w.idealRun(context.Background()); err != nil {
		t.Fatal(err)
	}
	p, err := w.startSUMO(context.Background(), "diag", false, "--scale", "0")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	w.ambulanceVehicleType(p)
	for _, tr := range w.trips {
		lo, la := w.proj.ToLonLat(pointAlong(mustEdge(w, tr.from).Lanes[0].Shape, tr.departPos))
		path, err := w.rnet.Route(orb.Point{lo, la}, tr.dest)
		if err != nil {
			continue
		}
		onRoute := map[string]bool{}
		for _, e := range tr.edges {
			onRoute[e] = true
		}
		var x string
		for _, s := range path.Signals() {
			in, _ := w.rnet.IntersectionByID(s.ID)
			for k, a := range w.m.Inventory.Intersections[in].Approaches {
				if a.ID == s.Approach {
					e := w.m.Intersections[in].Approaches[k].Edge
					if !onRoute[e] && x == "" {
						x = e
					}
				}
			}
		}
		if x == "" {
			continue
		}
		direct, _ := p.FindRoute(tr.from, tr.to, ambulanceType)
		a, err1 := p.FindRoute(tr.from, x, ambulanceType)
		b, err2 := p.FindRoute(x, tr.to, ambulanceType)
		via := traci.Route{}
		if err1 == nil && err2 == nil && len(a.Edges) > 0 && len(b.Edges) > 0 {
			via.TravelTime = a.TravelTime + b.TravelTime - 0
			via.Length = a.Length + b.Length
		}
		fmt.Printf("%s via %s: sumo direct %.0fs %.0fm, via %.0fs %.0fm (a %d b %d edges); gw path %.0fm %.0fs\n", tr.spec.ID, x, direct.TravelTime, direct.Length, via.TravelTime, via.Length, len(a.Edges), len(b.Edges), path.LengthM(), path.FreeFlowS())
	}
}
