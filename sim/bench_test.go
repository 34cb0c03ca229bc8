package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkLuxembourg24h is the city benchmark: 24 simulated hours of
// Luxembourg City (201 signals, background queues on every approach) with
// 200 emergency trips under the green-wave strategy. The world (map,
// routes, plans) is built once outside the timer; each iteration is one
// full run. Goal: ≤ 10 s per run on one core:
//
//	GOMAXPROCS=1 go test -run=^$ -bench='Luxembourg24h$' -benchtime=1x ./sim
func BenchmarkLuxembourg24h(b *testing.B) {
	sc, err := LoadScenario("testdata/luxembourg-24h.yaml")
	require.NoError(b, err)
	w, err := buildWorld(sc)
	require.NoError(b, err)
	require.Len(b, w.trips, 200)
	b.ReportAllocs()
	b.ResetTimer()
	var events uint64
	for range b.N {
		r, err := newRun(w, StrategyGreenwave, false)
		require.NoError(b, err)
		require.NoError(b, r.execute())
		events += r.events
	}
	b.StopTimer()
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkLuxembourg24hAllStrategies is what `greenwave sim
// luxembourg-24h.yaml` does: build the world (map, 200 routes, plans), then
// run none, range and greenwave.
//
//	GOMAXPROCS=1 go test -run=^$ -bench=Luxembourg24hAll -benchtime=1x ./sim
func BenchmarkLuxembourg24hAllStrategies(b *testing.B) {
	sc, err := LoadScenario("testdata/luxembourg-24h.yaml")
	require.NoError(b, err)
	b.ReportAllocs()
	for range b.N {
		rep, err := Simulate(sc, Options{})
		require.NoError(b, err)
		require.Len(b, rep.Runs, 3)
	}
}
