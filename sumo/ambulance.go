package sumo

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/greenwave-project/greenwave/sim"
	"github.com/greenwave-project/greenwave/traci"
	"github.com/greenwave-project/greenwave/wire"
)

// ambulance is one trip's vehicle in a run: where SUMO has it, its stops,
// its passages through the map's signals, and its GPS receiver.
type ambulance struct {
	trip  *coTrip
	state uint8

	departS, arriveS float64
	teleported       bool

	// The last subscription result.
	have              bool
	x, y, speed, head float64
	road              string
	lane              int
	dist              float64

	edgeIdx int // the route edge it is on (or last was, inside a junction)
	nextSig int // the next of trip.signals to pass
	stopped bool
	stops   int
	waitS   float64
	sigs    []sigRecord

	// GPS.
	rng        *rand.Rand
	seq        uint64
	nextFix    float64
	errX, errY float64
	postFixes  int
	firstSeen  float64 // its first fix at the controller
	route      wire.Route

	traj []trajPoint
}

const (
	ambWaiting uint8 = iota
	ambDriving
	ambArrived
)

// trajPoint is a point of an ambulance's trajectory, for the diagrams.
type trajPoint struct{ t, dist float64 }

// sigRecord is an ambulance's passage through one signal of its route.
type sigRecord struct {
	passS     float64 // NaN until it passes
	state     byte    // its link's signal when it crossed the stop line
	stopped   bool    // it stopped (below 0.5 m/s, after moving) on its way to the signal
	stopS     float64 // when it first stopped there; NaN if it did not
	waitS     float64 // time at under 0.1 m/s on its way there
	requested float64 // the unit accepted a preempt for it; NaN if none
	held      float64 // the unit's hold serving it began; NaN if none
	holdEnd   float64 // that hold ended; NaN if not (yet)
	endedWhy  string  // how its last request ended at the unit
}

func newSigRecord() sigRecord {
	nan := math.NaN()
	return sigRecord{passS: nan, stopS: nan, requested: nan, held: nan, holdEnd: nan}
}

// greenArrival is a passage on green without a stop on the way.
func (s *sigRecord) greenArrival() bool {
	return !math.IsNaN(s.passS) && classOf(s.state) == linkGreen && !s.stopped
}

func (a *ambulance) depart(r *coRun, T float64) {
	a.state = ambDriving
	a.departS = T
	a.stopped = true // standing at its origin: moving off is not a stop
	a.nextFix = T
	if r.eng == nil {
		return
	}
	t := a.trip
	a.route = wire.Route{VehicleID: t.spec.ID, RouteID: t.spec.ID + ".r1", TS: simTime(coEpoch, T)}
	switch t.spec.Announce {
	case "path":
		a.route.Path = t.path
	case "destination":
		d := t.dest
		a.route.Destination = &d
	default:
		return
	}
	r.schedule(T+r.w.sc.GPS.LatencyS, evRoute, int32(t.index))
}

// update takes the vehicle's state after a step: progress along its route
// (and the signals it passed), stops and waiting.
func (a *ambulance) update(r *coRun, T float64, v *traci.VehicleState) {
	if a.state != ambDriving {
		return
	}
	prevLane := a.lane
	a.have = true
	a.x, a.y, a.speed, a.head, a.road, a.lane, a.dist = v.X, v.Y, v.Speed, v.Angle, v.RoadID, v.LaneIndex, v.Distance
	edges := a.trip.edges
	inJunction := strings.HasPrefix(v.RoadID, ":")
	newIdx := a.edgeIdx
	if !inJunction {
		for k := a.edgeIdx; k < len(edges); k++ {
			if edges[k] == v.RoadID {
				newIdx = k
				break
			}
		}
	}
	// Signals whose approach edge it has left.
	for a.nextSig < len(a.trip.signals) {
		s := &a.trip.signals[a.nextSig]
		if !(newIdx > s.edgeIdx || inJunction && a.edgeIdx == s.edgeIdx) {
			break
		}
		a.pass(r, T, a.nextSig, prevLane)
	}
	if !inJunction {
		a.edgeIdx = newIdx
	}
	// Stops and waiting, charged to the signal it is heading for.
	if !a.stopped && v.Speed < stopBelowMps {
		a.stopped = true
		a.stops++
		if a.nextSig < len(a.sigs) {
			s := &a.sigs[a.nextSig]
			if !s.stopped {
				s.stopped, s.stopS = true, T
			}
		}
	} else if a.stopped && v.Speed > goAboveMps {
		a.stopped = false
	}
	if v.Speed < waitBelowMps {
		a.waitS += r.dt
		if a.nextSig < len(a.sigs) {
			a.sigs[a.nextSig].waitS += r.dt
		}
	}
	if r.w.opt.Record {
		a.traj = append(a.traj, trajPoint{T, v.Distance})
	}
}

