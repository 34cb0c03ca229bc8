package rsu

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// recorder is a Publisher that keeps what it is given.
type recorder struct {
	mu   sync.Mutex
	msgs []mqttx.Message
}

func (r *recorder) Publish(_ context.Context, m mqttx.Message) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	return nil
}

func (r *recorder) statuses(t *testing.T, topics mqttx.Topics, id string) []wire.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []wire.Status
	for _, m := range r.msgs {
		if kind, mid, _ := topics.Parse(m.Topic); kind == mqttx.KindSignalStatus && mid == id {
			require.True(t, m.Retained, "statuses are retained")
			require.EqualValues(t, 1, m.QoS)
			s, err := wire.ParseStatus("", m.Payload)
			require.NoError(t, err)
			out = append(out, s)
		}
	}
	return out
}

func twoJunctions(t *testing.T) *routing.Network {
	t.Helper()
	proj := routing.NewProjection(orb.Point{6.1, 49.6})
	ll := func(x, y float64) orb.Point { return proj.ToLonLat(routing.XY{X: x, Y: y}) }
	inv := &routing.Inventory{Roads: []routing.Road{
		{ID: "a", SpeedMps: 13.9, Coords: []orb.Point{ll(0, 0), ll(500, 0)}},
		{ID: "b", SpeedMps: 13.9, Coords: []orb.Point{ll(500, 0), ll(1000, 0)}},
		{ID: "c", SpeedMps: 13.9, Coords: []orb.Point{ll(500, 0), ll(500, 300)}},
		{ID: "d", SpeedMps: 13.9, Coords: []orb.Point{ll(1000, 0), ll(1000, 300)}},
	}}
	for i, x := range []float64{500, 1000} {
		inv.Intersections = append(inv.Intersections, routing.Intersection{
			ID: []string{"J1", "J2"}[i], LonLat: ll(x, 0),
			Timing:     routing.Timing{MinGreenS: 5, YellowS: 3, AllRedS: 1, MaxPreemptS: 60},
			Approaches: []routing.Approach{{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "SB", BearingDeg: 180, Phase: 4}},
		})
	}
	n, err := routing.Build(inv)
	require.NoError(t, err)
	return n
}

type harness struct {
	sim    *Simulator
	rec    *recorder
	clk    *clock.Scaled
	topics mqttx.Topics
}

func start(t *testing.T) *harness { return startWith(t, Options{}) }

func startWith(t *testing.T, opts Options) *harness {
	t.Helper()
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	clk := clock.NewScaled(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), 50)
	opts.Topics, opts.Clock = topics, clk
	s, err := New(twoJunctions(t), opts)
	require.NoError(t, err)
	assert.Equal(t, []string{"J1", "J2"}, s.Intersections())
	h := &harness{sim: s, rec: &recorder{}, clk: clk, topics: topics}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx, h.rec) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	return h
}

func (h *harness) waitStatus(t *testing.T, id string, ok func(wire.Status) bool) wire.Status {
	t.Helper()
	var found wire.Status
	require.Eventually(t, func() bool {
		for _, s := range h.rec.statuses(t, h.topics, id) {
			if ok(s) {
				found = s
				return true
			}
		}
		return false
	}, 5*time.Second, time.Millisecond)
	return found
}

func (h *harness) preempt(t *testing.T, id, req, controllerID string, lease time.Duration) {
	now := h.clk.Now()
	c := wire.Command{Type: wire.CommandPreempt, RequestID: req, ControllerID: controllerID, IntersectionID: id,
		VehicleID: "amb-1", Approach: "EB", Phase: 2, Priority: 1, EtaS: 20, IssuedAt: now, ExpiresAt: now.Add(lease)}
	b, err := json.Marshal(c)
	require.NoError(t, err)
	h.sim.onCommand(h.topics.Command(id), b)
}

