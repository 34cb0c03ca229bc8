package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// Defaults of Options.
const (
	// DefaultBatchInterval: four updates a second look live to a person
	// and let a thousand vehicles' 1 Hz fixes travel in a few messages
	// instead of a thousand.
	DefaultBatchInterval = 250 * time.Millisecond
	// DefaultClientBuffer is how many batches a page may fall behind
	// (16 s at the default interval) before it is sent a fresh snapshot
	// instead of the batches it missed.
	DefaultClientBuffer = 64
	// DefaultMaxClients bounds the pages served at once: each costs a
	// goroutine and a buffer, and a control room has a handful.
	DefaultMaxClients = 32
	// DefaultMaxDecisions bounds the decisions of one batch. A fleet's
	// normal traffic is far below it (1,000 vehicles on runs make about
	// 200 decisions a second); a flood of rejected inputs beyond it is
	// counted (Batch.Skipped) rather than sent.
	DefaultMaxDecisions = 2000
	// DefaultDecisionsKept is how many recent decisions a new page gets.
	DefaultDecisionsKept = 300
	// DefaultHistoryKept is how many events a signal's history keeps.
	DefaultHistoryKept = 50
	// DefaultVehicleGoneAfter: a vehicle not heard from this long (clock
	// time) is taken off the page. The engine releases a silent vehicle's
	// preempts after 6 s; the page keeps it a while longer so that the
	// operator sees where it went quiet.
	DefaultVehicleGoneAfter = time.Minute
	// DefaultSignalStaleAfter: a signal whose last status is older than
	// this (clock time) is shown offline. Roadside units report on every
	// change of their greens, so a working unit on a plan is heard from
	// at least once a cycle (at most 300 s, signals.MaxCycle); a hold
	// lasts at most its max_preempt_s.
	DefaultSignalStaleAfter = 5 * time.Minute
)

// Options configures a Hub.
type Options struct {
	// Network is the live map; Map, when set instead, is the map as
	// recorded (a replay).
	Network *routing.Network
	Map     *MapData
	MapName string
	Clock   clock.Clock // default: the wall clock
	// Rate is how many clock seconds pass per real second, for the page's
	// countdowns between batches; default: the clock's Factor when it is
	// a *clock.Scaled, else 1.
	Rate             float64
	BatchInterval    time.Duration
	ClientBuffer     int
	MaxClients       int
	MaxDecisions     int
	DecisionsKept    int
	HistoryKept      int
	VehicleGoneAfter time.Duration
	SignalStaleAfter time.Duration
	// Record, when set, receives the event stream as JSON lines: a
	// RecordHeader, then every batch that is not empty (see Replay).
	Record io.Writer
	// Replay makes a hub fed by Inject with recorded batches: it derives
	// nothing itself (gone vehicles, offline signals, expired preempts
	// are in the recording).
	Replay  bool
	Metrics *Metrics    // default: a fresh, unregistered set
	Logger  *zap.Logger // default: none
}

// Hub turns what the service observes into the page's state and event
// stream. It implements service.Observer: the engine goroutine only
// records what it is shown under a short lock; the hub's own goroutine
// (Run) builds a batch every BatchInterval, applies it to the state, and
// queues it for each page without waiting for any.
type Hub struct {
	opts    Options
	log     *zap.Logger
	met     *Metrics
	proj    routing.Projection
	live    bool // fed by a service, not by Inject
	mapJSON []byte

	pendMu sync.Mutex
	pend   *pending
	spare  *pending

	// Owned by the Run goroutine.
	pathOf  map[string]pathRef // each vehicle's path as last sent
	nextPID int64
	rec     *bufio.Writer
	recErr  bool

	stateMu sync.Mutex
	st      state
	clients map[*client]struct{}
	first   chan struct{} // closed when the first page connects
	firstOK bool
}

