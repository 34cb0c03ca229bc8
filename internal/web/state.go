package web

import (
	"encoding/json"
	"sort"
)

// state is what the page shows, built by applying batches in order: the
// live hub applies the batches it builds, a replay the recorded ones.
type state struct {
	seq       uint64
	signals   map[string]*Signal
	vehicles  map[string]*Vehicle
	paths     map[string]Path // each vehicle's current path
	preempts  map[string]*Preempt
	decisions ring[json.RawMessage]
	history   map[string]*ring[HistoryEntry]
	keepHist  int
	known     map[string]bool // the map's intersections: the only ones with a history
}

func (s *state) init(m *MapData, decisionsKept, historyKept int) {
	s.known = make(map[string]bool, len(m.Intersections))
	for _, in := range m.Intersections {
		s.known[in.ID] = true
	}
	s.signals = map[string]*Signal{}
	s.vehicles = map[string]*Vehicle{}
	s.paths = map[string]Path{}
	s.preempts = map[string]*Preempt{}
	s.decisions = newRing[json.RawMessage](decisionsKept)
	s.history = map[string]*ring[HistoryEntry]{}
	s.keepHist = historyKept
}

// decisionKeys are the fields of a decision's JSON the state indexes by.
type decisionKeys struct {
	At             string `json:"at"`
	IntersectionID string `json:"intersection_id"`
}

// apply changes the state by one batch, in the order the batch's fields
// are documented to apply.
func (s *state) apply(b *Batch) {
	s.seq++
	for i := range b.Statuses {
		st := b.Statuses[i]
		s.signals[st.ID] = &st
		s.remember(st.ID, HistoryEntry{At: st.TS, Status: &st})
	}
	for i := range b.Vehicles {
		v := b.Vehicles[i]
		if old := s.vehicles[v.ID]; old != nil {
			v.Signals = old.Signals
		}
		s.vehicles[v.ID] = &v
		if v.PathID == 0 {
			delete(s.paths, v.ID)
		}
	}
	for _, p := range b.Paths {
		s.paths[p.VehicleID] = p
	}
	for _, a := range b.Advisories {
		if v := s.vehicles[a.VehicleID]; v != nil {
			v.Signals = a.Signals
		}
	}
	for _, id := range b.Gone {
		delete(s.vehicles, id)
		delete(s.paths, id)
	}
	for i := range b.Preempts {
		p := b.Preempts[i]
		s.preempts[p.RequestID] = &p
	}
	for _, e := range b.Ended {
		delete(s.preempts, e.RequestID)
	}
	for _, raw := range b.Decisions {
		s.decisions.push(raw)
		var k decisionKeys
		if json.Unmarshal(raw, &k) == nil && k.IntersectionID != "" {
			s.remember(k.IntersectionID, HistoryEntry{At: b.Now, Decision: raw})
		}
	}
}

// remember adds to a signal's history; an id the map does not have (a
// refused status naming one) gets none, so that hostile input cannot grow
// the state.
func (s *state) remember(id string, e HistoryEntry) {
	if !s.known[id] {
		return
	}
	r := s.history[id]
	if r == nil {
		nr := newRing[HistoryEntry](s.keepHist)
		r = &nr
		s.history[id] = r
	}
	r.push(e)
}

func (s *state) historyOf(id string) []HistoryEntry {
	r := s.history[id]
	if r == nil {
		return []HistoryEntry{}
	}
	return r.items()
}

func (s *state) snapshot() *Snapshot {
	snap := &Snapshot{Seq: s.seq, Signals: []Signal{}, Vehicles: []Vehicle{}, Paths: []Path{}, Preempts: []Preempt{},
		Decisions: s.decisions.items()}
	for _, id := range sortedKeys(s.signals) {
		snap.Signals = append(snap.Signals, *s.signals[id])
	}
	for _, id := range sortedKeys(s.vehicles) {
		snap.Vehicles = append(snap.Vehicles, *s.vehicles[id])
		if p, ok := s.paths[id]; ok {
			snap.Paths = append(snap.Paths, p)
		}
	}
	for _, id := range sortedKeys(s.preempts) {
		snap.Preempts = append(snap.Preempts, *s.preempts[id])
	}
	sort.SliceStable(snap.Preempts, func(i, j int) bool { return snap.Preempts[i].Since < snap.Preempts[j].Since })
	return snap
}

// ring keeps the last n items pushed.
type ring[T any] struct {
	buf  []T
	next int
	full bool
}

func newRing[T any](n int) ring[T] { return ring[T]{buf: make([]T, n)} }

func (r *ring[T]) push(v T) {
	if len(r.buf) == 0 {
		return
	}
	r.buf[r.next] = v
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// items returns the items, oldest first, in a fresh slice.
func (r *ring[T]) items() []T {
	if !r.full {
		return append([]T{}, r.buf[:r.next]...)
	}
	out := make([]T, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}