func TestPublishesEveryUnitAtStart(t *testing.T) {
	h := start(t)
	for _, id := range []string{"J1", "J2"} {
		st := h.waitStatus(t, id, func(wire.Status) bool { return true })
		assert.Equal(t, wire.StateNormal, st.State)
	}
}

func TestPreemptHoldsThenExpires(t *testing.T) {
	h := start(t)
	h.waitStatus(t, "J1", func(wire.Status) bool { return true })
	h.preempt(t, "J1", "amb-1.J1.1", "cc-1", 30*time.Second)
	hold := h.waitStatus(t, "J1", func(s wire.Status) bool { return s.State == wire.StateHold })
	assert.Equal(t, "amb-1.J1.1", hold.RequestID)
	assert.Equal(t, []int{2}, hold.GreenPhases)
	// Nobody refreshes it: the unit lets it go at expires_at.
	end := h.waitStatus(t, "J1", func(s wire.Status) bool {
		return s.TS.After(hold.TS) && s.State != wire.StateHold
	})
	assert.Empty(t, end.RequestID)
	assert.False(t, end.TS.Before(hold.TS.Add(5*time.Second)), "ended at %v, held from %v", end.TS, hold.TS)
	// J2 was never touched.
	for _, s := range h.rec.statuses(t, h.topics, "J2") {
		assert.Equal(t, wire.StateNormal, s.State)
	}
}

