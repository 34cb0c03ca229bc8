package sumo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/traci"
)

// TestMain lets the test binary stand in for a SUMO that speaks another
// TraCI version (TestCoSimVersionMismatch runs it as its SUMO).
func TestMain(m *testing.M) {
	if os.Getenv("GREENWAVE_FAKE_SUMO") == "other-version" {
		fakeSUMO()
		return
	}
	os.Exit(m.Run())
}

// fakeSUMO listens on --remote-port like SUMO and answers getVersion with
// TraCI API 99, then waits to be killed.
func fakeSUMO() {
	port := ""
	for i, a := range os.Args {
		if a == "--remote-port" && i+1 < len(os.Args) {
			port = os.Args[i+1]
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		os.Exit(3)
	}
	conn, err := l.Accept()
	if err != nil {
		os.Exit(3)
	}
	buf := make([]byte, 64)
	_, _ = conn.Read(buf)
	server := "SUMO 9.9.9"
	var msg bytes.Buffer
	msg.Write([]byte{7, 0x00, 0x00, 0, 0, 0, 0})               // status: getVersion, OK, no message
	msg.Write([]byte{byte(1 + 1 + 4 + 4 + len(server)), 0x00}) // the version response
	_ = binary.Write(&msg, binary.BigEndian, int32(99))
	_ = binary.Write(&msg, binary.BigEndian, int32(len(server)))
	msg.WriteString(server)
	var out bytes.Buffer
	_ = binary.Write(&out, binary.BigEndian, int32(4+msg.Len()))
	out.Write(msg.Bytes())
	_, _ = conn.Write(out.Bytes())
	time.Sleep(time.Minute)
}

func loadTestScenario(t *testing.T, path string) *Scenario {
	t.Helper()
	sc, err := LoadScenario(path)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestCoSimCorridor is the co-simulation CI runs: the shipped corridor
// scenario (8 actuated signals, background traffic, 6 ambulances) under
// every strategy against the real SUMO.
func TestCoSimCorridor(t *testing.T) {
	requireSUMO(t)
	sc := loadTestScenario(t, "scenarios/corridor/corridor.yaml")
	rep, err := CoSimulate(context.Background(), sc, CoSimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 3 || rep.Runs[0].Strategy != "none" || rep.Runs[1].Strategy != "range" || rep.Runs[2].Strategy != "greenwave" {
		t.Fatalf("runs %+v", rep.Runs)
	}
	none, rng, gw := rep.Runs[0].Totals, rep.Runs[1].Totals, rep.Runs[2].Totals
	for _, run := range rep.Runs {
		tt := run.Totals
		if tt.EVTrips != 6 || tt.UnsafeSwitches != 0 || tt.UnreleasedPreempts != 0 || tt.OffPathHolds != 0 {
			t.Errorf("%s: trips %d, unsafe switches %d, unreleased %d, off-path holds %d: want 6, 0, 0, 0",
				run.Strategy, tt.EVTrips, tt.UnsafeSwitches, tt.UnreleasedPreempts, tt.OffPathHolds)
		}
		signals := 0
		for _, tr := range run.Trips {
			signals += tr.Signals
			if tr.ArriveS == nil || tr.IdealTravelTimeS <= 0 || tr.TravelTimeS < tr.IdealTravelTimeS-2 {
				t.Errorf("%s: trip %+v", run.Strategy, tr)
			}
		}
		if signals != len(run.Signals) || signals < 30 {
			t.Errorf("%s: %d signal rows for %d signals on the trips' routes", run.Strategy, len(run.Signals), signals)
		}
	}
	if none.Preempts != 0 || none.OtherTimeLossS != 0 || rng.Preempts == 0 || gw.Preempts == 0 {
		t.Errorf("preempts none %d range %d greenwave %d, none's other time loss %v", none.Preempts, rng.Preempts, gw.Preempts, none.OtherTimeLossS)
	}
	if gw.EVSignalDelayS > none.EVSignalDelayS/2 || gw.GreenArrivalRate <= none.GreenArrivalRate || gw.EVStops >= none.EVStops {
		t.Errorf("greenwave (delay %v s, green arrivals %v, stops %d) should do far better than none (%v s, %v, %d)",
			gw.EVSignalDelayS, gw.GreenArrivalRate, gw.EVStops, none.EVSignalDelayS, none.GreenArrivalRate, none.EVStops)
	}
	if gw.HoldAfterPassSP50 > 3 || gw.HoldLeadSP50 <= 0 {
		t.Errorf("greenwave holds: lead p50 %v s, after the pass p50 %v s", gw.HoldLeadSP50, gw.HoldAfterPassSP50)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil || !strings.Contains(table.String(), "greenwave") {
		t.Errorf("table: %v\n%s", err, table.String())
	}
}

// TestCoSimStaticJunction: on a static program the units report their
// plan, preempt safely and are back on the program's own schedule at the
// end; the same seed gives the same report, byte for byte.
func TestCoSimStaticJunction(t *testing.T) {
	requireSUMO(t)
	sc := loadTestScenario(t, "testdata/cosim/cross.yaml")
	var first []byte
	for i := 0; i < 2; i++ {
		rep, err := CoSimulate(context.Background(), sc, CoSimOptions{Strategies: []string{"greenwave"}, Record: true})
		if err != nil {
			t.Fatal(err)
		}
		gw := rep.Runs[0]
		if gw.Totals.Preempts == 0 || gw.Totals.UnsafeSwitches != 0 || gw.Totals.UnreleasedPreempts != 0 ||
			gw.Diagnostics.UnitsOutOfStep != 0 || gw.Totals.GreenArrivalRate != 1 {
			t.Fatalf("greenwave on the static junction: %+v %+v", gw.Totals, gw.Diagnostics)
		}
		var js bytes.Buffer
		if err := rep.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = js.Bytes()
			files, err := rep.WriteSVGs(t.TempDir())
			if err != nil || len(files) != 2 {
				t.Fatalf("SVGs: %v %v", files, err)
			}
			continue
		}
		if !bytes.Equal(first, js.Bytes()) {
			t.Fatalf("the same seed gave two reports:\n%s\n%s", first, js.Bytes())
		}
	}
}

// TestCoSimBadInput: a network without traffic lights, trips off the map
// or with no route: each a clear error naming the file, before or as
// SUMO starts.
func TestCoSimBadInput(t *testing.T) {
	sc := loadTestScenario(t, "testdata/cosim/nosignal.yaml")
	_, err := CoSimulate(context.Background(), sc, CoSimOptions{})
	if err == nil || !strings.Contains(err.Error(), "nosignal.net.xml") || !errors.Is(err, ErrNoTrafficLights) {
		t.Errorf("a network without traffic lights: %v", err)
	}

	dir := t.TempDir()
	write := func(name, cfg, trips string) *Scenario {
		t.Helper()
		abs, _ := filepath.Abs("testdata/cosim/" + cfg)
		body := "name: bad\nsumocfg: " + abs + "\ntrips:\n" + trips
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return loadTestScenario(t, p)
	}
	for _, c := range []struct{ name, trips, want string }{
		{"edge.yaml", "  - {id: a, from_edge: WC, to_edge: nowhere, depart_s: 5}\n", `edge.yaml:4: trips[0].to_edge: edge "nowhere" is not in the network`},
		{"lonlat.yaml", "  - {id: a, from: [7.5, 50.2], to_edge: CE, depart_s: 5}\n", "lonlat.yaml:4: trips[0].from: [7.5 50.2] is off the network"},
	} {
		_, err := CoSimulate(context.Background(), write(c.name, "cross.sumocfg", c.trips), CoSimOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	requireSUMO(t)
	_, err = CoSimulate(context.Background(), write("noroute.yaml", "island.sumocfg", "  - {id: a, from_edge: WC, to_edge: X1X2, depart_s: 5}\n"), CoSimOptions{})
	if err == nil || !strings.Contains(err.Error(), "noroute.yaml:4: trips[0] (a): from edge \"WC\" to edge \"X1X2\"") {
		t.Errorf("a trip no route connects: %v", err)
	}
}

// TestCoSimSUMOExitsMidRun kills SUMO in the middle of a run: the
// co-simulation must end at once with an error naming the run and the
// step, and SUMO is reaped.
func TestCoSimSUMOExitsMidRun(t *testing.T) {
	requireSUMO(t)
	sc := loadTestScenario(t, "testdata/cosim/cross.yaml")
	var killed *traci.Process
	opt := CoSimOptions{Strategies: []string{"greenwave"}}
	opt.afterStep = func(run string, T float64, p *traci.Process) {
		if run == "greenwave" && T >= 200 && killed == nil {
			killed = p
			_ = syscall.Kill(p.PID(), syscall.SIGKILL)
		}
	}
	start := time.Now()
	_, err := CoSimulate(context.Background(), sc, opt)
	if err == nil || !strings.Contains(err.Error(), "greenwave run") || !strings.Contains(err.Error(), "simulationStep to t=") ||
		!strings.Contains(err.Error(), "killed") {
		t.Fatalf("SUMO killed mid-run: %v", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the failed co-simulation took %v", d)
	}
	if exited, _ := killed.Exited(); !exited {
		t.Error("SUMO is not reaped")
	}
}

// TestCoSimVersionMismatch runs a "SUMO" that speaks TraCI API 99: a
// *traci.VersionError naming the run, and no process left behind.
func TestCoSimVersionMismatch(t *testing.T) {
	t.Setenv("GREENWAVE_FAKE_SUMO", "other-version")
	sc := loadTestScenario(t, "testdata/cosim/cross.yaml")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	_, err = CoSimulate(context.Background(), sc, CoSimOptions{Binary: self, Timeout: 5 * time.Second})
	var ve *traci.VersionError
	if !errors.As(err, &ve) || ve.Got != 99 || !strings.Contains(err.Error(), "ideal run: start SUMO with") {
		t.Fatalf("a SUMO speaking API 99: %v", err)
	}
	// Start killed and reaped the fake before returning: nothing of it is
	// left among this process's children.
	if out, _ := os.ReadFile("/proc/self/task/" + strconv.Itoa(os.Getpid()) + "/children"); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("children left: %s", out)
	}
}

// TestSumTimeLoss reads a tripinfo output and refuses a bad one.
func TestSumTimeLoss(t *testing.T) {
	in := `<tripinfos><tripinfo id="a" timeLoss="10.5"/><tripinfo id="amb" timeLoss="99"/><tripinfo id="b" timeLoss="2.25"/></tripinfos>`
	loss, n, err := sumTimeLoss(strings.NewReader(in), func(id string) bool { return id == "amb" })
	if err != nil || n != 2 || loss != 12.75 {
		t.Fatalf("sum %v over %d, %v", loss, n, err)
	}
	for _, bad := range []string{`<tripinfos><tripinfo id="a" timeLoss="NaN"/></tripinfos>`, `<tripinfos><tripinfo id="a"/></tripinfos>`, `<tripinfos><tripinfo`} {
		if _, _, err := sumTimeLoss(strings.NewReader(bad), func(string) bool { return false }); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func FuzzSumTimeLoss(f *testing.F) {
	f.Add(`<tripinfos><tripinfo id="a" timeLoss="10.5"/></tripinfos>`)
	f.Add(`<tripinfos><tripinfo id="a" timeLoss="-1e308"/><tripinfo/></tripinfos>`)
	f.Fuzz(func(t *testing.T, in string) {
		loss, n, err := sumTimeLoss(strings.NewReader(in), func(id string) bool { return id == "x" })
		if err == nil && (n < 0 || loss != loss) {
			t.Fatalf("sum %v over %d", loss, n)
		}
	})
}

var _ = fmt.Sprint
