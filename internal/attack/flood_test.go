package attack

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/service"
	"github.com/greenwave-project/greenwave/wire"
)

// floodRate is the junk the attackers publish, in messages a second:
// issue 13's figure.
const floodRate = 15000

// probeEvery is how often a registered ambulance reports the fix that
// makes the controller request I1; the probes take turns among
// probeVehicles, each well within its rate limit.
const (
	probeEvery    = 40 * time.Millisecond
	probeVehicles = 10
)

// floodResult is what a flood run measured.
type floodResult struct {
	latencies []time.Duration // position published → preempt received, one per probe
	junk      int64           // junk messages published
	elapsed   time.Duration
}

func (r floodResult) quantile(q float64) time.Duration {
	s := append([]time.Duration(nil), r.latencies...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))]
}

// floodCity is a city whose registry also lists the probe vehicles.
func floodCity(t testing.TB) *city {
	reg := fleet
	for i := range probeVehicles {
		reg += fmt.Sprintf("p-%d,test,ambulance,1\n", i)
	}
	return newCity(t, cityOptions{service: func(cfg *service.Config) { cfg.Registry = mustRegistry(t, reg) }})
}

// runFlood has three accepted but unregistered devices publish junk at
// floodRate (QoS 0, as an attacker would: no acknowledgement to wait
// for) — four in five messages on their own position topics, which the
// broker delivers and greenwave must refuse, the rest on other vehicles'
// topics, which the broker drops — while registered ambulances, one
// every probeEvery, report the fix that triggers a preempt. It measures,
// for `probes` probes, the time from publishing that fix to a roadside
// subscriber receiving the command.
func runFlood(t testing.TB, c *city, probes int) floodResult {
	// The roadside's view: a gateway subscribed to commands only.
	var mu sync.Mutex
	arrived := map[string]chan time.Time{}
	rsuOpts := c.deviceOptions(rsuUser)
	rsuOpts.Subscriptions = []mqttx.Subscription{{Filter: c.topics.Filter(mqttx.KindCommand), QoS: 1, Handler: func(_ string, p []byte) {
		at := time.Now()
		cmd, err := wire.ParseCommand("", p)
		if err != nil || cmd.Type != wire.CommandPreempt {
			return
		}
		mu.Lock()
		ch := arrived[cmd.RequestID]
		delete(arrived, cmd.RequestID)
		mu.Unlock()
		if ch != nil {
			ch <- at
		}
	}}}
	c.connect(rsuOpts)

	vehicles := make([]*mqttx.Client, probeVehicles)
	for i := range vehicles {
		vehicles[i] = c.device(fmt.Sprintf("p-%d", i))
	}
	attackers := []*mqttx.Client{c.device("mallory"), c.device("eve"), c.device("trudy")}
	junkPayloads := [][]byte{
		[]byte(`{"vehicle_id":"mallory","seq":1,"ts":"2026-11-22T08:00:00Z","lat":49.6,"lon":6.1,"emergency":true}`),
		[]byte(`not json at all`),
		[]byte(`{"vehicle_id":"amb-1","seq":18446744073709551615,"ts":"2030-01-01T00:00:00Z","lat":0,"lon":0,"emergency":false}`),
	}

	ctx, stop := context.WithCancel(context.Background())
	var junk atomic.Int64
	var wg sync.WaitGroup
	for ai, a := range attackers {
		own := c.topics.Position([]string{"mallory", "eve", "trudy"}[ai])
		wg.Add(1)
		go func() {
			defer wg.Done()
			const tick = 10 * time.Millisecond
			per := floodRate * int(tick/time.Millisecond) / 1000 / len(attackers)
			next := time.Now()
			for k := 0; ctx.Err() == nil; k++ {
				for j := range per {
					topic := own
					if j%5 == 4 {
						topic = c.topics.Position(fmt.Sprintf("amb-%d", j%3+1))
					}
					if a.PublishNoWait(mqttx.Message{Topic: topic, Payload: junkPayloads[(k+j)%len(junkPayloads)]}) == nil {
						junk.Add(1)
					}
				}
				next = next.Add(tick)
				time.Sleep(time.Until(next))
			}
		}()
	}
	// Let the flood reach its pace before measuring.
	time.Sleep(300 * time.Millisecond)

	start := time.Now()
	junkAtStart := junk.Load()
	var lat []time.Duration
	seqs := make([]uint64, probeVehicles)
	reqs := make([]int, probeVehicles)
	for k := range probes {
		i := k % probeVehicles
		id, v := fmt.Sprintf("p-%d", i), vehicles[i]
		// Off, then on 10 m further (within 250-280 m of I1, inside its lead
		// time): that fix makes the controller request I1 at once, as the
		// n-th request of the vehicle there, named by the engine's rule.
		reqs[i]++
		seqs[i]++
		off := c.fixAt(id, seqs[i], time.Now(), 250, false)
		require.NoError(t, v.Publish(ctx, off))
		ch := make(chan time.Time, 1)
		mu.Lock()
		arrived[expectedRequestID(id, k)] = ch
		mu.Unlock()
		seqs[i]++
		on := c.fixAt(id, seqs[i], time.Now(), 260, true)
		sent := time.Now()
		require.NoError(t, v.PublishNoWait(on))
		select {
		case at := <-ch:
			lat = append(lat, at.Sub(sent))
		case <-time.After(realWait):
			stop()
			wg.Wait()
			c.dump()
			t.Fatalf("probe %d (%s): no preempt within %v", k, id, realWait)
		}
		time.Sleep(time.Until(start.Add(time.Duration(k+1) * probeEvery)))
	}
	elapsed := time.Since(start)
	stop()
	wg.Wait()
	return floodResult{latencies: lat, junk: junk.Load() - junkAtStart, elapsed: elapsed}
}

