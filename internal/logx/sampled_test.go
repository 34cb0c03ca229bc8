package logx

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestSampledLogsEachReasonOncePerPeriod(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	l := NewSampled(zap.New(core), time.Minute)
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }

	for range 5 {
		l.Warn("refused", "untrusted")
	}
	l.Warn("refused", "invalid")
	now = now.Add(59 * time.Second)
	l.Warn("refused", "untrusted")
	now = now.Add(time.Second)
	l.Warn("refused", "untrusted", zap.String("controller_id", "rogue"))

	got := logs.All()
	if assert.Len(t, got, 3) {
		assert.Equal(t, map[string]any{"reason": "untrusted", "left_out_since_last": int64(0)}, got[0].ContextMap())
		assert.Equal(t, map[string]any{"reason": "invalid", "left_out_since_last": int64(0)}, got[1].ContextMap())
		assert.Equal(t, map[string]any{"controller_id": "rogue", "reason": "untrusted", "left_out_since_last": int64(5)}, got[2].ContextMap(),
			"a minute after the first: the five left out are counted")
	}
}
