package ntcip

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/wire"
)

// realWait bounds every wait for a condition, in real time.
const realWait = 15 * time.Second

// testControllerID is the controller the tests' gateways trust, and whose
// commands the commander sends unless told otherwise.
const testControllerID = "cc-1"

type record struct {
	at      time.Time
	topic   string
	payload []byte
}

// watcher keeps every message of the topic tree, stamped with the clock.
type watcher struct {
	topics mqttx.Topics
	clk    clock.Clock
	mu     sync.Mutex
	recs   []record
}

func (w *watcher) handle(topic string, payload []byte) {
	w.mu.Lock()
	w.recs = append(w.recs, record{at: w.clk.Now(), topic: topic, payload: append([]byte(nil), payload...)})
	w.mu.Unlock()
}

func (w *watcher) snapshot() []record {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]record(nil), w.recs...)
}

// gwStatus is a status as the gateway published it, with the optional
// reason and when the watcher saw it.
type gwStatus struct {
	seen time.Time
	wire.Status
	Reason string
}

func (w *watcher) statuses(t testing.TB, id string) []gwStatus {
	var out []gwStatus
	for _, r := range w.snapshot() {
		if kind, rid, _ := w.topics.Parse(r.topic); kind == mqttx.KindSignalStatus && rid == id && len(r.payload) > 0 {
			s, err := wire.ParseStatus("", r.payload)
			require.NoError(t, err, "the gateway published an invalid status: %s", r.payload)
			var extra struct {
				Reason string `json:"reason"`
			}
			require.NoError(t, json.Unmarshal(r.payload, &extra))
			out = append(out, gwStatus{seen: r.at, Status: s, Reason: extra.Reason})
		}
	}
	return out
}

func (w *watcher) commands(t testing.TB) []wire.Command {
	var out []wire.Command
	for _, r := range w.snapshot() {
		if kind, _, _ := w.topics.Parse(r.topic); kind == mqttx.KindCommand {
			c, err := wire.ParseCommand("", r.payload)
			require.NoError(t, err)
			out = append(out, c)
		}
	}
	return out
}

func (w *watcher) presence(id string) []string {
	var out []string
	for _, r := range w.snapshot() {
		if kind, cid, _ := w.topics.Parse(r.topic); kind == mqttx.KindControllerStatus && cid == id {
			var s struct {
				State string `json:"state"`
			}
			if json.Unmarshal(r.payload, &s) == nil {
				out = append(out, s.State)
			}
		}
	}
	return out
}

// waitFor polls cond until it holds or realWait passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(realWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for: %s", realWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStatus waits for a status of id satisfying ok and returns the first.
func (w *watcher) waitStatus(t testing.TB, id, what string, ok func(gwStatus) bool) gwStatus {
	t.Helper()
	var found gwStatus
	waitFor(t, id+": "+what, func() bool {
		for _, s := range w.statuses(t, id) {
			if ok(s) {
				found = s
				return true
			}
		}
		return false
	})
	return found
}

func clientOpts(url, id string, log *zap.Logger) mqttx.Options {
	return mqttx.Options{BrokerURL: url, ClientID: id, Logger: log, MaxReconnectInterval: 100 * time.Millisecond,
		ConnectTimeout: time.Second, PublishTimeout: 2 * time.Second}
}

// connectWatcher subscribes a watcher to everything under the root.
func connectWatcher(t testing.TB, url string, clk clock.Clock) (*watcher, *mqttx.Client) {
	t.Helper()
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	w := &watcher{topics: topics, clk: clk}
	opts := clientOpts(url, "watcher", testLogger(t))
	opts.Subscriptions = []mqttx.Subscription{{Filter: mqttx.DefaultRoot + "/#", QoS: 1, Handler: w.handle}}
	ctx, cancel := context.WithTimeout(context.Background(), realWait)
	defer cancel()
	c, err := mqttx.Connect(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Disconnect(0) })
	return w, c
}

// runningGateway is a gateway on a broker, with the log lines it wrote.
type runningGateway struct {
	gw   *Gateway
	logs *observer.ObservedLogs
	stop context.CancelFunc
	done chan error
}

