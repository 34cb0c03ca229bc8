package sim

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventQueueOrdersByTimeThenInsertion(t *testing.T) {
	q := newEventQueue(0)
	rng := rand.New(rand.NewPCG(1, 2))
	type want struct {
		at  time.Duration
		seq int32
	}
	var wants []want
	for i := range 2000 {
		// Few distinct times, so many ties.
		at := time.Duration(rng.IntN(50)) * time.Second
		require.NoError(t, q.schedule(at, evBench, int32(i), 0))
		wants = append(wants, want{at, int32(i)})
	}
	sort.SliceStable(wants, func(i, j int) bool { return wants[i].at < wants[j].at })
	for i, w := range wants {
		ev, ok := q.pop()
		require.True(t, ok)
		require.Equal(t, w.at, ev.at, "event %d", i)
		require.Equal(t, w.seq, ev.a, "event %d: ties must pop in insertion order", i)
		assert.Equal(t, w.at, q.Now())
	}
	_, ok := q.pop()
	assert.False(t, ok)
}

func TestEventQueueRefusesThePast(t *testing.T) {
	q := newEventQueue(4)
	require.NoError(t, q.schedule(10*time.Second, evBench, 0, 0))
	_, _ = q.pop()
	assert.ErrorIs(t, q.schedule(9*time.Second, evBench, 0, 0), errPastEvent)
	assert.Equal(t, 0, q.Len(), "a refused event must not be queued")
	// Now itself is allowed, and runs after what is already pending at now.
	require.NoError(t, q.schedule(10*time.Second, evBench, 1, 0))
	require.NoError(t, q.schedule(10*time.Second, evBench, 2, 0))
	ev, _ := q.pop()
	assert.Equal(t, int32(1), ev.a)
	assert.Equal(t, 10*time.Second, q.Now())
}

func TestEventQueueClockNeverGoesBack(t *testing.T) {
	q := newEventQueue(0)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		require.NoError(t, q.schedule(time.Duration(rng.IntN(1000))*time.Millisecond, evBench, 0, 0))
	}
	last := time.Duration(-1)
	for q.Len() > 0 {
		ev, _ := q.pop()
		require.GreaterOrEqual(t, ev.at, last)
		last = ev.at
		// Events scheduled while running land in the future of the clock.
		if rng.IntN(2) == 0 {
			require.NoError(t, q.schedule(q.Now()+time.Duration(rng.IntN(100))*time.Millisecond, evBench, 0, 0))
		}
		if q.Now() > 5*time.Second {
			break
		}
	}
}

// BenchmarkEventLoop measures the raw queue: a steady population of 1,000
// pending events, each pop scheduling one successor a pseudo-random delay
// later, as the simulator's vehicles, signals and messages do.
func BenchmarkEventLoop(b *testing.B) {
	const pending = 1000
	q := newEventQueue(pending + 1)
	var x uint64 = 88172645463325252
	next := func() time.Duration { // xorshift: cheaper than the run's RNG, not what is measured
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return time.Duration(x%1_000_000) * time.Microsecond
	}
	for i := range pending {
		_ = q.schedule(next(), evBench, int32(i), 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ev, _ := q.pop()
		_ = q.schedule(q.Now()+next(), ev.kind, ev.a, ev.b)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
