package sim

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simulate runs a shipped scenario under every strategy.
func simulate(t testing.TB, name string) *Report {
	t.Helper()
	sc, err := LoadScenario(filepath.Join("testdata", name+".yaml"))
	require.NoError(t, err)
	rep, err := Simulate(sc, Options{})
	require.NoError(t, err)
	require.Len(t, rep.Runs, 3)
	return rep
}

func runOf(t testing.TB, rep *Report, strategy string) RunReport {
	t.Helper()
	for _, rr := range rep.Runs {
		if rr.Strategy == strategy {
			return rr
		}
	}
	t.Fatalf("no %s run", strategy)
	return RunReport{}
}

// The must-show on the coordinated corridor: the green wave gets
// the ambulances through without a stop and with at most a tenth of the
// signal delay they suffer without preemption, and no run leaves a
// preempt held.
func TestCorridorGreenWave(t *testing.T) {
	rep := simulate(t, "corridor")
	none, gw := runOf(t, rep, StrategyNone), runOf(t, rep, StrategyGreenwave)
	require.Greater(t, none.Totals.EVSignalDelayS, 60.0, "the corridor must delay an unassisted ambulance, or it proves nothing")
	assert.Equal(t, 0, gw.Totals.EVStops, "greenwave: EV stops")
	assert.LessOrEqual(t, gw.Totals.EVSignalDelayS, 0.1*none.Totals.EVSignalDelayS,
		"greenwave EV signal delay %.1f s must be ≤ 10%% of none's %.1f s", gw.Totals.EVSignalDelayS, none.Totals.EVSignalDelayS)
	for _, rr := range rep.Runs {
		assert.Equal(t, 0, rr.Totals.UnreleasedPreempts, "%s: unreleased preempts", rr.Strategy)
	}
	assert.Zero(t, none.Totals.Preempts)
	assert.Zero(t, none.Totals.CrossGreenLostS)
	assert.Zero(t, none.Totals.CrossQueueDelayS)
}

// Every shipped scenario: no run leaves a preempt held, and no hold
// outlasts the intersections' max preempt.
func TestShippedScenariosReleaseEveryPreempt(t *testing.T) {
	for _, name := range []string{"corridor", "grid-crossing", "chaos", "luxembourg"} {
		t.Run(name, func(t *testing.T) {
			if name == "luxembourg" && testing.Short() {
				t.Skip("the city scenario takes a couple of seconds; skipped with -short")
			}
			rep := simulate(t, name)
			for _, rr := range rep.Runs {
				assert.Equal(t, 0, rr.Totals.UnreleasedPreempts, "%s: unreleased preempts", rr.Strategy)
				assert.LessOrEqual(t, rr.Totals.MaxHoldS, 90.0, "%s: a hold beyond max_preempt_s", rr.Strategy)
				if rr.Strategy != StrategyNone {
					assert.Positive(t, rr.Totals.Preempts, "%s: the controller never preempted anything", rr.Strategy)
				}
			}
		})
	}
}

// The same scenario and seed give the same bytes; another seed gives
// other bytes (the seed does reach the randomness).
func TestDeterministicJSON(t *testing.T) {
	render := func(name string, seed uint64) []byte {
		sc, err := LoadScenario(filepath.Join("testdata", name+".yaml"))
		require.NoError(t, err)
		sc.Seed = seed
		rep, err := Simulate(sc, Options{})
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, rep.WriteJSON(&b))
		return b.Bytes()
	}
	for _, name := range []string{"corridor", "chaos"} {
		a, b := render(name, 5), render(name, 5)
		assert.Equal(t, string(a), string(b), "%s: two runs with one seed differ", name)
		assert.NotEqual(t, string(a), string(render(name, 6)), "%s: the seed changes nothing", name)
	}
}

