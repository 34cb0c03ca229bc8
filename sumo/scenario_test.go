package sumo

import (
	"errors"
	"strings"
	"testing"

	"github.com/greenwave-project/greenwave/wire"
)

var shippedScenarios = []string{"scenarios/luxembourg/luxembourg.yaml", "scenarios/corridor/corridor.yaml"}

// TestShippedScenarios loads each shipped scenario and checks its trips
// against its network.
func TestShippedScenarios(t *testing.T) {
	for _, path := range shippedScenarios {
		t.Run(path, func(t *testing.T) {
			sc, err := LoadScenario(path)
			if err != nil {
				t.Fatal(err)
			}
			net := scenarioNet(t, sc)
			if err := sc.CheckNet(net); err != nil {
				t.Fatal(err)
			}
			if sc.Ambulance.VClass != "emergency" || sc.GPS.PeriodS != 1 {
				t.Errorf("ambulance %+v gps %+v", sc.Ambulance, sc.GPS)
			}
			if strings.Contains(path, "luxembourg") && len(sc.Trips) < 20 {
				t.Errorf("%d trips, the issue asks for at least 20", len(sc.Trips))
			}
		})
	}
}

// scenarioNet reads the network a scenario's sumocfg names.
func scenarioNet(t *testing.T, sc *Scenario) *Net {
	t.Helper()
	netFile, err := SumoCfgNetFile(sc.SumoCfgPath())
	if err != nil {
		t.Fatal(err)
	}
	n, err := ReadNetFile(netFile)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestScenarioErrors(t *testing.T) {
	const base = "name: x\nsumocfg: a.sumocfg\n"
	for name, c := range map[string]struct{ yaml, want string }{
		"empty":          {"", "empty scenario"},
		"unknown field":  {base + "colour: red\ntrips: [{id: a, from_edge: e, to_edge: f}]\n", "field colour not found"},
		"no sumocfg":     {"name: x\ntrips: [{id: a, from_edge: e, to_edge: f}]\n", "sumocfg: required"},
		"no trips":       {base, "trips: at least one"},
		"bad id":         {base + "trips: [{id: 'a b', from_edge: e, to_edge: f}]\n", "trips[0].id: must match"},
		"duplicate id":   {base + "trips: [{id: a, from_edge: e, to_edge: f}, {id: a, from_edge: e, to_edge: f}]\n", "duplicate trip id"},
		"both ends":      {base + "trips: [{id: a, from_edge: e, from: [6, 49], to_edge: f}]\n", "give from_edge or from, not both"},
		"missing end":    {base + "trips: [{id: a, from_edge: e}]\n", "trips[0].to_edge: required"},
		"bad lonlat":     {base + "trips: [{id: a, from: [600, 49], to_edge: f}]\n", "not a valid [lon, lat]"},
		"internal edge":  {base + "trips: [{id: a, from_edge: ':J_0', to_edge: f}]\n", "internal (junction) edge"},
		"late departure": {base + "end_s: 100\ntrips: [{id: a, from_edge: e, to_edge: f, depart_s: 200}]\n", "depart_s: must be in [0, 100]"},
		"announce":       {base + "trips: [{id: a, from_edge: e, to_edge: f, announce: loud}]\n", "announce"},
		"vclass":         {base + "ambulance: {vclass: spaceship}\ntrips: [{id: a, from_edge: e, to_edge: f}]\n", "not a SUMO road vehicle class"},
		"gps noise":      {base + "gps: {noise_m: -1}\ntrips: [{id: a, from_edge: e, to_edge: f}]\n", "gps.noise_m"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseScenario([]byte(c.yaml), "s.yaml")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	// A field error carries its line.
	_, err := ParseScenario([]byte(base+"trips:\n  - id: a\n    from_edge: e\n    to_edge: f\n    priority: 0\n  - id: b\n    from_edge: e\n    to_edge: f\n    priority: 300\n"), "s.yaml")
	var fe *wire.FieldError
	if !errors.As(err, &fe) || fe.Field != "trips[1].priority" || fe.Line != 11 {
		t.Fatalf("error %v (%+v), want trips[1].priority at line 11", err, fe)
	}
}

func TestScenarioCheckNet(t *testing.T) {
	n, err := ReadNetFile("testdata/tee.net.xml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ParseScenario([]byte(`name: x
sumocfg: a.sumocfg
trips:
  - {id: ok, from_edge: WT, to_edge: TE}
  - {id: ok-lonlat, from: [6.1275, 49.61], to: [6.1325, 49.61]}
  - {id: no-edge, from_edge: nope, to_edge: TE}
  - {id: bike-path, from_edge: WT, to_edge: TN}
  - {id: far, from: [6.2, 49.61], to_edge: TE}
`), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = sc.CheckNet(n)
	for _, want := range []string{`trips[2].from_edge: edge "nope" is not in the network`,
		`trips[3].to_edge: edge "TN" has no lane open to vehicle class "emergency"`, "trips[4].from: [6.2 49.61] is off the network"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckNet: %v; want %q", err, want)
		}
	}
	if err != nil && (strings.Contains(err.Error(), "trips[0]") || strings.Contains(err.Error(), "trips[1]")) {
		t.Errorf("CheckNet flags good trips: %v", err)
	}
}

func TestReadSumoCfg(t *testing.T) {
	cfg, err := ReadSumoCfg("scenarios/luxembourg/luxembourg.sumocfg")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NetFile != "scenarios/luxembourg/luxembourg.net.xml.gz" || len(cfg.RouteFiles) != 1 ||
		cfg.RouteFiles[0] != "scenarios/luxembourg/luxembourg.rou.xml.gz" || cfg.EndS != 3600 || cfg.StepLengthS != 1 {
		t.Fatalf("%+v", cfg)
	}
	if _, err := ReadSumoCfg("testdata/cross.net.xml"); err == nil || !strings.Contains(err.Error(), "not a SUMO configuration") {
		t.Fatalf("a network as configuration: %v", err)
	}
}
