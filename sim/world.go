package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"time"

	"github.com/paulmach/orb"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// world is everything about a scenario that does not change between
// strategies: the network, every unit's plan, every trip's path and its
// free-flow time. Built once, shared read-only by the runs.
type world struct {
	sc      *Scenario
	net     *routing.Network
	epoch   time.Time
	kin     Kinematics
	units   []unitSpec // by intersection index
	trips   []tripSpec
	anchors map[string]orb.Point
}

type unitSpec struct {
	id         string
	plan       signals.Plan
	timing     signals.Timing
	approaches []approachSpec
}

type approachSpec struct {
	id    string
	phase int
	vehH  float64
}

type tripSpec struct {
	id        string
	priority  int
	departS   float64
	announce  string
	path      *routing.Path
	dest      orb.Point
	profile   speedProfile
	freeFlowS float64 // with the EV kinematics and no signal
	signals   []tripSignal
}

// tripSignal is a signal on a trip's path, resolved to the unit and the
// approach queue the vehicle joins there.
type tripSignal struct {
	unit     int32
	approach int32 // index into the unit's approaches, -1 when the path enters on none
	phase    int
	alongM   float64
}

// speedProfile is a path's free-flow speed, piecewise constant over its
// polyline segments, derived from routing's cumulative free-flow times.
type speedProfile struct {
	endM  []float64 // segment i ends endM[i] metres from the start
	speed []float64 // its free-flow speed, m/s
}

func newSpeedProfile(p *routing.Path) speedProfile {
	pts := p.Points()
	var sp speedProfile
	along := 0.0
	for i := 1; i < len(pts); i++ {
		l := pts[i].Dist(pts[i-1])
		if l <= 0 {
			continue
		}
		t := p.FreeFlowTimeS(along, along+l)
		along += l
		v := routing.DefaultSpeedMps
		if t > 0 {
			v = l / t
		}
		sp.endM = append(sp.endM, along)
		sp.speed = append(sp.speed, v)
	}
	if len(sp.endM) == 0 {
		sp.endM, sp.speed = []float64{0}, []float64{routing.DefaultSpeedMps}
	}
	return sp
}

// at returns the speed at alongM, starting the search at segment *idx and
// leaving it there: vehicles only move forward, so lookups are O(1)
// amortised.
func (sp *speedProfile) at(alongM float64, idx *int) float64 {
	i := *idx
	for i < len(sp.endM)-1 && alongM >= sp.endM[i] {
		i++
	}
	*idx = i
	return sp.speed[i]
}

