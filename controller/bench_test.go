package controller

import (
	"math/rand"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/routing"
)

var (
	luxOnce sync.Once
	luxNet  *routing.Network
	luxErr  error
)

// luxembourg loads the real map (testdata/luxembourg.geojson at the
// repository root) once per test binary.
func luxembourg(tb testing.TB) *routing.Network {
	luxOnce.Do(func() { luxNet, luxErr = routing.LoadMapFile("../testdata/luxembourg.geojson") })
	require.NoError(tb, luxErr)
	return luxNet
}

// fleet is n vehicles on emergency runs across the map, each driving the
// road ahead from a random edge at its own speed, with its fixes (one a
// second) computed in advance so the benchmark times only the engine.
type fleet struct {
	fixes [][]Position // [vehicle][fix]
}

func newFleet(tb testing.TB, net *routing.Network, n, fixes int, seed int64) *fleet {
	rng := rand.New(rand.NewSource(seed))
	proj := net.Projection()
	f := &fleet{fixes: make([][]Position, n)}
	for i := range f.fixes {
		id := "amb-" + strconv.Itoa(i)
		var path *routing.Path
		speed := 8 + rng.Float64()*10
		for path == nil || path.LengthM() < speed*float64(fixes) {
			e := int32(rng.Intn(net.NumEdges()))
			path = net.RoadAhead(routing.RoadPos{Edge: e}, speed*float64(fixes)+100)
		}
		f.fixes[i] = make([]Position, fixes)
		for k := range f.fixes[i] {
			xy, bearing := path.PointAt(speed * float64(k))
			xy.X += rng.NormFloat64() * 4
			xy.Y += rng.NormFloat64() * 4
			ll := proj.ToLonLat(xy)
			f.fixes[i][k] = Position{VehicleID: id, Seq: uint64(k + 1), Lat: ll[1], Lon: ll[0],
				SpeedMps: new(speed + rng.NormFloat64()*0.5), HeadingDeg: new(bearing), AccuracyM: new(5.0), Emergency: true}
		}
	}
	return f
}

// BenchmarkStep1000Vehicles times Step for one fix while 1,000 vehicles on
// emergency runs are tracked on the Luxembourg map: each iteration is the
// next fix of the next vehicle (round robin, one fix per vehicle per
// second), followed by Ready as a driver would call it. The fleet is
// warmed up first (first fixes, paths, matchers), so the figure is the
// steady state: map matching, locating on the path, the signals ahead,
// requests, refreshes, releases and advisories included.
func BenchmarkStep1000Vehicles(b *testing.B) {
	const vehicles, fixes, warmup = 1000, 600, 10
	net := luxembourg(b)
	fl := newFleet(b, net, vehicles, fixes, 1)
	eng, err := New(Config{ControllerID: "cc-1"}, net)
	require.NoError(b, err)
	base := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	lap := uint64(0)
	step := func(i int) {
		k := i / vehicles % fixes
		if k == 0 && i%vehicles == 0 && i > 0 {
			lap++ // the fleet starts over: a jump back to the start of each path
		}
		round := uint64(i / vehicles)
		p := fl.fixes[i%vehicles][k]
		p.Seq = round + 1
		now := base.Add(time.Duration(round)*time.Second + time.Duration(i%vehicles)*time.Millisecond)
		p.TS = now
		if err := eng.Step(now, PositionInput(p)); err != nil {
			b.Fatal(err)
		}
		eng.Ready()
	}
	for i := 0; i < vehicles*warmup; i++ {
		step(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(vehicles*warmup + i)
	}
}

// On the real map, vehicles following the road for kilometres (their
// road-ahead paths extended as they go) have their preempts released as
// passed. The only left_path releases allowed are at the very start, where
// a vehicle standing on a junction node may first be matched to the wrong
// road out of it; an extension never drops a signal still ahead.
func TestLuxembourgRunsReleaseAsPassed(t *testing.T) {
	net := luxembourg(t)
	const vehicles, fixes = 40, 400
	fl := newFleet(t, net, vehicles, fixes, 2)
	eng, err := New(Config{ControllerID: "cc-1"}, net)
	require.NoError(t, err)
	checker := newSafetyChecker(t, net, eng.Config())
	base := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	reasons := map[string]int{}
	requests, lateLeftPath := 0, 0
	for k := 0; k < fixes; k++ {
		for i := range fl.fixes {
			p := fl.fixes[i][k]
			now := base.Add(time.Duration(k)*time.Second + time.Duration(i)*time.Millisecond)
			for {
				next := eng.Ready().NextWakeup
				if next.IsZero() || !next.Before(now) {
					break
				}
				eng.Tick(next)
				checker.check(eng.Ready())
			}
			p.TS = now
			require.NoError(t, eng.Step(now, PositionInput(p)))
			checker.accepted(now, p)
			rd := eng.Ready()
			checker.check(rd)
			for _, d := range rd.Decisions {
				switch d.Kind {
				case DecisionRelease:
					reasons[d.Reason]++
					if d.Reason == ReasonLeftPath && k > 10 {
						lateLeftPath++
					}
				case DecisionRequest:
					requests++
				}
			}
		}
	}
	t.Logf("%d requests, releases by reason %v", requests, reasons)
	require.Greater(t, requests, 50)
	assert.Zero(t, lateLeftPath, "left_path releases after the start")
	assert.Greater(t, reasons[ReasonPassed], requests/2)
}
