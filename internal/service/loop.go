package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/wire"
)

// Reasons a message is refused before it reaches the engine, the "reason"
// label of greenwave_messages_rejected_total (with the engine's own reject
// reasons: stale_seq, stale_ts, ...).
const (
	RejectTooLarge   = "too_large"   // over 64 KiB
	RejectMalformed  = "malformed"   // not UTF-8, not JSON, not an object
	RejectIDMismatch = "id_mismatch" // the body's id is not the topic's
	RejectInvalid    = "invalid"     // a field missing, of the wrong type or out of range
	RejectBadTopic   = "bad_topic"   // a topic of the tree with an invalid id
)

// onMessage runs on paho's delivery goroutine: admit, parse, validate,
// queue. A vehicle's message is admitted (registered, within its rate)
// before anything else is done with it, so that a flood of junk costs a
// map lookup and a counter each.
func (s *Service) onMessage(topic string, payload []byte) {
	kind, id, ok := s.topics.Parse(topic)
	if !ok {
		return
	}
	s.met.Received(kind.String())
	if kind == mqttx.KindPosition || kind == mqttx.KindRoute {
		if reason := s.gate.Load().admit(id, s.clock.Now()); reason != "" {
			s.rejected(kind, id, reason, "vehicle_id", nil)
			return
		}
	}
	if len(payload) > wire.MaxPayloadBytes {
		s.rejected(kind, id, RejectTooLarge, "payload", errors.New("payload larger than 64 KiB"))
		return
	}
	if !wire.ValidID(id) {
		s.rejected(kind, id, RejectBadTopic, "topic", errors.New("topic id is not a valid identifier"))
		return
	}
	var in controller.Input
	var err error
	switch kind {
	case mqttx.KindPosition:
		var p wire.Position
		p, err = wire.ParsePosition(id, payload)
		in = controller.PositionInput(p)
	case mqttx.KindRoute:
		var r wire.Route
		r, err = wire.ParseRoute(id, payload)
		in = controller.RouteInput(r)
	case mqttx.KindSignalStatus:
		var st wire.Status
		if len(payload) == 0 {
			return // a cleared retained status: nothing to tell the engine
		}
		st, err = wire.ParseStatus(id, payload)
		in = controller.StatusInput(st)
	default:
		return
	}
	if err != nil {
		s.rejected(kind, id, classify(err), fieldName(err), err)
		return
	}
	if kind == mqttx.KindPosition {
		// A newer fix supersedes a dropped one; never stall delivery
		// (and with it the keep-alive) for a position.
		select {
		case s.inputs <- input{kind: kind, in: in}:
		default:
			s.met.InputsDropped.WithLabelValues(kind.String()).Inc()
		}
		return
	}
	s.inputs <- input{kind: kind, in: in} // routes and statuses are rare and must not be lost
}

func fieldName(err error) string {
	var fe *wire.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// classify names a parser's refusal by its class (wire's sentinel errors).
func classify(err error) string {
	switch {
	case errors.Is(err, wire.ErrTooLarge):
		return RejectTooLarge
	case errors.Is(err, wire.ErrMalformed):
		return RejectMalformed
	case errors.Is(err, wire.ErrIDMismatch):
		return RejectIDMismatch
	}
	return RejectInvalid
}

// rejected counts a message refused at the edge (id is its topic's); the
// log and the audit trail get it summed per window (refusals).
func (s *Service) rejected(kind mqttx.Kind, id, reason, field string, err error) {
	s.met.Rejected(kind.String(), reason, field)
	s.refused.add(kind.String(), reason, func() refusalSample {
		detail := ""
		if err != nil {
			detail = err.Error()
		}
		return refusalSample{At: s.clock.Now(), ID: id, Field: field, Detail: detail}
	})
}

// loop is the engine goroutine.
func (s *Service) loop(ctx context.Context) {
	timer := s.clock.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	window := s.clock.NewTimer(s.cfg.RefusalWindow)
	defer window.Stop()
	for {
		s.inputKind = ""
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case in := <-s.inputs:
			now := s.clock.Now()
			start := time.Now()
			s.inputKind = in.kind.String()
			if err := s.engine.Step(now, in.in); err != nil {
				var re *controller.RejectError
				if errors.As(err, &re) {
					s.met.Rejected(in.kind.String(), re.Reason.String(), re.Field)
				}
			} else if s.obs != nil {
				s.observeInput(now, in.in)
			}
			s.met.StepSeconds.Observe(time.Since(start).Seconds())
			s.met.InputsProcessed.WithLabelValues(in.kind.String()).Inc()
		case <-window.C():
			window.Reset(s.cfg.RefusalWindow)
			s.closeRefusalWindow()
			continue
		case <-timer.C():
			armed = false
			start := time.Now()
			s.engine.Tick(s.clock.Now())
			s.met.StepSeconds.Observe(time.Since(start).Seconds())
		case <-s.reconnects:
			s.reassert()
		case q := <-s.queries:
			// A query may change the engine (SetRegistry's priorities):
			// what it output is handled, and the wakeup re-armed, below.
			q()
		}
		rd := s.engine.Ready()
		s.handle(rd)
		if armed {
			timer.Stop()
			armed = false
		}
		if !rd.NextWakeup.IsZero() {
			timer.Reset(rd.NextWakeup.Sub(s.clock.Now()))
			armed = true
		}
	}
}

