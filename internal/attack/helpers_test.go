package attack

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/wire"
)

// value reads a counter or gauge.
func value(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		return -1
	}
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	return -1
}

// fixTS is a position message's ts.
func fixTS(t *testing.T, m mqttx.Message) time.Time {
	p, err := wire.ParsePosition("", m.Payload)
	require.NoError(t, err)
	return p.TS
}

// newFastClock is a clock running factor times faster than real time,
// from now.
func newFastClock(factor float64) *clock.Scaled { return clock.NewScaled(time.Now(), factor) }
