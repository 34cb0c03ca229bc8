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
	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
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
// second) computed in advance so the benchmark times only the engine. The
// fixes are kept compact; position materialises one as the wire decoder
// would hand it to the engine.
type fleet struct {
	ids   []string
	fixes [][]fixRecord // [vehicle][fix]
}

// fixRecord is one precomputed fix.
type fixRecord struct {
	lat, lon, speed, heading float64
}

// fixAccuracyM is every fleet fix's reported accuracy.
var fixAccuracyM = 5.0

func newFleet(tb testing.TB, net *routing.Network, n, fixes int, seed int64) *fleet {
	rng := rand.New(rand.NewSource(seed))
	proj := net.Projection()
	f := &fleet{ids: make([]string, n), fixes: make([][]fixRecord, n)}
	for i := range f.fixes {
		f.ids[i] = "amb-" + strconv.Itoa(i)
		var path *routing.Path
		speed := 8 + rng.Float64()*10
		for path == nil || path.LengthM() < speed*float64(fixes) {
			e := int32(rng.Intn(net.NumEdges()))
			path = net.RoadAhead(routing.RoadPos{Edge: e}, speed*float64(fixes)+100)
		}
		f.fixes[i] = make([]fixRecord, fixes)
		for k := range f.fixes[i] {
			xy, bearing := path.PointAt(speed * float64(k))
			xy.X += rng.NormFloat64() * 4
			xy.Y += rng.NormFloat64() * 4
			ll := proj.ToLonLat(xy)
			f.fixes[i][k] = fixRecord{lat: ll[1], lon: ll[0], speed: speed + rng.NormFloat64()*0.5, heading: bearing}
		}
	}
	return f
}

// position is vehicle i's fix k as a wire.Position whose optional fields point
// into rec, so that materialising it allocates nothing.
func (f *fleet) position(i, k int, rec *fixRecord) wire.Position {
	*rec = f.fixes[i][k]
	return wire.Position{VehicleID: f.ids[i], Seq: uint64(k + 1), Lat: rec.lat, Lon: rec.lon,
		SpeedMps: &rec.speed, HeadingDeg: &rec.heading, AccuracyM: &fixAccuracyM, Emergency: true}
}

// BenchmarkStep1000Vehicles times Step for one fix while 1,000 vehicles on
// emergency runs are tracked on the Luxembourg map: each iteration is the
// next fix of the next vehicle (round robin, one fix per vehicle per
// second), followed by Ready as a driver would call it. The fleet is
// warmed up first (first fixes, paths, matchers), so the figure is the
// steady state: map matching, locating on the path, the signals ahead,
// requests, refreshes, releases and advisories included.
//
// Each second's 1,000 fixes are materialised, with the timer stopped, into
// a small buffer before they are stepped, as a live service steps a fix it
// has just decoded: reading them from the whole run's 600,000 precomputed
// fixes instead would time cache misses in the benchmark's own input (a
// sixth of the figure when measured), not the engine. The engine's own
// state for 1,000 vehicles is as cold or warm as it really is.
func BenchmarkStep1000Vehicles(b *testing.B) { benchmarkStep(b, 1000) }

// BenchmarkStep100Vehicles is BenchmarkStep1000Vehicles with a fleet
// whose engine state fits in cache: the difference between the two is what
// memory costs, the rest is computation.
func BenchmarkStep100Vehicles(b *testing.B) { benchmarkStep(b, 100) }

// lapGap separates the benchmark fleet's laps (see benchmarkStep): the
// longest path, 18 m/s for 600 s, is driven back in it at 70 m/s.
const lapGap = 160 * time.Second

// BenchmarkStepPlanned1000Vehicles is BenchmarkStep1000Vehicles with
// every intersection of the map reporting its plan, in step, before the
// fleet starts: the planner plans every one of the 1,000 vehicles on an
// emergency run (a load far beyond any city's), so the figure is the
// planner's amortised cost per fix at that load.
func BenchmarkStepPlanned1000Vehicles(b *testing.B) { benchmarkStep(b, 1000, true) }

