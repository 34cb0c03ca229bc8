package sim

import (
	"time"

	"github.com/greenwave-project/greenwave/controller"
)

// controllerID is the simulated controller's id in every command.
const controllerID = "sim"

// newEngine builds the real decision engine for a strategy: the policy is
// the only thing that differs between range and greenwave; every other
// setting is the engine's default unless the scenario's controller section
// overrides it, so the simulation shows what the street would get.
// Vehicles' priorities come from the scenario.
func newEngine(w *world, strategy string) (*controller.Engine, error) {
	policy, err := controller.ParsePolicy(strategy)
	if err != nil {
		return nil, err
	}
	cfg := controller.Config{ControllerID: controllerID, Policy: policy, Priorities: map[string]int{}}
	c := w.sc.Controller
	cfg.RangeM = c.RangeM
	cfg.Margin = Seconds(c.MarginS)
	cfg.DefaultQueueFlush = Seconds(c.DefaultQueueFlushS)
	cfg.Lease = Seconds(c.LeaseS)
	cfg.RefreshPeriod = Seconds(c.RefreshS)
	cfg.SilenceGrace = Seconds(c.SilenceGraceS)
	cfg.OffPathToleranceM = c.OffPathToleranceM
	cfg.PassedMarginM = c.PassedMarginM
	cfg.Price = c.Price
	cfg.StartupLost = Seconds(w.sc.Traffic.StartupLostS)
	for _, t := range w.trips {
		cfg.Priorities[t.id] = t.priority
	}
	return controller.New(cfg, w.net)
}

// toEngine hands an input to the engine. A refused input (a duplicate or
// late fix, say) is the engine doing its job, not a simulator error; it is
// counted.
func (r *run) toEngine(in controller.Input) {
	if err := r.eng.Step(r.at(r.q.Now()), in); err != nil {
		r.engineRejects++
	}
	r.drainEngine()
}

// drainEngine sends the engine's commands down the command link and keeps
// one tick scheduled at its NextWakeup.
func (r *run) drainEngine() {
	now := r.q.Now()
	rd := r.eng.Ready()
	wake := rd.NextWakeup
	for _, d := range rd.Decisions {
		if d.Kind == controller.DecisionRelease || d.Kind == controller.DecisionDeny {
			r.decisionCounts[d.Kind.String()+" "+d.Reason.String()]++
		}
		if r.onDecision != nil {
			r.onDecision(d)
		}
	}
	for _, c := range rd.Commands {
		ui, ok := r.w.net.IntersectionByID(c.IntersectionID)
		if !ok {
			r.refusedCmds++
			continue
		}
		u := &r.units[ui]
		lat := Seconds(r.w.sc.Network.CommandLatencyS + r.netRNG.Float64()*r.w.sc.Network.CommandJitterS)
		u.cmdLink = max(u.cmdLink, now+lat)
		r.schedule(u.cmdLink, evCommandArrive, ui, r.commands.Put(c))
	}
	if wake.IsZero() {
		return
	}
	at := wake.Sub(r.w.epoch)
	if at <= now {
		// Due already: tick at once, but strictly later than a tick at this
		// very instant so an engine that keeps asking cannot stall the clock.
		at = now + time.Millisecond
	}
	if r.engineWakeAt >= 0 && r.engineWakeAt <= at {
		return
	}
	r.engineGen++
	r.engineWakeAt = at
	r.schedule(at, evEngineTick, 0, r.engineGen)
}
