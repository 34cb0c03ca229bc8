package ntcip

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/wire"
)

func testClock(factor float64) *clock.Scaled {
	return clock.NewScaled(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), factor)
}

func mustConfig(t testing.TB, text string) *Config {
	t.Helper()
	cfg, err := ParseConfig([]byte(text))
	require.NoError(t, err, text)
	return cfg
}

func v2cEntry(id, addr, inputs string) string {
	return fmt.Sprintf("  %s:\n    address: %s\n    snmp: {version: v2c, community: %s}\n    preempt: %s\n", id, addr, testCommunity, inputs)
}

func v3Entry(id, addr string, u V3User, inputs string) string {
	return fmt.Sprintf("  %s:\n    address: %s\n    snmp: {version: v3, user: %s, auth: %s, auth_passphrase: %q, priv: %s, priv_passphrase: %q}\n    preempt: %s\n",
		id, addr, u.Name, u.Auth, u.AuthPassphrase, u.Priv, u.PrivPassphrase, inputs)
}

// The gateway sets the mapped preempt input on a preempt (by approach or
// by phase; SNMPv2c and SNMPv3 authPriv alike), reports hold once the
// controller dwells, and clears the input on release, at expires_at, on
// the controller's Last Will, and when it stops.
func TestGatewayCarriesOutPreemptsAndClearsThem(t *testing.T) {
	requireSNMP(t)
	clk := testClock(10)
	vA, aA := startVirtual(t, "I1", clk, map[int]int{3: 2, 4: 6}, 0)
	vB, aB := startVirtual(t, "I2", clk, map[int]int{1: 2, 2: 6}, 0)
	url := embeddedBroker(t)
	w, _ := connectWatcher(t, url, clk)
	cfg := mustConfig(t, "defaults: {poll: 1s, refresh: 2s, timeout: 300ms}\nintersections:\n"+
		v2cEntry("I1", aA.Addr(), "{by_approach: {EB: 3, WB: 4}}")+
		v3Entry("I2", aB.Addr(), testV3, "{by_phase: {2: 1, 6: 2}}"))
	gw := startGateway(t, url, clk, cfg)
	k := newCommander(t, url, clk)
	for _, id := range []string{"I1", "I2"} {
		w.waitStatus(t, id, "first status", func(s gwStatus) bool { return s.State != wire.StateFault && len(s.GreenPhases) > 0 })
	}
	waitFor(t, "online presence", func() bool { p := w.presence("gw-1"); return len(p) > 0 && p[len(p)-1] == "online" })
	assert.NoError(t, gw.gw.Healthy())

	// By approach, over v2c: EB is input 3.
	r1 := k.preempt("amb-1.I1.1", "I1", "EB", 2, 30*time.Second)
	hold := w.waitStatus(t, "I1", "hold for r1", func(s gwStatus) bool { return s.State == wire.StateHold && s.RequestID == r1.RequestID })
	assert.Contains(t, hold.GreenPhases, 2)
	on, ok := lastChange(vA, 3)
	require.True(t, ok)
	assert.True(t, on.On)
	_, other := lastChange(vA, 4)
	assert.False(t, other, "input 4 (WB) untouched")

	// By phase, over SNMPv3 authPriv: phase 2 is input 1.
	r2 := k.preempt("amb-2.I2.1", "I2", "SB", 2, 4*time.Second)
	w.waitStatus(t, "I2", "hold for r2", func(s gwStatus) bool { return s.State == wire.StateHold && s.RequestID == r2.RequestID })

	// Release: the input is cleared within a second.
	rel := k.release(r1.RequestID, "I1")
	waitFor(t, "input 3 off", func() bool { c, _ := lastChange(vA, 3); return !c.On })
	off, _ := lastChange(vA, 3)
	assert.Less(t, off.At.Sub(rel.IssuedAt), time.Second, "cleared %v after the release", off.At.Sub(rel.IssuedAt))

	// No refresh, no release: cleared at expires_at.
	waitFor(t, "input 1 off by expiry", func() bool { c, _ := lastChange(vB, 1); return !c.On })
	off, _ = lastChange(vB, 1)
	assert.False(t, off.At.Before(r2.ExpiresAt), "cleared at %v before expires_at %v", off.At, r2.ExpiresAt)
	assert.Less(t, off.At.Sub(r2.ExpiresAt), time.Second, "cleared %v after expires_at", off.At.Sub(r2.ExpiresAt))

	// The issuing controller's Last Will ends its preempts at once.
	r3 := k.preempt("amb-3.I1.1", "I1", "WB", 6, time.Minute)
	waitFor(t, "input 4 on", func() bool { c, _ := lastChange(vA, 4); return c.On })
	k.offline(testControllerID)
	gone := clk.Now()
	waitFor(t, "input 4 off", func() bool { c, _ := lastChange(vA, 4); return !c.On })
	off, _ = lastChange(vA, 4)
	assert.Less(t, off.At.Sub(gone), time.Second)
	assert.True(t, off.At.Before(r3.ExpiresAt))

	// A command with no input for its approach or phase is refused, counted.
	k.preempt("amb-4.I1.1", "I1", "NB", 4, time.Minute)
	waitFor(t, "not_mapped counted", func() bool {
		return metrics.Value(gw.gw.met.Commands.WithLabelValues("preempt", "not_mapped")) == 1
	})

	// Stopping, the gateway clears what it holds and says so.
	k.preempt("amb-5.I1.1", "I1", "EB", 2, time.Minute)
	waitFor(t, "input 3 on again", func() bool { c, _ := lastChange(vA, 3); return c.On })
	gw.stopped(t)
	assert.Error(t, gw.gw.Healthy(), "disconnected once stopped")
	c, _ := lastChange(vA, 3)
	assert.False(t, c.On, "input cleared on shutdown")
	last := w.statuses(t, "I1")
	require.NotEmpty(t, last)
	waitFor(t, "fault on shutdown", func() bool {
		s := w.statuses(t, "I1")
		return s[len(s)-1].State == wire.StateFault && s[len(s)-1].Reason == "gateway gw-1 stopping"
	})
	waitFor(t, "offline presence", func() bool { p := w.presence("gw-1"); return p[len(p)-1] == "offline" })
	assert.GreaterOrEqual(t, metrics.Value(gw.gw.met.InputClears.WithLabelValues("release")), 1.0)
	assert.GreaterOrEqual(t, metrics.Value(gw.gw.met.InputClears.WithLabelValues("expired")), 1.0)
	assert.GreaterOrEqual(t, metrics.Value(gw.gw.met.InputClears.WithLabelValues("controller_offline")), 1.0)
}

