package attack

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
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/registry"
	"github.com/greenwave-project/greenwave/internal/rsu"
	"github.com/greenwave-project/greenwave/internal/service"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// The city's names. The controller and the monitor (an operator's
// read-only console) log in with passwords; vehicles, the roadside
// gateway and the attacker's own device with client certificates.
const (
	controllerID = "greenwave"
	rsuUser      = "greenwave-rsu"
	monitorUser  = "monitor"
)

// fleet is the registry every test starts from: mallory, the attacker's
// device, holds a valid certificate (a decommissioned unit, say) but is
// not registered.
const fleet = "vehicle_id,agency,class,priority\namb-1,lux-ambulance,ambulance,2\namb-2,lux-ambulance,ambulance,2\namb-3,lux-ambulance,ambulance,2\nfire-1,cgdis,fire,1\n"

var passwords = map[string]string{controllerID: "controller-secret", monitorUser: "monitor-secret"}

// realWait bounds every wait for a condition, in real time.
const realWait = 10 * time.Second

// Corridor geometry, metres east of the origin: signalised junctions I1,
// I2, I3 at x = 500, 1000, 1500 on an east-west arterial.
var (
	mapProj   = routing.NewProjection(orb.Point{6.1, 49.6})
	corridorX = []float64{500, 1000, 1500}
	corridor  = []string{"I1", "I2", "I3"}
)

func lonLat(x, y float64) orb.Point { return mapProj.ToLonLat(routing.XY{X: x, Y: y}) }

func corridorMap(t testing.TB) *routing.Network {
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
		inv.Intersections = append(inv.Intersections, routing.Intersection{
			ID: corridor[i], LonLat: lonLat(x, 0),
			Timing: routing.Timing{MinGreenS: 5, YellowS: 3, AllRedS: 1, MaxPreemptS: 90},
			Approaches: []routing.Approach{
				{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "WB", BearingDeg: 270, Phase: 6},
				{ID: "NB", BearingDeg: 0, Phase: 4}, {ID: "SB", BearingDeg: 180, Phase: 8},
			},
		})
		inv.Roads = append(inv.Roads,
			road(corridor[i]+"-n", [2]float64{x, 0}, [2]float64{x, 300}),
			road(corridor[i]+"-s", [2]float64{x, 0}, [2]float64{x, -300}))
	}
	var buf bytes.Buffer
	require.NoError(t, inv.WriteGeoJSON(&buf))
	path := filepath.Join(t.TempDir(), "corridor.geojson")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	net, err := routing.LoadMapFile(path)
	require.NoError(t, err)
	return net
}

// city is a secure broker with greenwave's controller, the roadside
// units, and a monitor watching every topic.
type city struct {
	t      testing.TB
	broker *brokertest.Secure
	topics mqttx.Topics
	net    *routing.Network
	clk    clock.Clock
	svc    *service.Service
	met    *metrics.Metrics
	logs   *observer.ObservedLogs // the controller's, warn and up
	audit  *syncBuffer
	units  *rsu.Simulator
	mon    *monitor

	stopSvc context.CancelFunc
	svcDone chan error
}

type cityOptions struct {
	clock   clock.Clock // default: the wall clock
	engine  func(*controller.Config)
	service func(*service.Config)
	rsu     *rsu.Options // nil: no roadside units
	// rsuURL is where the roadside gateway connects (a proxy, to kill it).
	rsuURL string
}

func newCity(t testing.TB, o cityOptions) *city {
	t.Helper()
	return newCityWith(t, func(_ *brokertest.Secure, into *cityOptions) { *into = o })
}