// pending is what the engine goroutine has shown the hub since the last
// batch.
type pending struct {
	vehicles   map[string]observedFix
	statuses   []wire.Status
	advisories map[string][]wire.AdvisorySignal
	decisions  []controller.Decision
	skipped    int
	injected   []*Batch
}

type pathRef struct {
	path *routing.Path
	id   int64
}

type observedFix struct {
	p       wire.Position
	heading float64
	speed   float64
	view    controller.VehicleView
}

func newPending() *pending {
	return &pending{vehicles: map[string]observedFix{}, advisories: map[string][]wire.AdvisorySignal{}}
}

func (p *pending) reset() {
	clear(p.vehicles)
	clear(p.statuses)
	p.statuses = p.statuses[:0]
	clear(p.advisories)
	clear(p.decisions)
	p.decisions = p.decisions[:0]
	p.skipped = 0
	clear(p.injected)
	p.injected = p.injected[:0]
}

// New builds a hub. Call Run to start batching.
func New(opts Options) (*Hub, error) {
	if opts.Network == nil && opts.Map == nil {
		return nil, errors.New("web: no map: set Options.Network or Options.Map")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Wall{}
	}
	if opts.Rate <= 0 {
		opts.Rate = 1
		if s, ok := opts.Clock.(*clock.Scaled); ok {
			opts.Rate = s.Factor()
		}
	}
	setDefault(&opts.BatchInterval, DefaultBatchInterval)
	setDefault(&opts.ClientBuffer, DefaultClientBuffer)
	setDefault(&opts.MaxClients, DefaultMaxClients)
	setDefault(&opts.MaxDecisions, DefaultMaxDecisions)
	setDefault(&opts.DecisionsKept, DefaultDecisionsKept)
	setDefault(&opts.HistoryKept, DefaultHistoryKept)
	setDefault(&opts.VehicleGoneAfter, DefaultVehicleGoneAfter)
	setDefault(&opts.SignalStaleAfter, DefaultSignalStaleAfter)
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	h := &Hub{opts: opts, log: opts.Logger, met: opts.Metrics, live: !opts.Replay,
		pend: newPending(), spare: newPending(), pathOf: map[string]pathRef{},
		clients: map[*client]struct{}{}, first: make(chan struct{})}
	if opts.Map == nil {
		opts.Map = BuildMap(opts.Network, opts.MapName)
		h.opts.Map = opts.Map
	}
	h.st.init(opts.Map, opts.DecisionsKept, opts.HistoryKept)
	if opts.Network != nil {
		h.proj = opts.Network.Projection()
	}
	var err error
	if h.mapJSON, err = json.Marshal(opts.Map); err != nil {
		return nil, err
	}
	if opts.Record != nil {
		h.rec = bufio.NewWriterSize(opts.Record, 64<<10)
		hdr := RecordHeader{Format: RecordFormat, Version: RecordVersion, Start: unixMS(opts.Clock.Now()), Rate: opts.Rate, Map: opts.Map}
		b, err := json.Marshal(hdr)
		if err != nil {
			return nil, err
		}
		h.writeRecord(b)
	}
	return h, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Map returns the map the page draws.
func (h *Hub) Map() *MapData { return h.opts.Map }

// Metrics returns the hub's metrics.
func (h *Hub) Metrics() *Metrics { return h.met }

// FirstPage is closed when the first page has connected to the event
// stream.
func (h *Hub) FirstPage() <-chan struct{} { return h.first }

// ObservePosition implements service.Observer.
func (h *Hub) ObservePosition(_ time.Time, p wire.Position, v controller.VehicleView) {
	o := observedFix{p: p, view: v, heading: -1, speed: -1}
	if p.HeadingDeg != nil {
		o.heading = *p.HeadingDeg
	}
	if p.SpeedMps != nil {
		o.speed = *p.SpeedMps
	}
	o.p.HeadingDeg, o.p.SpeedMps, o.p.AccuracyM = nil, nil, nil // not kept: the parser's
	h.pendMu.Lock()
	h.pend.vehicles[p.VehicleID] = o
	h.pendMu.Unlock()
}

// ObserveStatus implements service.Observer.
func (h *Hub) ObserveStatus(_ time.Time, s wire.Status) {
	h.pendMu.Lock()
	h.pend.statuses = append(h.pend.statuses, s)
	h.pendMu.Unlock()
}

// ObserveReady implements service.Observer. It copies what it keeps: the
// Ready's slices are the engine's buffers.
func (h *Hub) ObserveReady(_ time.Time, rd controller.Ready) {
	if len(rd.Decisions) == 0 && len(rd.Advisories) == 0 {
		return
	}
	h.pendMu.Lock()
	defer h.pendMu.Unlock()
	p := h.pend
	for _, a := range rd.Advisories {
		p.advisories[a.VehicleID] = append(p.advisories[a.VehicleID][:0:0], a.Signals...)
	}
	room := h.opts.MaxDecisions - len(p.decisions)
	if room < 0 {
		room = 0
	}
	n := min(room, len(rd.Decisions))
	p.decisions = append(p.decisions, rd.Decisions[:n]...)
	p.skipped += len(rd.Decisions) - n
}

// Inject queues a recorded batch for the next one sent (a replay).
func (h *Hub) Inject(b *Batch) {
	h.pendMu.Lock()
	h.pend.injected = append(h.pend.injected, b)
	h.pendMu.Unlock()
}

// Run batches every BatchInterval until ctx is done, then sends what is
// left and ends every page's stream.
func (h *Hub) Run(ctx context.Context) {
	t := time.NewTicker(h.opts.BatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			h.Flush()
			h.closeClients()
			h.flushRecord()
			return
		case <-t.C:
			h.Flush()
		}
	}
}