// Every failure is visible: published as fault with the reason, counted by
// reason, and logged once, not once per poll. A wrong key is reported as
// a wrong key.
func TestGatewayMakesEveryFailureVisible(t *testing.T) {
	requireSNMP(t)
	clk := testClock(10)
	_, aA := startVirtual(t, "X", clk, map[int]int{1: 2}, 0)
	vB, aB := startVirtual(t, "Y", clk, map[int]int{1: 2}, 0)
	vC, aC := startVirtual(t, "Z", clk, map[int]int{1: 2}, 0)
	badAuth, badPriv := testV3, testV3
	badAuth.AuthPassphrase = "wrong-auth-key"
	badPriv.PrivPassphrase = "wrong-priv-key"
	url := embeddedBroker(t)
	w, _ := connectWatcher(t, url, clk)
	cfg := mustConfig(t, "defaults: {poll: 1s, timeout: 250ms, retries: 0, retry_after_refusal: 5s}\nintersections:\n"+
		v3Entry("WRONG-AUTH", aA.Addr(), badAuth, "{by_phase: {2: 1}}")+
		v3Entry("WRONG-PRIV", aA.Addr(), badPriv, "{by_phase: {2: 1}}")+
		fmt.Sprintf("  WRONG-COMMUNITY:\n    address: %s\n    snmp: {version: v2c, community: not-it}\n    preempt: {by_phase: {2: 1}}\n", aA.Addr())+
		v2cEntry("NO-SUCH", aA.Addr(), "{by_phase: {2: 9}}")+
		v2cEntry("REFUSES", aB.Addr(), "{by_phase: {2: 1}}")+
		v2cEntry("DIES", aC.Addr(), "{by_phase: {2: 1}}"))
	gw := startGateway(t, url, clk, cfg)
	errs := gw.gw.met.Errors
	cases := []struct{ id, kind, reason string }{
		{"WRONG-AUTH", FailWrongDigest, "usmStatsWrongDigests"},
		{"WRONG-PRIV", FailDecryption, "wrong privacy passphrase"},
		{"WRONG-COMMUNITY", FailTimeout, "wrong community"},
		{"NO-SUCH", FailNoSuchObject, "noSuchInstance"},
	}
	for _, c := range cases {
		s := w.waitStatus(t, c.id, "fault: "+c.kind, func(s gwStatus) bool { return s.State == wire.StateFault })
		assert.Contains(t, s.Reason, c.reason, c.id)
		waitFor(t, c.id+" counted", func() bool { return metrics.Value(errs.WithLabelValues(c.id, "get", c.kind)) >= 3 })
		assert.Equal(t, 1, gw.errorLogs(c.reason), "%s logged once, not once per poll", c.id)
	}
	assert.Contains(t, w.statuses(t, "NO-SUCH")[0].Reason, "preemptControlState.9")

	// A value the controller refuses.
	w.waitStatus(t, "REFUSES", "normal", func(s gwStatus) bool { return s.State == wire.StateNormal })
	vB.SetFault(true)
	k := newCommander(t, url, clk)
	k.preempt("amb-9.REFUSES.1", "REFUSES", "EB", 2, time.Minute)
	s := w.waitStatus(t, "REFUSES", "fault: refused", func(s gwStatus) bool { return s.State == wire.StateFault })
	assert.Contains(t, s.Reason, "preemptControlState.1 = 1")
	assert.Contains(t, s.Reason, "inconsistentValue")
	assert.Equal(t, 1.0, metrics.Value(errs.WithLabelValues("REFUSES", "set", FailRefusedValue)))

	// A controller that dies is fault within two poll periods.
	w.waitStatus(t, "DIES", "normal", func(s gwStatus) bool { return s.State == wire.StateNormal })
	waitFor(t, "DIES up", func() bool { return metrics.Value(gw.gw.met.Up.WithLabelValues("DIES")) == 1 })
	killBetweenPolls(t, vC, aC)
	killed := clk.Now()
	s = w.waitStatus(t, "DIES", "fault after the kill", func(s gwStatus) bool {
		return s.State == wire.StateFault && !s.seen.Before(killed)
	})
	assert.Less(t, s.seen.Sub(killed), 2*time.Second, "fault %v after the kill", s.seen.Sub(killed))
	assert.Contains(t, s.Reason, "refused")
	assert.Equal(t, 0.0, metrics.Value(gw.gw.met.Up.WithLabelValues("DIES")))
	assert.Equal(t, 1.0, metrics.Value(gw.gw.met.Fault.WithLabelValues("DIES")))
}

