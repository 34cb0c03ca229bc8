package traci

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireSUMO skips the test when the SUMO binaries are missing, or fails
// it when GREENWAVE_REQUIRE_SUMO=1 (CI installs them and must run these
// tests).
func requireSUMO(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"sumo", "netconvert"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("GREENWAVE_REQUIRE_SUMO") == "1" {
				t.Fatalf("%s not found and GREENWAVE_REQUIRE_SUMO=1: %v", bin, err)
			}
			t.Skipf("%s not installed (apt-get install sumo sumo-tools; GREENWAVE_REQUIRE_SUMO=1 makes this a failure): %v", bin, err)
		}
	}
}

// crossNet builds the test junction's network with netconvert: junction C
// with four 200 m arms, a static two-stage program (east-west, then
// north-south) and 18 links (see the connections in the built net).
func crossNet(t testing.TB) string {
	t.Helper()
	requireSUMO(t)
	dir := t.TempDir()
	net := filepath.Join(dir, "cross.net.xml")
	cmd := exec.Command("netconvert", "--node-files", "testdata/cross.nod.xml", "--edge-files", "testdata/cross.edg.xml",
		"--proj.utm", "--no-warnings", "-o", net)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("netconvert: %v\n%s", err, out)
	}
	return net
}

// startCross runs sumo on the test junction; the test's cleanup closes it.
func startCross(t testing.TB, extra ...string) *Process {
	t.Helper()
	net := crossNet(t)
	ctx, cancel := context.WithCancel(context.Background())
	args := append([]string{"-n", net, "--no-step-log", "--no-warnings", "--duration-log.disable"}, extra...)
	p, err := Start(ctx, StartOptions{Args: args, ConnectTimeout: 30 * time.Second, Client: Options{Timeout: 20 * time.Second}})
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

func TestSUMOVersion(t *testing.T) {
	p := startCross(t)
	api, server := p.APIVersion()
	if api != APIVersion || !strings.HasPrefix(server, "SUMO ") {
		t.Fatalf("APIVersion() = %d, %q; want %d, \"SUMO ...\"", api, server, APIVersion)
	}
}

func TestSUMOStepping(t *testing.T) {
	p := startCross(t)
	if err := p.SubscribeSimulation(SimTime); err != nil {
		t.Fatal(err)
	}
	dt, err := p.DeltaT()
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Step(0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sim.Time != dt {
		t.Fatalf("after one step from 0: time %v, want one step length %v", res.Sim.Time, dt)
	}
	res, err = p.Step(12.5)
	if err != nil {
		t.Fatal(err)
	}
	// SUMO stops at the first step at or after the target.
	if res.Sim.Time < 12.5 || res.Sim.Time >= 12.5+dt {
		t.Fatalf("Step(12.5) reached %v", res.Sim.Time)
	}
	now, err := p.Time()
	if err != nil || now != res.Sim.Time {
		t.Fatalf("Time() = %v, %v; the step said %v", now, err, res.Sim.Time)
	}
	// A target in the past does nothing.
	res, err = p.Step(5)
	if err != nil || res.Sim.Time != now {
		t.Fatalf("Step(5) at %v: time %v, %v", now, res.Sim.Time, err)
	}
}

// TestSUMOVehicleDepartsAndArrives adds a vehicle on a route through the
// junction and follows it by subscription from departure to arrival.
func TestSUMOVehicleDepartsAndArrives(t *testing.T) {
	p := startCross(t)
	if err := p.SubscribeSimulation(SimTime, SimDepartedIDs, SimArrivedIDs); err != nil {
		t.Fatal(err)
	}
	if err := p.CopyVehicleType("DEFAULT_VEHTYPE", "ambulance"); err != nil {
		t.Fatal(err)
	}
	if err := p.SetTypeVClass("ambulance", "emergency"); err != nil {
		t.Fatal(err)
	}
	if vc, err := p.TypeVClass("ambulance"); err != nil || vc != "emergency" {
		t.Fatalf("TypeVClass = %q, %v", vc, err)
	}
	// A trip: two edges that are not adjacent, SUMO routes between them.
	if err := p.AddRoute("trip-1", []string{"WC", "CN"}); err != nil {
		t.Fatal(err)
	}
	if err := p.AddVehicle(VehicleAdd{ID: "amb-1", RouteID: "trip-1", TypeID: "ambulance", Depart: "2",
		DepartLane: "best", DepartSpeed: "max"}); err != nil {
		t.Fatal(err)
	}
	var departed, arrived float64
	var roads []string
	var firstXY Position
	for departed == 0 || arrived == 0 {
		res, err := p.Step(0)
		if err != nil {
			t.Fatal(err)
		}
		if res.Sim.Time > 120 {
			t.Fatalf("no arrival by t=120 (departed at %v)", departed)
		}
		for _, id := range res.Sim.DepartedIDs {
			if id == "amb-1" {
				departed = res.Sim.Time
				if err := p.SubscribeVehicle("amb-1", append(DefaultVehicleVars, VehEdges, VehTypeID, VehDistance)...); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, id := range res.Sim.ArrivedIDs {
			if id == "amb-1" {
				arrived = res.Sim.Time
			}
		}
		for _, v := range res.Vehicles {
			if v.ID != "amb-1" || v.Err != "" {
				t.Fatalf("unexpected vehicle result %+v", v)
			}
			if len(roads) == 0 || roads[len(roads)-1] != v.RoadID {
				roads = append(roads, v.RoadID)
			}
			if firstXY == (Position{}) {
				firstXY = Position{v.X, v.Y}
			}
			if strings.Join(v.Edges, " ") != "WC CN" || v.TypeID != "ambulance" || v.Speed < 0 || v.Speed > 13.89*1.5 {
				t.Fatalf("vehicle state %+v", v)
			}
		}
		if arrived != 0 && len(res.Vehicles) != 0 {
			t.Fatalf("still subscribed after arrival: %+v", res.Vehicles)
		}
	}
	if departed != 3 {
		t.Errorf("departed at %v, want 3 (depart 2, inserted in the step to 3)", departed)
	}
	// WC, the junction's internal edge, CN.
	if len(roads) != 3 || roads[0] != "WC" || !strings.HasPrefix(roads[1], ":C_") || roads[2] != "CN" {
		t.Errorf("roads driven %v, want WC, :C_..., CN", roads)
	}
	// It departed at the west end: about 200 m west of the junction.
	ll, err := p.ToGeo(firstXY)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ll.Lat-49.61) > 0.0002 || ll.Lon > 6.1275 || ll.Lon < 6.1270 {
		t.Errorf("first position %+v is %+v, want near the west node (6.1272, 49.61)", firstXY, ll)
	}
	rp, err := p.ToRoad(ll, "emergency")
	if err != nil || rp.EdgeID != "WC" && rp.EdgeID != "CW" || rp.Pos > 30 && rp.EdgeID == "WC" {
		t.Errorf("ToRoad(%+v) = %+v, %v; want near the start of WC (or the end of CW)", ll, rp, err)
	}
	back, err := p.FromGeo(ll)
	if err != nil || math.Hypot(back.X-firstXY.X, back.Y-firstXY.Y) > 0.01 {
		t.Errorf("FromGeo(ToGeo(%+v)) = %+v, %v", firstXY, back, err)
	}
}

func TestSUMOTrafficLight(t *testing.T) {
	p := startCross(t)
	ids, err := p.TrafficLightIDs()
	if err != nil || len(ids) != 1 || ids[0] != "C" {
		t.Fatalf("TrafficLightIDs() = %v, %v", ids, err)
	}
	logics, err := p.ProgramLogics("C")
	if err != nil {
		t.Fatal(err)
	}
	if len(logics) != 1 || logics[0].ProgramID != "0" || len(logics[0].Phases) != 4 {
		t.Fatalf("ProgramLogics = %+v", logics)
	}
	prog := logics[0].Phases
	if err := p.SubscribeTrafficLight("C", TLState, TLPhase, TLProgram, TLNextSwitch); err != nil {
		t.Fatal(err)
	}
	res, err := p.Step(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.TrafficLights) != 1 || res.TrafficLights[0].State != prog[res.TrafficLights[0].Phase].State {
		t.Fatalf("subscribed state %+v does not match its phase of %+v", res.TrafficLights, prog)
	}

	// Hold every link red but the westbound through links (5 and 6).
	want := []byte(strings.Repeat("r", len(prog[0].State)))
	want[5], want[6] = 'G', 'G'
	if err := p.SetRedYellowGreenState("C", string(want)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ { // longer than any phase: the state holds
		if res, err = p.Step(0); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := p.RedYellowGreenState("C"); err != nil || got != string(want) {
		t.Fatalf("state after 50 s = %q, %v; want %q", got, err, want)
	}
	if res.TrafficLights[0].State != string(want) {
		t.Fatalf("subscribed state %q, want %q", res.TrafficLights[0].State, want)
	}

	// Back to the program, at phase 2 for 7 s.
	if err := p.SetProgram("C", "0"); err != nil {
		t.Fatal(err)
	}
	if err := p.SetPhase("C", 2); err != nil {
		t.Fatal(err)
	}
	if err := p.SetPhaseDuration("C", 7); err != nil {
		t.Fatal(err)
	}
	now, _ := p.Time()
	if ph, err := p.Phase("C"); err != nil || ph != 2 {
		t.Fatalf("Phase = %d, %v; want 2", ph, err)
	}
	if st, err := p.RedYellowGreenState("C"); err != nil || st != prog[2].State {
		t.Fatalf("state %q, %v; want phase 2's %q", st, err, prog[2].State)
	}
	if ns, err := p.NextSwitch("C"); err != nil || ns != now+7 {
		t.Fatalf("NextSwitch = %v, %v; want %v", ns, err, now+7)
	}
	if prg, err := p.Program("C"); err != nil || prg != "0" {
		t.Fatalf("Program = %q, %v", prg, err)
	}
	// The phase's whole duration, whatever remains of it.
	if d, err := p.PhaseDuration("C"); err != nil || d != prog[2].Duration {
		t.Fatalf("PhaseDuration = %v, %v; want %v", d, err, prog[2].Duration)
	}
	// The switch due at now+7 is made by the step that starts then: the
	// result at now+7 still shows phase 2, the next one phase 3.
	if res, err = p.Step(now + 7); err != nil {
		t.Fatal(err)
	}
	if res.TrafficLights[0].Phase != 2 {
		t.Fatalf("at the switch time: phase %d, want still 2", res.TrafficLights[0].Phase)
	}
	if res, err = p.Step(0); err != nil {
		t.Fatal(err)
	}
	if tl := res.TrafficLights[0]; tl.Phase != 3 || tl.State != prog[3].State {
		t.Fatalf("one step after the switch time: %+v, want phase 3 (%q)", tl, prog[3].State)
	}
}

func TestSUMOControlledLinks(t *testing.T) {
	p := startCross(t)
	links, err := p.ControlledLinks("C")
	if err != nil {
		t.Fatal(err)
	}
	lanes, err := p.ControlledLanes("C")
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 18 || len(lanes) != 18 {
		t.Fatalf("%d links and %d lanes, want 18 each", len(links), len(lanes))
	}
	// netconvert numbers links clockwise from the north arm, right turn
	// first: link 14 is the west arm's right lane going straight east.
	if len(links[14]) != 1 || links[14][0] != (Link{From: "WC_0", Via: ":C_14_0", To: "CE_0"}) {
		t.Errorf("link 14 = %+v", links[14])
	}
	for i, l := range links {
		if len(l) != 1 || l[0].From != lanes[i] {
			t.Errorf("link %d %+v does not start on controlled lane %q", i, l, lanes[i])
		}
	}
	if n, err := p.LaneLength("WC_0"); err != nil || n < 180 || n > 200 {
		t.Errorf("LaneLength(WC_0) = %v, %v", n, err)
	}
}

// TestSUMOCommandError checks that a refused command names itself and
// SUMO's reason, and leaves the connection usable.
func TestSUMOCommandError(t *testing.T) {
	p := startCross(t)
	err := p.AddVehicle(VehicleAdd{ID: "x", RouteID: "no-such-route"})
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("AddVehicle with an unknown route: %v (%T), want a *CommandError", err, err)
	}
	if ce.Name != "vehicle.add" || ce.Cmd != cmdSetVehicle || ce.Object != "x" || !strings.Contains(ce.Msg, "no-such-route") {
		t.Errorf("CommandError %+v", ce)
	}
	if !strings.Contains(err.Error(), "vehicle.add") || !strings.Contains(err.Error(), "0xc4") {
		t.Errorf("message %q names neither the operation nor the command", err)
	}
	if _, err := p.RedYellowGreenState("nope"); !errors.As(err, &ce) || ce.Name != "trafficlight.getRedYellowGreenState" {
		t.Errorf("unknown traffic light: %v", err)
	}
	if err := p.SubscribeVehicle("ghost"); !errors.As(err, &ce) {
		t.Errorf("subscribing to an unknown vehicle: %v", err)
	}
	if _, err := p.Step(0); err != nil {
		t.Fatalf("the connection should survive refused commands: %v", err)
	}
}

// TestSUMOExitMidRun kills SUMO between steps: the next step must fail at
// once with an error naming the step and how SUMO ended, not hang.
func TestSUMOExitMidRun(t *testing.T) {
	p := startCross(t)
	if _, err := p.Step(3); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := p.Step(4)
	var ce *ConnectionError
	if !errors.As(err, &ce) {
		t.Fatalf("Step after SUMO died: %v (%T), want a *ConnectionError", err, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "simulationStep to t=4s") || !strings.Contains(msg, "sumo exited") ||
		!strings.Contains(msg, "killed") {
		t.Errorf("error %q should name the step and how sumo exited", msg)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the failed step took %v", d)
	}
	if exited, _ := p.Exited(); !exited {
		t.Error("the process is not reaped")
	}
	// Every later call fails the same way, naming the first failure.
	if _, err := p.Time(); !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "simulationStep to t=4s") {
		t.Errorf("call after the failure: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Logf("Close after the kill: %v", err)
	}
}

func TestSUMOContextCancelKills(t *testing.T) {
	net := crossNet(t)
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Start(ctx, StartOptions{Args: []string{"-n", net, "--no-step-log"}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cancel()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("SUMO still running 10 s after its context was cancelled")
	}
	if _, err := p.Step(0); err == nil {
		t.Error("Step on a killed SUMO succeeded")
	}
	p.Close()
}

func TestSUMOCloseReaps(t *testing.T) {
	p := startCross(t)
	if _, err := p.Step(10); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if exited, err := p.Exited(); !exited || err != nil {
		t.Fatalf("after Close: exited %v, %v", exited, err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := p.Step(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Step after Close: %v, want ErrClosed", err)
	}
}

func TestSUMOStartBadConfig(t *testing.T) {
	requireSUMO(t)
	_, err := Start(context.Background(), StartOptions{Args: []string{"-n", "testdata/no-such.net.xml"}})
	if err == nil || !strings.Contains(err.Error(), "sumo exited") || !strings.Contains(err.Error(), "no-such.net.xml") {
		t.Fatalf("Start with a missing net: %v", err)
	}
}

func TestFindSUMOMissing(t *testing.T) {
	_, err := FindSUMO("sumo-that-does-not-exist")
	if err == nil || !strings.Contains(err.Error(), "apt-get install sumo") {
		t.Fatalf("FindSUMO of a missing binary: %v", err)
	}
}

// TestStartSetsSUMOHome: without SUMO_HOME, Start points SUMO at its
// share directory, so that it validates XML offline (and stops warning).
func TestStartSetsSUMOHome(t *testing.T) {
	net := crossNet(t)
	path, _ := FindSUMO("sumo")
	if guessSUMOHome(path) == "" {
		t.Skip("no SUMO share directory with data/xsd next to the binary or in /usr/share/sumo")
	}
	t.Setenv("SUMO_HOME", "")
	var stderr strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := Start(ctx, StartOptions{Args: []string{"-n", net}, Stderr: &safeWriter{w: &stderr}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr.String(), "SUMO_HOME is not set") {
		t.Errorf("SUMO warned: %s", stderr.String())
	}
}

// safeWriter serialises writes from the process's output copier.
type safeWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *safeWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
