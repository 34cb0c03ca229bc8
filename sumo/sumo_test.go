package sumo

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/traci"
)

// requireSUMO skips the test when sumo is missing, or fails it when
// GREENWAVE_REQUIRE_SUMO=1 (as CI sets it).
func requireSUMO(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("sumo"); err != nil {
		if os.Getenv("GREENWAVE_REQUIRE_SUMO") == "1" {
			t.Fatalf("sumo not found and GREENWAVE_REQUIRE_SUMO=1: %v", err)
		}
		t.Skipf("sumo not installed (apt-get install sumo sumo-tools; GREENWAVE_REQUIRE_SUMO=1 makes this a failure): %v", err)
	}
}

func startSUMO(t *testing.T, net string) *traci.Process {
	t.Helper()
	requireSUMO(t)
	ctx, cancel := context.WithCancel(context.Background())
	p, err := traci.Start(ctx, traci.StartOptions{Args: []string{"-n", net, "--no-step-log", "--no-warnings"},
		Client: traci.Options{Timeout: 20 * time.Second}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		cancel()
	})
	return p
}

// TestLinksMatchSUMO checks the import's link indices against SUMO's own
// view of each traffic light: every link of an approach starts on the
// approach's edge or on an edge inside the intersection.
func TestLinksMatchSUMO(t *testing.T) {
	for _, name := range []string{"cross", "joined", "tee"} {
		t.Run(name, func(t *testing.T) {
			m, _ := importFile(t, name)
			p := startSUMO(t, "testdata/"+name+".net.xml")
			for _, in := range m.Intersections {
				links, err := p.ControlledLinks(in.TLS)
				if err != nil {
					t.Fatal(err)
				}
				if len(links) != in.LinkCount {
					t.Fatalf("%s: SUMO has %d links, the import %d", in.TLS, len(links), in.LinkCount)
				}
				for _, a := range in.Approaches {
					for _, li := range a.Links {
						for _, l := range links[li] {
							edge := l.From[:strings.LastIndexByte(l.From, '_')]
							if edge != a.Edge && !strings.HasPrefix(edge, "J1_J2") && !strings.HasPrefix(edge, "J2_J1") {
								t.Errorf("%s approach %s: link %d starts on lane %s", in.TLS, a.Edge, li, l.From)
							}
						}
					}
					for _, li := range a.ThroughLinks {
						if !slices.Contains(a.Links, li) {
							t.Errorf("%s approach %s: through link %d not among its links %v", in.TLS, a.Edge, li, a.Links)
						}
					}
				}
			}
		})
	}
}

// TestThroughLinksCrossJoinedSignal drives a car through the joined
// traffic light with only its approach's through links green: it must get
// across both junctions. With only the first junction's link green it
// must not: that is why through links follow the movement across.
func TestThroughLinksCrossJoinedSignal(t *testing.T) {
	m, _ := importFile(t, "joined")
	_, a := approachByEdge(t, m, "W_J1")
	for _, c := range []struct {
		green  []int
		arrive bool
	}{{a.ThroughLinks, true}, {a.ThroughLinks[:1], false}} {
		p := startSUMO(t, "testdata/joined.net.xml")
		state := []byte(strings.Repeat("r", m.Intersections[0].LinkCount))
		for _, li := range c.green {
			state[li] = 'G'
		}
		if err := p.SetRedYellowGreenState("JT", string(state)); err != nil {
			t.Fatal(err)
		}
		if err := p.SubscribeSimulation(traci.SimArrivedIDs); err != nil {
			t.Fatal(err)
		}
		if err := p.AddRoute("eastbound", []string{"W_J1", "J1_J2", "J2_E"}); err != nil {
			t.Fatal(err)
		}
		if err := p.AddVehicle(traci.VehicleAdd{ID: "car", RouteID: "eastbound", DepartSpeed: "max"}); err != nil {
			t.Fatal(err)
		}
		arrived := false
		for step := 0; step < 120 && !arrived; step++ {
			res, err := p.Step(0)
			if err != nil {
				t.Fatal(err)
			}
			arrived = len(res.Sim.ArrivedIDs) > 0
		}
		if arrived != c.arrive {
			t.Errorf("links %v green: arrived %v, want %v", c.green, arrived, c.arrive)
		}
		p.Close()
	}
}

// TestScenarioTripsRouteAcrossSignals asks SUMO's own router for every
// shipped trip's route and counts the intersections of the imported map
// it crosses: each trip must have a route, and cross at least 3 (the
// corridor's trips: as many as their comments say).
func TestScenarioTripsRouteAcrossSignals(t *testing.T) {
	for _, path := range shippedScenarios {
		t.Run(path, func(t *testing.T) {
			sc, err := LoadScenario(path)
			if err != nil {
				t.Fatal(err)
			}
			netFile, err := SumoCfgNetFile(sc.SumoCfgPath())
			if err != nil {
				t.Fatal(err)
			}
			n, err := ReadNetFile(netFile)
			if err != nil {
				t.Fatal(err)
			}
			m, _, err := Import(n, ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			enters := map[string]string{} // approach edge -> intersection id
			for i, in := range m.Intersections {
				for _, a := range in.Approaches {
					enters[a.Edge] = m.Inventory.Intersections[i].ID
				}
			}
			p := startSUMO(t, netFile)
			fewest, most, total := 1<<30, 0, 0
			for i, tr := range sc.Trips {
				from, to := tr.FromEdge, tr.ToEdge
				if tr.From != nil {
					rp, err := p.ToRoad(traci.LonLat{Lon: tr.From[0], Lat: tr.From[1]}, sc.Ambulance.VClass)
					if err != nil {
						t.Fatal(err)
					}
					from = rp.EdgeID
				}
				if tr.To != nil {
					rp, err := p.ToRoad(traci.LonLat{Lon: tr.To[0], Lat: tr.To[1]}, sc.Ambulance.VClass)
					if err != nil {
						t.Fatal(err)
					}
					to = rp.EdgeID
				}
				r, err := p.FindRoute(from, to, "")
				if err != nil || len(r.Edges) == 0 {
					t.Errorf("trips[%d] %s: no route from %s to %s: %v", i, tr.ID, from, to, err)
					continue
				}
				signals := map[string]bool{}
				for _, e := range r.Edges[:len(r.Edges)-1] {
					if in, ok := enters[e]; ok {
						signals[in] = true
					}
				}
				if len(signals) < 3 {
					t.Errorf("trips[%d] %s: %.0f m route crosses %d signals, want at least 3", i, tr.ID, r.Length, len(signals))
				}
				fewest, most = min(fewest, len(signals)), max(most, len(signals))
				total += len(signals)
			}
			t.Logf("%d trips, %d to %d signals, %.1f on average", len(sc.Trips), fewest, most, float64(total)/float64(len(sc.Trips)))
		})
	}
}