// Priority instead of preemption: the requested phase is held and called
// through phaseControlGroup, and released with the command.
func TestGatewayPriorityModeHoldsThePhase(t *testing.T) {
	requireSNMP(t)
	clk := testClock(10)
	v, a := startVirtual(t, "P", clk, map[int]int{1: 2}, 0)
	url := embeddedBroker(t)
	w, _ := connectWatcher(t, url, clk)
	cfg := mustConfig(t, fmt.Sprintf("intersections:\n  P:\n    address: %s\n    mode: priority\n    poll: 1s\n    snmp: {version: v2c, community: %s}\n", a.Addr(), testCommunity))
	startGateway(t, url, clk, cfg)
	k := newCommander(t, url, clk)
	w.waitStatus(t, "P", "first status", func(s gwStatus) bool { return s.State == wire.StateNormal })
	r := k.preempt("amb-1.P.1", "P", "NB", 4, time.Minute)
	hold := w.waitStatus(t, "P", "hold", func(s gwStatus) bool { return s.State == wire.StateHold && s.RequestID == r.RequestID })
	assert.Contains(t, hold.GreenPhases, 4)
	_, val, _ := v.Get(PhaseControlGroupHold(1))
	assert.Equal(t, "8", val, "phase 4 is bit 3 of group 1")
	k.release(r.RequestID, "P")
	waitFor(t, "hold released", func() bool { _, val, _ := v.Get(PhaseControlGroupHold(1)); return val == "0" })
}

