package attack

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/wire"
)

// fixTS is a position message's ts.
func fixTS(t *testing.T, m mqttx.Message) time.Time {
	p, err := wire.ParsePosition("", m.Payload)
	require.NoError(t, err)
	return p.TS
}

// newFastClock is a clock running factor times faster than real time,
// from now.
func newFastClock(factor float64) *clock.Scaled { return clock.NewScaled(time.Now(), factor) }