func TestControllerOfflineEndsItsPreemptsOnly(t *testing.T) {
	h := start(t)
	h.waitStatus(t, "J1", func(wire.Status) bool { return true })
	h.preempt(t, "J1", "a.J1.1", "cc-1", time.Hour)
	h.preempt(t, "J2", "b.J2.1", "cc-2", time.Hour)
	hold := h.waitStatus(t, "J1", func(s wire.Status) bool { return s.State == wire.StateHold })
	h.waitStatus(t, "J2", func(s wire.Status) bool { return s.State == wire.StateHold })

	offline, _ := json.Marshal(wire.ControllerStatus{ControllerID: "cc-1", State: wire.ControllerOffline, TS: h.clk.Now()})
	h.sim.onControllerStatus(h.topics.ControllerStatus("cc-1"), offline)
	h.waitStatus(t, "J1", func(s wire.Status) bool {
		return s.TS.After(hold.TS) && (s.State == wire.StateExit || s.State == wire.StateNormal)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := h.sim.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.ControllersGone)
	j2 := h.rec.statuses(t, h.topics, "J2")
	assert.Equal(t, wire.StateHold, j2[len(j2)-1].State, "cc-2's preempt stays")
}

func TestRefusesBadInputWithoutChange(t *testing.T) {
	h := start(t)
	h.waitStatus(t, "J1", func(wire.Status) bool { return true })
	now := h.clk.Now()
	good := wire.Command{Type: wire.CommandPreempt, RequestID: "r", ControllerID: "cc-1", IntersectionID: "J1",
		VehicleID: "v", Approach: "EB", Phase: 2, Priority: 1, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	b, _ := json.Marshal(good)
	h.sim.onCommand(h.topics.Command("J2"), b) // topic and body disagree
	h.sim.onCommand(h.topics.Command("J1"), []byte(`{"type":"preempt"`))
	h.sim.onControllerStatus(h.topics.ControllerStatus("cc-1"), []byte(`{"controller_id":"cc-9","state":"offline"}`))
	h.sim.onControllerStatus(h.topics.ControllerStatus("cc-1"), []byte(`{"controller_id":"cc-1","state":"asleep"}`))
	bad := good
	bad.IntersectionID, bad.Phase = "J1", 7 // a phase J1 does not have
	b, _ = json.Marshal(bad)
	h.sim.onCommand(h.topics.Command("J1"), b)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.Eventually(t, func() bool {
		st, err := h.sim.Stats(ctx)
		return err == nil && st.CommandsRefused == 1
	}, 5*time.Second, time.Millisecond, "the wrong-phase preempt reaches the unit and is refused there")
	st, err := h.sim.Stats(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.CommandsApplied)
	assert.Zero(t, st.ControllersGone)
	for _, id := range []string{"J1", "J2"} {
		for _, s := range h.rec.statuses(t, h.topics, id) {
			assert.Equal(t, wire.StateNormal, s.State)
		}
	}
}

func TestResyncRepublishesEverything(t *testing.T) {
	h := start(t)
	h.waitStatus(t, "J1", func(wire.Status) bool { return true })
	h.waitStatus(t, "J2", func(wire.Status) bool { return true })
	before := len(h.rec.statuses(t, h.topics, "J2"))
	h.sim.Resync()
	require.Eventually(t, func() bool { return len(h.rec.statuses(t, h.topics, "J2")) > before }, 5*time.Second, time.Millisecond)
}

// With trusted controllers configured, a command from any other
// controller id is refused, and another controller's offline is ignored.
func TestOnlyTrustedControllers(t *testing.T) {
	h := startWith(t, Options{TrustedControllers: []string{"cc-1"}})
	h.waitStatus(t, "J1", func(wire.Status) bool { return true })
	h.preempt(t, "J2", "x.J2.1", "made-up", time.Hour)
	h.preempt(t, "J1", "a.J1.1", "cc-1", time.Hour)
	hold := h.waitStatus(t, "J1", func(s wire.Status) bool { return s.State == wire.StateHold })
	offline, _ := json.Marshal(wire.ControllerStatus{ControllerID: "made-up", State: wire.ControllerOffline, TS: h.clk.Now()})
	h.sim.onControllerStatus(h.topics.ControllerStatus("made-up"), offline)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := h.sim.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, st.CommandsUntrusted)
	assert.Equal(t, 1, st.CommandsApplied)
	assert.Zero(t, st.ControllersGone)
	for _, s := range h.rec.statuses(t, h.topics, "J2") {
		assert.Equal(t, wire.StateNormal, s.State, "J2 never obeyed the made-up controller")
	}
	j1 := h.rec.statuses(t, h.topics, "J1")
	assert.Equal(t, hold.RequestID, j1[len(j1)-1].RequestID, "cc-1's hold stands")
}

func TestHoldBudgetOption(t *testing.T) {
	_, err := New(twoJunctions(t), Options{HoldBudget: signals.HoldBudget{Window: time.Minute, Max: 2 * time.Minute}})
	require.Error(t, err)
	h := startWith(t, Options{HoldBudget: signals.HoldBudget{Window: time.Hour, Max: 10 * time.Second}})
	h.waitStatus(t, "J1", func(wire.Status) bool { return true })
	h.preempt(t, "J1", "a.J1.1", "cc-1", time.Hour)
	hold := h.waitStatus(t, "J1", func(s wire.Status) bool { return s.State == wire.StateHold })
	end := h.waitStatus(t, "J1", func(s wire.Status) bool { return s.TS.After(hold.TS) && s.State != wire.StateHold })
	// The statuses are stamped when the loop ran, a few ms of clock time late.
	assert.InDelta(t, 10, end.TS.Sub(hold.TS).Seconds(), 0.5, "the hold ends where the budget runs out, not at the 60 s max preempt")
	h.preempt(t, "J1", "a.J1.2", "cc-1", time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.Eventually(t, func() bool {
		st, err := h.sim.Stats(ctx)
		return err == nil && st.CommandsRefused == 1
	}, 5*time.Second, time.Millisecond, "a fresh request_id is refused: the budget is spent")
}

// With a connection per unit, a simulator that dies (its connections cut
// without a goodbye, as a crash or a pulled cable does) leaves every
// unit's retained status at fault, marked offline — not at hold.
func TestUnitConnectionsLastWill(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
		proxy := brokertest.NewProxy(t, strings.TrimPrefix(b.URL(), "tcp://"))
		sim, err := New(twoJunctions(t), Options{Topics: topics, UnitConnections: true})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- sim.Serve(ctx, mqttx.Options{BrokerURL: proxy.URL(), ClientID: "rsu", MaxReconnectInterval: 100 * time.Millisecond})
		}()
		t.Cleanup(func() { cancel(); <-done })

		var mu sync.Mutex
		seen := map[string]wire.Status{}
		obs, err := mqttx.Connect(ctx, mqttx.Options{BrokerURL: b.URL(), ClientID: "observer",
			Subscriptions: []mqttx.Subscription{{Filter: topics.Filter(mqttx.KindSignalStatus), QoS: 1, Handler: func(_ string, p []byte) {
				if st, err := wire.ParseStatus("", p); err == nil {
					mu.Lock()
					seen[st.IntersectionID] = st
					mu.Unlock()
				}
			}}}})
		require.NoError(t, err)
		t.Cleanup(func() { obs.Disconnect(0) })
		state := func(id string) wire.Status {
			mu.Lock()
			defer mu.Unlock()
			return seen[id]
		}
		now := time.Now()
		cmd, _ := json.Marshal(wire.Command{Type: wire.CommandPreempt, RequestID: "a.J1.1", ControllerID: "cc-1", IntersectionID: "J1",
			VehicleID: "a", Approach: "EB", Phase: 2, Priority: 1, EtaS: 5, IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
		require.Eventually(t, func() bool {
			_ = obs.Publish(ctx, mqttx.Message{Topic: topics.Command("J1"), Payload: cmd, QoS: 1})
			return state("J1").State == wire.StateEntry || state("J1").State == wire.StateHold
		}, 10*time.Second, 100*time.Millisecond, "J1 serves the preempt")
		assert.False(t, state("J2").Offline)

		proxy.Cut()
		require.Eventually(t, func() bool {
			return state("J1").Offline && state("J2").Offline
		}, 10*time.Second, 10*time.Millisecond, "every unit's Last Will published")
		assert.Equal(t, wire.StateFault, state("J1").State)
		assert.Empty(t, state("J1").RequestID)
	})
}

// A simulator that stops cleanly (no Last Will then) says itself that its
// units are offline, in either connection mode.
func TestCleanStopReportsOffline(t *testing.T) {
	for _, perUnit := range []bool{false, true} {
		t.Run(fmt.Sprintf("unit connections %v", perUnit), func(t *testing.T) {
			b := brokertest.Embedded(t)
			topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
			sim, err := New(twoJunctions(t), Options{Topics: topics, UnitConnections: perUnit})
			require.NoError(t, err)
			var mu sync.Mutex
			last := map[string]wire.Status{}
			obs, err := mqttx.Connect(t.Context(), mqttx.Options{BrokerURL: b.URL(), ClientID: "observer",
				Subscriptions: []mqttx.Subscription{{Filter: topics.Filter(mqttx.KindSignalStatus), QoS: 1, Handler: func(_ string, p []byte) {
					if st, err := wire.ParseStatus("", p); err == nil {
						mu.Lock()
						last[st.IntersectionID] = st
						mu.Unlock()
					}
				}}}})
			require.NoError(t, err)
			t.Cleanup(func() { obs.Disconnect(0) })
			state := func(id string) wire.Status { mu.Lock(); defer mu.Unlock(); return last[id] }
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- sim.Serve(ctx, mqttx.Options{BrokerURL: b.URL(), ClientID: "rsu"}) }()
			require.Eventually(t, func() bool { return state("J1").State == wire.StateNormal && state("J2").State == wire.StateNormal },
				5*time.Second, 5*time.Millisecond)
			cancel()
			require.NoError(t, <-done)
			require.Eventually(t, func() bool { return state("J1").Offline && state("J2").Offline }, 5*time.Second, 5*time.Millisecond)
			assert.Equal(t, wire.StateFault, state("J2").State)
		})
	}
}