// pass records that the ambulance crossed signal k's stop line during the
// step to T, from lane lane of the approach.
func (a *ambulance) pass(r *coRun, T float64, k, lane int) {
	s := &a.trip.signals[k]
	rec := &a.sigs[k]
	rec.passS = T
	u := r.units[s.inter]
	approach := a.trip.edges[s.edgeIdx]
	li := -1
	if c, ok := r.w.conns[connKey{approach, lane, s.next}]; ok && c.tls == u.tls {
		li = c.link
	} else if th := u.approaches[s.approach].through; len(th) > 0 {
		li = th[0]
	}
	rec.state = 'r'
	if li >= 0 && li < u.n {
		rec.state = u.shown[li]
	}
	u.stats.passed(u, T, a.trip.spec.ID, rec)
	a.nextSig = k + 1
}

func (a *ambulance) arrive(r *coRun, T float64) {
	if a.state != ambDriving {
		return
	}
	a.state = ambArrived
	a.arriveS = T
}

// maybeFix takes a GPS fix when one is due: noise, loss, latency, jitter
// and duplicates as sim's GPSSpec describes, each drawn from the
// ambulance's own stream in a fixed order whatever happens to the fix, so
// every strategy sees the same noise. After arrival it sends a few fixes
// with emergency off, from where it stopped.
func (a *ambulance) maybeFix(r *coRun, T float64) {
	if a.state == ambWaiting || !a.have || T < a.nextFix-1e-9 {
		return
	}
	if a.state == ambArrived && a.postFixes >= postArrivalFixes {
		return
	}
	g := r.w.sc.GPS
	rng := a.rng
	lost := rng.Float64() < g.Loss
	nx, ny := rng.NormFloat64()*g.NoiseM, rng.NormFloat64()*g.NoiseM
	dh, dv := rng.NormFloat64()*g.HeadingNoiseDeg, rng.NormFloat64()*g.SpeedNoiseMps
	j1, dup, j2 := rng.Float64(), rng.Float64() < g.Duplicate, rng.Float64()
	if tau := g.NoiseCorrelationS; tau > 0 {
		if a.seq == 0 {
			a.errX, a.errY = nx, ny
		} else {
			a.errX = sim.GaussMarkov(a.errX, nx, g.PeriodS, tau)
			a.errY = sim.GaussMarkov(a.errY, ny, g.PeriodS, tau)
		}
		nx, ny = a.errX, a.errY
	}
	lon, lat := r.w.proj.ToLonLat(XY{a.x + nx, a.y + ny})
	heading := math.Mod(a.head+dh+720, 360)
	if heading >= 360 || math.IsNaN(heading) {
		heading = 0
	}
	speed := a.speed
	if a.state == ambArrived {
		speed = 0
	}
	speed = math.Max(0, speed+dv)
	a.seq++
	p := wire.Position{VehicleID: a.trip.spec.ID, Seq: a.seq, TS: simTime(coEpoch, T), Lat: lat, Lon: lon,
		SpeedMps: &speed, HeadingDeg: &heading, Emergency: a.state == ambDriving}
	if g.NoiseM > 0 {
		acc := g.NoiseM
		p.AccuracyM = &acc
	}
	if !lost {
		r.schedule(T+g.LatencyS+j1*g.JitterS, evFix, r.fixes.Put(p))
		if dup {
			r.schedule(T+g.LatencyS+j2*g.JitterS, evFix, r.fixes.Put(p))
		}
	}
	if a.state == ambArrived {
		a.postFixes++
	}
	a.nextFix += g.PeriodS
	if a.nextFix <= T {
		a.nextFix = T + g.PeriodS
	}
}
