package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/rsu"
	"github.com/greenwave-project/greenwave/internal/service"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// speedup runs every component of a test on one clock this many times
// faster than real time: a 70 s drive takes under 3 s. Every time a test
// reasons about (lead times, leases, arrivals) is in clock time, so the
// factor changes how long a test takes, not what it checks.
const speedup = 25

// realWait bounds every wait for a condition, in real time.
const realWait = 10 * time.Second

// Corridor geometry, in metres east of the map origin: an east-west
// arterial with signalised four-way junctions at corridorX.
var (
	mapOrigin = orb.Point{6.1, 49.6}
	mapProj   = routing.NewProjection(mapOrigin)
	corridorX = []float64{500, 1000, 1500}
	corridor  = []string{"I1", "I2", "I3"}
)

func lonLat(x, y float64) orb.Point { return mapProj.ToLonLat(routing.XY{X: x, Y: y}) }

// writeCorridorMap writes the corridor as map-format GeoJSON into a temp
// dir and returns its path. Timing is brisk (entry at most 5+0+3+1 = 9 s)
// so a preempt is served well inside the lead time.
func writeCorridorMap(t testing.TB) string {
	t.Helper()
	inv := &routing.Inventory{}
	road := func(id string, pts ...[2]float64) routing.Road {
		r := routing.Road{ID: id, SpeedMps: 13.9}
		for _, p := range pts {
			r.Coords = append(r.Coords, lonLat(p[0], p[1]))
		}
		return r
	}
	xs := []float64{0, 500, 1000, 1500, 2000}
	for i := 0; i+1 < len(xs); i++ {
		inv.Roads = append(inv.Roads, road(fmt.Sprintf("main-%d", i), [2]float64{xs[i], 0}, [2]float64{xs[i+1], 0}))
	}
	for i, x := range corridorX {
		id := corridor[i]
		inv.Intersections = append(inv.Intersections, routing.Intersection{
			ID: id, LonLat: lonLat(x, 0),
			Timing: routing.Timing{MinGreenS: 5, YellowS: 3, AllRedS: 1, PedClearanceS: 0, MaxPreemptS: 90},
			Approaches: []routing.Approach{
				{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "WB", BearingDeg: 270, Phase: 6},
				{ID: "NB", BearingDeg: 0, Phase: 4}, {ID: "SB", BearingDeg: 180, Phase: 8},
			},
		})
		inv.Roads = append(inv.Roads,
			road(id+"-n", [2]float64{x, 0}, [2]float64{x, 300}),
			road(id+"-s", [2]float64{x, 0}, [2]float64{x, -300}))
	}
	var buf bytes.Buffer
	require.NoError(t, inv.WriteGeoJSON(&buf))
	path := filepath.Join(t.TempDir(), "corridor.geojson")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	return path
}

// record is one message the observer saw, stamped with the shared clock.
type record struct {
	at      time.Time
	topic   string
	payload []byte
}

// observer subscribes to the whole tree and keeps everything it sees.
type observer struct {
	topics mqttx.Topics
	mu     sync.Mutex
	recs   []record
	clk    clock.Clock
}

func (o *observer) handle(topic string, payload []byte) {
	o.mu.Lock()
	o.recs = append(o.recs, record{at: o.clk.Now(), topic: topic, payload: append([]byte(nil), payload...)})
	o.mu.Unlock()
}

func (o *observer) snapshot() []record {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]record(nil), o.recs...)
}

// commands returns every command seen, in arrival order.
func (o *observer) commands(t *testing.T) []wire.Command {
	var out []wire.Command
	for _, r := range o.snapshot() {
		if kind, _, _ := o.topics.Parse(r.topic); kind == mqttx.KindCommand {
			c, err := wire.ParseCommand("", r.payload)
			require.NoError(t, err, "the service published an invalid command: %s", r.payload)
			out = append(out, c)
		}
	}
	return out
}

type seenStatus struct {
	at time.Time
	wire.Status
}

// statuses returns every roadside status seen for intersection id.
func (o *observer) statuses(t *testing.T, id string) []seenStatus {
	var out []seenStatus
	for _, r := range o.snapshot() {
		if kind, rid, _ := o.topics.Parse(r.topic); kind == mqttx.KindSignalStatus && rid == id && len(r.payload) > 0 {
			s, err := wire.ParseStatus("", r.payload)
			require.NoError(t, err)
			out = append(out, seenStatus{at: r.at, Status: s})
		}
	}
	return out
}

