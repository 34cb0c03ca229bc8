package sim

import (
	"math"
	"time"

	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

func (r *run) depart(i int32) {
	v := &r.vehicles[i]
	now := r.q.Now()
	v.state = vehDriving
	v.stopped = true // standing at its origin: moving off is not a stop
	v.departT = now
	r.recordTrajectory(v, now)
	r.schedule(now+Seconds(r.w.kin.StepS), evVehicleStep, i, 0)
	if r.eng == nil {
		return
	}
	if route, ok := r.routeMessage(v, now); ok {
		r.routes[i] = route
		r.schedule(now+Seconds(r.w.sc.GPS.LatencyS), evRouteArrive, i, 0)
	}
	r.schedule(now, evGPSFix, i, 0)
}

func (r *run) routeMessage(v *vehicleRun, now time.Duration) (wire.Route, bool) {
	t := v.trip
	route := wire.Route{VehicleID: t.id, RouteID: t.id + ".r1", TS: r.at(now)}
	switch t.announce {
	case "path":
		route.Path = t.path.LonLats()
	case "destination":
		d := t.dest
		route.Destination = &d
	default:
		return route, false
	}
	return route, true
}

// stepVehicle integrates vehicle i over one step: see Kinematics for the
// motion and doc.go for how signals and queues stop it.
func (r *run) stepVehicle(i int32) {
	v := &r.vehicles[i]
	t := v.trip
	kin := r.w.kin
	now := r.q.Now()
	length := t.path.LengthM()
	vd := t.profile.at(v.pos, &v.profIdx) * kin.SpeedFactor
	// The next signal, and any other whose stop line is within reach, may
	// stop the vehicle; the nearest target wins.
	target, binding := length, -1
	reach := kin.StoppingDistance(v.v) + lookAheadM
	for k := v.nextSig; k < len(t.signals); k++ {
		if k > v.nextSig && t.signals[k].alongM-v.pos > reach+lookAheadQueueM {
			break
		}
		if stop, ok := r.signalTarget(v, k); ok && stop < target {
			target, binding = stop, k
		}
	}
	pos, speed := kin.Next(v.pos, v.v, vd, target)
	if binding >= 0 {
		if _, free := kin.Next(v.pos, v.v, vd, length); speed < free-1e-9 {
			v.braked[binding] = true
		}
	}
	hard := v.v > goAboveMps && v.v-speed > hardBrakeFactor*kin.Decel*kin.StepS
	if hard && !v.hardBraking {
		r.hardBrakes++
	}
	v.hardBraking = hard
	v.pos, v.v = pos, speed
	for v.nextSig < len(t.signals) && v.pos > t.signals[v.nextSig].alongM {
		r.passSignal(v, &t.signals[v.nextSig], now)
	}
	if !v.stopped && speed < stopBelowMps && pos < length-SnapM {
		v.stopped = true
		v.stops++
	} else if v.stopped && speed > goAboveMps {
		v.stopped = false
	}
	r.recordTrajectory(v, now)
	if pos >= length-SnapM {
		v.state = vehArrived
		v.arriveT = now
		return
	}
	r.schedule(now+Seconds(kin.StepS), evVehicleStep, i, 0)
}

// hardBrakeFactor: braking harder than this times the comfortable
// deceleration is a hard brake, the vehicle meeting a red it did not see
// coming (a preempt released or refused late). The model brakes a little
// above the comfortable rate in ordinary cases (a queue growing towards a
// vehicle that is braking for it), and snaps from a crawl to standing at
// its target; neither is what the diagnostic is for.
const hardBrakeFactor = 1.5

// lookAheadM is how far beyond its stopping distance a vehicle looks for
// signals other than the next: a red just past the next stop line (Luxembourg
// has junctions drawn as several signalised nodes metres apart) is braked
// for in time instead of met with a hard stop.
const lookAheadM = 30.0

// lookAheadQueueM extends the look-ahead by the length of a queue that may
// stand at a signal beyond the next (about 14 cars).
const lookAheadQueueM = 100.0

// signalTarget is where the vehicle must stop for its path's signal k, if
// anywhere: the stop line, less the queue ahead of it (the queue it joined
// once within reach of it), on red; on yellow when it can still stop
// comfortably; on green while the queue ahead has not discharged. The
// vehicle joins one queue at a time, the next signal's; a later signal's
// queue is taken as it stands, and never holds the vehicle before the
// previous stop line.
func (r *run) signalTarget(v *vehicleRun, k int) (float64, bool) {
	kin := r.w.kin
	s := &v.trip.signals[k]
	r.syncUnit(s.unit)
	u := &r.units[s.unit]
	ahead := 0.0
	if s.approach >= 0 {
		q := &u.queues[s.approach]
		q.Advance(r.q.Now().Seconds())
		jam := r.w.sc.Traffic.JamSpacingM
		switch {
		case k != v.nextSig:
			ahead = q.Length()
		case !v.joined && s.alongM-v.pos <= kin.StoppingDistance(v.v)+q.Length()*jam+jam:
			v.joined = true
			v.joinA = q.Arrived()
			fallthrough
		case v.joined:
			ahead = math.Max(0, v.joinA-q.Departed())
		default:
			ahead = q.Length()
		}
		ahead *= jam
	}
	stopAt := s.alongM - ahead
	if k > v.nextSig {
		// A queue reaching back past the previous stop line holds the
		// vehicle at that line: it does not block the junction.
		stopAt = math.Max(stopAt, v.trip.signals[k-1].alongM)
	}
	switch u.rs.Indication(s.phase) {
	case signals.Red:
		if !v.yellowGo[k] {
			return stopAt, true
		}
	case signals.Yellow:
		if !v.yellowGo[k] {
			if kin.StoppingDistance(v.v) <= stopAt-v.pos {
				return stopAt, true
			}
			v.yellowGo[k] = true
		}
	default:
		if ahead > 0 {
			return stopAt, true
		}
	}
	return 0, false
}

func (r *run) passSignal(v *vehicleRun, s *tripSignal, now time.Duration) {
	braked := v.braked[v.nextSig]
	if braked {
		v.redArr++
	} else {
		v.greenArr++
	}
	if r.record {
		v.passes = append(v.passes, passRec{t: now, along: s.alongM, green: !braked})
	}
	u := &r.units[s.unit]
	if u.holdStart >= 0 {
		u.lastPass = now
	}
	v.nextSig++
	v.joined = false
}

func (r *run) recordTrajectory(v *vehicleRun, now time.Duration) {
	if !r.record {
		return
	}
	if n := len(v.trajectory); n > 0 && now-v.trajectory[n-1].t < 500*time.Millisecond && v.v > 0 {
		return
	}
	v.trajectory = append(v.trajectory, trajPoint{now, v.pos})
}

// takeFix is the vehicle's receiver taking a fix: noise, loss, latency,
// jitter and duplicates, each drawn from the vehicle's own stream in a fixed
// order whatever happens to the fix, so every strategy sees the same noise.
func (r *run) takeFix(i int32) {
	v := &r.vehicles[i]
	g := r.w.sc.GPS
	rng := v.gpsRNG
	now := r.q.Now()
	lost := rng.Float64() < g.Loss
	nx, ny := rng.NormFloat64()*g.NoiseM, rng.NormFloat64()*g.NoiseM
	dh, dv := rng.NormFloat64()*g.HeadingNoiseDeg, rng.NormFloat64()*g.SpeedNoiseMps
	j1, dup, j2 := rng.Float64(), rng.Float64() < g.Duplicate, rng.Float64()

	if tau := g.NoiseCorrelationS; tau > 0 {
		if v.seq == 0 {
			v.errX, v.errY = nx, ny // the first fix starts from the stationary distribution
		} else {
			v.errX = GaussMarkov(v.errX, nx, g.PeriodS, tau)
			v.errY = GaussMarkov(v.errY, ny, g.PeriodS, tau)
		}
		nx, ny = v.errX, v.errY
	}
	pt, bearing := v.trip.path.PointAt(v.pos)
	pt.X += nx
	pt.Y += ny
	ll := r.w.net.Projection().ToLonLat(pt)
	heading := math.Mod(bearing+dh+720, 360)
	if heading >= 360 {
		heading = 0
	}
	speed := math.Max(0, v.v+dv)
	v.seq++
	p := wire.Position{VehicleID: v.trip.id, Seq: v.seq, TS: r.at(now), Lat: ll[1], Lon: ll[0],
		SpeedMps: &speed, HeadingDeg: &heading, Emergency: v.state != vehArrived}
	if g.NoiseM > 0 {
		acc := g.NoiseM
		p.AccuracyM = &acc
	}
	if !lost {
		r.schedule(now+Seconds(g.LatencyS+j1*g.JitterS), evFixArrive, i, r.fixes.Put(p))
		if dup {
			r.schedule(now+Seconds(g.LatencyS+j2*g.JitterS), evFixArrive, i, r.fixes.Put(p))
		}
	}
	if v.state == vehArrived {
		v.postFixes++
		if v.postFixes >= postArrivalFixes {
			return
		}
	}
	r.schedule(now+Seconds(g.PeriodS), evGPSFix, i, 0)
}

// GaussMarkov is one step of a first-order Gauss-Markov error: it keeps
// exp(-dt/τ) of the previous error and takes the rest from draw (a fresh
// N(0, σ²) sample), so the error stays N(0, σ²) while drifting with time
// constant τ. Exported so that sumo's co-simulated GPS drifts exactly as
// the simulator's does.
func GaussMarkov(prev, draw, dt, tau float64) float64 {
	a := math.Exp(-dt / tau)
	return a*prev + math.Sqrt(1-a*a)*draw
}
