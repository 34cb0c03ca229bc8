package sim

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSweep(t *testing.T) {
	sp, err := ParseSweep("range_m=200:1000:100")
	require.NoError(t, err)
	assert.Equal(t, SweepRangeM, sp.Param)
	assert.Equal(t, []float64{200, 300, 400, 500, 600, 700, 800, 900, 1000}, sp.Values)
	sp, err = ParseSweep("price=0, 10,inf")
	require.NoError(t, err)
	assert.Equal(t, SweepPrice, sp.Param)
	require.Len(t, sp.Values, 3)
	assert.True(t, math.IsInf(sp.Values[2], 1))
	for _, bad := range []string{"range_m", "speed=1,2", "price=-1", "price=x", "range_m=1000:200:100", "range_m=0:1:0", "range_m=0:100000:1", "price=NaN"} {
		_, err := ParseSweep(bad)
		assert.Error(t, err, "%q", bad)
	}
}

// A sweep runs none, greenwave at its defaults and every setting on the
// same seed; its JSON writes an infinite price as "inf"; its table and
// frontier show every row.
func TestSweep(t *testing.T) {
	sc, err := LoadScenario(filepath.Join("testdata", "grid-crossing.yaml"))
	require.NoError(t, err)
	var specs []SweepSpec
	for _, f := range []string{"range_m=200,1000", "price=0,inf"} {
		sp, err := ParseSweep(f)
		require.NoError(t, err)
		specs = append(specs, sp)
	}
	rep, err := Sweep(sc, specs, Options{})
	require.NoError(t, err)
	require.Len(t, rep.Rows, 6)
	assert.Equal(t, StrategyNone, rep.Rows[0].Strategy)
	assert.Zero(t, rep.Rows[0].Totals.CrossQueueDelayS)
	assert.Equal(t, StrategyGreenwave, rep.Rows[1].Strategy)
	assert.Equal(t, "", rep.Rows[1].Param)
	assert.Equal(t, StrategyRange, rep.Rows[2].Strategy)
	assert.Equal(t, 200.0, rep.Rows[2].Value)
	// range 200 and 1000 differ: the setting reaches the runs.
	assert.NotEqual(t, rep.Rows[2].Totals, rep.Rows[3].Totals)
	// A run of the default scenario at price 400 is the defaults row.
	p := 400.0
	sc.Controller.Price = &p
	again, err := Sweep(sc, nil, Options{})
	require.NoError(t, err)
	assert.Equal(t, rep.Rows[1].Totals, again.Rows[1].Totals, "the default price is 400")

	var b bytes.Buffer
	require.NoError(t, rep.WriteJSON(&b))
	var decoded struct {
		Rows []struct {
			Strategy, Param, Value string
		}
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &decoded))
	assert.Equal(t, "inf", decoded.Rows[5].Value)
	assert.Equal(t, "price", decoded.Rows[5].Param)

	b.Reset()
	require.NoError(t, rep.WriteTable(&b))
	assert.Contains(t, b.String(), "range_m=1000")
	assert.Contains(t, b.String(), "price=inf")

	b.Reset()
	require.NoError(t, rep.WriteFrontierSVG(&b))
	svg := b.String()
	require.NoError(t, newXMLChecker(b.Bytes())())
	assert.Equal(t, 2, strings.Count(svg, "<polyline"), "one line per swept parameter")
	assert.Contains(t, svg, "greenwave (defaults)")
	assert.Equal(t, strings.Contains(svg, "logarithmic"), wideDelays(rep), "a log axis exactly when the delays span more than 20×")
}

func wideDelays(rep *SweepReport) bool {
	lo, hi := math.Inf(1), 0.0
	for _, r := range rep.Rows {
		if d := r.Totals.EVSignalDelayS; d > 0 {
			lo, hi = math.Min(lo, d), math.Max(hi, d)
		}
	}
	return hi/lo > 20
}

func TestFrontierLogAxis(t *testing.T) {
	rows := func(delays ...float64) *SweepReport {
		rep := &SweepReport{Scenario: "s"}
		for i, d := range delays {
			rep.Rows = append(rep.Rows, SweepRow{Strategy: StrategyRange, Param: SweepRangeM, Value: float64(100 * i), Totals: Totals{EVSignalDelayS: d, CrossQueueDelayS: float64(1000 - i)}})
		}
		return rep
	}
	for _, c := range []struct {
		rep *SweepReport
		log bool
	}{{rows(10, 100, 1000), true}, {rows(10, 20, 150), false}} {
		var b bytes.Buffer
		require.NoError(t, c.rep.WriteFrontierSVG(&b))
		require.NoError(t, newXMLChecker(b.Bytes())())
		assert.Equal(t, c.log, strings.Contains(b.String(), "logarithmic"))
	}
}