func benchmarkStep(b *testing.B, vehicles int, planned ...bool) {
	const fixes, warmup = 600, 10
	net := luxembourg(b)
	fl := newFleet(b, net, vehicles, fixes, 1)
	eng, err := New(Config{ControllerID: "cc-1"}, net)
	require.NoError(b, err)
	base := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	if len(planned) > 0 && planned[0] {
		for i := range net.Intersections() {
			in := net.Intersection(int32(i))
			plan, err := signals.NormalPlan(in.Phases(), in.Timing.Signal(), 90*time.Second, 0.6)
			require.NoError(b, err)
			st := wire.Status{IntersectionID: in.ID, TS: base, State: wire.StateNormal, Plan: plan.Wire(), InStep: true}
			require.NoError(b, eng.Step(base, StatusInput(st)))
		}
	}
	round := make([]wire.Position, vehicles)
	recs := make([]fixRecord, vehicles)
	load := func(r int) {
		for v := range round {
			round[v] = fl.position(v, r%fixes, &recs[v])
			round[v].Seq = uint64(r + 1) // laps jump back to the start of each path, seq still rising
		}
	}
	step := func(i int) {
		r, v := i/vehicles, i%vehicles
		// A lap starts again from the beginning of each vehicle's path,
		// kilometres back: lapGap later, so that the jump is a plausible
		// one (within Config.MaxSpeedMps) and the engine accepts it.
		now := base.Add(time.Duration(r)*time.Second + time.Duration(r/fixes)*lapGap + time.Duration(v)*time.Millisecond)
		p := &round[v]
		p.TS = now
		if err := eng.Step(now, PositionInput(*p)); err != nil {
			b.Fatal(err)
		}
		eng.Ready()
	}
	for i := 0; i < vehicles*warmup; i++ {
		if i%vehicles == 0 {
			load(i / vehicles)
		}
		step(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		i := vehicles*warmup + n
		if i%vehicles == 0 {
			b.StopTimer()
			load(i / vehicles)
			b.StartTimer()
		}
		step(i)
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
	reasons := map[Reason]int{}
	requests, lateLeftPath := 0, 0
	for k := 0; k < fixes; k++ {
		for i := range fl.fixes {
			var rec fixRecord
			p := fl.position(i, k, &rec)
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

// plannedEngine is an engine on the Luxembourg map whose every
// intersection has reported a 90 s plan (signals.NormalPlan, 60% to the
// main street), in step, with one vehicle of fleet fl driven for its
// first fixes: the planner has models and a vehicle to plan for.
func plannedEngine(b *testing.B, price float64) (*Engine, *vehicle) {
	net := luxembourg(b)
	eng, err := New(Config{ControllerID: "cc-1", Price: &price}, net)
	require.NoError(b, err)
	base := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	for i := range net.Intersections() {
		in := net.Intersection(int32(i))
		plan, err := signals.NormalPlan(in.Phases(), in.Timing.Signal(), 90*time.Second, 0.6)
		require.NoError(b, err)
		st := wire.Status{IntersectionID: in.ID, TS: base, State: wire.StateNormal, Plan: plan.Wire(), InStep: true}
		require.NoError(b, eng.Step(base, StatusInput(st)))
	}
	// A vehicle with several signals within reach.
	fl := newFleet(b, net, 200, 60, 3)
	for i := range fl.fixes {
		var rec fixRecord
		for k := 0; k < 3; k++ {
			now := base.Add(time.Duration(k) * time.Second)
			p := fl.position(i, k, &rec)
			p.TS = now
			require.NoError(b, eng.Step(now, PositionInput(p)))
			eng.Ready()
		}
		if v := eng.vehicles[fl.ids[i]]; v.plan.n >= 3 && v.plan.choice[0].modelled {
			return eng, v
		}
	}
	b.Fatal("no vehicle with three signals within reach")
	return nil, nil
}

// BenchmarkReplan times one plan of a vehicle's signals within reach on
// the Luxembourg map (planner.go: every option forecast at every signal
// for every state of the programme), from cold: the models' baselines and
// cost caches are dropped before each.
func BenchmarkReplan(b *testing.B) {
	eng, v := plannedEngine(b, DefaultPrice)
	along := eng.deadReckon(v)
	origin := eng.etaOrigin(v, along)
	first := eng.firstAhead(v, along)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i := range eng.inters {
			if m := eng.inters[i].model; m != nil {
				m.baseValid, m.costs = false, m.costs[:0]
			}
		}
		eng.replan(v, along, &origin, first)
	}
	b.ReportMetric(float64(v.plan.n), "signals")
}