func startGateway(t testing.TB, url string, clk clock.Clock, cfg *Config) *runningGateway {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	log := zap.New(zapcore.NewTee(core, testLogger(t).Core())).Named("gateway")
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	gw, err := NewGateway(cfg, GatewayOptions{Topics: topics, ID: "gw-1", Clock: clk, Logger: log, ShutdownTimeout: 2 * time.Second,
		TrustedControllers: []string{testControllerID}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningGateway{gw: gw, logs: logs, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- gw.Serve(ctx, clientOpts(url, "gateway", log)) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// stopped stops the gateway gracefully and waits for it.
func (r *runningGateway) stopped(t testing.TB) {
	t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		require.NoError(t, err)
		r.done <- nil // for the cleanup
	case <-time.After(realWait):
		t.Fatal("gateway did not stop")
	}
}

// errorLogs counts the gateway's error lines whose detail contains s.
func (r *runningGateway) errorLogs(s string) int {
	n := 0
	for _, e := range r.logs.FilterLevelExact(zapcore.ErrorLevel).All() {
		for _, f := range e.Context {
			if f.Key == "detail" && strings.Contains(f.String, s) {
				n++
			}
		}
	}
	return n
}

// commander publishes commands as a controller would.
type commander struct {
	t      testing.TB
	c      *mqttx.Client
	topics mqttx.Topics
	clk    clock.Clock
}

func newCommander(t testing.TB, url string, clk clock.Clock) *commander {
	t.Helper()
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	ctx, cancel := context.WithTimeout(context.Background(), realWait)
	defer cancel()
	c, err := mqttx.Connect(ctx, clientOpts(url, "commander", testLogger(t)))
	require.NoError(t, err)
	t.Cleanup(func() { c.Disconnect(0) })
	return &commander{t: t, c: c, topics: topics, clk: clk}
}

func (k *commander) send(c wire.Command) {
	k.t.Helper()
	b, err := json.Marshal(c)
	require.NoError(k.t, err)
	require.NoError(k.t, k.c.Publish(context.Background(), mqttx.Message{Topic: k.topics.Command(c.IntersectionID), Payload: b, QoS: 1}))
}

func (k *commander) preempt(id, inter, approach string, phase int, lease time.Duration) wire.Command {
	return k.preemptAs(testControllerID, id, inter, approach, phase, lease)
}

// preemptAs sends a preempt as if from controller controllerID.
func (k *commander) preemptAs(controllerID, id, inter, approach string, phase int, lease time.Duration) wire.Command {
	now := k.clk.Now()
	c := wire.Command{Type: wire.CommandPreempt, RequestID: id, ControllerID: controllerID, IntersectionID: inter, VehicleID: "amb-1",
		Approach: approach, Phase: phase, Priority: 1, EtaS: 20, IssuedAt: now, ExpiresAt: now.Add(lease)}
	k.send(c)
	return c
}

func (k *commander) release(id, inter string) wire.Command {
	c := wire.Command{Type: wire.CommandRelease, RequestID: id, ControllerID: testControllerID, IntersectionID: inter, IssuedAt: k.clk.Now()}
	k.send(c)
	return c
}

func (k *commander) offline(controllerID string) {
	k.t.Helper()
	b := presencePayload(controllerID, false, k.clk.Now())
	require.NoError(k.t, k.c.Publish(context.Background(), mqttx.Message{Topic: k.topics.ControllerStatus(controllerID), Payload: b, QoS: 1, Retained: true}))
}

// inputOnAt is when the virtual controller's input n last turned on or
// off, before or at the end of its history: ok false when it never did.
func lastChange(v *Virtual, n int) (InputChange, bool) {
	h := v.History()
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Input == n {
			return h[i], true
		}
	}
	return InputChange{}, false
}

// brokerURL gives a test its broker: the embedded one, or Mosquitto.
func embeddedBroker(t testing.TB) string { return brokertest.Embedded(t).URL() }

// killBetweenPolls kills the agent just after the gateway's next poll of
// v (whose only client it must be): the gateway's SNMP timeouts are real
// time while tests run its polls on a fast clock, so a poll caught in
// flight would wait many poll periods of that clock. In the field,
// timeout × tries ≤ the poll period (the configuration enforces it).
func killBetweenPolls(t testing.TB, v *Virtual, a *Agent) {
	t.Helper()
	n0 := v.Requests()
	waitFor(t, "a poll of "+v.IntersectionID(), func() bool { return v.Requests() > n0 })
	for n := v.Requests(); ; n = v.Requests() {
		time.Sleep(5 * time.Millisecond) // a poll's objects come back to back
		if v.Requests() == n {
			break
		}
	}
	a.Kill()
}
