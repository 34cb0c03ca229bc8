package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPriceFlags(t *testing.T) {
	var p *float64
	f := priceFlag{&p}
	assert.Equal(t, "", f.String(), "unset: the engine's default")
	require.NoError(t, f.Set("250"))
	assert.Equal(t, 250.0, *p)
	require.NoError(t, f.Set("inf"))
	assert.True(t, math.IsInf(*p, 1))
	assert.Equal(t, "inf", f.String())
	for _, bad := range []string{"-1", "NaN", "+Inf", "cheap", ""} {
		assert.Error(t, f.Set(bad), "%q", bad)
	}

	var m map[string]float64
	c := classPricesFlag{&m}
	require.NoError(t, c.Set("ambulance=400, fire=inf,police=0"))
	assert.Equal(t, map[string]float64{"ambulance": 400, "fire": math.Inf(1), "police": 0}, m)
	assert.Equal(t, "ambulance=400,fire=inf,police=0", c.String())
	for _, bad := range []string{"ambulance", "ambulance=-3", "=4", "a b=4", "fire=1,fire=2"} {
		assert.Error(t, c.Set(bad), "%q", bad)
	}
}

// serve refuses a bad price before it connects anywhere.
func TestServeRefusesABadPrice(t *testing.T) {
	m := writeRouteTestMap(t)
	code, _, stderr := runGreenwave("serve", "--map", m, "--broker", "tcp://127.0.0.1:1", "--price", "-5")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "a price is a number ≥ 0")
	code, _, stderr = runGreenwave("serve", "--map", m, "--broker", "tcp://127.0.0.1:1", "--class-prices", "ambulance")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "CLASS=PRICE")
}

// sim --price sets the greenwave runs' price: at 0 the ambulances are
// served only where it costs nothing, so they lose time against the
// default.
func TestSimPrice(t *testing.T) {
	run := func(args ...string) string {
		code, stdout, stderr := runGreenwave(append([]string{"sim", simScenario, "--strategies", "greenwave", "--json"}, args...)...)
		require.Equal(t, 0, code, stderr)
		return stdout
	}
	assert.NotEqual(t, run(), run("--price", "0"))
	assert.Equal(t, run(), run("--price", "400"), "400 is the default")
	code, _, stderr := runGreenwave("sim", simScenario, "--price", "x")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "a price is")
}
