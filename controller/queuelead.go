package controller

import (
	"time"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// The queue-aware lead (Config.QueueAwareLead, off by default). The
// worst-case rule's lead time has a fixed queue
// flush (the approach's queue_flush_s, else DefaultQueueFlush): what a
// typical queue takes to clear once its green comes. But the queue in
// front of the vehicle is what the red left there: an approach red for a
// minute holds a minute's arrivals. Measured in SUMO (Luxembourg), a
// vehicle requested with the fixed flush met the tail of such a queue
// still discharging at the stop line.
//
// So where a roadside's statuses say when the vehicle's phase turned red
// (the status in which it left green_phases), the flush is estimated from
// the red time and the approach's flow, with the fluid queue model of
// signals.Queue: vehicles arrive at the flow q all through the red, which
// lasts until the request's worst-case entry greens the phase; once green,
// the queue starts after the start-up lost time and empties at the
// saturation flow s while still growing at q:
//
//	flush = lost + q·red / (s − q)
//
// The larger of that and the fixed flush is used, up to queueLeadMaxS.
// Measured (docs/sumo.md), it did not pay: in SUMO the roadside units
// serve the vehicle's approach alone, which clears its queue (turners
// included) well within the fixed lead, and the longer leads only held the
// junctions longer; in sim it lengthened holds and cross-traffic delay.
// It stays, off, for maps whose flows describe their approaches better.
// Flows are the map's flow_veh_h and sat_flow_veh_h (the largest ratio
// among the approaches of the phase; DefaultSatFlowVehH where the map
// gives a flow but no saturation flow). Only approaches whose flow the map
// gives are estimated: with the default flow, the same for every approach,
// the estimate says nothing about the approach, and measured in SUMO it
// only lengthened holds (docs/sumo.md). A phase green now, or whose red
// start is unknown, keeps the fixed flush.
// The roadside's report is the estimate's only input from outside: no
// wire field is added (docs/protocol-notes.md).

// queueLeadMaxS caps the estimated flush: beyond a minute and a half of
// red the model says more about the approach's capacity than about the
// queue, and a longer lead only holds the junction longer.
const queueLeadMaxS = 30.0

// queueLeadRatioMax caps q/(s−q) for an approach whose flow is at or above
// its saturation flow (an oversaturated approach never empties; the cap
// keeps the estimate finite).
const queueLeadRatioMax = 2.0

// redClock is what the engine knows of when each phase of an intersection
// turned red, from the roadside's statuses.
type redClock struct {
	green uint16 // phases green in the last status
	known uint16 // red phases whose red start is known
	since [wire.MaxPhase + 1]time.Time
}

// observe takes a valid status: phases that left green_phases turned red
// at its ts; phases green are not red.
func (rc *redClock) observe(s *wire.Status) {
	var mask uint16
	for _, p := range s.GreenPhases {
		mask |= wire.PhaseBit(p)
	}
	ended := rc.green &^ mask
	for p := wire.MinPhase; p <= wire.MaxPhase; p++ {
		if ended&wire.PhaseBit(p) != 0 {
			rc.since[p] = s.TS
		}
	}
	rc.known = (rc.known | ended) &^ mask
	rc.green = mask
}

// queueRatios is, for each phase of an intersection, q/(s−q) of its
// approaches whose flow the map gives (the largest); 0 where it gives none.
func queueRatios(in *routing.Intersection, cfg *Config) [wire.MaxPhase + 1]float32 {
	var r [wire.MaxPhase + 1]float32
	for _, a := range in.Approaches {
		if a.Phase < wire.MinPhase || a.Phase > wire.MaxPhase || !(a.FlowVehH > 0) {
			continue
		}
		q, s := a.FlowVehH, positiveOr(a.SatFlowVehH, cfg.DefaultSatFlowVehH)
		ratio := queueLeadRatioMax
		if s > q {
			ratio = min(q/(s-q), queueLeadRatioMax)
		}
		r[a.Phase] = max(r[a.Phase], float32(ratio))
	}
	return r
}

// queueLeadEstimateS is the queue flush to allow for at signal s of a
// path: flush (the fixed one), or the estimate from its phase's red time
// if larger. greenWave.want calls it only with the option on.
func (e *Engine) queueLeadEstimateS(is *intersectionState, s *routing.PathSignal, flush float64) float64 {
	bit := wire.PhaseBit(s.Phase)
	if s.Phase < wire.MinPhase || s.Phase > wire.MaxPhase || is.queueRatio[s.Phase] == 0 || is.red.known&bit == 0 {
		return flush
	}
	entryS := is.leadBaseS - e.cfg.Margin.Seconds()
	redS := e.now.Sub(is.red.since[s.Phase]).Seconds() + entryS
	est := e.cfg.StartupLost.Seconds() + float64(is.queueRatio[s.Phase])*redS
	return max(flush, min(est, queueLeadMaxS))
}
