package signals

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
	"time"

	"github.com/greenwave-project/greenwave/wire"
)

// Stage is one step of a fixed-time plan: the phases green together, and
// for how long. A stage with no phases is a pedestrian (all-vehicle-red)
// stage.
type Stage struct {
	Phases []int
	Green  time.Duration
}

// Plan is a fixed-time normal plan. Every stage's green is followed by the
// intersection's yellow and all red, so
// Cycle = Σ (Green + Yellow + AllRed). The cycle is referenced to the Unix
// epoch plus Offset: a stage's green starts at the same instant of every
// cycle on every unit, so units along a corridor whose offsets differ by the
// travel time between them form a coordinated background green wave —
// with no communication between them.
type Plan struct {
	Cycle  time.Duration
	Offset time.Duration // any value; taken modulo Cycle
	Stages []Stage
}

// MaxCycle bounds a plan's cycle. Real cycles are 40–180 s; the bound
// catches a unit mix-up (minutes for seconds) before it freezes a junction.
const MaxCycle = 10 * time.Minute

// NEMA dual-ring barrier groups: phases 1, 2, 5, 6 serve the main street
// and 3, 4, 7, 8 the side street. Phases on the same side of the barrier
// can be green together; phases across it conflict.
const (
	mainStreetMask = 1<<0 | 1<<1 | 1<<4 | 1<<5 // phases 1, 2, 5, 6 (phase p is bit p-1)
	sideStreetMask = 1<<2 | 1<<3 | 1<<6 | 1<<7 // phases 3, 4, 7, 8
)

// DefaultPlan builds a fixed-time plan for an intersection whose approaches
// use phases. Phases are grouped by NEMA barrier (1,2,5,6 one stage; 3,4,7,8
// another; any other number a stage of its own, in ascending order). When
// only one group exists, an extra stage with no vehicle phase (pedestrians
// cross) is added so the signal still cycles instead of resting in green.
// The green time left after every stage's yellow and all red is split:
// mainShare to the main-street (1,2,5,6) stage and the rest equally among
// the others; without a main-street group every stage gets an equal share. Every green must come out at least t.MinGreen. Offset is 0;
// set it for coordination.
func DefaultPlan(phases []int, cycle time.Duration, mainShare float64, t Timing) (Plan, error) {
	if err := t.Validate(); err != nil {
		return Plan{}, err
	}
	if len(phases) == 0 {
		return Plan{}, errors.New("signals: default plan: no phases")
	}
	if !(mainShare > 0 && mainShare < 1) {
		return Plan{}, errors.New("signals: default plan: main share must be in (0, 1), got " + strconv.FormatFloat(mainShare, 'g', -1, 64))
	}
	if cycle <= 0 || cycle > MaxCycle {
		return Plan{}, errors.New("signals: default plan: cycle must be in (0, " + MaxCycle.String() + "], got " + cycle.String())
	}
	masks, err := stageMasks(phases)
	if err != nil {
		return Plan{}, err
	}
	hasMain := masks[0]&mainStreetMask != 0
	n := len(masks)
	green := cycle - time.Duration(n)*t.Clearance()
	if green < time.Duration(n)*t.MinGreen {
		return Plan{}, errors.New("signals: default plan: cycle " + cycle.String() + " too short for " +
			strconv.Itoa(n) + " stages of min green " + t.MinGreen.String() + " plus clearance " + t.Clearance().String())
	}
	greens := make([]time.Duration, n)
	if hasMain {
		// Stage 0 takes the remainder so that the greens sum to the cycle exactly.
		other := time.Duration(float64(green) * (1 - mainShare) / float64(n-1))
		for i := 1; i < n; i++ {
			greens[i] = other
		}
		greens[0] = green - time.Duration(n-1)*other
	} else {
		each := green / time.Duration(n)
		for i := range greens {
			greens[i] = each
		}
		greens[0] += green - each*time.Duration(n)
	}
	plan := Plan{Cycle: cycle, Stages: make([]Stage, n)}
	for i, m := range masks {
		if greens[i] < t.MinGreen {
			return Plan{}, errors.New("signals: default plan: stage " + strconv.Itoa(i) + " green " + greens[i].String() +
				" below min green " + t.MinGreen.String() + "; adjust main share or cycle")
		}
		plan.Stages[i] = Stage{Phases: maskPhases(m), Green: greens[i]}
	}
	return plan, nil
}

