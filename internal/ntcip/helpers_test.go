package ntcip

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/signals"
)

// TestMain lets the test binary serve as the pass_persist relay that
// snmpd starts (see RunRelayIfRequested).
func TestMain(m *testing.M) {
	RunRelayIfRequested()
	os.Exit(m.Run())
}

// requireSNMP skips the test, saying why, when net-snmp's agent or client
// tools are missing — unless GREENWAVE_REQUIRE_SNMP is set (CI sets it),
// where a missing tool fails the test instead of quietly checking less.
func requireSNMP(t testing.TB) {
	t.Helper()
	var missing []string
	if _, err := SnmpdPath(); err != nil {
		missing = append(missing, "snmpd")
	}
	for _, tool := range []string{"snmpget", "snmpset", "snmpwalk"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "net-snmp missing (" + strings.Join(missing, ", ") + "): apt-get install -y snmp snmpd"
	if os.Getenv("GREENWAVE_REQUIRE_SNMP") != "" {
		t.Fatal(msg + " (GREENWAVE_REQUIRE_SNMP is set)")
	}
	t.Skip(msg)
}

// freeUDPAddr returns a loopback UDP address that was free a moment ago.
func freeUDPAddr(t testing.TB) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := c.LocalAddr().String()
	require.NoError(t, c.Close())
	return addr
}

// testTiming is brisk, so that entry takes at most 5+0+3+1 = 9 s.
var testTiming = signals.Timing{MinGreen: 5 * time.Second, Yellow: 3 * time.Second, AllRed: time.Second, MaxPreempt: 90 * time.Second}

func testPlan(t testing.TB) signals.Plan {
	t.Helper()
	plan, err := signals.DefaultPlan([]int{2, 4, 6, 8}, 60*time.Second, 0.6, testTiming)
	require.NoError(t, err)
	return plan
}

var testLogLevel = func() zapcore.Level {
	if l, err := zapcore.ParseLevel(os.Getenv("GREENWAVE_TEST_LOG")); err == nil && os.Getenv("GREENWAVE_TEST_LOG") != "" {
		return l
	}
	return zapcore.WarnLevel
}()

func testLogger(t testing.TB) *zap.Logger { return zaptest.NewLogger(t, zaptest.Level(testLogLevel)) }

// testV3 is the SNMPv3 user of the tests.
var testV3 = V3User{Name: "greenwave", Auth: "SHA", AuthPassphrase: "auth-secret-1", Priv: "AES", PrivPassphrase: "priv-secret-1"}

const testCommunity = "city-rw"

// startVirtual runs a virtual controller for intersection id behind snmpd
// on a free loopback port, with inputs (input → dwell phase).
func startVirtual(t testing.TB, id string, clk clock.Clock, inputs map[int]int, backup time.Duration) (*Virtual, *Agent) {
	t.Helper()
	return startVirtualWith(t, VirtualOptions{Clock: clk, Logger: testLogger(t).Named(id), PreemptInputs: inputs, BackupTime: backup}, id)
}

func startVirtualWith(t testing.TB, opts VirtualOptions, id string) (*Virtual, *Agent) {
	t.Helper()
	v, err := NewVirtual(id, testPlan(t), testTiming, opts)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var a *Agent
	for attempt := 0; ; attempt++ {
		a, err = StartAgent(ctx, v, AgentOptions{Listen: freeUDPAddr(t), Community: testCommunity, Users: []V3User{testV3},
			Dir: t.TempDir(), Logger: testLogger(t).Named(id + "-snmpd")})
		if err == nil || attempt == 3 { // a port taken in between: try another
			break
		}
	}
	require.NoError(t, err)
	t.Cleanup(a.Close)
	return v, a
}

// netSNMP runs one of net-snmp's client tools with numeric OIDs and no
// MIBs, returning its combined output.
func netSNMP(t testing.TB, tool string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(tool, append([]string{"-On", "-t", "2", "-r", "1"}, args...)...)
	cmd.Env = append(os.Environ(), "MIBS=", "SNMP_PERSISTENT_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}