// handle routes one Ready: commands in order to the command queue,
// advisories to theirs, decisions to the log, the audit trail and metrics.
func (s *Service) handle(rd controller.Ready) {
	if s.obs != nil {
		s.obs.ObserveReady(s.clock.Now(), rd)
	}
	for _, c := range rd.Commands {
		s.sendCommand(c)
	}
	for _, a := range rd.Advisories {
		b, err := json.Marshal(a)
		if err != nil {
			s.log.Error("advisory not encodable", zap.String("vehicle_id", a.VehicleID), zap.Error(err))
			continue
		}
		select {
		case s.advisories <- mqttx.Message{Topic: s.topics.Advisory(a.VehicleID), Payload: b}:
		default:
			s.met.AdvisoriesDropped.Inc()
		}
	}
	for _, d := range rd.Decisions {
		s.decided(d)
	}
	if len(rd.Decisions) > 0 {
		s.flushAudit()
	}
}

func (s *Service) sendCommand(c wire.Command) {
	b, err := json.Marshal(c)
	if err != nil {
		s.log.Error("command not encodable", zap.String("request_id", c.RequestID), zap.Error(err))
		return
	}
	s.commands.Push(mqttx.Message{Topic: s.topics.Command(c.IntersectionID), Payload: b, QoS: 1, Label: c.Type.String()})
	s.met.CommandQueue.Set(float64(s.commands.Len()))
}

// reassert re-sends, after a reconnect, every live preempt with a fresh
// expires_at: while the connection was down the broker may have published
// our Last Will, and the roadside units then ended our preempts.
func (s *Service) reassert() {
	s.engine.Reassert(s.clock.Now())
}

// shutdown releases every live preempt and queues the retained `offline`.
func (s *Service) shutdown() {
	s.engine.ReleaseAll(s.clock.Now(), controller.ReasonShutdown)
	s.handle(s.engine.Ready())
	s.commands.Push(s.statusMessage(wire.ControllerOffline))
	s.log.Info("shutting down: released live preempts, offline queued")
}

// decided logs, audits and counts one decision.
func (s *Service) decided(d controller.Decision) {
	s.met.Decisions.WithLabelValues(d.Kind.String(), d.Reason.String()).Inc()
	fields := []zap.Field{zap.Stringer("kind", d.Kind)}
	add := func(k, v string) {
		if v != "" {
			fields = append(fields, zap.String(k, v))
		}
	}
	add("vehicle_id", d.VehicleID)
	add("intersection_id", d.IntersectionID)
	add("request_id", d.RequestID)
	add("reason", d.Reason.String())
	add("field", d.Field)
	add("detail", d.Detail)
	if eta, lead, dist, ok := d.Figures(); ok {
		fields = append(fields, zap.Float64("eta_s", eta), zap.Float64("lead_s", lead), zap.Float64("distance_m", dist))
	}
	if !d.ExpiresAt.IsZero() {
		fields = append(fields, zap.Time("expires_at", d.ExpiresAt))
	}
	switch d.Kind {
	case controller.DecisionRefresh, controller.DecisionRoute:
		s.log.Debug("decision", fields...)
	case controller.DecisionReject:
		// Summed per window, with the edge's refusals.
		id := d.VehicleID
		if id == "" {
			id = d.IntersectionID
		}
		kind := s.inputKind
		if kind == "" {
			kind = "engine"
		}
		s.refused.add(kind, d.Reason.String(), func() refusalSample {
			return refusalSample{At: d.At, ID: id, Field: d.Field, Detail: d.Detail}
		})
		return
	default:
		s.log.Info("decision", fields...)
	}
	if s.audit != nil {
		b, err := json.Marshal(auditRecord{ControllerID: s.id, Decision: d})
		if err == nil {
			s.auditMu.Lock()
			_, _ = s.audit.Write(append(b, '\n'))
			s.auditMu.Unlock()
		}
	}
}

