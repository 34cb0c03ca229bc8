package demo

import (
	"context"
	"math"
	"time"

	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/sim"
	"github.com/greenwave-project/greenwave/wire"
)

// fixPeriod is the ambulances' GPS rate, the usual 1 Hz.
const fixPeriod = time.Second

// kin is the simulator's emergency-vehicle model, so that the live trip and
// the preemption-off trip the simulator computes drive alike.
var kin = sim.DefaultKinematics()

// desiredSpeed is the road's free-flow speed at along, times the factor.
func desiredSpeed(p *routing.Path, along float64) float64 {
	const probe = 5.0
	a := math.Min(along, p.LengthM()-probe)
	if t := p.FreeFlowTimeS(a, a+probe); t > 0 {
		return kin.SpeedFactor * probe / t
	}
	return kin.SpeedFactor * routing.DefaultSpeedMps
}

// drive runs one ambulance: announces its route (retained), then moves
// along it with the model above on the shared clock, stopping at signals
// that do not show its phase green, publishing a fix every second. At the
// destination it turns its lights off and clears its route.
func drive(ctx context.Context, c *mqttx.Client, topics mqttx.Topics, clk clock.Clock, net *routing.Network,
	tr *trip, w *watcher, p *printer) (VehicleResult, error) {
	res := VehicleResult{ID: tr.id, From: tr.from.ID, To: tr.to.ID, LengthM: tr.path.LengthM(), Signals: len(tr.path.Signals())}
	timer := clk.NewTimer(tr.depart.Sub(clk.Now()))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-timer.C():
	}
	proj := net.Projection()
	route := wire.Route{VehicleID: tr.id, RouteID: tr.id + "-r1", TS: clk.Now(), Path: tr.path.LonLats()}
	if err := c.Publish(ctx, mqttx.Message{Topic: topics.Route(tr.id), Payload: mustJSON(route), QoS: 1, Retained: true}); err != nil {
		return res, err
	}
	defer func() {
		// Clear the retained route so that a shared broker does not keep it.
		_ = c.Publish(context.Background(), mqttx.Message{Topic: topics.Route(tr.id), QoS: 1, Retained: true})
	}()
	p.event("%-6s departs %s for %s: %.1f km, %d signals", tr.id, tr.from.ID, tr.to.ID, tr.path.LengthM()/1000, len(tr.path.Signals()))

	sigs := tr.path.Signals()
	braked := make([]bool, len(sigs))
	next := 0
	var along, v float64
	var seq uint64
	moving := false
	simT := tr.depart
	nextFix := tr.depart
	publish := func(at time.Time, emergency bool) error {
		seq++
		xy, bearing := tr.path.PointAt(along)
		ll := proj.ToLonLat(xy)
		heading := math.Mod(bearing+360, 360)
		pos := wire.Position{VehicleID: tr.id, Seq: seq, TS: at, Lat: ll[1], Lon: ll[0],
			SpeedMps: new(v), HeadingDeg: new(heading), AccuracyM: new(3.0), Emergency: emergency}
		return c.Publish(ctx, mqttx.Message{Topic: topics.Position(tr.id), Payload: mustJSON(pos), QoS: 1})
	}
	step := time.Duration(kin.StepS * float64(time.Second))
	timer.Reset(0)
	for {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-timer.C():
		}
		now := clk.Now()
		for !simT.Add(step).After(now) {
			simT = simT.Add(step)
			target := math.Inf(1)
			if next < len(sigs) {
				s := sigs[next]
				gap := s.AlongM - along
				if !w.green(s.ID, s.Phase) && (braked[next] || kin.StoppingDistance(v) < gap) {
					braked[next] = true
					target = math.Max(along, s.AlongM-1)
				}
			}
			end := tr.path.LengthM()
			target = math.Min(target, end)
			along, v = kin.Next(along, v, desiredSpeed(tr.path, along), target)
			if v > 3 {
				moving = true
			}
			if moving && v < 0.5 && along < end-sim.SnapM {
				res.Stops++
				moving = false
				if next < len(sigs) {
					p.event("%-6s stops at a red at %s", tr.id, sigs[next].ID)
				}
			}
			for next < len(sigs) && along >= sigs[next].AlongM {
				if braked[next] {
					p.event("%-6s through %s after braking for it", tr.id, sigs[next].ID)
				} else {
					res.GreenArrivals++
					p.event("%-6s through %s on green", tr.id, sigs[next].ID)
				}
				next++
			}
			if !simT.Before(nextFix) {
				nextFix = nextFix.Add(fixPeriod)
				if err := publish(simT, true); err != nil && ctx.Err() != nil {
					return res, ctx.Err()
				}
			}
			if along >= end-sim.SnapM && v == 0 {
				res.TravelS = simT.Sub(tr.depart).Seconds()
				// Lights off: whatever it still holds is released.
				_ = publish(simT, false)
				p.event("%-6s arrives at %s after %s", tr.id, tr.to.ID, dur(res.TravelS))
				return res, nil
			}
		}
		timer.Reset(simT.Add(step).Sub(clk.Now()))
	}
}