// Flush builds, applies and sends one batch now. Run calls it every
// BatchInterval; it must not be called concurrently with itself.
func (h *Hub) Flush() {
	h.pendMu.Lock()
	p := h.pend
	h.pend, h.spare = h.spare, p
	h.pendMu.Unlock()

	now := h.opts.Clock.Now()
	h.stateMu.Lock()
	b := h.build(p, now)
	for _, in := range p.injected {
		merge(b, in)
	}
	p.reset()
	h.st.apply(b)
	b.Seq = h.st.seq
	enc, err := json.Marshal(b)
	if err != nil {
		h.stateMu.Unlock()
		h.log.Error("web: batch not encodable", zap.Error(err))
		return
	}
	h.broadcast(frame("batch", enc))
	h.stateMu.Unlock()
	h.met.Batches.Inc()
	h.met.BatchBytes.Observe(float64(len(enc)))
	if !b.empty() {
		h.writeRecord(enc)
	}
}

// merge appends a recorded batch to b.
func merge(b, in *Batch) {
	if in.Now > b.Now {
		b.Now = in.Now
	}
	b.Statuses = append(b.Statuses, in.Statuses...)
	b.Vehicles = append(b.Vehicles, in.Vehicles...)
	b.Paths = append(b.Paths, in.Paths...)
	b.Advisories = append(b.Advisories, in.Advisories...)
	b.Gone = append(b.Gone, in.Gone...)
	b.Preempts = append(b.Preempts, in.Preempts...)
	b.Ended = append(b.Ended, in.Ended...)
	b.Decisions = append(b.Decisions, in.Decisions...)
	b.Skipped += in.Skipped
}

