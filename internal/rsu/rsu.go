package rsu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/logx"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// Defaults of the units' fixed-time plans (the same as the simulator's
// scenario defaults, so a trip behaves alike in sim and over MQTT).
const (
	// DefaultCycle is a common urban cycle length.
	DefaultCycle = 90 * time.Second
	// DefaultMainShare gives the main street (NEMA phases 1, 2, 5, 6) 60%
	// of the green time.
	DefaultMainShare = 0.6
)

// Options configures a Simulator.
type Options struct {
	Topics    mqttx.Topics
	Clock     clock.Clock // default: the wall clock
	Logger    *zap.Logger // default: no logging
	Cycle     time.Duration
	MainShare float64
	// OmitGreenTimes leaves the optional timing facts (green_since,
	// green_until, plan, in_step: docs/wire-protocol.md's additions) out
	// of the statuses, as a roadside that reports only protocol v1's core
	// fields does. The controller then plans for the worst case.
	OmitGreenTimes bool
	// TrustedControllers are the controller ids whose commands the units
	// obey and whose presence they follow; a command naming another
	// controller is refused, its status ignored. Empty: any controller
	// (tests and the demo; `greenwave rsu` always sets it).
	TrustedControllers []string
	// HoldBudget caps each unit's time in hold within a sliding window
	// (signals.HoldBudget); zero: signals.DefaultHoldBudget.
	HoldBudget signals.HoldBudget
	// UnitConnections makes Serve open one MQTT connection per unit, each
	// with the unit's own Last Will: a retained fault status marked
	// offline (wire-protocol.md, Additions), which the broker publishes
	// when the connection dies without a goodbye, so that a dead roadside
	// never goes on reporting hold. Each connection subscribes to its own
	// unit's commands; they share the credentials of the options given to
	// Serve (with client ids suffixed by the unit's id). Off, one
	// connection serves every unit and a dead simulator leaves its last
	// statuses standing.
	UnitConnections bool
}

// Publisher is what the simulator needs of an MQTT client.
type Publisher interface {
	Publish(ctx context.Context, m mqttx.Message) error
}

// Simulator runs the roadside units of a network.
type Simulator struct {
	opts    Options
	log     *zap.Logger
	units   map[string]*signals.Roadside
	ids     []string // sorted, for a stable publishing order
	last    map[string]wire.Status
	events  chan event
	out     *mqttx.Queue
	stats   Stats
	trusted map[string]bool // empty: every controller
	warn    *logx.Sampled   // refusals, at most one line a reason a minute
}

// refusalLogEvery is how often a refusal of each reason is logged at
// most: a flood of bad commands must not flood the log (Stats counts them
// all).
const refusalLogEvery = time.Minute

// Stats counts what the simulator did, for tests and the demo's summary.
type Stats struct {
	CommandsApplied int
	CommandsRefused int
	// CommandsUntrusted counts commands refused because their controller
	// is not trusted (also in CommandsRefused).
	CommandsUntrusted int
	StatusesQueued    int
	ControllersGone   int
}

type eventKind uint8

const (
	evCommand eventKind = iota + 1
	evControllerOffline
	evResync
	evStats
)

type event struct {
	kind       eventKind
	command    wire.Command
	controller string // evControllerOffline: whose; evResync: the one unit to republish ("" all)
	stats      chan Stats
}

