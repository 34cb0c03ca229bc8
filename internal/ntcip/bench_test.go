package ntcip

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
)

// BenchmarkCommandToSet times a command's way from the controller's
// publish to the SNMP SET taking effect in the virtual controller: MQTT
// (Mosquitto on loopback), the gateway, SNMP on loopback, snmpd and the
// pass_persist relay. Each op is one preempt and one release, each timed.
//
//	go test ./internal/ntcip -run '^$' -bench CommandToSet -benchtime 2000x
func BenchmarkCommandToSet(b *testing.B) {
	requireSNMP(b)
	for _, version := range []string{VersionV2c, VersionV3} {
		b.Run(version, func(b *testing.B) {
			broker := brokertest.Mosquitto(b)
			changes := make(chan time.Time, 16)
			v, err := NewVirtual("B1", testPlan(b), testTiming, VirtualOptions{PreemptInputs: map[int]int{1: 2},
				OnChange: func(InputChange) { changes <- time.Now() }})
			require.NoError(b, err)
			a, err := StartAgent(context.Background(), v, AgentOptions{Listen: freeUDPAddr(b), Community: testCommunity, Users: []V3User{testV3}, Dir: b.TempDir()})
			require.NoError(b, err)
			b.Cleanup(a.Close)
			entry := v2cEntry("B1", a.Addr(), "{by_phase: {2: 1}}")
			if version == VersionV3 {
				entry = v3Entry("B1", a.Addr(), testV3, "{by_phase: {2: 1}}")
			}
			clk := clock.Wall{}
			startQuietGateway(b, broker.URL(), clk, mustConfig(b, "defaults: {poll: 1s}\nintersections:\n"+entry))
			k := newCommander(b, broker.URL(), clk)
			time.Sleep(200 * time.Millisecond) // the gateway subscribed and polled once
			wait := func(sent time.Time) time.Duration {
				select {
				case at := <-changes:
					return at.Sub(sent)
				case <-time.After(5 * time.Second):
					b.Fatal("no SET within 5 s")
					return 0
				}
			}
			lat := make([]time.Duration, 0, 2*b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				id := fmt.Sprintf("amb-1.B1.%d", i)
				sent := time.Now()
				k.preempt(id, "B1", "EB", 2, time.Minute)
				lat = append(lat, wait(sent))
				sent = time.Now()
				k.release(id, "B1")
				lat = append(lat, wait(sent))
			}
			b.StopTimer()
			slices.Sort(lat)
			q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
		})
	}
}

func startQuietGateway(b testing.TB, url string, clk clock.Clock, cfg *Config) *Gateway {
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	gw, err := NewGateway(cfg, GatewayOptions{Topics: topics, ID: "gw-b", Clock: clk, Logger: zap.NewNop()})
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, clientOpts(url, "gateway-b", zap.NewNop())) }()
	b.Cleanup(func() { cancel(); <-done })
	return gw
}

// nullPublisher takes the gateway's statuses without a broker.
type nullPublisher struct{}

func (nullPublisher) Publish(context.Context, mqttx.Message) error { return nil }

// BenchmarkGatewayPolls1Hz runs one gateway polling N intersections once a
// second for 10 s, against virtual controllers behind N/50 snmpd (at
// least 4; 50 intersections share each address, so that snmpd and its
// pass_persist relay, which answer one object at a time, are not what is
// measured), SNMPv2c, one preempt input each: 4 objects a poll.
// It reports the polls done against the polls due, the gateway process's
// CPU (it also runs the virtual controllers' pass_persist servers; snmpd
// is separate), and the slowest poll. The number of intersections one
// gateway serves at 1 Hz is the largest N that keeps done/due at 1.
//
//	go test ./internal/ntcip -run '^$' -bench Polls1Hz -benchtime 1x
func BenchmarkGatewayPolls1Hz(b *testing.B) {
	requireSNMP(b)
	for _, n := range []int{100, 500, 1000, 1500, 2000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			agents := max(4, n/50)
			var addrs []string
			var pids []int
			for i := range agents {
				v, err := NewVirtual(fmt.Sprintf("A%d", i), testPlan(b), testTiming, VirtualOptions{PreemptInputs: map[int]int{1: 2}})
				require.NoError(b, err)
				a, err := StartAgent(context.Background(), v, AgentOptions{Listen: freeUDPAddr(b), Community: testCommunity, Dir: b.TempDir()})
				require.NoError(b, err)
				b.Cleanup(a.Close)
				addrs = append(addrs, a.Addr())
				pids = append(pids, a.cmd.Process.Pid)
			}
			text := "defaults: {poll: 1s, timeout: 1s, retries: 0}\nintersections:\n"
			for i := range n {
				text += v2cEntry(fmt.Sprintf("X%04d", i), addrs[i%agents], "{by_phase: {2: 1}}")
			}
			topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
			gw, err := NewGateway(mustConfig(b, text), GatewayOptions{Topics: topics, Logger: zap.NewNop()})
			require.NoError(b, err)
			const run = 10 * time.Second
			b.ResetTimer()
			for range b.N {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				cpu0, agentCPU0 := cpuTime(), procCPU(pids)
				go func() { done <- gw.Run(ctx, nullPublisher{}) }()
				time.Sleep(run)
				cancel()
				<-done
				cpu, agentCPU := cpuTime()-cpu0, procCPU(pids)-agentCPU0
				polls := metrics.Value(gw.met.Requests.WithLabelValues("get"))
				var failed float64
				for i := range n {
					for _, reason := range []string{FailTimeout, FailRefused, FailNetwork, FailBadValue} {
						failed += metrics.Value(gw.met.Errors.WithLabelValues(fmt.Sprintf("X%04d", i), "get", reason))
					}
				}
				due := float64(n) * run.Seconds()
				b.ReportMetric(polls/due, "done/due")
				b.ReportMetric(failed, "failed-polls")
				b.ReportMetric(100*cpu.Seconds()/run.Seconds(), "cpu%")
				b.ReportMetric(100*agentCPU.Seconds()/run.Seconds(), "snmpd-cpu%")
			}
		})
	}
}

// procCPU is the CPU time (user + system) of the processes pids, from
// /proc/PID/stat, in clock ticks of 10 ms (USER_HZ 100 on Linux).
func procCPU(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) > 12 {
			ut, _ := strconv.Atoi(fields[11])
			st, _ := strconv.Atoi(fields[12])
			total += time.Duration(ut+st) * 10 * time.Millisecond
		}
	}
	return total
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