// build turns what was observed into a batch, against the state (which it
// reads and does not change). Called with stateMu held.
func (h *Hub) build(p *pending, now time.Time) *Batch {
	b := &Batch{Now: unixMS(now), Rate: h.opts.Rate, Skipped: p.skipped}
	if p.skipped > 0 {
		h.met.DecisionsSkipped.Add(float64(p.skipped))
	}
	for _, s := range p.statuses {
		b.Statuses = append(b.Statuses, Signal{ID: s.IntersectionID, State: s.State.String(), Greens: slices.Clone(s.GreenPhases),
			RequestID: s.RequestID, TS: unixMS(s.TS)})
	}
	for _, id := range sortedKeys(p.vehicles) {
		h.buildVehicle(b, id, p.vehicles[id])
	}
	for _, id := range sortedKeys(p.advisories) {
		sigs := p.advisories[id]
		a := Advisory{VehicleID: id, Signals: make([]VehicleSignal, len(sigs))}
		for i, s := range sigs {
			a.Signals[i] = VehicleSignal{ID: s.IntersectionID, State: s.State, EtaS: s.EtaS, DistanceM: s.DistanceM}
		}
		b.Advisories = append(b.Advisories, a)
	}
	h.buildPreempts(b, p.decisions)
	for _, d := range p.decisions {
		raw, err := json.Marshal(d)
		if err != nil {
			continue
		}
		b.Decisions = append(b.Decisions, raw)
	}
	if h.live {
		h.derive(b, p, now)
	}
	return b
}

func (h *Hub) buildVehicle(b *Batch, id string, o observedFix) {
	x, y := pageXY(h.proj.ToXY([2]float64{o.p.Lon, o.p.Lat}))
	v := Vehicle{ID: id, X: x, Y: y, Emergency: o.p.Emergency, TS: unixMS(o.p.TS),
		AlongM: round1(o.view.AlongM), OnPath: o.view.OnPath}
	if o.speed >= 0 {
		v.SpeedMps = new(round1(o.speed))
	}
	switch {
	case o.heading >= 0:
		v.HeadingDeg = new(round1(o.heading))
	case o.view.Path != nil && o.view.OnPath:
		_, bearing := o.view.Path.PointAt(o.view.AlongM)
		v.HeadingDeg = new(round1(bearing))
	}
	if path := o.view.Path; path != nil {
		ref := h.pathOf[id]
		if ref.path != path {
			h.nextPID++
			ref = pathRef{path: path, id: h.nextPID}
			h.pathOf[id] = ref
			pts := path.Points()
			flat := make([]float64, 0, 2*len(pts))
			for _, q := range pts {
				px, py := pageXY(q)
				flat = append(flat, px, py)
			}
			b.Paths = append(b.Paths, Path{ID: ref.id, VehicleID: id, Points: flat})
		}
		v.PathID = ref.id
	} else {
		delete(h.pathOf, id)
	}
	b.Vehicles = append(b.Vehicles, v)
}

// buildPreempts turns the decisions into the preempts that start, change
// or end in this batch; only the outcome of each request id is sent.
func (h *Hub) buildPreempts(b *Batch, ds []controller.Decision) {
	type outcome struct {
		p     Preempt
		ended string // reason, "" while live
	}
	changed := map[string]*outcome{}
	var order []string
	get := func(rid string) *outcome {
		if o := changed[rid]; o != nil {
			return o
		}
		o := &outcome{}
		if cur := h.st.preempts[rid]; cur != nil {
			o.p = *cur
		} else {
			o.ended = "unknown"
		}
		changed[rid] = o
		order = append(order, rid)
		return o
	}
	for i := range ds {
		d := &ds[i]
		if d.RequestID == "" {
			continue
		}
		switch d.Kind {
		case controller.DecisionRequest, controller.DecisionRefresh:
			o := get(d.RequestID)
			if o.ended != "" {
				o.p = Preempt{RequestID: d.RequestID, VehicleID: d.VehicleID, IntersectionID: d.IntersectionID, Since: unixMS(d.At)}
				o.ended = ""
			}
			o.p.ExpiresAt = unixMS(d.ExpiresAt)
		case controller.DecisionGrant:
			if o := get(d.RequestID); o.ended == "" {
				o.p.Granted = true
			}
		case controller.DecisionRelease:
			o := get(d.RequestID)
			if o.ended == "" {
				o.ended = d.Reason.String()
				if o.ended == "" {
					o.ended = "released"
				}
			}
		}
	}
	for _, rid := range order {
		o := changed[rid]
		switch {
		case o.ended == "":
			b.Preempts = append(b.Preempts, o.p)
		case h.st.preempts[rid] != nil:
			b.Ended = append(b.Ended, Ended{RequestID: rid, Reason: o.ended})
		}
	}
}