// expectedRequestID is the request id the k-th probe's preempt carries:
// "{vehicle}.I1.{n}", n counting the requests at I1 since the controller
// started (k+1: each probe makes exactly one).
func expectedRequestID(vehicle string, k int) string {
	return fmt.Sprintf("%s.I1.%d", vehicle, k+1)
}

// Under a flood of 15,000 junk messages a second from accepted but
// unregistered devices, registered ambulances still get every preempt:
// the junk is refused before it is parsed and never reaches the engine,
// costs no log line or audit record of its own, and drops no genuine
// fix. The latency figures are logged (the benchmark below reports
// them; tests do not assert on time).
func TestFloodDoesNotStarveTheAmbulances(t *testing.T) {
	c := floodCity(t)
	const probes = 100 // 4 s
	r := runFlood(t, c, probes)
	rate := float64(r.junk) / r.elapsed.Seconds()
	t.Logf("junk %.0f msg/s for %v; position→command p50 %v, p99 %v, max %v", rate, r.elapsed.Round(time.Millisecond),
		r.quantile(0.5), r.quantile(0.99), r.quantile(1))
	require.Len(t, r.latencies, probes, "every probe got its preempt")
	assert.Greater(t, rate, 0.8*floodRate, "the attackers kept up the flood")
	junkRefused := c.refused(mqttx.KindPosition, service.RejectUnregistered, "vehicle_id")
	assert.Greater(t, junkRefused, 0.7*float64(r.junk), "the junk on the attackers' own topics reached greenwave, and was refused")
	assert.Equal(t, float64(2*probes), metrics.Value(c.met.InputsProcessed.WithLabelValues("position")), "only the probes' fixes reached the engine")
	assert.Zero(t, metrics.Value(c.met.InputsDropped.WithLabelValues("position")), "no genuine fix dropped")
	assert.Less(t, len(c.logs.All()), 10, "a handful of log lines, not one a message")
	assert.Less(t, c.audit.Len(), 100_000, "the audit trail records the probes' decisions, not the junk")
}

// BenchmarkFloodLatencyMosquitto is TestFloodDoesNotStarveTheAmbulances
// as a measurement: b.N probes (one every 40 ms) under the 15k msg/s
// flood, reporting the position→command latency's p50 and p99 and the
// junk rate achieved.
//
//	go test ./internal/attack -run '^$' -bench FloodLatency -benchtime 250x
func BenchmarkFloodLatencyMosquitto(b *testing.B) {
	c := floodCity(b)
	b.ResetTimer()
	r := runFlood(b, c, b.N)
	b.StopTimer()
	b.ReportMetric(float64(r.quantile(0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(r.quantile(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(r.junk)/r.elapsed.Seconds(), "junk-msg/s")
}
