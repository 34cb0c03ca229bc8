package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const simScenario = "../../sim/testdata/grid-crossing.yaml"

// --json prints exactly one JSON object with the documented fields, and
// nothing on stderr (no progress when not a terminal or with --json).
func TestSimJSON(t *testing.T) {
	code, stdout, stderr := runGreenwave("sim", simScenario, "--json", "--strategies", "none,greenwave")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	dec := json.NewDecoder(strings.NewReader(stdout))
	var rep struct {
		Scenario string `json:"scenario"`
		Seed     uint64 `json:"seed"`
		Runs     []struct {
			Strategy string             `json:"strategy"`
			Totals   map[string]float64 `json:"totals"`
		} `json:"runs"`
	}
	require.NoError(t, dec.Decode(&rep))
	assert.False(t, dec.More(), "exactly one JSON object")
	assert.Equal(t, "grid-crossing", rep.Scenario)
	assert.Equal(t, uint64(7), rep.Seed)
	require.Len(t, rep.Runs, 2)
	assert.Equal(t, "none", rep.Runs[0].Strategy)
	assert.Equal(t, "greenwave", rep.Runs[1].Strategy)
	for _, key := range []string{"ev_travel_time_s", "ev_signal_delay_s", "ev_stops", "green_arrival_rate", "preempts",
		"preempt_hold_s", "hold_after_pass_s_p50", "cross_green_lost_s", "cross_queue_delay_s", "recovery_s_p50",
		"unreleased_preempts", "max_hold_s"} {
		assert.Contains(t, rep.Runs[1].Totals, key)
	}
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &raw))
	veh := raw["runs"].([]any)[0].(map[string]any)["vehicles"].([]any)[0].(map[string]any)
	for _, key := range []string{"vehicle_id", "travel_time_s", "free_flow_s", "signal_delay_s", "stops", "green_arrivals", "red_arrivals"} {
		assert.Contains(t, veh, key)
	}
}

func TestSimTableSeedAndSVG(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runGreenwave("sim", "--seed", "0", "--svg", dir, "--strategies", "range", simScenario)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "scenario grid-crossing, seed 0", "--seed 0 overrides the scenario's 7")
	assert.Contains(t, stdout, "range")
	files, err := filepath.Glob(filepath.Join(dir, "*.svg"))
	require.NoError(t, err)
	assert.Len(t, files, 2, "one diagram per trip of the one strategy asked for")
	b, err := os.ReadFile(filepath.Join(dir, "grid-crossing-range-amb-ew.svg"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "<svg"))
}

func TestSimErrors(t *testing.T) {
	code, _, stderr := runGreenwave("sim")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "usage: greenwave sim")
	code, _, stderr = runGreenwave("sim", simScenario, "--strategies", "teleport")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `unknown strategy "teleport"`)
	code, _, _ = runGreenwave("sim", simScenario, "--seed", "-5")
	assert.Equal(t, 1, code, "a negative seed is refused")
	code, _, stderr = runGreenwave("sim", "does-not-exist.yaml")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "does-not-exist.yaml")
}
