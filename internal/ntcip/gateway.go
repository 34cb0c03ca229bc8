package ntcip

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/logx"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/wire"
)

// DefaultGatewayID names the gateway's presence when the city runs one.
const DefaultGatewayID = "ntcip-gateway"

// GatewayOptions configures a Gateway.
type GatewayOptions struct {
	Topics mqttx.Topics
	// ID is the gateway's id on the presence topic
	// (controllers/{id}/status); default DefaultGatewayID.
	ID      string
	Clock   clock.Clock // default: the wall clock
	Logger  *zap.Logger // default: no logging
	Metrics *Metrics    // default: a fresh set
	// ShutdownTimeout bounds how long a graceful stop waits for the broker
	// to take the last statuses and the offline presence.
	ShutdownTimeout time.Duration
	// TrustedControllers are the controller ids whose commands the
	// gateway carries out and whose presence it follows; empty: every
	// controller's. The broker's ACL decides who may publish a command;
	// this decides whose commands a signal obeys, so a second controller
	// on the broker (a test rig, another city's) cannot preempt it, nor
	// clear its preempts with a fake offline presence.
	TrustedControllers []string
}

// Publisher is what the gateway needs of an MQTT client.
type Publisher interface {
	Publish(ctx context.Context, m mqttx.Message) error
}

// Gateway carries greenwave's commands to NTCIP 1202 signal controllers
// over SNMP and publishes what the controllers report as each
// intersection's status. One goroutine per intersection owns its
// controller's session; MQTT handlers only hand messages over.
type Gateway struct {
	opts   GatewayOptions
	id     string
	log    *zap.Logger
	met    *Metrics
	clk    clock.Clock
	topics mqttx.Topics
	inters map[string]*inter
	ids    []string
	out    *mqttx.Queue
	// trusted are the controllers obeyed; empty: every one.
	trusted map[string]bool
	// refusals logs refused messages, at most one line a reason a
	// minute: any broker client can send them (Metrics counts them all).
	refusals *logx.Sampled

	mu        sync.Mutex
	running   bool
	connected atomic.Bool
}

// Healthy reports why the gateway is not fit to serve, or nil: it must be
// connected to the broker. (A controller that does not answer is that
// intersection's fault, reported in its status, not the gateway's.)
func (g *Gateway) Healthy() error {
	if !g.connected.Load() {
		return errors.New("mqtt: not connected to the broker")
	}
	return nil
}

// NewGateway builds the gateway for the intersections of cfg.
func NewGateway(cfg *Config, opts GatewayOptions) (*Gateway, error) {
	if opts.Topics == (mqttx.Topics{}) {
		return nil, errors.New("ntcip: topics not set")
	}
	if opts.ID == "" {
		opts.ID = DefaultGatewayID
	}
	if !validID(opts.ID) {
		return nil, errors.New("ntcip: gateway id must match ^[A-Za-z0-9._-]{1,64}$")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Wall{}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 5 * time.Second
	}
	g := &Gateway{opts: opts, id: opts.ID, log: opts.Logger, met: opts.Metrics, clk: opts.Clock,
		topics: opts.Topics, inters: map[string]*inter{}, out: mqttx.NewQueue(), trusted: map[string]bool{},
		refusals: logx.NewSampled(opts.Logger, time.Minute)}
	for _, id := range opts.TrustedControllers {
		if !validID(id) {
			return nil, fmt.Errorf("ntcip: trusted controller id %q is not a valid identifier", id)
		}
		g.trusted[id] = true
	}
	for _, id := range cfg.IDs() {
		g.inters[id] = newInter(g, id, cfg.Intersections[id])
		g.ids = append(g.ids, id)
	}
	return g, nil
}

// ID is the gateway's id.
func (g *Gateway) ID() string { return g.id }

// trusts reports whether the gateway carries out controller id's commands.
func (g *Gateway) trusts(id string) bool { return len(g.trusted) == 0 || g.trusted[id] }

// Metrics returns the gateway's metrics.
func (g *Gateway) Metrics() *Metrics { return g.met }

// Intersections lists the intersections served, sorted.
func (g *Gateway) Intersections() []string { return slices.Clone(g.ids) }

// ClientOptions adds what the gateway needs to base: the command topics
// of its intersections, every controller's presence (to act on a
// controller's Last Will), its own retained offline presence as Last Will,
// and an OnConnect that says online and publishes every status again.
func (g *Gateway) ClientOptions(base mqttx.Options) mqttx.Options {
	o := base
	o.Subscriptions = slices.Clone(base.Subscriptions)
	for _, id := range g.ids {
		o.Subscriptions = append(o.Subscriptions, mqttx.Subscription{Filter: g.topics.Command(id), QoS: 1, Handler: g.onCommand})
	}
	o.Subscriptions = append(o.Subscriptions, mqttx.Subscription{Filter: g.topics.Filter(mqttx.KindControllerStatus), QoS: 1, Handler: g.onPresence})
	will := g.presence(false)
	o.Will = &will
	prev := base.OnConnect
	o.OnConnect = func() {
		g.connected.Store(true)
		g.met.Connected.Set(1)
		g.out.Push(g.presence(true))
		for _, x := range g.inters {
			g.send(x, event{kind: evResync})
		}
		if prev != nil {
			prev()
		}
	}
	prevLost := base.OnConnectionLost
	o.OnConnectionLost = func(err error) {
		g.connected.Store(false)
		g.met.Connected.Set(0)
		if prevLost != nil {
			prevLost(err)
		}
	}
	return o
}

