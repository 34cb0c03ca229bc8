package signals

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQueueGrowsOnRed(t *testing.T) {
	q := NewQueue(360, 1800, 2) // λ = 0.1 veh/s
	q.Advance(30)
	assert.InDelta(t, 3.0, q.Length(), 1e-9, "30 s of red at 0.1 veh/s queues 3 vehicles")
	assert.InDelta(t, 0.1*30*30/2, q.delayVehS, 1e-9, "delay is the triangle λR²/2")
}

// One red then a long green: the queue clears after the lost time plus
// n/(s−λ), and the cycle's total delay is the uniform-delay triangle
// λ·r²·s / (2(s−λ)) with r the effective red (red + lost time).
func TestQueueDischargeMatchesUniformDelay(t *testing.T) {
	const lambda, s, red, lost = 0.1, 0.5, 40.0, 2.0
	q := NewQueue(lambda*3600, s*3600, lost)
	q.SetServed(red, true)
	q.Advance(red + lost)
	n := lambda * (red + lost)
	assert.InDelta(t, n, q.Length(), 1e-9, "nothing leaves during the start-up lost time")
	clear := n / (s - lambda)
	q.Advance(red + lost + clear/2)
	assert.InDelta(t, n/2, q.Length(), 1e-9, "half the clearing time, half the queue")
	q.Advance(red + lost + clear + 100)
	assert.InDelta(t, 0, q.Length(), 1e-9)
	r := red + lost
	assert.InDelta(t, lambda*r*r*s/(2*(s-lambda)), q.delayVehS, 1e-6)
	assert.InDelta(t, q.arrived, q.departed, 1e-9, "empty queue: departures caught up")
}

func TestQueueOversaturatedNeverClears(t *testing.T) {
	q := NewQueue(2000, 1800, 0)
	q.SetServed(0, true)
	q.Advance(3600)
	assert.InDelta(t, 200, q.Length(), 1e-6, "λ−s = 200 veh/h accumulates even on green")
}

// An emergency vehicle joining the queue at A waits for D to reach A:
// queue_len/s after the lost time, minus what already left.
func TestQueueVehicleAheadDischarge(t *testing.T) {
	q := NewQueue(360, 1800, 2)
	q.Advance(50)                   // 5 vehicles queued on red
	join := q.arrived               // the EV joins behind them
	q.SetServed(60, true)           // 6 queued when the green starts
	q.Advance(62 + 5/(0.5) - 0.001) // lost time, then 5 vehicles at 0.5 veh/s = 10 s
	require.Less(t, q.departed, join, "the vehicles ahead have not all left yet")
	q.Advance(62 + 5/0.5 + 0.001)
	assert.GreaterOrEqual(t, q.departed, join, "after lost time + n/s the EV may go")
}

func TestQueueIgnoresTimeGoingBack(t *testing.T) {
	q := NewQueue(360, 1800, 2)
	q.Advance(10)
	before := q
	q.Advance(5)
	assert.Equal(t, before, q)
}
