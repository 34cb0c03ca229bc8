package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/routing"
)

// A controllers file with a mistake stops the gateway before it dials
// anything, with the setting named.
func TestNTCIPRefusesABadControllersFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "controllers.yaml")
	require.NoError(t, os.WriteFile(path, []byte("intersections:\n  I-1:\n    address: 10.0.0.1\n    snmp: {version: v3, user: gw, auth: SHA, auth_passphrase: short, priv: AES, priv_passphrase: long-enough}\n    preempt: {by_phase: {2: 1}}\n"), 0o600))
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"ntcip", "--controllers", path, "--http", ""}, &bytes.Buffer{}, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "intersections.I-1.snmp.auth_passphrase")

	stderr.Reset()
	code = run(context.Background(), []string{"ntcip"}, &bytes.Buffer{}, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "--controllers is required")

	stderr.Reset()
	code = run(context.Background(), []string{"ntcip", "--controllers", path, "--trust-controllers", ""}, &bytes.Buffer{}, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "--trust-controllers: at least one controller id")
}

func TestVControllerChecksItsFlags(t *testing.T) {
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"vcontroller", "--map", writeRouteTestMap(t)}, &bytes.Buffer{}, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "--map and --intersection are required")

	stderr.Reset()
	code = run(context.Background(), []string{"vcontroller", "--map", writeRouteTestMap(t), "--intersection", "I-9"}, &bytes.Buffer{}, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), `no intersection "I-9"`)

	stderr.Reset()
	code = run(context.Background(), []string{"vcontroller", "--map", writeRouteTestMap(t), "--intersection", "I-1", "--preempt-inputs", "1=2,x"}, &bytes.Buffer{}, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "--preempt-inputs")
}

// By default input i dwells on the phase of the intersection's i-th
// approach: the mapping an integrator reads in the start-up log.
func TestDefaultPreemptInputsFollowTheApproaches(t *testing.T) {
	in := &routing.Intersection{Approaches: []routing.Approach{{ID: "EB", Phase: 2}, {ID: "WB", Phase: 6}, {ID: "NB", Phase: 4}}}
	got, err := parseInputs("", in)
	require.NoError(t, err)
	assert.Equal(t, map[int]int{1: 2, 2: 6, 3: 4}, got)
	got, err = parseInputs("3=2, 5=6", in)
	require.NoError(t, err)
	assert.Equal(t, map[int]int{3: 2, 5: 6}, got)
	_, err = parseInputs("1=2,1=6", in)
	assert.ErrorContains(t, err, "twice")
}