// newCityWith is newCity with options that depend on the broker.
func newCityWith(t testing.TB, edit func(*brokertest.Secure, *cityOptions)) *city {
	t.Helper()
	var o cityOptions
	b := brokertest.MosquittoSecure(t, brokertest.SecureOptions{Passwords: passwords,
		ExtraACL: "user " + monitorUser + "\ntopic read greenwave/#\n"})
	edit(b, &o)
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	c := &city{t: t, broker: b, topics: topics, net: corridorMap(t), clk: o.clock, audit: &syncBuffer{}}
	if c.clk == nil {
		c.clk = clock.Wall{}
	}
	c.mon = &monitor{topics: topics, clk: c.clk}
	mon := c.passwordOptions(monitorUser, "monitor")
	// Everything but positions: under a flood, a monitor that had to
	// read the junk too would take the CPU the controller is measured on.
	for _, k := range []mqttx.Kind{mqttx.KindRoute, mqttx.KindAdvisory, mqttx.KindCommand, mqttx.KindSignalStatus, mqttx.KindControllerStatus} {
		mon.Subscriptions = append(mon.Subscriptions, mqttx.Subscription{Filter: topics.Filter(k), QoS: 1, Handler: c.mon.handle})
	}
	c.connect(mon)
	if o.rsu != nil {
		ro := *o.rsu
		ro.Topics, ro.Clock = topics, c.clk
		// Without the planned green times, the controller preempts every
		// signal within reach, whatever the plan happens to show when the
		// test runs: the tests' outcomes do not depend on the time of day.
		ro.OmitGreenTimes = true
		if ro.Logger == nil {
			ro.Logger = zap.NewNop()
		}
		var err error
		c.units, err = rsu.New(c.net, ro)
		require.NoError(t, err)
		opts := c.deviceOptions(rsuUser)
		if o.rsuURL != "" {
			opts.BrokerURL = o.rsuURL
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.units.Serve(ctx, opts) }()
		t.Cleanup(func() { cancel(); <-done })
		for _, id := range corridor {
			c.waitFor(id+" reports", func() bool { return len(c.mon.statuses(id)) > 0 })
		}
	}
	c.startService(o)
	return c
}

// deviceOptions are the connection options of a device with a client
// certificate whose common name is cn.
func (c *city) deviceOptions(cn string) mqttx.Options {
	kp := c.broker.PKI.Client(cn)
	return mqttx.Options{BrokerURL: c.broker.CertURL, ClientID: cn + "-" + fmt.Sprint(time.Now().UnixNano()), CAFile: c.broker.PKI.CAFile,
		CertFile: kp.CertFile, KeyFile: kp.KeyFile, MaxReconnectInterval: 100 * time.Millisecond, ConnectTimeout: 2 * time.Second,
		PublishTimeout: 2 * time.Second, Logger: zap.NewNop()}
}

// passwordOptions log in as user with its password.
func (c *city) passwordOptions(user, clientID string) mqttx.Options {
	return mqttx.Options{BrokerURL: c.broker.PasswordURL, ClientID: clientID, Username: user, Password: passwords[user],
		CAFile: c.broker.PKI.CAFile, MaxReconnectInterval: 100 * time.Millisecond, ConnectTimeout: 2 * time.Second,
		PublishTimeout: 2 * time.Second, Logger: zap.NewNop()}
}

func (c *city) connect(o mqttx.Options) *mqttx.Client {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), realWait)
	defer cancel()
	cl, err := mqttx.Connect(ctx, o)
	require.NoError(c.t, err)
	c.t.Cleanup(func() { cl.Disconnect(0) })
	return cl
}

// device connects as the device whose certificate names cn.
func (c *city) device(cn string) *mqttx.Client { return c.connect(c.deviceOptions(cn)) }

func mustRegistry(t testing.TB, csv string) *registry.Registry {
	r, err := registry.ParseCSV([]byte(csv))
	require.NoError(t, err)
	return r
}

