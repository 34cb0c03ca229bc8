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
func (p *Path) ETA(fromAlong, toAlong, smoothedSpeedMps float64) ETA {
	return p.etaFrom(fromAlong, toAlong, smoothedSpeedMps, 0)
}

// etaFrom is ETA searching the path's cumulative distances for fromAlong
// from index lo (see Cursor.searchStart).
func (p *Path) etaFrom(fromAlong, toAlong, smoothedSpeedMps float64, lo int) ETA {
	return p.eta(fromAlong, toAlong, smoothedSpeedMps, lo, -1)
}

// eta is ETA searching for fromAlong from index lo; sig >= 0 says toAlong
// is signal sig's stop line, whose free-flow time is then read from
// sigTime instead of searched for.
func (p *Path) eta(fromAlong, toAlong, smoothedSpeedMps float64, lo, sig int) ETA {
	length := p.LengthM()
	from, to := clamp(fromAlong, 0, length), clamp(toAlong, 0, length)
	if math.IsNaN(fromAlong) || math.IsNaN(toAlong) || !(to > from) {
		return ETA{}
	}
	d := to - from
	fromT, i := p.timeAtFrom(from, lo)
	var toT float64
	if sig >= 0 {
		toT = p.sigTime[sig]
	} else {
		toT, _ = p.timeAtFrom(to, i)
	}
	road := math.Max(0, toT-fromT) / EmergencySpeedFactor
	s := road
	if v := smoothedSpeedMps; v >= 0 && !math.IsInf(v, 0) {
		v = max(v, etaMinSpeedMps)
		w := etaSpeedMemoryM * -math.Expm1(-d/etaSpeedMemoryM)
		s = w/v + road*(1-w/d)
	}
	u := etaBandNear + etaBandFar*d/(d+etaBandHalfM)
	return ETA{S: s, MinS: s / (1 + u), MaxS: s * (1 + u)}
}
