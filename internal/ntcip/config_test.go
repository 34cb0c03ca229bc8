package ntcip

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/clock"
)

const goodConfig = `
defaults:
  poll: 2s
  snmp: {version: v2c, community: city}
  preempt: {by_approach: {EB: 3, WB: 4}}
intersections:
  I-1:
    address: 10.0.0.1
  I-2:
    address: 10.0.0.2:1161
    mode: priority
    snmp: {version: v3, user: gw, auth: SHA-256, auth_passphrase: "a-long-key", priv: AES, priv_passphrase: "another-key"}
    retries: 0
`

func TestParseConfigFillsDefaults(t *testing.T) {
	cfg, err := ParseConfig([]byte(goodConfig))
	require.NoError(t, err)
	assert.Equal(t, []string{"I-1", "I-2"}, cfg.IDs())
	a := cfg.Intersections["I-1"]
	assert.Equal(t, "10.0.0.1:161", a.Address)
	assert.Equal(t, ModePreempt, a.Mode)
	assert.Equal(t, Duration(2*time.Second), a.Poll, "from defaults")
	assert.Equal(t, Duration(DefaultTimeout), a.Timeout)
	assert.Equal(t, DefaultRetries, *a.Retries)
	n, ok := a.InputFor("EB", 2)
	assert.True(t, ok)
	assert.Equal(t, 3, n)
	assert.Equal(t, []int{3, 4}, a.Inputs())
	b := cfg.Intersections["I-2"]
	assert.Equal(t, "10.0.0.2:1161", b.Address)
	assert.Equal(t, VersionV3, b.SNMP.Version)
	assert.Equal(t, 0, *b.Retries)
}

// Every refusal names the setting, so the fix is one look away.
func TestParseConfigErrorsNameTheField(t *testing.T) {
	base := "intersections:\n  I1:\n    address: 127.0.0.1\n    snmp: {version: v2c, community: c}\n    preempt: {by_phase: {2: 1}}\n"
	cases := []struct{ text, want string }{
		{"", "intersections: at least one"},
		{"intersections:\n  I1: {address: 127.0.0.1, bogus: 1}\n", "field bogus not found"},
		{strings.Replace(base, "address: 127.0.0.1", "address: ''", 1), "intersections.I1.address: required"},
		{strings.Replace(base, "127.0.0.1", "127.0.0.1:99999", 1), "intersections.I1.address: port"},
		{strings.Replace(base, "version: v2c", "version: v4", 1), "intersections.I1.snmp.version"},
		{strings.Replace(base, "community: c", "community: ''", 1), "intersections.I1.snmp.community: required"},
		{strings.Replace(base, "{version: v2c, community: c}", "{version: v3, user: u, auth: SHA, auth_passphrase: short, priv: AES, priv_passphrase: long-enough}", 1), "intersections.I1.snmp.auth_passphrase"},
		{strings.Replace(base, "{version: v2c, community: c}", "{version: v3, user: u, auth: SHA1, auth_passphrase: long-enough, priv: AES, priv_passphrase: long-enough}", 1), "intersections.I1.snmp.auth: must be one of"},
		{strings.Replace(base, "{version: v2c, community: c}", "{version: v3, user: u, auth: SHA, auth_passphrase: long-enough, priv: 3DES, priv_passphrase: long-enough}", 1), "intersections.I1.snmp.priv: must be one of"},
		{strings.Replace(base, "{version: v2c, community: c}", "{version: v3, community: c, user: u, auth: SHA, auth_passphrase: long-enough, priv: AES, priv_passphrase: long-enough}", 1), "intersections.I1.snmp.community: not used"},
		{strings.Replace(base, "preempt: {by_phase: {2: 1}}", "mode: preempt", 1), "intersections.I1.preempt: give by_approach or by_phase"},
		{strings.Replace(base, "{2: 1}", "{2: 300}", 1), "intersections.I1.preempt.by_phase.2: preempt input must be in 1..255"},
		{strings.Replace(base, "{2: 1}", "{17: 1}", 1), "intersections.I1.preempt.by_phase: phase must be in 1..16"},
		{strings.Replace(base, "by_phase: {2: 1}", "by_approach: {'E B': 1}", 1), "intersections.I1.preempt.by_approach"},
		{base + "    mode: fast\n", "intersections.I1.mode: must be preempt or priority"},
		{base + "    poll: 2h\n", "intersections.I1.poll: must be in"},
		{base + "    poll: soon\n", "\"soon\" is not a duration"},
		{base + "    retries: 9\n", "intersections.I1.retries"},
		{base + "    poll: 1s\n    timeout: 600ms\n    retries: 1\n", "intersections.I1.timeout: timeout × (retries+1) = 1.2s exceeds the poll period"},
		{base + "    timeout: 0s\n    max_hold: 10ms\n", "intersections.I1.max_hold"},
		{strings.Replace(base, "I1:", "'I 1':", 1), "intersections.I 1: the id must match"},
	}
	for _, c := range cases {
		_, err := ParseConfig([]byte(c.text))
		if assert.Error(t, err, c.text) {
			assert.Contains(t, err.Error(), c.want, c.text)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(goodConfig))
	f.Add([]byte("intersections:\n  I1: {address: h, snmp: {version: v1, community: c}, preempt: {by_phase: {2: 1}}}\n"))
	f.Add([]byte("defaults: {poll: 1s}\nintersections: {X: {address: '[::1]:161'}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := ParseConfig(b)
		if err != nil {
			return
		}
		for _, id := range cfg.IDs() {
			c := cfg.Intersections[id]
			require.NoError(t, c.validate(id), "accepted a configuration that does not validate")
			require.NotNil(t, c.Retries)
		}
	})
}

// The pass_persist parser survives whatever arrives on its pipe, and
// answers in step: one answer per request, never one for an empty line.
func FuzzPassPersist(f *testing.F) {
	f.Add("PING\nget\n.1.3.6.1.4.1.1206.4.2.1.6.1.0\n")
	f.Add("getnext\n.1.3.6.1.4.1.1206.4.2.1\nset\n.1.3.6.1.4.1.1206.4.2.1.6.3.1.2.1\ninteger 1\n\n")
	f.Add("set\n.1.3.6.1.4.1.1206.4.2.1.1.5.1.4.1\ninteger 300\n\nget\nnot.an.oid\n")
	f.Add("set\n.1.3.6.1.4.1.1206.4.2.1.3.3.0\nstring \"x\"\n\nbogus\n")
	f.Fuzz(func(t *testing.T, in string) {
		v, err := NewVirtual("F", testPlan(t), testTiming, VirtualOptions{PreemptInputs: map[int]int{1: 2, 2: 4}, Clock: fixedClock{}})
		require.NoError(t, err)
		var out bytes.Buffer
		_ = v.ServePassPersist(strings.NewReader(in), &out)
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			require.NotContains(t, line, "\r")
		}
	})
}

// fixedClock always reads the same instant.
type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC) }

func (fixedClock) NewTimer(d time.Duration) *clock.Timer { return clock.Wall{}.NewTimer(d) }
