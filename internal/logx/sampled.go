package logx

import (
	"sync"
	"time"

	"go.uber.org/zap"
)

// Sampled logs a warning of each reason at most once per period, with how
// many of that reason it left out since the last one, so that a flood of
// bad input (a broker client sending junk, or commands it may not give)
// cannot flood the log. Metrics still count every one. Safe for
// concurrent use.
type Sampled struct {
	log   *zap.Logger
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	last map[string]time.Time
	left map[string]int
}

// NewSampled returns a Sampled logging to log at most once per every for
// each reason.
func NewSampled(log *zap.Logger, every time.Duration) *Sampled {
	return &Sampled{log: log, every: every, now: time.Now, last: map[string]time.Time{}, left: map[string]int{}}
}

// Warn logs msg with fields, the reason and the count left out, unless a
// warning of the same reason was logged less than the period ago.
func (l *Sampled) Warn(msg, reason string, fields ...zap.Field) {
	l.mu.Lock()
	now := l.now()
	if t, ok := l.last[reason]; ok && now.Sub(t) < l.every {
		l.left[reason]++
		l.mu.Unlock()
		return
	}
	left := l.left[reason]
	l.last[reason], l.left[reason] = now, 0
	l.mu.Unlock()
	l.log.Warn(msg, append(fields, zap.String("reason", reason), zap.Int("left_out_since_last", left))...)
}