// New builds one unit per intersection of net, each running a
// signals.DefaultPlan of its approaches' phases with the intersection's
// timing.
func New(net *routing.Network, opts Options) (*Simulator, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Wall{}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Cycle == 0 {
		opts.Cycle = DefaultCycle
	}
	if opts.MainShare == 0 {
		opts.MainShare = DefaultMainShare
	}
	if opts.HoldBudget == (signals.HoldBudget{}) {
		opts.HoldBudget = signals.DefaultHoldBudget()
	}
	if err := opts.HoldBudget.Validate(); err != nil {
		return nil, fmt.Errorf("rsu: %w", err)
	}
	s := &Simulator{
		opts:    opts,
		log:     opts.Logger,
		units:   map[string]*signals.Roadside{},
		last:    map[string]wire.Status{},
		events:  make(chan event, 1024),
		out:     mqttx.NewQueue(),
		trusted: map[string]bool{},
		warn:    logx.NewSampled(opts.Logger, refusalLogEvery),
	}
	for _, id := range opts.TrustedControllers {
		if !wire.ValidID(id) {
			return nil, fmt.Errorf("rsu: trusted controller id %q is not a valid identifier", id)
		}
		s.trusted[id] = true
	}
	for i := range net.Intersections() {
		in := net.Intersection(int32(i))
		unit, err := newUnit(in, opts)
		if err != nil {
			return nil, fmt.Errorf("rsu: intersection %s: %w", in.ID, err)
		}
		_ = unit.SetHoldBudget(opts.HoldBudget) // validated above
		unit.SetRecordChanges(false)
		s.units[in.ID] = unit
		s.ids = append(s.ids, in.ID)
	}
	sort.Strings(s.ids)
	if len(s.ids) == 0 {
		return nil, errors.New("rsu: the map has no intersections")
	}
	return s, nil
}

// newUnit builds an intersection's unit on its normal plan.
func newUnit(in *routing.Intersection, opts Options) (*signals.Roadside, error) {
	plan, t, err := in.NormalPlan(opts.Cycle, opts.MainShare)
	if err != nil {
		return nil, err
	}
	return signals.NewRoadside(in.ID, plan, t)
}

// Intersections lists the simulated intersections, sorted.
func (s *Simulator) Intersections() []string { return slices.Clone(s.ids) }

// Subscriptions are the MQTT subscriptions the simulator needs: every
// intersection's commands and every controller's presence.
func (s *Simulator) Subscriptions() []mqttx.Subscription {
	t := s.opts.Topics
	return []mqttx.Subscription{
		{Filter: t.Filter(mqttx.KindCommand), QoS: 1, Handler: s.onCommand},
		{Filter: t.Filter(mqttx.KindControllerStatus), QoS: 1, Handler: s.onControllerStatus},
	}
}

// Resync asks the loop to publish every unit's status again; call it on
// every (re)connection (mqttx.Options.OnConnect).
func (s *Simulator) Resync() {
	s.events <- event{kind: evResync}
}

// resyncUnit asks the loop to publish unit id's status again: what its
// own connection's OnConnect needs (the broker may have published its
// Last Will), without every unit republishing at every unit's connect.
func (s *Simulator) resyncUnit(id string) {
	s.events <- event{kind: evResync, controller: id}
}

func (s *Simulator) onCommand(topic string, payload []byte) {
	_, id, ok := s.opts.Topics.Parse(topic)
	if !ok {
		return
	}
	c, err := wire.ParseCommand(id, payload)
	if err != nil {
		s.warn.Warn("rsu: command refused", "invalid", zap.String("intersection_id", id), fieldOf(err), zap.Error(err))
		return
	}
	s.events <- event{kind: evCommand, command: c}
}

// trusts reports whether the units take orders from controller id.
func (s *Simulator) trusts(id string) bool { return len(s.trusted) == 0 || s.trusted[id] }

// onControllerStatus follows a trusted controller's presence. Its status
// is believed only from its own topic: the payload's controller_id must
// be the topic's (wire.ParseControllerStatus), and the broker's ACL lets
// only that controller write there.
func (s *Simulator) onControllerStatus(topic string, payload []byte) {
	_, id, ok := s.opts.Topics.Parse(topic)
	if !ok || len(payload) == 0 {
		return
	}
	if !s.trusts(id) {
		return // another city's controller, or a fake: none of our units' business
	}
	st, err := wire.ParseControllerStatus(id, payload)
	if err != nil {
		s.warn.Warn("rsu: controller status refused", "invalid_status", zap.String("controller_id", id), fieldOf(err), zap.Error(err))
		return
	}
	if st.State == wire.ControllerOffline {
		s.events <- event{kind: evControllerOffline, controller: id}
	}
}

