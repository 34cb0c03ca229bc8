package rsu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/internal/clock"
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
	// OmitGreenTimes leaves green_since and green_until (the optional SPaT
	// facts of docs/protocol-notes.md), and plan and in_step, out of the
	// statuses, as a roadside that reports only protocol v1's core fields
	// does. The controller then plans for the worst case.
	OmitGreenTimes bool
}

// Publisher is what the simulator needs of an MQTT client.
type Publisher interface {
	Publish(ctx context.Context, m mqttx.Message) error
}

// Simulator runs the roadside units of a network.
type Simulator struct {
	opts   Options
	log    *zap.Logger
	units  map[string]*signals.Roadside
	ids    []string // sorted, for a stable publishing order
	last   map[string]wire.Status
	events chan event
	out    *mqttx.Queue
	stats  Stats
}

// Stats counts what the simulator did, for tests and the demo's summary.
type Stats struct {
	CommandsApplied int
	CommandsRefused int
	StatusesQueued  int
	ControllersGone int
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
	controller string
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
	s := &Simulator{
		opts:   opts,
		log:    opts.Logger,
		units:  map[string]*signals.Roadside{},
		last:   map[string]wire.Status{},
		events: make(chan event, 1024),
		out:    mqttx.NewQueue(),
	}
	for i := range net.Intersections() {
		in := net.Intersection(int32(i))
		unit, err := newUnit(in, opts)
		if err != nil {
			return nil, fmt.Errorf("rsu: intersection %s: %w", in.ID, err)
		}
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

func (s *Simulator) onCommand(topic string, payload []byte) {
	_, id, ok := s.opts.Topics.Parse(topic)
	if !ok {
		return
	}
	c, err := wire.ParseCommand(id, payload)
	if err != nil {
		s.log.Warn("rsu: command refused", zap.String("topic", topic), fieldOf(err), zap.Error(err))
		return
	}
	s.events <- event{kind: evCommand, command: c}
}

func (s *Simulator) onControllerStatus(topic string, payload []byte) {
	_, id, ok := s.opts.Topics.Parse(topic)
	if !ok || len(payload) == 0 {
		return
	}
	st, err := wire.ParseControllerStatus(id, payload)
	if err != nil {
		s.log.Warn("rsu: controller status refused", zap.String("topic", topic), fieldOf(err), zap.Error(err))
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
			s.log.Warn("rsu: command for an intersection not on the map", zap.String("intersection_id", ev.command.IntersectionID))
			return
		}
		if err := unit.Apply(now, ev.command); err != nil {
			s.stats.CommandsRefused++
			s.log.Warn("rsu: command refused by unit", zap.String("intersection_id", ev.command.IntersectionID),
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
			st.GreenSince, st.GreenUntil = time.Time{}, time.Time{}
			st.Plan, st.InStep = nil, false
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
		a.GreenSince.Equal(b.GreenSince) && a.GreenUntil.Equal(b.GreenUntil)
}

// publishLoop publishes queued statuses in order. A failed publish (broker
// away) drops what is queued: Resync republishes every unit's current
// status on reconnect, which supersedes the backlog.
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
				break
			}
		}
	}
}

// Serve connects to the broker with clientOpts (its subscriptions and
// OnConnect are added to) and runs the simulator until ctx is done, then
// disconnects.
func (s *Simulator) Serve(ctx context.Context, clientOpts mqttx.Options) error {
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
	return s.Run(ctx, c)
}
