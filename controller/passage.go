package controller

import (
	"hash/fnv"
	"math"
	"strconv"
	"time"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// passageState is where one vehicle's passage through one intersection
// stands.
type passageState uint8

const (
	statePlanned   passageState = iota // on the path, not requested
	stateRequested                     // a preempt is live, no hold reported
	stateGranted                       // a preempt is live and the roadside holds its phase
	stateDenied                        // wanted, refused: no command; waits for the intersection
	stateReleased                      // let go before the vehicle passed
)

var stateNames = [...]string{wire.SignalPlanned, wire.SignalRequested, wire.SignalGranted, wire.SignalDenied, wire.SignalReleased}

func (s passageState) live() bool { return s == stateRequested || s == stateGranted }

// passage is one vehicle's passage through one intersection on its path:
// the unit a request_id names.
type passage struct {
	v           *vehicle
	inter       int32
	approach    string
	phase       int
	alongM      float64 // stop line, along the vehicle's current path
	sig         int     // its index in the path's Signals(): an ETA to it need not search the path
	queueFlushS float64 // the approach's, 0 for the default
	state       passageState
	final       bool   // released at max hold: not requested again before the vehicle passes
	wants       bool   // the policy wanted it at the last evaluation
	listed      bool   // in the intersection's passages
	why         Reason // what the policy asked for (planner.go): recorded with the request

	requestID string
	// holdUntil: when the hold reaches the intersection's limit, counted
	// from the first preempt of this request_id; no expires_at goes past
	// it. Kept rather than derived from the first preempt's time: every
	// fix checks it, and deriving it reads the intersection's state.
	holdUntil instant
	refreshAt instant // when the last preempt sent is due for a refresh

	// At the last evaluation:
	arriveAt instant // absolute ETA, comparable between vehicles
	distM    float64
	leadS    float64
}

// first returns the index of the first signal of v's path not yet passed
// by PassedMarginM at along.
func (e *Engine) firstAhead(v *vehicle, along float64) int {
	sigs := v.path.Signals()
	i := v.cursor.NextSignal()
	for i > 0 && sigs[i-1].AlongM+e.cfg.PassedMarginM >= along {
		i--
	}
	for i < len(sigs) && sigs[i].AlongM+e.cfg.PassedMarginM < along {
		i++
	}
	return i
}

func (v *vehicle) speedForETA() float64 {
	if v.speedKnown {
		return v.speed
	}
	return math.NaN()
}

// estimate refreshes p's ETA, distance and lead time from along, the
// position of origin.
func (e *Engine) estimate(p *passage, along float64, origin *routing.ETAOrigin) {
	eta := origin.ToSignal(p.sig)
	p.arriveAt = e.nowI.add(time.Duration(clampETA(eta.S) * float64(time.Second)))
	p.distM = math.Max(0, p.alongM-along)
	p.leadS = e.inters[p.inter].leadBaseS + e.queueFlushS(p.queueFlushS)
}

// estimateNow is estimate from p's vehicle's dead-reckoned position now.
func (e *Engine) estimateNow(p *passage) {
	along := e.deadReckon(p.v)
	origin := e.etaOrigin(p.v, along)
	e.estimate(p, along, &origin)
}

// etaOrigin is the origin of v's estimates from along at its current
// speed. The last one made is kept: a fix's advisory estimates from where
// its evaluation did, and an ETA depends only on the path, the position
// and the speed, so reusing it when all three match changes nothing.
func (e *Engine) etaOrigin(v *vehicle, along float64) routing.ETAOrigin {
	speed := v.speedForETA()
	o := &e.lastOrigin
	if o.Path() != v.path || o.FromAlong() != along || o.SpeedMps() != speed {
		*o = v.cursor.ETAOrigin(along, speed)
	}
	return *o
}

func clampETA(s float64) float64 {
	if !(s > 0) {
		return 0
	}
	return math.Min(s, wire.MaxEtaSeconds)
}

func (v *vehicle) passageAt(s *routing.PathSignal) *passage {
	for _, p := range v.passages {
		if p.inter == s.Intersection && p.alongM == s.AlongM {
			return p
		}
	}
	return nil
}

// newPassage starts v's passage through signal i of its path.
func (e *Engine) newPassage(v *vehicle, i int) *passage {
	s := &v.path.Signals()[i]
	var p *passage
	if n := len(e.spare); n > 0 {
		p = e.spare[n-1]
		e.spare[n-1] = nil
		e.spare = e.spare[:n-1]
	} else {
		p = new(passage)
	}
	*p = passage{v: v, inter: s.Intersection, approach: s.Approach, phase: s.Phase, alongM: s.AlongM, sig: i, queueFlushS: s.QueueFlushS}
	v.passages = append(v.passages, p)
	return p
}

// freePassage takes p off its intersection's list and keeps it for reuse;
// the caller removes it from its vehicle's passages.
func (e *Engine) freePassage(p *passage) {
	e.unlist(p)
	*p = passage{}
	e.spare = append(e.spare, p)
}

func (e *Engine) list(p *passage) {
	if !p.listed {
		is := &e.inters[p.inter]
		is.passages = append(is.passages, p)
		p.listed = true
	}
}

func (e *Engine) unlist(p *passage) {
	if !p.listed {
		return
	}
	is := &e.inters[p.inter]
	for i, q := range is.passages {
		if q == p {
			copy(is.passages[i:], is.passages[i+1:])
			is.passages[len(is.passages)-1] = nil
			is.passages = is.passages[:len(is.passages)-1]
			break
		}
	}
	p.listed = false
}

// requestID names a vehicle's passage through an intersection:
// "{vehicle_id}.{intersection_id}.{n}", n counting the passages requested
// at that intersection (by any vehicle) since the engine started. A count
// per intersection rather than per vehicle keeps ids unique even for a
// vehicle that was forgotten and comes back: a roadside unit refuses a
// refreshed id whose hold it capped, so an id must never be reused for a
// new passage. Identifiers are at most 64
// characters, so when that is longer, the two ids are replaced by as much
// of the vehicle id as fits and a hash of both, which keeps the id unique
// and stable for the passage.
func requestID(vehicleID, intersectionID string, n uint32) string {
	num := strconv.FormatUint(uint64(n), 10)
	id := vehicleID + "." + intersectionID + "." + num
	if len(id) <= 64 {
		return id
	}
	h := fnv.New64a()
	h.Write([]byte(vehicleID))
	h.Write([]byte{0})
	h.Write([]byte(intersectionID))
	sum := strconv.FormatUint(h.Sum64(), 36)
	keep := 64 - len(sum) - len(num) - 2
	return vehicleID[:min(keep, len(vehicleID))] + "." + sum + "." + num
}
