package service

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/registry"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// Defaults of Config.
const (
	// DefaultInputQueue holds a few seconds of a city fleet's fixes, so a
	// burst (a reconnect delivering a backlog) does not drop positions.
	DefaultInputQueue = 4096
	// DefaultAdvisoryQueue: advisories are superseded every fix, so a
	// short queue is enough; more would only deliver stale ones.
	DefaultAdvisoryQueue = 256
	// DefaultShutdownTimeout bounds how long a graceful shutdown waits for
	// the broker to take the releases and the `offline` status. Past it
	// the process exits anyway: the preempts' expiry and the Last Will
	// still end them.
	DefaultShutdownTimeout = 5 * time.Second
)

// Config configures a Service.
type Config struct {
	Topics mqttx.Topics
	// Engine configures the decision engine; Engine.ControllerID is the
	// controller's id on the wire (topics and commands).
	Engine  controller.Config
	Clock   clock.Clock      // default: the wall clock
	Logger  *zap.Logger      // default: no logging
	Metrics *metrics.Metrics // default: a fresh set
	// Audit, when set, receives one JSON line per decision (the Decision's
	// stable JSON form plus "controller_id"), except refusals, which it
	// receives summed per kind of input and reason every RefusalWindow
	// (see refusalSummary).
	Audit io.Writer
	// Observer, when set, is shown every accepted fix and status and
	// every Ready, on the engine goroutine (see Observer).
	Observer        Observer
	InputQueue      int
	AdvisoryQueue   int
	ShutdownTimeout time.Duration

	// Registry, when set, lists the vehicles the service accepts messages
	// about: any other vehicle's position or route is refused
	// (unregistered) before it is parsed, and never reaches the engine.
	// Each vehicle's priority comes from it (it replaces
	// Engine.Priorities). Nil: every vehicle id is accepted (tests, trials).
	Registry *registry.Registry
	// VehicleRate and VehicleBurst limit each registered vehicle's
	// messages (token bucket); default DefaultVehicleRate a second, bursts
	// of DefaultVehicleBurst.
	VehicleRate  float64
	VehicleBurst int
	// UnregisteredRate limits, without a Registry, the messages of all
	// vehicles together (default DefaultUnregisteredRate a second).
	UnregisteredRate float64
	// RefusalWindow is how often refusals are summed into one log line and
	// one audit record per kind and reason (default DefaultRefusalWindow).
	RefusalWindow time.Duration
}

// Client is what the service needs of an MQTT connection (an
// *mqttx.Client).
type Client interface {
	Publish(ctx context.Context, m mqttx.Message) error
	PublishNoWait(m mqttx.Message) error
	Connected() bool
}

// Service is one running controller.
type Service struct {
	cfg     Config
	id      string
	log     *zap.Logger
	met     *metrics.Metrics
	engine  *controller.Engine
	topics  mqttx.Topics
	clock   clock.Clock
	audit   *bufio.Writer
	auditMu sync.Mutex // the audit writer is flushed from the engine goroutine only, but Close may race
	obs     Observer

	inputs     chan input
	reconnects chan struct{}
	queries    chan func()
	commands   *mqttx.Queue
	advisories chan mqttx.Message

	running    atomic.Bool
	connected  atomic.Pointer[func() bool]
	publishing atomic.Bool // the command publisher holds messages taken off the queue

	gate      atomic.Pointer[gate]
	refused   *refusals
	connFail  atomic.Pointer[string] // the last failed connection attempt, while not connected
	inputKind string                 // the kind of the input being stepped (engine goroutine)
}

type input struct {
	kind mqttx.Kind
	in   controller.Input
}