// controllerStates returns the controller presence states seen, in order.
func (o *observer) controllerStates(id string) []string {
	var out []string
	for _, r := range o.snapshot() {
		if kind, cid, _ := o.topics.Parse(r.topic); kind == mqttx.KindControllerStatus && cid == id {
			var s wire.ControllerStatus
			if json.Unmarshal(r.payload, &s) == nil {
				out = append(out, s.State)
			}
		}
	}
	return out
}

// stack is a broker with the service, the roadside units, an observer and
// a vehicle client on it, all on one scaled clock.
type stack struct {
	t       *testing.T
	broker  brokertest.Broker
	clk     *clock.Scaled
	topics  mqttx.Topics
	net     *routing.Network
	svc     *service.Service
	met     *metrics.Metrics
	units   *rsu.Simulator
	obs     *observer
	vehicle *mqttx.Client
	stopSvc context.CancelFunc
	svcDone chan error
	log     *zap.Logger
}

type stackOptions struct {
	engine     controller.Config
	serviceURL string // default: the broker's
	keepAlive  time.Duration
	noService  bool
	// speedup overrides the package's speedup: a test whose engine cuts
	// its timing fine (the planner's requests, with the plans reported)
	// runs slower, so that a loaded machine's scheduling delays, which
	// the speedup multiplies into clock seconds, stay within its margins.
	speedup float64
	// spat makes the roadside units report their planned green times
	// (green_until). Off, the engine plans for the worst case and preempts
	// every signal ahead; on, it lets a green the plan shows anyway carry
	// the vehicle through without a preempt.
	spat bool
	// service, when set, edits the service's configuration.
	service func(*service.Config)
	// observer, when set, watches the service (service.Config.Observer).
	observer service.Observer
}

func clientOpts(url, id string, log *zap.Logger) mqttx.Options {
	return mqttx.Options{BrokerURL: url, ClientID: id, Logger: log, MaxReconnectInterval: 100 * time.Millisecond,
		ConnectTimeout: time.Second, PublishTimeout: 2 * time.Second}
}

func newStack(t *testing.T, b brokertest.Broker, so stackOptions) *stack {
	t.Helper()
	log := zaptest.NewLogger(t, zaptest.Level(testLogLevel))
	net, err := routing.LoadMapFile(writeCorridorMap(t))
	require.NoError(t, err)
	topics, err := mqttx.NewTopics(mqttx.DefaultRoot)
	require.NoError(t, err)
	factor := float64(speedup)
	if so.speedup > 0 {
		factor = so.speedup
	}
	s := &stack{t: t, broker: b, clk: clock.NewScaled(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), factor),
		topics: topics, net: net, log: log}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	// Observer first, so it sees everything from the start.
	s.obs = &observer{topics: topics, clk: s.clk}
	obsOpts := clientOpts(b.URL(), "observer", log)
	obsOpts.Subscriptions = []mqttx.Subscription{{Filter: mqttx.DefaultRoot + "/#", QoS: 1, Handler: s.obs.handle}}
	obs, err := mqttx.Connect(ctx, obsOpts)
	require.NoError(t, err)
	t.Cleanup(func() { obs.Disconnect(0) })

	s.units, err = rsu.New(net, rsu.Options{Topics: topics, Clock: s.clk, Logger: log.Named("rsu"), OmitGreenTimes: !so.spat})
	require.NoError(t, err)
	rsuDone := make(chan error, 1)
	go func() { rsuDone <- s.units.Serve(ctx, clientOpts(b.URL(), "rsu", log)) }()
	t.Cleanup(func() { cancel(); <-rsuDone })
	for _, id := range corridor {
		s.waitStatus(id, "rsu up", func(seenStatus) bool { return true })
	}

	s.vehicle, err = mqttx.Connect(ctx, clientOpts(b.URL(), "vehicle", log))
	require.NoError(t, err)
	t.Cleanup(func() { s.vehicle.Disconnect(0) })

	if !so.noService {
		s.startService(so)
	}
	return s
}

