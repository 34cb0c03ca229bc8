package ntcip

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/clock"
)

// v2c are net-snmp's arguments for the test community at addr.
func v2c(addr string) []string { return []string{"-v2c", "-c", testCommunity, addr} }

// v3 are net-snmp's arguments for user u (authPriv) at addr.
func v3(addr string, u V3User) []string {
	return []string{"-v3", "-l", "authPriv", "-u", u.Name, "-a", u.Auth, "-A", u.AuthPassphrase, "-x", u.Priv, "-X", u.PrivPassphrase, addr}
}

var intValueRE = regexp.MustCompile(`= INTEGER: (-?\d+)`)

// getInt reads one integer with snmpget.
func getInt(t *testing.T, args []string, oid string) int {
	t.Helper()
	out, err := netSNMP(t, "snmpget", append(args, oid)...)
	require.NoError(t, err, out)
	m := intValueRE.FindStringSubmatch(out)
	require.NotNil(t, m, "no INTEGER in %q", out)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

// The virtual controller, checked from the other side of the wire with
// net-snmp's own client tools: a walk of the subtree, a preempt written
// with snmpset that enters and dwells on its phase, the refusals a real
// agent gives, and SNMPv3 authPriv.
func TestVirtualControllerWithNetSNMPTools(t *testing.T) {
	requireSNMP(t)
	clk := clock.NewScaled(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), 20)
	v, a := startVirtual(t, "I-7", clk, map[int]int{1: 4, 2: 8, 3: 2, 4: 6}, 0)
	addr := a.Addr()

	out, err := netSNMP(t, "snmpwalk", append(v2c(addr), "."+OIDASC)...)
	require.NoError(t, err, out)
	for _, want := range []string{
		"." + OIDMaxPreempts + " = INTEGER: 4",
		"." + OIDMaxPhaseGroups + " = INTEGER: 2",
		"." + PreemptControlState(3) + " = INTEGER: 0",
		"." + PreemptState(3) + " = INTEGER: 2",
		"." + PreemptDwellPhase(3) + " = Hex-STRING: 02",
		"." + PhaseControlGroupHold(1) + " = INTEGER: 0",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, PreemptControlState(5), "only the configured inputs exist")

	// Preempt input 3 dwells on phase 2 (bit 1 of group 1).
	out, err = netSNMP(t, "snmpset", append(v2c(addr), "."+PreemptControlState(3), "i", "1")...)
	require.NoError(t, err, out)
	assert.Contains(t, out, "INTEGER: 1")
	deadline := time.Now().Add(5 * time.Second)
	for getInt(t, v2c(addr), "."+PreemptState(3)) != int(PreemptDwell) {
		require.True(t, time.Now().Before(deadline), "preempt 3 never reached dwell")
		time.Sleep(20 * time.Millisecond)
	}
	greens := getInt(t, v2c(addr), "."+PhaseStatusGroupGreens(1))
	assert.Equal(t, 0x02, greens&0x02, "phase 2 green while preempt 3 dwells (greens %#x)", greens)
	assert.Zero(t, greens&0x88, "conflicting phases 4 and 8 red (greens %#x)", greens)
	assert.Equal(t, int(PreemptNotActive), getInt(t, v2c(addr), "."+PreemptState(1)))

	// Back to 0: the preempt ends (exit, then normal).
	out, err = netSNMP(t, "snmpset", append(v2c(addr), "."+PreemptControlState(3), "i", "0")...)
	require.NoError(t, err, out)
	st := PreemptStateValue(getInt(t, v2c(addr), "."+PreemptState(3)))
	assert.Contains(t, []PreemptStateValue{PreemptExitStarted, PreemptNotActive}, st)
	h := v.History()
	require.Len(t, h, 2)
	assert.Equal(t, InputChange{At: h[0].At, Input: 3, On: true, Reason: "preemptControlState"}, h[0])
	assert.False(t, h[1].On)

	// What a real agent refuses, it refuses with the standard errors.
	for _, c := range []struct {
		args []string
		want string
	}{
		{append(v2c(addr), "."+PreemptControlState(3), "i", "2"), "wrongValue"},
		{append(v2c(addr), "."+PreemptControlState(3), "s", "on"), "wrongType"},
		{append(v2c(addr), "."+OIDMaxPreempts, "i", "9"), "notWritable"},
		{append([]string{"-v1", "-c", testCommunity, addr}, "."+PreemptControlState(3), "i", "2"), "badValue"},
	} {
		out, err := netSNMP(t, "snmpset", c.args...)
		assert.Error(t, err)
		assert.Contains(t, out, c.want, strings.Join(c.args, " "))
	}
	out, err = netSNMP(t, "snmpget", append(v2c(addr), "."+PreemptControlState(9))...)
	require.NoError(t, err)
	assert.Contains(t, out, "No Such Instance")

	// SNMPv3 authPriv: the same object through the user-based security model.
	out, err = netSNMP(t, "snmpset", append(v3(addr, testV3), "."+PreemptControlState(1), "i", "1")...)
	require.NoError(t, err, out)
	assert.Equal(t, 1, getInt(t, v3(addr, testV3), "."+PreemptControlState(1)))
	bad := testV3
	bad.AuthPassphrase = "not-the-key"
	out, err = netSNMP(t, "snmpget", append(v3(addr, bad), "."+PreemptControlState(1))...)
	assert.Error(t, err)
	assert.Contains(t, out, "Authentication failure")

	// A unit in fault refuses preemption.
	v.SetFault(true)
	out, err = netSNMP(t, "snmpset", append(v2c(addr), "."+PreemptControlState(4), "i", "1")...)
	assert.Error(t, err)
	assert.Contains(t, out, "inconsistentValue")
	assert.Equal(t, 0, getInt(t, v2c(addr), "."+PreemptControlState(1)), "fault ended every preempt")
	assert.Equal(t, UnitControlManual, getInt(t, v2c(addr), "."+OIDUnitControlStatus))
}

// With unitBackupTime set, a controller that stops hearing from its
// central system resets its control objects: a preempt left on by a
// gateway that died ends by itself.
func TestVirtualBackupTimeEndsAnUnrefreshedPreempt(t *testing.T) {
	clk := clock.NewScaled(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), 50)
	v, err := NewVirtual("I-8", testPlan(t), testTiming, VirtualOptions{Clock: clk, PreemptInputs: map[int]int{1: 2}, BackupTime: 10 * time.Second})
	require.NoError(t, err)
	require.NoError(t, v.Set(PreemptControlState(1), 1))
	start := clk.Now()
	for {
		_, val, ok := v.Get(PreemptControlState(1))
		require.True(t, ok)
		if val == "0" {
			break
		}
		require.Less(t, clk.Now().Sub(start), 20*time.Second, "input still on 20 s after the last write")
		time.Sleep(5 * time.Millisecond)
	}
	h := v.History()
	require.Len(t, h, 2)
	assert.Equal(t, "backup mode", h[1].Reason)
	assert.Equal(t, start.Add(10*time.Second).Round(time.Second), h[1].At.Round(time.Second))
	_, val, _ := v.Get(OIDUnitControlStatus)
	assert.Equal(t, strconv.Itoa(UnitControlBackupMode), val)
}
