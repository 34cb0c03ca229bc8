package wire

import (
	"strconv"
)

// SignalPlan is a roadside unit's coordinated fixed-time plan, as a status
// may report it (an optional addition to protocol v1): the cycle, its
// offset and the stages in order, each with the phases it greens and for
// how long. Every stage's green is followed by the intersection's yellow
// and all red, so the cycle is the sum of the greens and those clearances.
// Cycle positions count from the Unix epoch plus the offset: a stage
// starts at the same instant of every cycle, which is how units along a
// corridor stay coordinated without talking to each other. A controller
// that knows a unit's plan can forecast its greens, and what a preempt
// would cost the other approaches, instead of assuming the worst.
type SignalPlan struct {
	CycleS  float64     `json:"cycle_s"`
	OffsetS float64     `json:"offset_s"`
	Stages  []PlanStage `json:"stages"`
}

// PlanStage is one stage of a SignalPlan. A stage with no phases is a
// pedestrian stage (every vehicle phase red).
type PlanStage struct {
	Phases []int   `json:"phases"`
	GreenS float64 `json:"green_s"`
}

// MaxPlanCycleS bounds SignalPlan.CycleS (real cycles are 40–180 s).
const MaxPlanCycleS = 600

// MaxPlanStages bounds the stages of a SignalPlan.
const MaxPlanStages = 16

// Validate checks the plan's shape; the error is a *FieldError named
// within field (e.g. "plan.stages[1].green_s").
func (p *SignalPlan) Validate(field string) error {
	if !finite(p.CycleS) || p.CycleS <= 0 || p.CycleS > MaxPlanCycleS {
		return Invalid(field+".cycle_s", "must be in (0, "+strconv.Itoa(MaxPlanCycleS)+"], got "+FormatFloat(p.CycleS))
	}
	if !finite(p.OffsetS) || p.OffsetS < 0 || p.OffsetS >= p.CycleS {
		return Invalid(field+".offset_s", "must be in [0, cycle_s), got "+FormatFloat(p.OffsetS))
	}
	if len(p.Stages) < 2 || len(p.Stages) > MaxPlanStages {
		return Invalid(field+".stages", "must have 2 to "+strconv.Itoa(MaxPlanStages)+" stages, got "+strconv.Itoa(len(p.Stages)))
	}
	var sum float64
	for i, s := range p.Stages {
		f := field + ".stages[" + strconv.Itoa(i) + "]"
		if !finite(s.GreenS) || s.GreenS <= 0 {
			return Invalid(f+".green_s", "must be a positive number of seconds, got "+FormatFloat(s.GreenS))
		}
		sum += s.GreenS
		var seen uint16
		for j, ph := range s.Phases {
			if !ValidPhase(ph) {
				return Invalid(f+".phases["+strconv.Itoa(j)+"]", "must be in 1..16, got "+strconv.Itoa(ph))
			}
			if seen&PhaseBit(ph) != 0 {
				return Invalid(f+".phases["+strconv.Itoa(j)+"]", "phase "+strconv.Itoa(ph)+" listed twice")
			}
			seen |= PhaseBit(ph)
		}
	}
	if sum >= p.CycleS {
		return Invalid(field+".stages", "greens sum to "+FormatFloat(sum)+" s, leaving no clearance in a "+FormatFloat(p.CycleS)+" s cycle")
	}
	return nil
}