func (c *city) startService(o cityOptions) {
	t := c.t
	eng := controller.Config{ControllerID: controllerID}
	if o.engine != nil {
		o.engine(&eng)
	}
	core, logs := observer.New(zapcore.WarnLevel)
	c.logs = logs
	c.met = metrics.New()
	cfg := service.Config{Topics: c.topics, Engine: eng, Clock: c.clk, Logger: zap.New(core), Metrics: c.met,
		Audit: c.audit, Registry: mustRegistry(t, fleet), ShutdownTimeout: 500 * time.Millisecond}
	if o.service != nil {
		o.service(&cfg)
	}
	var err error
	c.svc, err = service.New(c.net, cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	c.stopSvc, c.svcDone = cancel, make(chan error, 1)
	go func() { c.svcDone <- c.svc.Serve(ctx, c.passwordOptions(controllerID, "greenwave-serve")) }()
	t.Cleanup(c.stopService)
	c.waitFor("the controller online", func() bool { return c.svc.Healthy() == nil })
}

func (c *city) stopService() {
	if c.stopSvc != nil {
		c.stopSvc()
		<-c.svcDone
		c.stopSvc = nil
	}
}

func (c *city) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(realWait)
	for !cond() {
		if time.Now().After(deadline) {
			c.dump()
			c.t.Fatalf("timed out after %v waiting for: %s", realWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dump logs what the city saw, to tell why a wait failed: the last
// messages on the broker and the controller's warnings.
func (c *city) dump() {
	recs := c.mon.snapshot()
	if len(recs) > 40 {
		recs = recs[len(recs)-40:]
	}
	for _, r := range recs {
		c.t.Logf("seen %s %s: %.200s", r.at.Format("15:04:05.000"), r.topic, r.payload)
	}
	if c.logs != nil {
		for _, e := range c.logs.All() {
			c.t.Logf("controller %s: %s %v", e.Level, e.Message, e.ContextMap())
		}
	}
	if c.svc != nil {
		c.t.Logf("controller health: %v", c.svc.Healthy())
	}
}

// fixAt is vehicle id's fix at x on the corridor, stamped ts, heading
// east at 15 m/s.
func (c *city) fixAt(id string, seq uint64, ts time.Time, x float64, emergency bool) mqttx.Message {
	ll := lonLat(x, 0)
	p := wire.Position{VehicleID: id, Seq: seq, TS: ts, Lat: ll[1], Lon: ll[0],
		SpeedMps: new(15.0), HeadingDeg: new(90.0), AccuracyM: new(3.0), Emergency: emergency}
	b, err := json.Marshal(p)
	require.NoError(c.t, err)
	return mqttx.Message{Topic: c.topics.Position(id), Payload: b, QoS: 1}
}

func (c *city) publish(cl *mqttx.Client, m mqttx.Message) {
	c.t.Helper()
	require.NoError(c.t, cl.Publish(context.Background(), m))
}

// received is how many messages of kind the controller has received.
func (c *city) received(kind mqttx.Kind) float64 {
	return metrics.Value(c.met.MessagesReceived.WithLabelValues(kind.String()))
}

// refused is how many messages of kind the controller refused for reason.
func (c *city) refused(kind mqttx.Kind, reason, field string) float64 {
	return metrics.Value(c.met.MessagesRejected.WithLabelValues(kind.String(), reason, field))
}

// monitor keeps every message it sees, stamped with the city's clock.
type monitor struct {
	topics mqttx.Topics
	clk    clock.Clock
	mu     sync.Mutex
	recs   []record
}

type record struct {
	at      time.Time
	topic   string
	payload []byte
}

func (m *monitor) handle(topic string, payload []byte) {
	m.mu.Lock()
	m.recs = append(m.recs, record{at: m.clk.Now(), topic: topic, payload: append([]byte(nil), payload...)})
	m.mu.Unlock()
}

func (m *monitor) snapshot() []record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]record(nil), m.recs...)
}

// commands are every command seen, in order.
func (m *monitor) commands() []wire.Command {
	var out []wire.Command
	for _, r := range m.snapshot() {
		if kind, _, _ := m.topics.Parse(r.topic); kind == mqttx.KindCommand {
			if cmd, err := wire.ParseCommand("", r.payload); err == nil {
				out = append(out, cmd)
			}
		}
	}
	return out
}

func (m *monitor) preempts(vehicle string) []wire.Command {
	var out []wire.Command
	for _, cmd := range m.commands() {
		if cmd.Type == wire.CommandPreempt && (vehicle == "" || cmd.VehicleID == vehicle) {
			out = append(out, cmd)
		}
	}
	return out
}

type seenStatus struct {
	at time.Time
	wire.Status
}

// statuses of intersection id, in order seen.
func (m *monitor) statuses(id string) []seenStatus {
	var out []seenStatus
	for _, r := range m.snapshot() {
		if kind, rid, _ := m.topics.Parse(r.topic); kind == mqttx.KindSignalStatus && rid == id && len(r.payload) > 0 {
			if st, err := wire.ParseStatus("", r.payload); err == nil {
				out = append(out, seenStatus{at: r.at, Status: st})
			}
		}
	}
	return out
}

func (m *monitor) last(id string) wire.Status {
	st := m.statuses(id)
	if len(st) == 0 {
		return wire.Status{}
	}
	return st[len(st)-1].Status
}

// advisories for vehicle id, in order.
func (m *monitor) advisories(id string) []wire.Advisory {
	var out []wire.Advisory
	for _, r := range m.snapshot() {
		if kind, vid, _ := m.topics.Parse(r.topic); kind == mqttx.KindAdvisory && vid == id {
			var a wire.Advisory
			if json.Unmarshal(r.payload, &a) == nil {
				out = append(out, a)
			}
		}
	}
	return out
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

func (w *syncBuffer) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Len()
}