// A bad uplink (30% loss, 25 m noise, 2 s jitter, duplicates) must not
// leave a signal held, and the report still says how often the
// ambulances met green.
func TestChaos(t *testing.T) {
	rep := simulate(t, "chaos")
	for _, rr := range rep.Runs {
		assert.Equal(t, 0, rr.Totals.UnreleasedPreempts, "%s", rr.Strategy)
		assert.GreaterOrEqual(t, rr.Totals.GreenArrivalRate, 0.0)
		assert.LessOrEqual(t, rr.Totals.GreenArrivalRate, 1.0)
	}
	assert.Greater(t, runOf(t, rep, StrategyGreenwave).Totals.GreenArrivalRate, runOf(t, rep, StrategyNone).Totals.GreenArrivalRate,
		"even through a bad uplink the green wave must beat no preemption")
}

// Preemption taken from the cross streets shows up as extra queueing for
// background traffic against the none run.
func TestPreemptionCostsCrossTraffic(t *testing.T) {
	rep := simulate(t, "grid-crossing")
	gw := runOf(t, rep, StrategyGreenwave)
	assert.Positive(t, gw.Totals.CrossGreenLostS)
	assert.NotZero(t, gw.Totals.CrossQueueDelayS)
}

// The time-space diagrams are written, one per trip and strategy, and are
// well-formed XML with the parts a reader needs.
func TestWriteSVGs(t *testing.T) {
	sc, err := LoadScenario("testdata/grid-crossing.yaml")
	require.NoError(t, err)
	rep, err := Simulate(sc, Options{Record: true})
	require.NoError(t, err)
	dir := t.TempDir()
	files, err := rep.WriteSVGs(dir)
	require.NoError(t, err)
	require.Len(t, files, 3*2)
	b, err := os.ReadFile(filepath.Join(dir, "grid-crossing-greenwave-amb-ew.svg"))
	require.NoError(t, err)
	s := string(b)
	for _, want := range []string{"<svg", "time since departure (s)", "distance along route (m)", "preempt hold", "<polyline", colourGreen, colourRed, colourHold} {
		assert.Contains(t, s, want)
	}
	requireWellFormedXML(t, b)

	_, err = (&Report{Runs: []RunReport{{Strategy: "none"}}}).WriteSVGs(dir)
	assert.Error(t, err, "a report made without Record has nothing to draw")
}

func requireWellFormedXML(t *testing.T, b []byte) {
	t.Helper()
	d := newXMLChecker(b)
	require.NoError(t, d(), "not well-formed XML")
}

// An EV that reaches a signal whose green has just started still waits for
// the queue in front of it: its delay is at least the start-up lost time
// plus the discharge of the vehicles ahead. Timing: the plan's main green
// starts at every whole minute (the epoch is 08:00:00), lasts 24 s, then
// yellow; the approach is unserved from 28 s to 60 s. The ambulance leaves
// at 36 s and, unhindered, would reach the stop line at about 63.4 s, just
// after the green starts.
func TestEVWaitsForQueueAhead(t *testing.T) {
	src := `
name: queue
duration_s: 200
map: {generator: corridor, signals: 1, spacing_m: 400}
plans: {cycle_s: 60, main_share: 0.5}
traffic: {main_veh_h: 900, side_veh_h: 0}
vehicles: [{id: amb, from: W, to: E, depart_s: 36}]
`
	run := func(src string) VehicleReport {
		sc, err := ParseScenario([]byte(src), "q.yaml")
		require.NoError(t, err)
		rep, err := Simulate(sc, Options{Strategies: []string{StrategyNone}})
		require.NoError(t, err)
		return rep.Runs[0].Vehicles[0]
	}
	empty := run(strings.Replace(src, "main_veh_h: 900", "main_veh_h: 0", 1))
	assert.Equal(t, 1, empty.GreenArrivals, "without traffic the ambulance meets the fresh green")
	assert.Zero(t, empty.SignalDelayS)

	v := run(src)
	assert.Equal(t, 1, v.RedArrivals)
	// It joins the queue a few seconds before the green, behind at least
	// (55 s − 28 s) × 0.25 veh/s ≈ 6.75 vehicles, which leave at 0.5 veh/s
	// after 2 s of lost time: it cannot cross before 62 + 13.5 = 75.5 s,
	// 12 s later than unhindered.
	assert.GreaterOrEqual(t, v.SignalDelayS, 12.0)
	assert.Less(t, v.SignalDelayS, 40.0)
}