func fieldOf(err error) zap.Field {
	var fe *wire.FieldError
	if errors.As(err, &fe) {
		return zap.String("field", fe.Field)
	}
	return zap.Skip()
}

// Stats returns the counters, asked of the loop so they are consistent.
func (s *Simulator) Stats(ctx context.Context) (Stats, error) {
	ch := make(chan Stats, 1)
	select {
	case s.events <- event{kind: evStats, stats: ch}:
	case <-ctx.Done():
		return Stats{}, ctx.Err()
	}
	select {
	case st := <-ch:
		return st, nil
	case <-ctx.Done():
		return Stats{}, ctx.Err()
	}
}

// Run drives the units until ctx is done, publishing through pub.
func (s *Simulator) Run(ctx context.Context, pub Publisher) error {
	pubDone := make(chan struct{})
	go func() { defer close(pubDone); s.publishLoop(ctx, pub) }()
	defer func() { <-pubDone }()

	now := s.opts.Clock.Now()
	for _, id := range s.ids {
		s.units[id].Advance(now)
	}
	s.publishChanged(now, true)
	timer := s.opts.Clock.NewTimer(s.untilNextChange(now))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C():
		case ev := <-s.events:
			s.handle(ev)
		}
		now = s.opts.Clock.Now()
		for _, id := range s.ids {
			s.units[id].Advance(now)
		}
		s.publishChanged(now, false)
		timer.Stop()
		timer.Reset(s.untilNextChange(now))
	}
}

func (s *Simulator) handle(ev event) {
	now := s.opts.Clock.Now()
	switch ev.kind {
	case evCommand:
		unit, ok := s.units[ev.command.IntersectionID]
		if !ok {
			s.stats.CommandsRefused++
			s.warn.Warn("rsu: command for an intersection not on the map", "unknown_intersection", zap.String("intersection_id", ev.command.IntersectionID))
			return
		}
		if !s.trusts(ev.command.ControllerID) {
			s.stats.CommandsRefused++
			s.stats.CommandsUntrusted++
			s.warn.Warn("rsu: command from an untrusted controller refused", "untrusted",
				zap.String("controller_id", ev.command.ControllerID), zap.String("intersection_id", ev.command.IntersectionID),
				zap.String("request_id", ev.command.RequestID))
			return
		}
		if err := unit.Apply(now, ev.command); err != nil {
			s.stats.CommandsRefused++
			reason := "refused_by_unit"
			if errors.Is(err, signals.ErrHoldBudget) {
				reason = "hold_budget"
			}
			s.warn.Warn("rsu: command refused by unit", reason, zap.String("intersection_id", ev.command.IntersectionID),
				zap.String("request_id", ev.command.RequestID), zap.Stringer("type", ev.command.Type), fieldOf(err), zap.Error(err))
			return
		}
		s.stats.CommandsApplied++
		s.log.Debug("rsu: command applied", zap.String("intersection_id", ev.command.IntersectionID),
			zap.Stringer("type", ev.command.Type), zap.String("request_id", ev.command.RequestID),
			zap.Int("phase", ev.command.Phase), zap.Time("expires_at", ev.command.ExpiresAt))
	case evControllerOffline:
		s.stats.ControllersGone++
		s.log.Info("rsu: controller offline, ending its preempts", zap.String("controller_id", ev.controller))
		for _, id := range s.ids {
			s.units[id].ControllerOffline(ev.controller, now)
		}
	case evResync:
		if ev.controller != "" {
			delete(s.last, ev.controller) // that unit is published again
			return
		}
		clear(s.last) // everything is published again
	case evStats:
		ev.stats <- s.stats
	}
}

