package sim

import (
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
	cfg.Margin = seconds(c.MarginS)
	cfg.DefaultQueueFlush = seconds(c.DefaultQueueFlushS)
	cfg.Lease = seconds(c.LeaseS)
	cfg.RefreshPeriod = seconds(c.RefreshS)
	cfg.SilenceGrace = seconds(c.SilenceGraceS)
	cfg.OffPathToleranceM = c.OffPathToleranceM
	cfg.PassedMarginM = c.PassedMarginM
	for _, t := range w.trips {
		cfg.Priorities[t.id] = t.priority
	}
	return controller.New(cfg, w.net)
}