// stageMasks groups phases into the stages DefaultPlan gives them: by NEMA
// barrier (1, 2, 5, 6 one stage; 3, 4, 7, 8 another; any other number a
// stage of its own, ascending), with a pedestrian stage (no vehicle phase)
// added when only one group exists.
func stageMasks(phases []int) ([]uint16, error) {
	var set uint16
	for _, p := range phases {
		if !wire.ValidPhase(p) {
			return nil, errors.New("signals: default plan: phase must be in 1..16, got " + strconv.Itoa(p))
		}
		set |= wire.PhaseBit(p)
	}
	var masks []uint16
	if set&mainStreetMask != 0 {
		masks = append(masks, set&mainStreetMask)
	}
	if set&sideStreetMask != 0 {
		masks = append(masks, set&sideStreetMask)
	}
	for p := 9; p <= wire.MaxPhase; p++ {
		if set&wire.PhaseBit(p) != 0 {
			masks = append(masks, wire.PhaseBit(p))
		}
	}
	if len(masks) == 1 {
		masks = append(masks, 0) // pedestrian stage
	}
	return masks, nil
}

// Compatibility is, for each phase p of phases, the set of phases (bit q-1
// for phase q, see wire.PhaseBit) that may be green together with p in the
// plan DefaultPlan gives them: the same stage. The controller arbitrates
// with it, so it ranks requests exactly as the roadside serves them. Phases
// outside 1..16 are ignored; every other phase conflicts with them.
func Compatibility(phases []int) [wire.MaxPhase + 1]uint16 {
	var compat [wire.MaxPhase + 1]uint16
	var valid []int
	for _, p := range phases {
		if wire.ValidPhase(p) {
			valid = append(valid, p)
		}
	}
	masks, err := stageMasks(valid)
	if err != nil || len(valid) == 0 {
		return compat
	}
	for _, m := range masks {
		for _, p := range valid {
			if m&wire.PhaseBit(p) != 0 {
				compat[p] |= m
			}
		}
	}
	return compat
}

// NormalPlan builds an intersection's fixed-time plan with DefaultPlan for
// the given cycle and main-street share. A junction with more stages than
// that cycle can hold at their minimum greens gets the shortest longer
// cycle, in 10 s steps, that can: a traffic engineer would time such a
// junction on its own.
func NormalPlan(phases []int, t Timing, cycle time.Duration, mainShare float64) (Plan, error) {
	var lastErr error
	for c := cycle; c <= MaxCycle; c += 10 * time.Second {
		plan, err := DefaultPlan(phases, c, mainShare, t)
		if err == nil {
			return plan, nil
		}
		lastErr = err
	}
	return Plan{}, lastErr
}

// Validate checks the plan against t: at least two stages (a one-stage
// plan would clear a green only to bring the same green back), phases in
// 1..16 and not repeated within a stage, every green at least min green,
// and Cycle equal to the sum of greens and clearances.
func (p Plan) Validate(t Timing) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if len(p.Stages) < 2 {
		return errors.New("signals: plan needs at least two stages, got " + strconv.Itoa(len(p.Stages)))
	}
	var sum time.Duration
	for i, s := range p.Stages {
		var seen uint16
		for _, ph := range s.Phases {
			if ph < wire.MinPhase || ph > wire.MaxPhase {
				return errors.New("signals: plan stage " + strconv.Itoa(i) + ": phase must be in 1..16, got " + strconv.Itoa(ph))
			}
			if seen&wire.PhaseBit(ph) != 0 {
				return errors.New("signals: plan stage " + strconv.Itoa(i) + ": phase " + strconv.Itoa(ph) + " listed twice")
			}
			seen |= wire.PhaseBit(ph)
		}
		if s.Green < t.MinGreen {
			return errors.New("signals: plan stage " + strconv.Itoa(i) + ": green " + s.Green.String() + " below min green " + t.MinGreen.String())
		}
		sum += s.Green + t.Clearance()
	}
	if p.Cycle <= 0 || p.Cycle > MaxCycle {
		return errors.New("signals: plan cycle must be in (0, " + MaxCycle.String() + "], got " + p.Cycle.String())
	}
	if sum != p.Cycle {
		return errors.New("signals: plan cycle " + p.Cycle.String() + " differs from the sum of greens and clearances " + sum.String())
	}
	return nil
}