// untilNextChange is how long the loop may sleep: until the earliest unit
// change (at least 1 ms of clock time, so a unit due now cannot spin).
func (s *Simulator) untilNextChange(now time.Time) time.Duration {
	var next time.Time
	for _, id := range s.ids {
		if nc := s.units[id].NextChange(); !nc.IsZero() && (next.IsZero() || nc.Before(next)) {
			next = nc
		}
	}
	d := next.Sub(now)
	if next.IsZero() || d > time.Minute {
		d = time.Minute
	}
	return max(d, time.Millisecond)
}

// publishChanged queues the status of every unit whose reported state
// differs from what was last queued (all of them when all is set).
func (s *Simulator) publishChanged(now time.Time, all bool) {
	for _, id := range s.ids {
		st := s.units[id].Status(now)
		if s.opts.OmitGreenTimes {
			st.GreenSince, st.GreenUntil, st.Plan, st.InStep = time.Time{}, time.Time{}, nil, false
		}
		prev, seen := s.last[id]
		if !all && seen && sameStatus(prev, st) {
			continue
		}
		s.last[id] = st
		payload, err := json.Marshal(st)
		if err != nil {
			s.log.Error("rsu: status not encodable", zap.String("intersection_id", id), zap.Error(err))
			continue
		}
		s.stats.StatusesQueued++
		s.out.Push(mqttx.Message{Topic: s.opts.Topics.SignalStatus(id), Payload: payload, QoS: 1, Retained: true})
		if !seen || prev.State != st.State || prev.RequestID != st.RequestID {
			s.log.Info("rsu: status", zap.String("intersection_id", id), zap.Stringer("state", st.State),
				zap.Ints("green_phases", st.GreenPhases), zap.String("request_id", st.RequestID))
		}
	}
}

func sameStatus(a, b wire.Status) bool {
	return a.State == b.State && a.RequestID == b.RequestID && slices.Equal(a.GreenPhases, b.GreenPhases) &&
		a.GreenSince.Equal(b.GreenSince) && a.GreenUntil.Equal(b.GreenUntil) && a.InStep == b.InStep
}

// publishLoop publishes queued statuses in order. A failed publish (the
// broker, or that unit's connection, away) drops the status: Resync
// republishes every unit's current status on reconnect, which supersedes
// it.
func (s *Simulator) publishLoop(ctx context.Context, pub Publisher) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.out.Wake():
		}
		for _, m := range s.out.Take() {
			if err := pub.Publish(ctx, m); err != nil {
				if ctx.Err() != nil {
					return
				}
				s.log.Debug("rsu: status publish failed; will resync on reconnect", zap.String("topic", m.Topic), zap.Error(err))
			}
		}
	}
}

// Serve connects to the broker with clientOpts (its subscriptions and
// OnConnect are added to) and runs the simulator until ctx is done, then
// disconnects. With Options.UnitConnections, each unit gets its own
// connection and Last Will (see Options).
func (s *Simulator) Serve(ctx context.Context, clientOpts mqttx.Options) error {
	if s.opts.UnitConnections {
		return s.serveUnits(ctx, clientOpts)
	}
	clientOpts.Subscriptions = append(slices.Clone(clientOpts.Subscriptions), s.Subscriptions()...)
	prev := clientOpts.OnConnect
	clientOpts.OnConnect = func() {
		s.Resync()
		if prev != nil {
			prev()
		}
	}
	c, err := mqttx.Connect(ctx, clientOpts)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer c.Disconnect(250 * time.Millisecond)
	err = s.Run(ctx, c)
	s.goodbye(c)
	return err
}

// goodbyeTimeout bounds how long a stopping simulator tries to publish
// its units' offline statuses.
const goodbyeTimeout = 2 * time.Second