func (s *stack) startService(so stackOptions) {
	t := s.t
	if so.engine.ControllerID == "" {
		so.engine.ControllerID = "cc-1"
	}
	s.met = metrics.New()
	var err error
	cfg := service.Config{Topics: s.topics, Engine: so.engine, Clock: s.clk,
		Logger: s.log.Named("service"), Metrics: s.met, ShutdownTimeout: 500 * time.Millisecond, Observer: so.observer}
	if so.service != nil {
		so.service(&cfg)
	}
	s.svc, err = service.New(s.net, cfg)
	require.NoError(t, err)
	url := so.serviceURL
	if url == "" {
		url = s.broker.URL()
	}
	opts := clientOpts(url, "service-"+so.engine.ControllerID, s.log)
	if so.keepAlive > 0 {
		opts.KeepAlive = so.keepAlive
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSvc = cancel
	s.svcDone = make(chan error, 1)
	go func() { s.svcDone <- s.svc.Serve(ctx, opts) }()
	t.Cleanup(func() { cancel(); <-s.svcDone })
	s.waitFor("controller online", func() bool {
		st := s.obs.controllerStates(so.engine.ControllerID)
		return len(st) > 0 && st[len(st)-1] == wire.ControllerOnline
	})
}

// waitFor polls cond until it holds or realWait passes.
func (s *stack) waitFor(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(realWait)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out after %v waiting for: %s", realWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStatus waits for a status of intersection id satisfying ok and
// returns the first such.
func (s *stack) waitStatus(id, what string, ok func(seenStatus) bool) seenStatus {
	s.t.Helper()
	var found seenStatus
	s.waitFor(id+": "+what, func() bool {
		for _, st := range s.obs.statuses(s.t, id) {
			if ok(st) {
				found = st
				return true
			}
		}
		return false
	})
	return found
}

// fix is one position the vehicle published.
type fix struct {
	at time.Time
	x  float64
}

// trip is a drive's schedule: where the vehicle really is when. Fixes are
// samples of it; a stalled publish (a busy machine at 25x) delays a sample,
// not the vehicle, and the engine dead-reckons across the gap.
type trip struct {
	start time.Time
	x0, v float64
	fixes []fix
}

// at is when the vehicle reaches x.
func (tr trip) at(x float64) time.Time {
	return tr.start.Add(time.Duration((x - tr.x0) / tr.v * float64(time.Second)))
}

// drive publishes a fix every clock second for vehicle id moving east
// along the corridor from x0 to x1 at speed m/s, positions computed from
// the clock so that the vehicle moves at the same speed however the
// goroutines are scheduled. It returns the fixes published.
func (s *stack) drive(id string, seq *uint64, x0, x1, speed float64, emergency bool) trip {
	s.t.Helper()
	var fixes []fix
	start := s.clk.Now()
	timer := s.clk.NewTimer(0)
	defer timer.Stop()
	for {
		<-timer.C()
		now := s.clk.Now()
		x := min(x0+speed*now.Sub(start).Seconds(), x1)
		*seq++
		ll := lonLat(x, 0)
		p := wire.Position{VehicleID: id, Seq: *seq, TS: now, Lat: ll[1], Lon: ll[0],
			SpeedMps: new(speed), HeadingDeg: new(90.0), AccuracyM: new(3.0), Emergency: emergency}
		b, err := json.Marshal(p)
		require.NoError(s.t, err)
		if err := s.vehicle.Publish(context.Background(), mqttx.Message{Topic: s.topics.Position(id), Payload: b, QoS: 1}); err == nil {
			fixes = append(fixes, fix{at: now, x: x})
		}
		if x >= x1 {
			return trip{start: start, x0: x0, v: speed, fixes: fixes}
		}
		timer.Reset(time.Second)
	}
}

func preemptsFor(cmds []wire.Command, vehicle string) []wire.Command {
	var out []wire.Command
	for _, c := range cmds {
		if c.VehicleID == vehicle && c.Type == wire.CommandPreempt {
			out = append(out, c)
		}
	}
	return out
}

func firstByIntersection(cmds []wire.Command, typ wire.CommandType) (order []string, first map[string]wire.Command) {
	first = map[string]wire.Command{}
	for _, c := range cmds {
		if c.Type != typ {
			continue
		}
		if _, ok := first[c.IntersectionID]; !ok {
			first[c.IntersectionID] = c
			order = append(order, c.IntersectionID)
		}
	}
	return order, first
}