// auditRecord is one line of the audit trail: the decision's stable JSON
// form with the controller's id first.
type auditRecord struct {
	ControllerID string
	Decision     controller.Decision
}

func (r auditRecord) MarshalJSON() ([]byte, error) {
	d, err := json.Marshal(r.Decision)
	if err != nil {
		return nil, err
	}
	id, _ := json.Marshal(r.ControllerID)
	out := append([]byte(`{"controller_id":`), id...)
	if len(d) > 2 {
		out = append(out, ',')
		out = append(out, d[1:]...)
	} else {
		out = append(out, '}')
	}
	return out, nil
}

// closeRefusalWindow logs and audits the refusals of the window ending now.
func (s *Service) closeRefusalWindow() {
	sums := s.refused.flush(s.clock.Now(), s.id)
	if s.audit == nil || len(sums) == 0 {
		return
	}
	s.auditMu.Lock()
	for _, sum := range sums {
		if b, err := json.Marshal(sum); err == nil {
			_, _ = s.audit.Write(append(b, '\n'))
		}
	}
	s.auditMu.Unlock()
	s.flushAudit()
}

func (s *Service) flushAudit() {
	if s.audit == nil {
		return
	}
	s.auditMu.Lock()
	defer s.auditMu.Unlock()
	if err := s.audit.Flush(); err != nil {
		s.log.Error("audit trail write failed", zap.Error(err))
	}
}

// publishCommands publishes the command queue in order, retrying each
// message until the broker acknowledges it: a command is never dropped.
func (s *Service) publishCommands(ctx context.Context, c Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.commands.Wake():
		}
		s.publishing.Store(true)
		batch := s.commands.Take()
		for i := 0; i < len(batch); {
			err := c.Publish(ctx, batch[i])
			if err == nil {
				s.countSent(batch[i])
				i++
				continue
			}
			if ctx.Err() != nil {
				s.commands.PushFront(batch[i:])
				s.publishing.Store(false)
				return
			}
			s.met.CommandPublishRetries.Inc()
			if !errors.Is(err, mqttx.ErrNotConnected) {
				s.log.Warn("command publish failed; retrying", zap.String("topic", batch[i].Topic), zap.Error(err))
			}
			select {
			case <-ctx.Done():
				s.commands.PushFront(batch[i:])
				s.publishing.Store(false)
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		s.publishing.Store(false)
		s.met.CommandQueue.Set(float64(s.commands.Len()))
	}
}

// countSent counts a published command by its type (the queue also
// carries the controller's own status, which has no label).
func (s *Service) countSent(m mqttx.Message) {
	if m.Label != "" {
		s.met.CommandsPublished.WithLabelValues(m.Label).Inc()
	}
}

// publishAdvisories sends advisories at QoS 0; with the broker away they
// are dropped and counted.
func (s *Service) publishAdvisories(ctx context.Context, c Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-s.advisories:
			if err := c.PublishNoWait(m); err != nil {
				s.met.AdvisoriesDropped.Inc()
				continue
			}
			s.met.AdvisoriesPublished.Inc()
		}
	}
}

// Query runs f on the engine goroutine (between inputs) and waits for it:
// for tests and tools that need a consistent look at the service's state.
func (s *Service) Query(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case s.queries <- func() { f(); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// LivePreempts returns the request ids of the preempts the service holds,
// asked of the engine goroutine.
func (s *Service) LivePreempts(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.Query(ctx, func() { ids = s.engine.LiveRequestIDs(ids) })
	return ids, err
}
