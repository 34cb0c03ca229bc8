package controller

import (
	"math"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// routeSource is where a vehicle's path comes from.
type routeSource uint8

const (
	sourceRoad        routeSource = iota // no route known: the road ahead
	sourceAnnounced                      // the polyline the vehicle announced
	sourceDestination                    // the route to the destination it announced
)

var sourceNames = [...]string{sourceRoad: "road", sourceAnnounced: "announced", sourceDestination: "destination"}

// String names the source, for tests and tracing.
func (s routeSource) String() string { return nameOf(sourceNames[:], int(s)) }

// reverseBearingDeg: a moving vehicle whose reported heading differs from
// its path's bearing by more than this is driving the path backwards (it
// turned round): it has left the path.
const reverseBearingDeg = 120

// vehicle is everything the engine knows about one vehicle. What every
// fix reads or writes comes first, packed: with a thousand vehicles
// tracked, each fix finds its vehicle out of cache, and every line of
// this struct it touches is a miss.
type vehicle struct {
	path   *routing.Path // nil: none (off the map, or waiting for a first match)
	cursor routing.Cursor
	along  float64 // on path, at heardAt

	seq        uint64
	matchedSeq uint64 // the seq of the fix pos was matched from (see matchFix)
	fixTS      time.Time
	heardAt    instant     // engine time of the last accepted fix
	speed      float64     // smoothed, m/s
	fix        routing.Fix // the last accepted fix
	xy         routing.XY  // the last fix, projected

	// nextCross: when, at the current pace, the next signal's lead time
	// (or range) will be reached; never when not on a run or nothing
	// ahead.
	nextCross instant
	passages  []*passage
	advAt     instant
	advSig    uint64
	wakeAt    instant // when in the wake heap
	heapIdx   int

	source     routeSource
	hasFix     bool
	emergency  bool
	silent     bool // released for silence; cleared by the next fix
	speedKnown bool
	onPath     bool
	deadEnd    bool // the road-ahead path stops short of LookaheadM: do not extend it
	extend     bool // the road-ahead path is running out: extend it after this fix
	matched    bool
	// matchGap: fixes were not matched since the matcher's last one (its
	// history is stale). Fixes that locate on the vehicle's path need no
	// map matching (the path is the better prior), so the matcher runs
	// only when a path must be found.
	matchGap  bool
	advHas    bool
	dirty     bool
	forgotten bool

	// Read when a command or an advisory is sent, or a path is derived.
	id        string
	priority  int
	matcher   *routing.Matcher
	pos       routing.RoadPos // the last fix matched to the road graph, when matched
	routeID   string
	routeTS   time.Time
	dest      orb.Point
	price     float64   // the planner's price for this vehicle (Config.Price, ClassPrices)
	plan      routePlan // the planner's choices for the signals ahead (planner.go)
	etaChecks etaChecks // the planner's estimates awaiting the vehicle's passages
}

func (e *Engine) stepPosition(now time.Time, p *wire.Position) error {
	// A known vehicle's id was validated when it was first seen: the map
	// lookup comes first so the common case skips re-checking it.
	v := e.vehicles[p.VehicleID]
	var err error
	if v == nil {
		err = p.Validate()
	} else {
		err = p.ValidateFix()
	}
	if err != nil {
		return e.rejectErr(now, p.VehicleID, err)
	}
	if age := now.Sub(p.TS); age < -e.cfg.MaxClockSkew {
		return e.reject(now, p.VehicleID, ReasonFutureTS, "ts", "ts "+formatTime(p.TS)+" is more than "+e.cfg.MaxClockSkew.String()+" ahead of now "+formatTime(now))
	} else if age > e.cfg.MaxClockSkew {
		return e.reject(now, p.VehicleID, ReasonOldTS, "ts", "ts "+formatTime(p.TS)+" is more than "+e.cfg.MaxClockSkew.String()+
			" before now "+formatTime(now)+": too old to act on (delayed, or replayed)")
	}
	xy := e.proj.ToXY(orb.Point{p.Lon, p.Lat})
	accuracy := 0.0
	if p.AccuracyM != nil {
		accuracy = *p.AccuracyM
	}
	if v != nil && v.hasFix {
		sinceLast := p.TS.Sub(v.fixTS)
		if p.Seq <= v.seq {
			// Not above the last seq: a duplicate or a late fix — unless
			// its ts has moved on, when the unit rebooted and its seq
			// started again.
			if sinceLast < e.cfg.SeqResetGap {
				return e.reject(now, v.id, ReasonStaleSeq, "seq", "seq "+strconv.FormatUint(p.Seq, 10)+
					" is not above the last accepted "+strconv.FormatUint(v.seq, 10)+": duplicate or late")
			}
		} else if sinceLast < 0 {
			return e.reject(now, v.id, ReasonStaleTS, "ts", "ts "+formatTime(p.TS)+" is before the last accepted fix's "+formatTime(v.fixTS))
		}
		if err := e.checkJump(now, v, sinceLast, xy, accuracy); err != nil {
			return err
		}
	}
	if !e.onRoad(v, xy, accuracy) {
		return e.reject(now, p.VehicleID, ReasonOffRoad, "", "fix ["+strconv.FormatFloat(p.Lon, 'f', 6, 64)+", "+strconv.FormatFloat(p.Lat, 'f', 6, 64)+
			"] is more than "+wire.FormatFloat(e.cfg.MaxOffRoadM)+" m from every road of the map")
	}
	v, err = e.accept(now, v, p.VehicleID)
	if err != nil {
		return err
	}

	if v.hasFix && v.matchedSeq != v.seq {
		v.matchGap = true // the previous fix was not matched
	}
	dt := e.nowI.sub(v.heardAt).Seconds()
	prevAlong, prevOnPath, prevPath := v.along, v.onPath, v.path
	firstFix := !v.hasFix
	v.hasFix, v.seq, v.fixTS, v.heardAt, v.silent = true, p.Seq, p.TS, e.nowI, false
	v.xy = xy

	v.fix = routing.Fix{LonLat: orb.Point{p.Lon, p.Lat}, HeadingDeg: math.NaN(), SpeedMps: math.NaN()}
	if p.HeadingDeg != nil {
		v.fix.HeadingDeg = *p.HeadingDeg
	}
	if p.SpeedMps != nil {
		v.fix.SpeedMps = *p.SpeedMps
	}
	if p.AccuracyM != nil {
		v.fix.AccuracyM = *p.AccuracyM
	}
	v.matched = false // v.pos is the previous fix's until matchFix runs

	if !p.Emergency && v.emergency {
		e.releaseAll(v, ReasonEmergencyOff)
	}
	v.emergency = p.Emergency

	e.track(v)

	sample := math.NaN()
	if p.SpeedMps != nil {
		sample = *p.SpeedMps
	} else if !firstFix && prevOnPath && v.onPath && v.path == prevPath && dt > 0 {
		sample = math.Max(0, v.along-prevAlong) / dt
	}
	if !math.IsNaN(sample) {
		if v.speedKnown {
			v.speed += e.cfg.SpeedSmoothing * (sample - v.speed)
		} else {
			v.speed, v.speedKnown = sample, true
		}
	}

	e.evaluate(v, v.along, true)
	if v.extend {
		v.extend = false
		if e.matchFix(v) {
			if next := e.net.RoadAhead(v.pos, e.cfg.LookaheadM); e.continues(v, next) {
				e.setPath(v, next, ReasonLeftPath, 0)
				e.evaluate(v, v.along, true)
			}
		}
	}
	return nil
}

// continues reports whether next, a road-ahead path derived from the
// vehicle's matched position, continues its current path: every signal
// still ahead on the current path is on next too, entered on the same
// approach at the same distance to go (within the off-path tolerance). A
// match on a branch at a junction (a slip road leaving at a shallow angle)
// would give a path elsewhere; the current one is then kept, and the
// extension retried at the next fix.
func (e *Engine) continues(v *vehicle, next *routing.Path) bool {
	c := next.NewCursor()
	nextAlong, _, ok := c.Locate(v.xy, e.cfg.OffPathToleranceM)
	if !ok {
		return false
	}
	old, fresh := v.path.Signals(), next.Signals()
	for i := e.firstAhead(v, v.along); i < len(old); i++ {
		toGo := old[i].AlongM - v.along
		if toGo > next.LengthM()-nextAlong {
			break // beyond next's end: cannot tell, and next will not need it
		}
		found := false
		for j := range fresh {
			if fresh[j].Intersection == old[i].Intersection && fresh[j].Approach == old[i].Approach &&
				math.Abs(fresh[j].AlongM-nextAlong-toGo) <= e.cfg.OffPathToleranceM {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// accept moves the engine's time to now for an input it has checked, and
// returns the vehicle the input is about, tracking a new one when v is nil.
func (e *Engine) accept(now time.Time, v *vehicle, id string) (*vehicle, error) {
	nowI := e.instantAt(now)
	if v == nil {
		var err error
		if v, err = e.newVehicle(now, nowI, id); err != nil {
			return nil, err
		}
	}
	e.setNow(now, nowI)
	e.touch(v)
	return v, nil
}

// newVehicle starts tracking vehicle id, heard from at now (nowI on the
// engine's clock).
func (e *Engine) newVehicle(now time.Time, nowI instant, id string) (*vehicle, error) {
	if len(e.vehicles) >= e.cfg.MaxVehicles {
		return nil, e.reject(now, id, ReasonTooManyVehicles, "vehicle_id", "already tracking "+strconv.Itoa(len(e.vehicles))+" vehicles")
	}
	v := &vehicle{id: id, priority: e.priorityOf(id), matcher: routing.NewMatcher(e.net, e.cfg.Matcher),
		heapIdx: -1, heardAt: nowI, nextCross: never, wakeAt: never}
	if len(e.vehicles) == 0 {
		// The first vehicle tracked: the forget sweep is due a period
		// from now (Ready's NextWakeup includes it while any is tracked).
		e.nextSweep = nowI.add(e.sweepPeriod())
	}
	v.price = *e.cfg.Price
	if p, ok := e.cfg.ClassPrices[e.cfg.Classes[id]]; ok {
		v.price = p
	}
	e.vehicles[id] = v
	return v, nil
}

// matchFix matches the last fix to the road graph, if not done yet, and
// reports whether it is on a road. The matcher's history is reset when
// fixes were skipped since its last match: transitions from a position
// far behind would mislead it.
func (e *Engine) matchFix(v *vehicle) bool {
	if v.matchedSeq == v.seq && v.hasFix {
		return v.matched
	}
	if v.matchGap {
		v.matcher.Reset()
		v.matchGap = false
	}
	v.pos, v.matched = v.matcher.Match(v.fix)
	v.matchedSeq = v.seq
	return v.matched
}

// track moves the vehicle along its path, or finds it a new one when it has
// none or has left it. A fix is located on the path directly (the cursor's
// cost function rejects GPS noise); the map matcher runs only when the
// vehicle has no path or has left it.
func (e *Engine) track(v *vehicle) {
	if v.path != nil {
		along, ok := e.located.along, e.located.ok
		if e.located.v != v {
			along, _, ok = v.cursor.Locate(v.xy, e.offPathTolerance(v))
		}
		e.located.v = nil
		if ok && e.reversed(v, along) {
			ok = false
		}
		if ok {
			v.along, v.onPath = along, true
			if v.source == sourceRoad && !v.deadEnd {
				left := v.path.LengthM() - along
				extendAt := e.cfg.LookaheadM * extendAtFraction
				if left < extendAt+matcherWarmUpM {
					// The matcher follows the last stretch before an
					// extension, so that it starts the new path from
					// a position with history, on the right road.
					e.matchFix(v)
				}
				// Extended after the fix is evaluated, so that a stop
				// line just passed is released as passed, not dropped.
				v.extend = left < extendAt && v.matched && e.matchAgrees(v, along)
			}
			return
		}
		// Off the path.
		matched := e.matchFix(v)
		switch v.source {
		case sourceAnnounced:
			// The crew no longer follows the announced route; its
			// navigation unit will announce a new one. Until then, the
			// road it is on.
			v.source, v.routeID = sourceRoad, ""
			e.routeDecision(v, ReasonRoadAhead)
		case sourceDestination:
			if matched {
				if path, err := e.net.RouteFrom(v.pos, v.dest); err == nil {
					e.setPath(v, path, ReasonLeftPath, ReasonRerouted)
					return
				}
				v.source = sourceRoad
				e.routeDecision(v, ReasonUnroutable)
			}
		}
		if matched {
			e.setPath(v, e.net.RoadAhead(v.pos, e.cfg.LookaheadM), ReasonLeftPath, 0)
			return
		}
		e.dropPath(v, ReasonLeftPath)
		return
	}
	if !e.matchFix(v) {
		return
	}
	switch v.source {
	case sourceDestination:
		if path, err := e.net.RouteFrom(v.pos, v.dest); err == nil {
			e.setPath(v, path, ReasonRouteChanged, ReasonToDest)
			return
		}
		v.source = sourceRoad
		e.routeDecision(v, ReasonUnroutable)
	case sourceAnnounced:
		// An announced path is only dropped when left; a vehicle with
		// source announced always has one.
		v.source = sourceRoad
	}
	e.setPath(v, e.net.RoadAhead(v.pos, e.cfg.LookaheadM), ReasonRouteChanged, 0)
}

// reversed reports whether the vehicle drives against its path at along:
// its reported heading, while moving, is more than reverseBearingDeg off
// the path's bearing there (it turned round) — unless it is within
// cornerAgreeDeg of the path's bearing OffPathToleranceM before: a fix
// placed past a sharp corner, its heading still that of the road into the
// corner (GPS noise, or a large junction whose stop line is nearer the
// road out than the road in, as maps draw both to the junction's centre).
// Measured in SUMO, such fixes made a vehicle about to turn sharply at a
// junction "leave" its announced path.
func (e *Engine) reversed(v *vehicle, along float64) bool {
	if math.IsNaN(v.fix.HeadingDeg) || !(v.fix.SpeedMps >= minHeadingSpeedMps) {
		return false
	}
	_, pathBearing := v.cursor.PointAt(along)
	if routing.AngleDiffDeg(pathBearing, v.fix.HeadingDeg) <= reverseBearingDeg {
		return false
	}
	_, before := v.cursor.PointAt(math.Max(0, along-e.cfg.OffPathToleranceM))
	return routing.AngleDiffDeg(before, v.fix.HeadingDeg) > cornerAgreeDeg
}

// shortOfCorner reports whether a vehicle located at along, past the stop
// line at nodeAlong where its path turns sharply, is in fact still short
// of it: its heading, while moving, agrees with the path into the corner
// and not with the path out of it. A large junction drawn at its centre
// (and GPS noise) can place a vehicle waiting to turn past the node; it
// must not count as through before it has turned, or its preempt would
// be released in front of it (measured in SUMO). Beyond OffPathToleranceM
// past the node it has passed whatever its heading.
func (e *Engine) shortOfCorner(v *vehicle, nodeAlong, along float64) bool {
	if math.IsNaN(v.fix.HeadingDeg) || !(v.fix.SpeedMps >= minHeadingSpeedMps) || along > nodeAlong+e.cfg.OffPathToleranceM {
		return false
	}
	_, in := v.cursor.PointAt(math.Max(0, nodeAlong-cornerBearingM))
	_, out := v.cursor.PointAt(nodeAlong + cornerBearingM)
	return routing.AngleDiffDeg(in, out) > cornerAgreeDeg && routing.AngleDiffDeg(in, v.fix.HeadingDeg) <= cornerAgreeDeg &&
		routing.AngleDiffDeg(out, v.fix.HeadingDeg) > cornerAgreeDeg
}

// cornerBearingM: the path's bearings into and out of a corner are taken
// this far from it, clear of a junction's own vertices.
const cornerBearingM = 10.0

// cornerAgreeDeg: how closely a fix's heading must agree with the path's
// before a corner for the fix to count as short of it (see reversed):
// well within a road's bend.
const cornerAgreeDeg = 45.0

// extendAtFraction: a road-ahead path is extended (derived afresh,
// LookaheadM long) when less than this fraction of LookaheadM is left.
// With the default 3 km that is 1 km: the signals within the longest lead
// time are always on the path (a 34 s lead with its ETA band is under
// 900 m at 20 m/s), while a new path is derived only every 2 km driven
// (deriving one is the costliest thing a fix can trigger).
const extendAtFraction = 1.0 / 3

// matcherWarmUpM: how far before a road-ahead path is extended the map
// matcher starts following the vehicle again: a handful of fixes at city
// speed, enough history for it to settle on the road (and matchAgrees
// checks the result anyway).
const matcherWarmUpM = 60.0

// matchAgrees reports whether the vehicle's matched road position is where
// its path says it is, going the same way: only then is the road ahead
// derived from it a continuation of the path (a match on a cross street at
// a junction would send it elsewhere, dropping the signals ahead).
func (e *Engine) matchAgrees(v *vehicle, along float64) bool {
	pt, pathBearing := v.cursor.PointAt(along)
	_, roadBearing := e.net.PointOnEdge(v.pos.Edge, v.pos.OffsetM)
	return pt.Dist(v.pos.XY) <= e.cfg.OffPathToleranceM && routing.AngleDiffDeg(pathBearing, roadBearing) <= 45
}

// minHeadingSpeedMps: below this speed a GPS heading is noise (the
// matcher's default threshold).
const minHeadingSpeedMps = 2.0

func (e *Engine) routeDecision(v *vehicle, reason Reason) {
	e.decide(Decision{At: e.now, Kind: DecisionRoute, VehicleID: v.id, Reason: reason})
}

// setPath makes path the vehicle's path, locates the vehicle on it, and
// keeps the passages whose intersection (entered on the same approach) is
// still ahead on it; the others are released with dropReason. A non-empty
// routeReason records the change as a route decision.
func (e *Engine) setPath(v *vehicle, path *routing.Path, dropReason, routeReason Reason) {
	oldAlong, wasOnPath := v.along, v.onPath
	v.path = path
	v.cursor = path.NewCursor()
	v.deadEnd = v.source == sourceRoad && path.LengthM() < e.cfg.LookaheadM-1
	v.along, v.onPath = 0, false
	if v.hasFix {
		if along, _, ok := v.cursor.Locate(v.xy, e.offPathTolerance(v)); ok {
			v.along, v.onPath = along, true
		}
	}
	if routeReason != 0 {
		e.routeDecision(v, routeReason)
	}
	sigs := path.Signals()
	kept := v.passages[:0]
	for _, p := range v.passages {
		found := false
		if v.onPath {
			for i := range sigs {
				s := &sigs[i]
				if s.Intersection == p.inter && s.Approach == p.approach && s.AlongM+e.cfg.PassedMarginM >= v.along {
					p.alongM, p.sig, p.queueFlushS = s.AlongM, i, s.QueueFlushS
					found = true
					break
				}
			}
		}
		if found {
			kept = append(kept, p)
			continue
		}
		e.release(p, dropReasonFor(p, dropReason, oldAlong, wasOnPath, e.cfg.OffPathToleranceM))
		e.freePassage(p)
	}
	clear(v.passages[len(kept):])
	v.passages = kept
}

// dropReasonFor is why p is dropped: a vehicle that leaves its path at
// p's stop line has turned through the intersection (its located position
// stays at the stop line while it drives off sideways), so it passed.
func dropReasonFor(p *passage, reason Reason, along float64, onPath bool, tolM float64) Reason {
	if reason == ReasonLeftPath && onPath && math.Abs(along-p.alongM) <= tolM {
		return ReasonPassed
	}
	return reason
}

// dropPath forgets the vehicle's path (it is off the map) and releases
// every passage.
func (e *Engine) dropPath(v *vehicle, reason Reason) {
	along, wasOnPath := v.along, v.onPath
	v.path, v.onPath, v.cursor = nil, false, routing.Cursor{}
	for _, p := range v.passages {
		e.release(p, dropReasonFor(p, reason, along, wasOnPath, e.cfg.OffPathToleranceM))
		e.freePassage(p)
	}
	clear(v.passages)
	v.passages = v.passages[:0]
}

func (e *Engine) stepRoute(now time.Time, r *wire.Route) error {
	if err := r.Validate(); err != nil {
		return e.rejectErr(now, r.VehicleID, err)
	}
	if r.TS.Sub(now) > e.cfg.MaxClockSkew {
		return e.reject(now, r.VehicleID, ReasonFutureTS, "ts", "ts "+formatTime(r.TS)+" is more than "+e.cfg.MaxClockSkew.String()+" ahead of now "+formatTime(now))
	}
	v := e.vehicles[r.VehicleID]
	if v != nil && !r.IsClear() && r.TS.Before(v.routeTS) {
		return e.reject(now, v.id, ReasonStaleTS, "ts", "route ts "+formatTime(r.TS)+" is before the current route's "+formatTime(v.routeTS))
	}
	var path *routing.Path
	switch {
	case r.Path != nil:
		var err error
		if path, err = e.net.PathFromPolyline(r.Path); err != nil {
			return e.reject(now, r.VehicleID, ReasonBadRoute, "path", err.Error())
		}
	case r.Destination != nil && v != nil && v.hasFix && e.matchFix(v):
		var err error
		if path, err = e.net.RouteFrom(v.pos, *r.Destination); err != nil {
			return e.reject(now, r.VehicleID, ReasonBadRoute, "destination", err.Error())
		}
	}
	v, err := e.accept(now, v, r.VehicleID)
	if err != nil {
		return err
	}
	v.routeID, v.routeTS = r.RouteID, r.TS
	switch {
	case r.Path != nil:
		v.source = sourceAnnounced
		e.setPath(v, path, ReasonRouteChanged, ReasonAnnounced)
	case r.Destination != nil:
		v.source, v.dest = sourceDestination, *r.Destination
		if path != nil {
			e.setPath(v, path, ReasonRouteChanged, ReasonToDest)
		} else {
			// Routed from the first matched fix.
			e.dropPath(v, ReasonRouteChanged)
		}
	default:
		v.source = sourceRoad
		if v.hasFix && e.matchFix(v) {
			e.setPath(v, e.net.RoadAhead(v.pos, e.cfg.LookaheadM), ReasonRouteChanged, ReasonRoadAhead)
		} else {
			e.dropPath(v, ReasonRouteChanged)
			e.routeDecision(v, ReasonRoadAhead)
		}
	}
	if v.hasFix {
		e.evaluate(v, e.deadReckon(v), false)
	}
	return nil
}

// deadReckon is where the vehicle should be now along its path, from its
// last located position and smoothed speed; it never moves past the end
// of the path.
func (e *Engine) deadReckon(v *vehicle) float64 {
	if v.path == nil || !v.onPath || !v.speedKnown {
		return v.along
	}
	along := v.along + v.speed*e.nowI.sub(v.heardAt).Seconds()
	return math.Min(along, v.path.LengthM())
}

// checkJump refuses a fix at xy (accuracy its accuracy_m, 0 when not
// given; its ts sinceLast after v's last accepted fix's) that is farther
// from that fix than MaxSpeedMps allows in the time between them, plus
// the GPS slack.
func (e *Engine) checkJump(now time.Time, v *vehicle, sinceLast time.Duration, xy routing.XY, accuracy float64) error {
	slack := e.cfg.JumpSlackM
	if s := 3 * (accuracy + v.fix.AccuracyM); s > slack {
		slack = math.Min(s, 4*e.cfg.JumpSlackM)
	}
	dt := math.Max(0, sinceLast.Seconds())
	allowed := e.cfg.MaxSpeedMps*dt + slack
	dx, dy := xy.X-v.xy.X, xy.Y-v.xy.Y
	if dx*dx+dy*dy <= allowed*allowed {
		return nil
	}
	dist := math.Sqrt(dx*dx + dy*dy)
	return e.reject(now, v.id, ReasonImplausible, "", strconv.FormatFloat(dist, 'f', 0, 64)+" m from the last accepted fix in "+
		strconv.FormatFloat(dt, 'f', 1, 64)+" s of ts: faster than "+wire.FormatFloat(e.cfg.MaxSpeedMps)+" m/s (with "+
		strconv.FormatFloat(slack, 'f', 0, 64)+" m for GPS error)")
}

// locatedFix is a fix located on its vehicle's path before it was
// accepted (onRoad), kept for track so the fix is located once.
type locatedFix struct {
	v     *vehicle // nil: none pending
	along float64
	ok    bool
}

// onRoad reports whether a fix at xy is within MaxOffRoadM of a road.
// Usually the vehicle's own path shows it (the fix is located on it,
// and the result kept for track); otherwise the map's roads are searched.
// Locating moves the vehicle's cursor only when the fix is on its path,
// and then the fix is accepted: no check comes after this one.
func (e *Engine) onRoad(v *vehicle, xy routing.XY, accuracy float64) bool {
	e.located.v = nil
	if v != nil && v.path != nil {
		along, off, ok := v.cursor.Locate(xy, e.offPathToleranceFor(accuracy))
		e.located = locatedFix{v: v, along: along, ok: ok}
		if ok || off <= e.cfg.MaxOffRoadM {
			return true
		}
	}
	e.near = nearQuery{xy: xy}
	e.net.SearchSegments(xy, e.cfg.MaxOffRoadM, e.nearFn)
	return e.near.found
}

// nearQuery is the state of onRoad's search of the map's roads, kept in
// the engine so that the search's callback is made once (in New) and a
// fix allocates nothing.
type nearQuery struct {
	xy    routing.XY
	found bool
}

// nearSegment is the search's callback: it stops at the first road
// segment within MaxOffRoadM.
func (e *Engine) nearSegment(ref routing.SegmentRef) bool {
	g, _ := e.net.EdgeGeometry(ref.Edge)
	if segmentDist(e.near.xy, g[ref.Seg], g[ref.Seg+1]) <= e.cfg.MaxOffRoadM {
		e.near.found = true
		return false
	}
	return true
}

// segmentDist is the distance from p to the segment ab.
func segmentDist(p, a, b routing.XY) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, ((p.X-a.X)*dx+(p.Y-a.Y)*dy)/l2))
	}
	return math.Hypot(p.X-a.X-t*dx, p.Y-a.Y-t*dy)
}

// maxOffPathToleranceM caps the accuracy-scaled tolerance: wider, a road
// running alongside the path would pass for it.
const maxOffPathToleranceM = 100

// offPathTolerance is how far v's fix may lie from its path before v counts
// as having left it: OffPathToleranceM, widened to three times the fix's
// reported accuracy. A fix that says it is good to 25 m is 30 m off its
// road often enough that a fixed 30 m tolerance releases preempts as
// left_path on noise alone (the simulator's chaos scenario did).
func (e *Engine) offPathTolerance(v *vehicle) float64 { return e.offPathToleranceFor(v.fix.AccuracyM) }

// offPathToleranceFor is offPathTolerance for a fix of accuracy_m accuracy.
func (e *Engine) offPathToleranceFor(accuracy float64) float64 {
	tol := e.cfg.OffPathToleranceM
	if a := 3 * accuracy; a > tol && !math.IsNaN(a) {
		tol = math.Min(a, math.Max(maxOffPathToleranceM, e.cfg.OffPathToleranceM))
	}
	return tol
}