// New builds the engine for net and the service around it.
func New(net *routing.Network, cfg Config) (*Service, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Wall{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.InputQueue <= 0 {
		cfg.InputQueue = DefaultInputQueue
	}
	if cfg.AdvisoryQueue <= 0 {
		cfg.AdvisoryQueue = DefaultAdvisoryQueue
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Topics == (mqttx.Topics{}) {
		return nil, errors.New("service: topics not set")
	}
	if cfg.VehicleRate <= 0 {
		cfg.VehicleRate = DefaultVehicleRate
	}
	if cfg.VehicleBurst <= 0 {
		cfg.VehicleBurst = DefaultVehicleBurst
	}
	if cfg.UnregisteredRate <= 0 {
		cfg.UnregisteredRate = DefaultUnregisteredRate
	}
	if cfg.RefusalWindow <= 0 {
		cfg.RefusalWindow = DefaultRefusalWindow
	}
	if cfg.Registry != nil {
		cfg.Engine.Priorities = cfg.Registry.Priorities()
	}
	engine, err := controller.New(cfg.Engine, net)
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg:        cfg,
		id:         engine.Config().ControllerID,
		log:        cfg.Logger,
		met:        cfg.Metrics,
		engine:     engine,
		topics:     cfg.Topics,
		clock:      cfg.Clock,
		inputs:     make(chan input, cfg.InputQueue),
		reconnects: make(chan struct{}, 1),
		queries:    make(chan func()),
		commands:   mqttx.NewQueue(),
		advisories: make(chan mqttx.Message, cfg.AdvisoryQueue),
		obs:        cfg.Observer,
	}
	if cfg.Audit != nil {
		s.audit = bufio.NewWriter(cfg.Audit)
	}
	s.refused = newRefusals(s.log, s.clock.Now())
	s.gate.Store(newGate(cfg.Registry, nil, cfg.VehicleRate, cfg.VehicleBurst, cfg.UnregisteredRate))
	return s, nil
}

// SetRegistry replaces the vehicle registry (nil: accept every vehicle),
// as on SIGHUP: messages are checked against the new one from now on, and
// the engine takes the new priorities between two inputs, without a
// restart. A vehicle taken out of the registry is refused from its next
// message on; what it holds is released when its silence grace runs out.
func (s *Service) SetRegistry(ctx context.Context, reg *registry.Registry) error {
	var prios map[string]int
	if reg != nil {
		prios = reg.Priorities()
	}
	var err error
	if qerr := s.Query(ctx, func() { err = s.engine.SetPriorities(s.clock.Now(), prios) }); qerr != nil {
		return qerr
	}
	if err != nil {
		return err
	}
	s.gate.Store(newGate(reg, s.gate.Load(), s.cfg.VehicleRate, s.cfg.VehicleBurst, s.cfg.UnregisteredRate))
	return nil
}

// ControllerID is the controller's id on the wire.
func (s *Service) ControllerID() string { return s.id }

// Metrics returns the service's metrics.
func (s *Service) Metrics() *metrics.Metrics { return s.met }

// statusMessage is the controller's retained presence message.
func (s *Service) statusMessage(state string) mqttx.Message {
	b, _ := json.Marshal(wire.ControllerStatus{ControllerID: s.id, State: state, TS: s.clock.Now()})
	return mqttx.Message{Topic: s.topics.ControllerStatus(s.id), Payload: b, QoS: 1, Retained: true}
}

// ClientOptions adds what the service needs to base: its subscriptions
// (positions, routes — retained, so a starting controller picks them up —
// and signal statuses), its retained `offline` Last Will, and an
// OnConnect that announces `online` and re-asserts live preempts.
func (s *Service) ClientOptions(base mqttx.Options) mqttx.Options {
	o := base
	o.Subscriptions = append(slices.Clone(base.Subscriptions),
		mqttx.Subscription{Filter: s.topics.Filter(mqttx.KindPosition), QoS: 1, Handler: s.onMessage},
		mqttx.Subscription{Filter: s.topics.Filter(mqttx.KindRoute), QoS: 1, Handler: s.onMessage},
		mqttx.Subscription{Filter: s.topics.Filter(mqttx.KindSignalStatus), QoS: 1, Handler: s.onMessage},
	)
	will := s.statusMessage(wire.ControllerOffline)
	o.Will = &will
	prev := base.OnConnect
	o.OnConnect = func() {
		s.onConnect()
		if prev != nil {
			prev()
		}
	}
	prevLost := base.OnConnectionLost
	o.OnConnectionLost = func(err error) {
		s.met.Connected.Set(0)
		if prevLost != nil {
			prevLost(err)
		}
	}
	prevFailed := base.OnConnectFailed
	o.OnConnectFailed = func(cause string, err error) {
		s.met.ConnectFailures.WithLabelValues(cause).Inc()
		msg := "last connection attempt failed (" + cause + "): " + err.Error()
		s.connFail.Store(&msg)
		if prevFailed != nil {
			prevFailed(cause, err)
		}
	}
	return o
}

// onConnect runs on every (re)connection, after the subscriptions are made.
func (s *Service) onConnect() {
	s.connFail.Store(nil)
	s.met.Connected.Set(1)
	s.met.Connections.Inc()
	// The retained `online` replaces the `offline` a previous Last Will
	// (or shutdown) left, for everyone subscribing later.
	s.commands.Push(s.statusMessage(wire.ControllerOnline))
	select {
	case s.reconnects <- struct{}{}:
	default:
	}
}

// Serve connects to the broker with base's settings, runs until ctx is
// done, then shuts down gracefully.
func (s *Service) Serve(ctx context.Context, base mqttx.Options) error {
	c, err := mqttx.Connect(ctx, s.ClientOptions(base))
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	err = s.Run(ctx, c)
	c.Disconnect(250 * time.Millisecond)
	return err
}

// Healthy reports why the service is not fit to serve, or nil: the engine
// loop must be running and the broker connected. While connection
// attempts fail, the last one's cause and error are part of the answer.
func (s *Service) Healthy() error {
	why := ""
	if f := s.connFail.Load(); f != nil {
		why = ": " + *f
	}
	if !s.running.Load() {
		if why != "" {
			return errors.New("not serving: connecting to the broker" + why)
		}
		return errors.New("engine loop not running")
	}
	if f := s.connected.Load(); f != nil && !(*f)() {
		return errors.New("mqtt: not connected to the broker" + why)
	}
	return nil
}

// Run drives the engine until ctx is done, publishing through c, and then
// shuts down gracefully: releases every live preempt, publishes the
// retained `offline`, and waits (at most ShutdownTimeout) for the broker to
// acknowledge them. The caller disconnects c afterwards.
func (s *Service) Run(ctx context.Context, c Client) error {
	connected := c.Connected
	s.connected.Store(&connected)
	pubCtx, stopPublishing := context.WithCancel(context.Background())
	defer stopPublishing()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.publishCommands(pubCtx, c) }()
	go func() { defer wg.Done(); s.publishAdvisories(pubCtx, c) }()

	s.running.Store(true)
	s.loop(ctx)
	s.running.Store(false)

	// Graceful shutdown. The refusals of the window under way are logged
	// and audited now, not lost.
	s.shutdown()
	s.closeRefusalWindow()
	deadline := time.NewTimer(s.cfg.ShutdownTimeout)
	defer deadline.Stop()
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for s.commands.Len() > 0 || s.publishing.Load() {
			select {
			case <-pubCtx.Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	select {
	case <-drained:
	case <-deadline.C:
		s.log.Warn("shutdown: broker did not take every release in time; the roadside units end them on expiry or on the Last Will",
			zap.Int("queued", s.commands.Len()), zap.Bool("publish_in_flight", s.publishing.Load()))
	}
	stopPublishing()
	wg.Wait()
	s.flushAudit()
	return nil
}
