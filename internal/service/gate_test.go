package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/registry"
	"github.com/greenwave-project/greenwave/internal/service"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// fixMessage is vehicle id's fix seq at x on the corridor, now.
func (s *stack) fixMessage(id string, seq uint64, x float64, emergency bool) mqttx.Message {
	ll := lonLat(x, 0)
	p := wire.Position{VehicleID: id, Seq: seq, TS: s.clk.Now(), Lat: ll[1], Lon: ll[0],
		SpeedMps: new(15.0), HeadingDeg: new(90.0), Emergency: emergency}
	b, err := json.Marshal(p)
	require.NoError(s.t, err)
	return mqttx.Message{Topic: s.topics.Position(id), Payload: b, QoS: 1}
}

func mustRegistry(t *testing.T, csv string) *registry.Registry {
	t.Helper()
	r, err := registry.ParseCSV([]byte(csv))
	require.NoError(t, err)
	return r
}

// syncBuffer is an audit sink the test reads while the service writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) lines() []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(w.b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// Thirty invented vehicle ids, each with a fix that would preempt I1,
// get nothing: refused before parsing (so never a tracked vehicle),
// counted, logged once, and audited as one summary per window. The
// registered ambulance among them is preempted as usual.
func TestUnregisteredVehiclesNeverReachTheEngine(t *testing.T) {
	core, logs := zapobserver.New(zapcore.WarnLevel)
	audit := &syncBuffer{}
	s := newStack(t, brokertest.Embedded(t), stackOptions{service: func(c *service.Config) {
		c.Registry = mustRegistry(t, "vehicle_id,priority\namb-1,2\n")
		c.Logger = zap.New(core)
		c.Audit = audit
		c.RefusalWindow = 20 * time.Second // clock time: under a second of the test's
	}})
	ctx := context.Background()
	for i := range 30 {
		require.NoError(t, s.vehicle.Publish(ctx, s.fixMessage(fmt.Sprintf("fake-%d", i), 1, 300, true)))
	}
	require.NoError(t, s.vehicle.Publish(ctx, s.fixMessage("amb-1", 1, 300, true)))
	s.waitFor("amb-1 preempted", func() bool { return len(preemptsFor(s.obs.commands(t), "amb-1")) > 0 })
	for _, c := range s.obs.commands(t) {
		assert.Equal(t, "amb-1", c.VehicleID, "a command for an unregistered vehicle")
	}
	assert.Equal(t, 2, preemptsFor(s.obs.commands(t), "amb-1")[0].Priority, "the registry's priority")
	assert.Equal(t, 30.0, metrics.Value(s.met.MessagesRejected.WithLabelValues("position", service.RejectUnregistered, "vehicle_id")))
	assert.Equal(t, 1.0, metrics.Value(s.met.InputsProcessed.WithLabelValues("position")), "only amb-1's fix reached the engine")

	s.waitFor("the window's summary in the audit trail", func() bool {
		for _, l := range audit.lines() {
			if l["kind"] == "refusals" && l["reason"] == service.RejectUnregistered {
				return true
			}
		}
		return false
	})
	for _, l := range audit.lines() {
		if l["kind"] == "refusals" {
			assert.Equal(t, 30.0, l["count"], "one record for the 30")
			assert.Equal(t, "position", l["input"])
			assert.Equal(t, "cc-1", l["controller_id"])
		}
	}
	refusedLines := logs.FilterMessageSnippet("refused").AllUntimed()
	assert.Len(t, refusedLines, 2, "the first at once, then the window's count: %v", refusedLines)
}

// A registered vehicle flooding its own topic is held to its rate: the
// surplus is refused (rate_limited) before parsing, and another vehicle's
// fixes still get through.
func TestVehicleRateLimit(t *testing.T) {
	s := newStack(t, brokertest.Embedded(t), stackOptions{service: func(c *service.Config) {
		c.Registry = mustRegistry(t, "vehicle_id\namb-1\namb-2\n")
		c.VehicleRate, c.VehicleBurst = 5, 10
	}})
	const flood = 200
	for i := range flood {
		require.NoError(t, s.vehicle.PublishNoWait(s.fixMessage("amb-2", uint64(i+1), 100, false)))
	}
	require.NoError(t, s.vehicle.Publish(context.Background(), s.fixMessage("amb-1", 1, 300, true)))
	s.waitFor("amb-1 preempted", func() bool { return len(preemptsFor(s.obs.commands(t), "amb-1")) > 0 })
	s.waitFor("the flood delivered", func() bool {
		return metrics.Value(s.met.MessagesReceived.WithLabelValues("position")) >= flood+1
	})
	limited := metrics.Value(s.met.MessagesRejected.WithLabelValues("position", service.RejectRateLimited, "vehicle_id"))
	// The burst of 10, plus 5 a second of clock time while the flood
	// arrived (a few seconds at most at 25x).
	assert.Greater(t, limited, flood-60.0)
	assert.Less(t, metrics.Value(s.met.InputsProcessed.WithLabelValues("position")), 62.0)
}

// A registry reload changes who is accepted and with what priority, on
// a running service: the next preempt carries the new priority; a vehicle
// taken out is refused.
func TestSetRegistryOnARunningService(t *testing.T) {
	s := newStack(t, brokertest.Embedded(t), stackOptions{service: func(c *service.Config) {
		c.Registry = mustRegistry(t, "vehicle_id,priority\namb-1,3\namb-2,1\n")
	}})
	ctx := context.Background()
	require.NoError(t, s.svc.SetRegistry(ctx, mustRegistry(t, "vehicle_id,priority\namb-1,2\n")))
	require.NoError(t, s.vehicle.Publish(ctx, s.fixMessage("amb-1", 1, 300, true)))
	require.NoError(t, s.vehicle.Publish(ctx, s.fixMessage("amb-2", 1, 1300, true)))
	s.waitFor("amb-1 preempted", func() bool { return len(preemptsFor(s.obs.commands(t), "amb-1")) > 0 })
	assert.Equal(t, 2, preemptsFor(s.obs.commands(t), "amb-1")[0].Priority)
	s.waitFor("amb-2 refused", func() bool {
		return metrics.Value(s.met.MessagesRejected.WithLabelValues("position", service.RejectUnregistered, "vehicle_id")) == 1
	})
	assert.Empty(t, preemptsFor(s.obs.commands(t), "amb-2"))
}

// While the broker cannot be reached, /healthz says why.
func TestHealthSaysWhyTheBrokerIsUnreachable(t *testing.T) {
	net, err := routing.LoadMapFile(writeCorridorMap(t))
	require.NoError(t, err)
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	svc, err := service.New(net, service.Config{Topics: topics, Engine: controller.Config{ControllerID: "cc-1"}, Metrics: metrics.New()})
	require.NoError(t, err)
	opts := clientOpts("tcp://"+brokertest.FreeLoopbackAddr(t), "svc", zap.NewNop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, opts) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, func() bool {
		err := svc.Healthy()
		return err != nil && strings.Contains(err.Error(), "(refused)")
	}, realWait, 10*time.Millisecond)
	assert.Contains(t, svc.Healthy().Error(), "connection refused")
	assert.Positive(t, metrics.Value(svc.Metrics().ConnectFailures.WithLabelValues(mqttx.CauseRefused)))
}
