package routing

import "math"

// ETA is an estimated travel time in seconds with its uncertainty band:
// MinS <= S <= MaxS.
type ETA struct{ S, MinS, MaxS float64 }

// The ETA model's parameters.
const (
	// EmergencySpeedFactor scales the roads' free-flow speeds for a
	// vehicle on an emergency run: with lights and siren it keeps above
	// the limit where it can, and slows through junctions; over a few
	// kilometres that averages to about 1.2 times free flow.
	EmergencySpeedFactor = 1.2
	// etaSpeedMemoryM is the distance over which the vehicle's own speed
	// stays informative: its weight is exp(-x / etaSpeedMemoryM) at x
	// metres ahead, so it dominates the next couple of hundred metres and
	// has faded after a kilometre (a vehicle doing 15 m/s now says little
	// about the arterial two kilometres on).
	etaSpeedMemoryM = 300.0
	// etaMinSpeedMps keeps a vehicle that is stopped or crawling (at a
	// red, behind a bus) from giving an infinite ETA: it is about to move.
	etaMinSpeedMps = 3.0
	// The band's half-width relative to S: etaBandNear right ahead,
	// growing towards etaBandNear+etaBandFar with distance (half of that
	// at etaBandHalfM): speed over the next hundred metres is known to
	// about 10%, over kilometres to about a third.
	etaBandNear  = 0.10
	etaBandFar   = 0.25
	etaBandHalfM = 500.0
	// etaAccelS is what accelerating from a standstill to road speed
	// costs over driving at it: v/(2a), about 4 s at 16 m/s and 2 m/s².
	etaAccelS = 4.0
)

// ETA estimates the time to drive the path from fromAlong to toAlong
// (metres from the path's start, each clamped to the path) for a vehicle
// whose smoothed speed is smoothedSpeedMps (NaN or negative when unknown).
//
// The model integrates a pace (seconds per metre) that blends, x metres
// ahead of the vehicle, its own speed with weight w(x) = exp(-x/300 m) and
// the roads' free-flow speeds times EmergencySpeedFactor with weight
// 1 - w(x). With W = ∫w over the d metres to go and T_road the
// emergency-speed time of the stretch (from the path's cumulative
// free-flow times, O(log n)):
//
//	S = W / v + T_road · (1 - W/d)
//
// (the road pace is taken as its average over the stretch in the blend's
// weight). A vehicle's speed is clamped below at 3 m/s. S grows with d. The
// band is S/(1+u) to S·(1+u) with u = 0.10 + 0.25·d/(d+500 m): the
// further the stop line, the less the current speed says.
//
// Several estimates from one position are cheaper from an ETAOrigin.
func (p *Path) ETA(fromAlong, toAlong, smoothedSpeedMps float64) ETA {
	o := p.etaOrigin(fromAlong, smoothedSpeedMps, 0)
	return o.To(toAlong)
}

// ETAOrigin is a vehicle's position on a path and its smoothed speed, from
// which several ETAs are estimated (the engine estimates to every signal
// ahead on every fix): the position's free-flow time is found once. Its
// estimates are exactly the Path's ETA for the same inputs.
type ETAOrigin struct {
	p         *Path
	fromAlong float64 // as given: NaN gives zero estimates
	from      float64 // clamped to the path
	fromT     float64 // free-flow time at from
	seg       int     // where the search for from ended: later ones start there
	speed     float64
	length    float64 // the path's: read once, not from the end of its arrays per estimate
}

func (p *Path) etaOrigin(fromAlong, smoothedSpeedMps float64, lo int) ETAOrigin {
	o := ETAOrigin{p: p, fromAlong: fromAlong, speed: smoothedSpeedMps, length: p.LengthM()}
	if math.IsNaN(fromAlong) {
		return o
	}
	o.from = clamp(fromAlong, 0, o.length)
	o.fromT, o.seg = p.timeAtFrom(o.from, lo)
	return o
}

// FromAlong is the position the origin was made from, so that a caller
// can tell whether it still applies.
func (o *ETAOrigin) FromAlong() float64 { return o.fromAlong }

// SpeedMps is the smoothed speed the origin was made with.
func (o *ETAOrigin) SpeedMps() float64 { return o.speed }

// Path is the path the origin is on.
func (o *ETAOrigin) Path() *Path { return o.p }

// To is the ETA from the origin to toAlong: Path.ETA(fromAlong, toAlong,
// smoothedSpeedMps).
func (o *ETAOrigin) To(toAlong float64) ETA { return o.to(toAlong, -1) }

// ToSignal is the ETA from the origin to the stop line of the path's
// signal i, To(Signals()[i].AlongM), with the stop line's free-flow time
// read from the path (recorded when it was built) rather than searched for.
func (o *ETAOrigin) ToSignal(i int) ETA {
	if len(o.p.sigTime) != len(o.p.signals) { // a path not built by pathBuilder
		return o.to(o.p.signals[i].AlongM, -1)
	}
	return o.to(o.p.signals[i].AlongM, i)
}

func (o *ETAOrigin) to(toAlong float64, sig int) ETA {
	p := o.p
	to := clamp(toAlong, 0, o.length)
	if math.IsNaN(o.fromAlong) || math.IsNaN(toAlong) || !(to > o.from) {
		return ETA{}
	}
	d := to - o.from
	var toT float64
	if sig >= 0 {
		toT = p.sigTime[sig]
	} else {
		toT, _ = p.timeAtFrom(to, o.seg)
	}
	road := math.Max(0, toT-o.fromT) / EmergencySpeedFactor
	s := road
	if v := o.speed; v >= 0 && !math.IsInf(v, 0) {
		v = max(v, etaMinSpeedMps)
		w := etaSpeedMemoryM * -math.Expm1(-d/etaSpeedMemoryM)
		s = w/v + road*(1-w/d)
	}
	u := etaBandNear + etaBandFar*d/(d+etaBandHalfM)
	// A slow or stopped vehicle (just departed, or leaving a queue) is
	// about to pick up speed: the optimistic end of the band is never
	// later than driving the stretch at emergency road speed after
	// accelerating to it.
	minS := min(s, road+etaAccelS) / (1 + u)
	return ETA{S: s, MinS: minS, MaxS: s * (1 + u)}
}