// A controller without the optional preemptState still serves: the
// gateway notices once, says so in the status's reason, and infers the
// state from the phase greens.
func TestGatewayWithoutPreemptStateInfersTheState(t *testing.T) {
	requireSNMP(t)
	clk := testClock(10)
	v, a := startVirtualWith(t, VirtualOptions{Clock: clk, Logger: testLogger(t), PreemptInputs: map[int]int{1: 4}, WithoutPreemptState: true}, "N")
	_, _, ok := v.Get(PreemptState(1))
	require.False(t, ok)
	url := embeddedBroker(t)
	w, _ := connectWatcher(t, url, clk)
	gw := startGateway(t, url, clk, mustConfig(t, "intersections:\n"+v2cEntry("N", a.Addr(), "{by_phase: {4: 1}}")))
	k := newCommander(t, url, clk)
	first := w.waitStatus(t, "N", "first status", func(s gwStatus) bool { return s.State == wire.StateNormal })
	assert.Contains(t, first.Reason, "lacks preemptState")
	r := k.preempt("amb-1.N.1", "N", "NB", 4, time.Minute)
	hold := w.waitStatus(t, "N", "hold", func(s gwStatus) bool { return s.State == wire.StateHold && s.RequestID == r.RequestID })
	assert.Contains(t, hold.GreenPhases, 4)
	assert.Equal(t, 1.0, metrics.Value(gw.gw.met.Errors.WithLabelValues("N", "get", FailNoSuchObject)), "noticed once")
}

// Only trusted controllers are obeyed: another client on the broker that
// may publish commands (a test rig, a compromised account) cannot preempt
// a signal.
func TestGatewayObeysOnlyTrustedControllers(t *testing.T) {
	requireSNMP(t)
	clk := testClock(10)
	v, a := startVirtual(t, "I1", clk, map[int]int{3: 2, 4: 6}, 0)
	url := embeddedBroker(t)
	w, _ := connectWatcher(t, url, clk)
	gw := startGateway(t, url, clk, mustConfig(t, "defaults: {poll: 1s, refresh: 2s, timeout: 300ms}\nintersections:\n"+
		v2cEntry("I1", a.Addr(), "{by_approach: {EB: 3, WB: 4}}")))
	k := newCommander(t, url, clk)
	w.waitStatus(t, "I1", "first status", func(s gwStatus) bool { return s.State != wire.StateFault && len(s.GreenPhases) > 0 })

	k.preemptAs("rogue", "amb-9.I1.1", "I1", "WB", 6, time.Minute)
	waitFor(t, "the rogue's command counted", func() bool {
		return metrics.Value(gw.gw.met.Commands.WithLabelValues("preempt", "untrusted")) == 1
	})
	assert.Equal(t, 1.0, metrics.Value(gw.gw.met.Rejected.WithLabelValues("command", "untrusted_controller")))

	// The trusted controller's preempt, sent after the rogue's, is carried
	// out; had the rogue's been, input 4 would have come on first.
	r := k.preempt("amb-1.I1.1", "I1", "EB", 2, time.Minute)
	w.waitStatus(t, "I1", "hold for the trusted preempt", func(s gwStatus) bool { return s.State == wire.StateHold && s.RequestID == r.RequestID })
	_, touched := lastChange(v, 4)
	assert.False(t, touched, "input 4 (the rogue's WB) never set")
	on, _ := lastChange(v, 3)
	assert.True(t, on.On, "input 3 (EB) set for the trusted controller")
}

func TestGatewayRefusesABadTrustedControllerID(t *testing.T) {
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	cfg := mustConfig(t, "intersections:\n"+v2cEntry("I1", "127.0.0.1:161", "{by_phase: {2: 1}}"))
	_, err := NewGateway(cfg, GatewayOptions{Topics: topics, TrustedControllers: []string{"cc-1", "not an id"}})
	assert.ErrorContains(t, err, `trusted controller id "not an id"`)
}
