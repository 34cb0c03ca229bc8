package service

import (
	"encoding/json"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"
)

// DefaultRefusalWindow is the period over which refusals are summed: one
// log line and one audit record per kind of input and reason per window.
const DefaultRefusalWindow = time.Minute

// refusals sums refused inputs per kind and reason over a window, so that
// a flood of junk costs a counter increment per message rather than a
// log line and an audit record each (a 200,000-message flood once wrote
// 36-49 MB of logs and 47 MB of audit). The first refusal of a kind and
// reason in a window is logged at once, so that a misconfigured vehicle
// shows up without waiting; the window's total is logged, and audited,
// when it closes. Safe for concurrent use: MQTT handlers and the engine
// goroutine both add to it.
type refusals struct {
	log *zap.Logger

	mu     sync.Mutex
	since  time.Time
	counts map[refusalKey]*refusalCount
}

type refusalKey struct{ kind, reason string }

type refusalCount struct {
	n     int
	first refusalSample
}

// refusalSample is the first refusal of a window: what an operator needs
// to find its source.
type refusalSample struct {
	At     time.Time
	ID     string // the vehicle or intersection the input named (or its topic's id)
	Field  string
	Detail string
}

// refusalSummary is one audit record: a window's refusals of one kind and
// reason.
type refusalSummary struct {
	ControllerID string
	Kind         string
	Reason       string
	Count        int
	From, To     time.Time
	First        refusalSample
}

// MarshalJSON writes {"controller_id","at","kind":"refusals","input",
// "reason","count","since","first_id","first_field","first_detail"}: the
// record's "at" is the end of the window, so that the audit trail stays
// in time order.
func (r refusalSummary) MarshalJSON() ([]byte, error) {
	type rec struct {
		ControllerID string `json:"controller_id"`
		At           string `json:"at"`
		Kind         string `json:"kind"`
		Input        string `json:"input"`
		Reason       string `json:"reason"`
		Count        int    `json:"count"`
		Since        string `json:"since"`
		FirstAt      string `json:"first_at"`
		FirstID      string `json:"first_id,omitempty"`
		FirstField   string `json:"first_field,omitempty"`
		FirstDetail  string `json:"first_detail,omitempty"`
	}
	const layout = time.RFC3339Nano
	return json.Marshal(rec{ControllerID: r.ControllerID, At: r.To.UTC().Format(layout), Kind: "refusals", Input: r.Kind,
		Reason: r.Reason, Count: r.Count, Since: r.From.UTC().Format(layout), FirstAt: r.First.At.UTC().Format(layout),
		FirstID: r.First.ID, FirstField: r.First.Field, FirstDetail: r.First.Detail})
}

func newRefusals(log *zap.Logger, now time.Time) *refusals {
	return &refusals{log: log, since: now, counts: map[refusalKey]*refusalCount{}}
}

// add counts one refusal; sample is asked for the window's first of its
// kind and reason only, so that the rest cost a map lookup under a lock.
func (r *refusals) add(kind, reason string, sample func() refusalSample) {
	k := refusalKey{kind, reason}
	r.mu.Lock()
	if c := r.counts[k]; c != nil {
		c.n++
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	s := sample()
	if len(s.ID) > 64 {
		s.ID = s.ID[:64] // a hostile topic or payload cannot bloat the log
	}
	if len(s.Detail) > 256 {
		s.Detail = s.Detail[:256]
	}
	r.mu.Lock()
	c := r.counts[k]
	first := c == nil
	if first {
		c = &refusalCount{first: s}
		r.counts[k] = c
	}
	c.n++
	r.mu.Unlock()
	if first {
		r.log.Warn("input refused (the first of its kind and reason this window; the rest are counted)",
			zap.String("kind", kind), zap.String("reason", reason), zap.String("id", s.ID),
			zap.String("field", s.Field), zap.String("detail", s.Detail))
	}
}

// flush closes the window at now: one log line per kind and reason
// refused more than once (the first was logged already), and the
// window's summaries, in a stable order, for the audit trail.
func (r *refusals) flush(now time.Time, controllerID string) []refusalSummary {
	r.mu.Lock()
	counts, since := r.counts, r.since
	r.counts, r.since = map[refusalKey]*refusalCount{}, now
	r.mu.Unlock()
	out := make([]refusalSummary, 0, len(counts))
	for k, c := range counts {
		out = append(out, refusalSummary{ControllerID: controllerID, Kind: k.kind, Reason: k.reason, Count: c.n, From: since, To: now, First: c.first})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Reason < out[j].Reason
	})
	for _, s := range out {
		if s.Count > 1 {
			r.log.Warn("inputs refused", zap.String("kind", s.Kind), zap.String("reason", s.Reason), zap.Int("count", s.Count),
				zap.Time("since", s.From), zap.String("first_id", s.First.ID), zap.String("first_detail", s.First.Detail))
		}
	}
	return out
}