// goodbye publishes, as the simulator stops, every unit's retained fault
// status marked offline, as its Last Will would: a stopped roadside
// serves no preempt, and must not go on reporting one.
func (s *Simulator) goodbye(pub Publisher) {
	ctx, cancel := context.WithTimeout(context.Background(), goodbyeTimeout)
	defer cancel()
	now := s.opts.Clock.Now()
	for _, id := range s.ids {
		payload, err := json.Marshal(OfflineStatus(id, now))
		if err != nil {
			continue
		}
		if err := pub.Publish(ctx, mqttx.Message{Topic: s.opts.Topics.SignalStatus(id), Payload: payload, QoS: 1, Retained: true}); err != nil {
			s.log.Warn("rsu: offline statuses not all published at shutdown; the units' Last Wills do not fire on a clean disconnect",
				zap.String("intersection_id", id), zap.Error(err))
			return
		}
	}
}

// OfflineStatus is unit id's Last Will: fault, marked offline, stamped at
// when (the connection's start).
func OfflineStatus(id string, when time.Time) wire.Status {
	return wire.Status{IntersectionID: id, TS: when, State: wire.StateFault, Offline: true,
		Reason: "the roadside unit is offline: its connection to the broker ended"}
}

// unitConnectParallel bounds how many unit connections are being made at
// once: a city's hundreds of TLS handshakes, without flooding the broker.
const unitConnectParallel = 16

// serveUnits is Serve with one connection per unit.
func (s *Simulator) serveUnits(ctx context.Context, base mqttx.Options) error {
	clients := make(map[string]*mqttx.Client, len(s.ids))
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, unitConnectParallel)
	var wg sync.WaitGroup
	for i, id := range s.ids {
		o := base
		o.ClientID = base.ClientID + "-" + id
		will := OfflineStatus(id, s.opts.Clock.Now())
		payload, err := json.Marshal(will)
		if err != nil {
			return err
		}
		o.Will = &mqttx.Message{Topic: s.opts.Topics.SignalStatus(id), Payload: payload, QoS: 1, Retained: true}
		o.Subscriptions = append(slices.Clone(base.Subscriptions),
			mqttx.Subscription{Filter: s.opts.Topics.Command(id), QoS: 1, Handler: s.onCommand})
		if i == 0 {
			// One connection follows the controllers' presence for all.
			o.Subscriptions = append(o.Subscriptions,
				mqttx.Subscription{Filter: s.opts.Topics.Filter(mqttx.KindControllerStatus), QoS: 1, Handler: s.onControllerStatus})
		} else if o.Logger != nil {
			// Every unit's connection goes to the same broker with the same
			// credentials: the first one's log says what all would.
			o.Logger = o.Logger.WithOptions(zap.IncreaseLevel(zapcore.DPanicLevel))
		}
		prev := base.OnConnect
		o.OnConnect = func() {
			s.resyncUnit(id) // the broker may have published this unit's will
			if prev != nil {
				prev()
			}
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := mqttx.Connect(ctx, o)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("rsu: unit %s: %w", id, err)
				}
				return
			}
			clients[s.opts.Topics.SignalStatus(id)] = c
		}()
	}
	wg.Wait()
	defer func() {
		// In parallel: a city's hundreds of connections, each given a
		// moment to finish what is in flight.
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Add(1)
			go func() { defer wg.Done(); c.Disconnect(250 * time.Millisecond) }()
		}
		wg.Wait()
	}()
	if firstErr != nil {
		if ctx.Err() != nil {
			return nil
		}
		return firstErr
	}
	pub := unitPublisher(clients)
	err := s.Run(ctx, pub)
	s.goodbye(pub)
	return err
}

// unitPublisher sends each status through its unit's own connection.
type unitPublisher map[string]*mqttx.Client

func (u unitPublisher) Publish(ctx context.Context, m mqttx.Message) error {
	c := u[m.Topic]
	if c == nil {
		return fmt.Errorf("rsu: no connection for %s", m.Topic)
	}
	return c.Publish(ctx, m)
}