// Conflicts reports whether phases p and q may not be green together: no
// stage of the plan greens both. A phase no stage serves conflicts with
// everything.
func (p Plan) Conflicts(a, b int) bool {
	for _, s := range p.Stages {
		var hasA, hasB bool
		for _, ph := range s.Phases {
			hasA = hasA || ph == a
			hasB = hasB || ph == b
		}
		if hasA && hasB {
			return false
		}
	}
	return true
}

// StageOf returns the index of the first stage that greens phase, or -1.
func (p Plan) StageOf(phase int) int {
	for i, s := range p.Stages {
		for _, ph := range s.Phases {
			if ph == phase {
				return i
			}
		}
	}
	return -1
}

// Phases returns every phase the plan serves, ascending.
func (p Plan) Phases() []int {
	var set uint16
	for _, s := range p.Stages {
		for _, ph := range s.Phases {
			if ph >= wire.MinPhase && ph <= wire.MaxPhase {
				set |= wire.PhaseBit(ph)
			}
		}
	}
	return maskPhases(set)
}

// position returns where in its cycle the plan is at time at: the offset
// into the cycle, in [0, Cycle). It is exact for every representable time
// (no UnixNano overflow), which matters because times come from outside.
func (p Plan) position(at time.Time) time.Duration {
	c := uint64(p.Cycle)
	sec := at.Unix()
	m := sec % int64(c)
	if m < 0 {
		m += int64(c)
	}
	hi, lo := bits.Mul64(uint64(m), uint64(time.Second))
	r := bits.Rem64(hi, lo, c)
	r = (r + uint64(at.Nanosecond())) % c
	off := int64(p.Offset) % int64(c)
	if off < 0 {
		off += int64(c)
	}
	pos := int64(r) - off
	if pos < 0 {
		pos += int64(c)
	}
	return time.Duration(pos)
}

// maskPhases lists the phases of a bit set, ascending.
func maskPhases(m uint16) []int {
	out := make([]int, 0, bits.OnesCount16(m))
	for p := wire.MinPhase; p <= wire.MaxPhase; p++ {
		if m&wire.PhaseBit(p) != 0 {
			out = append(out, p)
		}
	}
	return out
}

// stageMask is the bit set of a stage's phases.
func stageMask(s Stage) uint16 {
	var m uint16
	for _, ph := range s.Phases {
		if ph >= wire.MinPhase && ph <= wire.MaxPhase {
			m |= wire.PhaseBit(ph)
		}
	}
	return m
}

// Wire returns the plan as a status reports it (wire.SignalPlan).
func (p Plan) Wire() *wire.SignalPlan {
	sp := &wire.SignalPlan{CycleS: p.Cycle.Seconds(), OffsetS: mod(p.Offset, p.Cycle).Seconds()}
	for _, s := range p.Stages {
		sp.Stages = append(sp.Stages, wire.PlanStage{Phases: append([]int{}, s.Phases...), GreenS: s.Green.Seconds()})
	}
	return sp
}

// PlanFromWire rebuilds a plan a unit reported, for an intersection timed
// by t. Greens are rounded to the millisecond; the cycle must equal the
// greens and clearances within 10 ms (the last green takes the
// difference), and the result must satisfy Plan.Validate.
func PlanFromWire(sp *wire.SignalPlan, t Timing) (Plan, error) {
	if err := sp.Validate("plan"); err != nil {
		return Plan{}, err
	}
	ms := func(s float64) time.Duration { return time.Duration(math.Round(s*1000)) * time.Millisecond }
	p := Plan{Cycle: ms(sp.CycleS), Offset: ms(sp.OffsetS), Stages: make([]Stage, len(sp.Stages))}
	var sum time.Duration
	for i, s := range sp.Stages {
		p.Stages[i] = Stage{Phases: append([]int(nil), s.Phases...), Green: ms(s.GreenS)}
		sum += p.Stages[i].Green + t.Clearance()
	}
	if d := p.Cycle - sum; d != 0 {
		if d < -10*time.Millisecond || d > 10*time.Millisecond {
			return Plan{}, wire.Invalid("plan.cycle_s", "the greens and this intersection's clearances add up to "+sum.String()+", not "+p.Cycle.String())
		}
		p.Stages[len(p.Stages)-1].Green += d
	}
	if err := p.Validate(t); err != nil {
		return Plan{}, wire.Invalid("plan", err.Error())
	}
	return p, nil
}