// derive adds what follows from the passing of time: vehicles gone
// quiet, signals gone stale, preempts past their expiry.
func (h *Hub) derive(b *Batch, p *pending, now time.Time) {
	nowMS := unixMS(now)
	goneBefore := nowMS - h.opts.VehicleGoneAfter.Milliseconds()
	for id, v := range h.st.vehicles {
		if _, fresh := p.vehicles[id]; !fresh && v.TS < goneBefore {
			b.Gone = append(b.Gone, id)
			delete(h.pathOf, id)
		}
	}
	sort.Strings(b.Gone)
	reported := map[string]bool{}
	for _, s := range b.Statuses {
		reported[s.ID] = true
	}
	staleBefore := nowMS - h.opts.SignalStaleAfter.Milliseconds()
	var stale []string
	for id, s := range h.st.signals {
		if s.State != StateOffline && s.TS < staleBefore && !reported[id] {
			stale = append(stale, id)
		}
	}
	sort.Strings(stale)
	for _, id := range stale {
		b.Statuses = append(b.Statuses, Signal{ID: id, State: StateOffline, TS: nowMS})
	}
	// A second's grace: a refresh may be in flight.
	expiredBefore := nowMS - 1000
	live := map[string]bool{}
	for _, pr := range b.Preempts {
		live[pr.RequestID] = true
	}
	for _, e := range b.Ended {
		live[e.RequestID] = true // decided in this batch already
	}
	var expired []string
	for rid, pr := range h.st.preempts {
		if !live[rid] && pr.ExpiresAt < expiredBefore {
			expired = append(expired, rid)
		}
	}
	sort.Strings(expired)
	for _, rid := range expired {
		b.Ended = append(b.Ended, Ended{RequestID: rid, Reason: ReasonExpired})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// frame is one Server-Sent Event.
func frame(event string, data []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(data) + len(event) + 16)
	buf.WriteString("event: ")
	buf.WriteString(event)
	buf.WriteString("\ndata: ")
	buf.Write(data) // JSON has no raw newlines
	buf.WriteString("\n\n")
	return buf.Bytes()
}

func (h *Hub) writeRecord(line []byte) {
	if h.rec == nil || h.recErr {
		return
	}
	_, err := h.rec.Write(line)
	if err == nil {
		err = h.rec.WriteByte('\n')
	}
	if err == nil {
		err = h.rec.Flush()
	}
	if err != nil {
		h.recErr = true
		h.log.Error("web: recording the event stream failed; recording stopped", zap.Error(err))
	}
}

func (h *Hub) flushRecord() {
	if h.rec != nil && !h.recErr {
		_ = h.rec.Flush()
	}
}

// History returns intersection id's recent history, oldest first, and
// false when the map has no such intersection.
func (h *Hub) History(id string) ([]HistoryEntry, bool) {
	if !h.known(id) {
		return nil, false
	}
	h.stateMu.Lock()
	defer h.stateMu.Unlock()
	return h.st.historyOf(id), true
}

func (h *Hub) known(id string) bool { return h.st.known[id] }

// Snapshot returns the whole state now.
func (h *Hub) Snapshot() *Snapshot {
	h.stateMu.Lock()
	defer h.stateMu.Unlock()
	return h.snapshotLocked(0)
}

func (h *Hub) snapshotLocked(dropped int64) *Snapshot {
	s := h.st.snapshot()
	s.Now = unixMS(h.opts.Clock.Now())
	s.Rate = h.opts.Rate
	s.Replay = !h.live
	s.Dropped = dropped
	return s
}

// isID reports whether s looks like a wire identifier (the history URL's
// id is checked before it is looked up).
func isID(s string) bool { return wire.ValidID(s) && !strings.ContainsAny(s, "/") }