// RNGFor returns the random stream named name of the scenario's seed. Each
// component draws from its own stream, so a strategy that, say, makes a
// vehicle arrive earlier does not shift any other component's numbers.
// Exported because sumo's co-simulation draws its GPS noise the same way.
func RNGFor(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// buildWorld loads or generates the map and resolves plans and trips.
func buildWorld(sc *Scenario) (*world, error) {
	w := &world{sc: sc, epoch: sc.Epoch(), anchors: map[string]orb.Point{}}
	w.kin = Kinematics{Accel: sc.EV.AccelMps2, Decel: sc.EV.DecelMps2, SpeedFactor: sc.EV.SpeedFactor, StepS: sc.EV.StepS}
	var err error
	switch {
	case sc.Map.File != "":
		path := sc.Map.File
		if !filepath.IsAbs(path) {
			path = filepath.Join(sc.Dir, path)
		}
		w.net, err = routing.LoadMapFile(path)
		if err != nil {
			return nil, fmt.Errorf("map.file: %w", err)
		}
	default:
		var inv *routing.Inventory
		inv, err = generateMap(sc.Map, w.anchors)
		if err != nil {
			return nil, fmt.Errorf("map.generator: %w", err)
		}
		w.net, err = routing.Build(inv)
		if err != nil {
			return nil, fmt.Errorf("map.generator: built an invalid map: %w", err)
		}
	}
	for _, in := range w.net.Intersections() {
		w.anchors[in.ID] = in.LonLat
	}
	if err := w.buildUnits(); err != nil {
		return nil, err
	}
	if err := w.buildTrips(); err != nil {
		return nil, err
	}
	return w, nil
}

// isMainPhase is the NEMA main-street barrier group (1, 2, 5, 6), the one
// signals.DefaultPlan gives the main share.
func isMainPhase(p int) bool { return p == 1 || p == 2 || p == 5 || p == 6 }

func (w *world) buildUnits() error {
	sc := w.sc
	inters := w.net.Intersections()
	w.units = make([]unitSpec, len(inters))
	seen := map[string]bool{}
	seenPlans := map[string]bool{}
	minX := math.Inf(1)
	for _, in := range inters {
		minX = math.Min(minX, in.XY.X)
	}
	satFlow := sc.Traffic.SatFlowVehHLane * float64(sc.Traffic.Lanes)
	for i := range inters {
		in := &inters[i]
		u := unitSpec{id: in.ID}
		ps := sc.Plans
		var override *PlanOverride
		for j := range sc.Plans.Intersections {
			if o := &sc.Plans.Intersections[j]; o.Intersection == in.ID {
				override = o
				seenPlans[in.ID] = true
				if o.CycleS != 0 {
					ps.CycleS = o.CycleS
				}
				if o.MainShare != 0 {
					ps.MainShare = o.MainShare
				}
			}
		}
		// The engine's conversion, so that a junction is timed here as
		// the roadside-unit simulator times it on the street.
		plan, timing, err := in.NormalPlan(Seconds(ps.CycleS), ps.MainShare)
		if err != nil {
			return fmt.Errorf("plans: intersection %s: %w", in.ID, err)
		}
		u.timing = timing
		switch {
		case override != nil && override.OffsetS != nil:
			plan.Offset = Seconds(*override.OffsetS)
		case ps.ProgressionMps > 0:
			plan.Offset = time.Duration((in.XY.X - minX) / ps.ProgressionMps * float64(time.Second))
		}
		u.plan = plan
		for j := range in.Approaches {
			a := &in.Approaches[j]
			rate := sc.Traffic.SideVehH
			if isMainPhase(a.Phase) {
				rate = sc.Traffic.MainVehH
			}
			rate = math.Min(rate, sc.Traffic.MaxSaturation*approachCapacity(plan, u.timing, a.Phase, satFlow, sc.Traffic.StartupLostS))
			for _, o := range sc.Traffic.Approaches {
				if o.Intersection == in.ID && o.Approach == a.ID {
					rate = o.VehH
					seen[in.ID+"/"+a.ID] = true
				}
			}
			u.approaches = append(u.approaches, approachSpec{id: a.ID, phase: a.Phase, vehH: rate})
			// The inventory's traffic counts, where the map gives none:
			// the demand the scenario generates, as a city's inventory
			// would carry its own counts.
			if a.FlowVehH == 0 {
				a.FlowVehH = rate
			}
			if a.SatFlowVehH == 0 {
				a.SatFlowVehH = satFlow
			}
		}
		w.units[i] = u
	}
	var errs []error
	for i, o := range sc.Traffic.Approaches {
		if !seen[o.Intersection+"/"+o.Approach] {
			errs = append(errs, &wire.FieldError{Where: sc.file, Line: sc.lineOf(fmt.Sprintf("traffic.approaches[%d]", i)),
				Field: fmt.Sprintf("traffic.approaches[%d]", i), Reason: fmt.Sprintf("the map has no approach %s of intersection %s", o.Approach, o.Intersection)})
		}
	}
	for i, o := range sc.Plans.Intersections {
		if !seenPlans[o.Intersection] {
			f := fmt.Sprintf("plans.intersections[%d].intersection", i)
			errs = append(errs, &wire.FieldError{Where: sc.file, Line: sc.lineOf(f), Field: f,
				Reason: fmt.Sprintf("the map has no intersection %s", o.Intersection)})
		}
	}
	return errors.Join(errs...)
}

// approachCapacity is what an approach whose phase is phase can discharge
// under plan, in veh/h: saturation flow × effective green (green + yellow
// − start-up lost time, the queue model's) / cycle.
func approachCapacity(plan signals.Plan, t signals.Timing, phase int, satFlowVehH, lostS float64) float64 {
	var effective float64
	for _, st := range plan.Stages {
		for _, p := range st.Phases {
			if p == phase {
				effective += math.Max(0, (st.Green+t.Yellow).Seconds()-lostS)
				break
			}
		}
	}
	return satFlowVehH * effective / plan.Cycle.Seconds()
}

// place resolves a scenario place to [lon, lat].
func (w *world) place(field string, p *Place) (orb.Point, error) {
	if p.Name == "" {
		return orb.Point{p.LonLat[0], p.LonLat[1]}, nil
	}
	ll, ok := w.anchors[p.Name]
	if !ok {
		return orb.Point{}, &wire.FieldError{Where: w.sc.file, Line: p.line, Field: field,
			Reason: fmt.Sprintf("no intersection or anchor named %q on this map", p.Name)}
	}
	return ll, nil
}

func (w *world) buildTrips() error {
	sc := w.sc
	var errs []error
	for i := range sc.Vehicles {
		v := &sc.Vehicles[i]
		f := fmt.Sprintf("vehicles[%d]", i)
		t := tripSpec{id: v.ID, priority: v.Priority, departS: v.DepartS, announce: v.Announce}
		var err error
		if len(v.Via) > 0 {
			pts := make([]orb.Point, len(v.Via))
			for j := range v.Via {
				if pts[j], err = w.place(fmt.Sprintf("%s.via[%d]", f, j), &v.Via[j]); err != nil {
					break
				}
			}
			if err == nil {
				t.dest = pts[len(pts)-1]
				if t.path, err = w.net.PathFromPolyline(pts); err != nil {
					err = &wire.FieldError{Where: sc.file, Line: sc.lineOf(f + ".via"), Field: f + ".via", Reason: err.Error()}
				}
			}
		} else {
			var from orb.Point
			from, err = w.place(f+".from", v.From)
			if err == nil {
				t.dest, err = w.place(f+".to", v.To)
			}
			if err == nil {
				if t.path, err = w.net.Route(from, t.dest); err != nil {
					err = &wire.FieldError{Where: sc.file, Line: sc.lineOf(f), Field: f, Reason: "no route: " + err.Error()}
				}
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		w.trips = append(w.trips, w.finishTrip(t))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if tr := sc.Trips; tr != nil && tr.Count > 0 {
		return w.randomTrips(tr)
	}
	return nil
}

// randomTrips draws trips between the midpoints of random roads at least
// MinLengthM apart (straight line), from the scenario's "trips" stream.
func (w *world) randomTrips(tr *TripsSpec) error {
	rng := RNGFor(w.sc.Seed, "trips")
	n := w.net
	proj := n.Projection()
	edges := n.NumEdges()
	for k := 0; k < tr.Count; k++ {
		var path *routing.Path
		var dest orb.Point
		for attempt := 0; attempt < 200 && path == nil; attempt++ {
			a, b := int32(rng.IntN(edges)), int32(rng.IntN(edges))
			pa, _ := n.PointOnEdge(a, n.Edge(a).LengthM/2)
			pb, _ := n.PointOnEdge(b, n.Edge(b).LengthM/2)
			if pa.Dist(pb) < tr.MinLengthM {
				continue
			}
			p, err := n.Route(proj.ToLonLat(pa), proj.ToLonLat(pb))
			if err != nil || len(p.Signals()) == 0 {
				continue
			}
			path, dest = p, proj.ToLonLat(pb)
		}
		if path == nil {
			return &wire.FieldError{Where: w.sc.file, Line: w.sc.lineOf("random_trips"), Field: "random_trips",
				Reason: fmt.Sprintf("found no route of at least %v m through a signal after 200 draws (trip %d)", tr.MinLengthM, k)}
		}
		w.trips = append(w.trips, w.finishTrip(tripSpec{
			id: fmt.Sprintf("trip-%03d", k), priority: tr.Priority, announce: tr.Announce,
			departS: tr.FirstDepartS + float64(k)*tr.EveryS, path: path, dest: dest,
		}))
	}
	return nil
}

func (w *world) finishTrip(t tripSpec) tripSpec {
	t.profile = newSpeedProfile(t.path)
	t.freeFlowS = w.freeFlowTime(&t)
	for _, s := range t.path.Signals() {
		ts := tripSignal{unit: s.Intersection, approach: -1, phase: s.Phase, alongM: s.AlongM}
		for j, a := range w.units[s.Intersection].approaches {
			if a.id == s.Approach {
				ts.approach = int32(j)
			}
		}
		t.signals = append(t.signals, ts)
	}
	sort.SliceStable(t.signals, func(i, j int) bool { return t.signals[i].alongM < t.signals[j].alongM })
	return t
}

// freeFlowTime integrates the trip with the EV kinematics and no signal:
// the reference its signal delay is measured against.
func (w *world) freeFlowTime(t *tripSpec) float64 {
	length := t.path.LengthM()
	pos, v := 0.0, 0.0
	idx := 0
	steps := 0
	for pos < length-SnapM && steps < 10_000_000 {
		vd := t.profile.at(pos, &idx) * w.kin.SpeedFactor
		pos, v = w.kin.Next(pos, v, vd, length)
		steps++
	}
	return float64(steps) * w.kin.StepS
}