func (g *Gateway) presence(online bool) mqttx.Message {
	return mqttx.Message{Topic: g.topics.ControllerStatus(g.id), Payload: presencePayload(g.id, online, g.clk.Now()), QoS: 1, Retained: true}
}

// send hands an event to an intersection without ever blocking the MQTT
// delivery goroutine for long: a full queue (a controller stuck in
// timeouts) drops the event, counted, rather than stall every other
// intersection's commands.
func (g *Gateway) send(x *inter, e event) {
	select {
	case x.ev <- e:
	case <-time.After(100 * time.Millisecond):
		g.met.Rejected.WithLabelValues("command", "queue_full").Inc()
		g.log.Error("ntcip: intersection busy, event dropped", zap.String("intersection_id", x.id))
	}
}

func (g *Gateway) onCommand(topic string, payload []byte) {
	received := time.Now()
	_, id, ok := g.topics.Parse(topic)
	x := g.inters[id]
	if !ok || x == nil {
		return
	}
	c, err := wire.ParseCommand(id, payload)
	if errors.Is(err, wire.ErrIDMismatch) {
		g.met.Rejected.WithLabelValues("command", "intersection_id").Inc()
		g.refusals.Warn("ntcip: command refused", "intersection_id", zap.String("topic", topic), zap.String("field", "intersection_id"), zap.Error(err))
		return
	}
	if err != nil {
		g.met.Rejected.WithLabelValues("command", fieldOf(err)).Inc()
		g.met.Commands.WithLabelValues("unknown", "invalid").Inc()
		g.refusals.Warn("ntcip: command refused", "invalid_command", zap.String("topic", topic), fieldLog(err), zap.Error(err))
		return
	}
	if !g.trusts(c.ControllerID) {
		g.met.Rejected.WithLabelValues("command", "untrusted_controller").Inc()
		g.met.Commands.WithLabelValues(c.Type.String(), "untrusted").Inc()
		g.refusals.Warn("ntcip: command from an untrusted controller refused", "untrusted_controller", zap.String("controller_id", c.ControllerID),
			zap.String("intersection_id", id), zap.String("request_id", c.RequestID), zap.Stringer("type", c.Type))
		return
	}
	g.send(x, event{kind: evCommand, cmd: c, received: received})
}

func (g *Gateway) onPresence(topic string, payload []byte) {
	_, id, ok := g.topics.Parse(topic)
	if !ok || id == g.id || len(payload) == 0 || !g.trusts(id) {
		return // an untrusted controller's presence is none of our signals' business
	}
	offline, err := parsePresence(id, payload)
	if err != nil {
		g.met.Rejected.WithLabelValues("controller_status", fieldOf(err)).Inc()
		g.refusals.Warn("ntcip: controller status refused", "invalid_controller_status", zap.String("topic", topic), fieldLog(err), zap.Error(err))
		return
	}
	if offline {
		for _, x := range g.inters {
			g.send(x, event{kind: evControllerOffline, controller: id})
		}
	}
}

// publishStatus queues an intersection's retained status.
func (g *Gateway) publishStatus(st status, reason string) {
	b, err := statusPayload(st, reason)
	if err != nil {
		g.log.Error("ntcip: status not encodable", zap.String("intersection_id", st.IntersectionID), zap.Error(err))
		return
	}
	g.out.Push(mqttx.Message{Topic: g.topics.SignalStatus(st.IntersectionID), Payload: b, QoS: 1, Retained: true})
}

// Run serves every intersection until ctx is done, publishing through
// pub; then each clears the inputs it holds and publishes fault
// ("gateway stopping"), the gateway says offline, and Run waits (at most
// ShutdownTimeout) for the broker to take it all.
func (g *Gateway) Run(ctx context.Context, pub Publisher) error {
	pubCtx, stopPub := context.WithCancel(context.Background())
	defer stopPub()
	pubDone := make(chan struct{})
	go func() { defer close(pubDone); g.publishLoop(pubCtx, pub) }()

	var wg sync.WaitGroup
	for _, id := range g.ids {
		x := g.inters[id]
		wg.Add(1)
		go func() { defer wg.Done(); x.run(ctx) }()
	}
	wg.Wait()
	g.out.Push(g.presence(false))
	deadline := time.After(g.opts.ShutdownTimeout)
	for {
		if g.out.Len() == 0 && !g.publishing() {
			break
		}
		select {
		case <-deadline:
			g.log.Warn("ntcip: shutdown: broker did not take every status in time")
			stopPub()
			<-pubDone
			return nil
		case <-time.After(5 * time.Millisecond):
		}
	}
	stopPub()
	<-pubDone
	return nil
}

func (g *Gateway) publishing() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running
}

// publishLoop publishes queued messages in order; a failed publish (broker
// away) is retried once the connection is back, since a lost status would
// leave the controller believing the last one.
func (g *Gateway) publishLoop(ctx context.Context, pub Publisher) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.out.Wake():
		}
		g.mu.Lock()
		g.running = true
		g.mu.Unlock()
		msgs := g.out.Take()
		for i := 0; i < len(msgs); {
			if err := pub.Publish(ctx, msgs[i]); err != nil {
				if ctx.Err() != nil {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			i++
		}
		g.mu.Lock()
		g.running = false
		g.mu.Unlock()
	}
}

// Serve connects to the broker with base's settings and runs the gateway
// until ctx is done, then disconnects cleanly (so the Last Will is not
// published: the offline presence already was).
func (g *Gateway) Serve(ctx context.Context, base mqttx.Options) error {
	c, err := mqttx.Connect(ctx, g.ClientOptions(base))
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	err = g.Run(ctx, c)
	c.Disconnect(250 * time.Millisecond)
	g.connected.Store(false)
	return err
}
