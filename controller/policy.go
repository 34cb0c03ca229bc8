package controller

import (
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// Policy names how the engine decides when to request a preempt.
type Policy string

// The policies.
const (
	// PolicyGreenWave requests each signal just in time: when the
	// vehicle's earliest plausible arrival at the stop line falls within
	// the lead time the intersection needs to bring up its phase and
	// flush the queue in front of the vehicle.
	PolicyGreenWave Policy = "greenwave"
	// PolicyRange is the conventional baseline (optical and radio
	// preemption as deployed): request when the vehicle is within
	// RangeM of an intersection on the road ahead, whatever its speed.
	PolicyRange Policy = "range"
)

// Policies lists every policy, the conventional baseline first as reports
// show them: the one list that flags, scenarios and reports take their
// choices from. PolicyGreenWave is the default.
func Policies() []Policy { return []Policy{PolicyRange, PolicyGreenWave} }

// PolicyNames is Policies as strings, for flags and help texts.
func PolicyNames() []string {
	var names []string
	for _, p := range Policies() {
		names = append(names, string(p))
	}
	return names
}

// ParsePolicy returns the policy named s, or an error listing the policies.
func ParsePolicy(s string) (Policy, error) {
	if p := Policy(s); p.valid() {
		return p, nil
	}
	return "", errors.New("unknown policy " + wire.Quote(s, 40) + " (want one of " + policyList() + ")")
}

func (p Policy) valid() bool { return slices.Contains(Policies(), p) }

func policyList() string { return strings.Join(PolicyNames(), ", ") }

// trigger is a policy as the engine runs it, chosen once in New (as raft
// sets its step function by role), so no fix asks which policy is in force.
type trigger interface {
	// want reports whether signal i of v's path, dist metres ahead and
	// estimated from origin, should be requested now; if not, untilS is
	// in how many seconds it would at the current pace (+Inf: never), and
	// beyond whether every signal further along is out of reach too; why
	// is the reason a request records (0: none in particular).
	want(e *Engine, v *vehicle, i int, dist float64, origin *routing.ETAOrigin) (want, beyond bool, untilS float64, why Reason)
	// prepare runs once per evaluation of an emergency vehicle on its
	// path, before want is asked about its signals.
	prepare(e *Engine, v *vehicle, along float64, origin *routing.ETAOrigin)
	// maxHold is the longest a hold may last at an intersection whose
	// max_preempt_s is maxPreempt, counted from the first request.
	maxHold(maxPreempt time.Duration) time.Duration
}

func newTrigger(cfg Config) trigger {
	if cfg.Policy == PolicyRange {
		return rangeTrigger{rangeM: cfg.RangeM, timeout: cfg.RangeTimeout}
	}
	return greenWave{}
}

// evaluate applies the policy to v at along (its located position when
// located, else a dead-reckoned one, which never counts as passing a stop
// line): releases what it has passed, keeps live preempts alive, and
// requests the signals whose lead time has come.
func (e *Engine) evaluate(v *vehicle, along float64, located bool) {
	v.nextCross = never
	if v.path == nil || !v.onPath || e.isSilent(v) {
		return // silence is handled (released) by tickVehicle
	}
	// Every estimate of this evaluation starts from the same position.
	origin := e.etaOrigin(v, along)
	kept := v.passages[:0]
	for _, p := range v.passages {
		if located && along > p.alongM+e.cfg.PassedMarginM && !e.shortOfCorner(v, p.alongM, along) {
			e.release(p, ReasonPassed)
			e.freePassage(p)
			continue
		}
		kept = append(kept, p)
		if p.state.live() {
			e.keepAlive(p, along, &origin)
		}
	}
	clear(v.passages[len(kept):])
	v.passages = kept

	if !v.emergency {
		return // nothing is wanted off an emergency run (serve checks too)
	}
	e.policy.prepare(e, v, along, &origin)
	sigs := v.path.Signals()
	for i := e.firstAhead(v, along); i < len(sigs); i++ {
		s := &sigs[i]
		dist := s.AlongM - along
		if dist > e.cfg.LookaheadM {
			break
		}
		p := v.passageAt(s)
		if p != nil && (p.state.live() || p.final) {
			continue
		}
		// Whether the policy wants the signal now, and if not, in how
		// many seconds it would at the current pace (for the wakeup that
		// dead-reckons a silent vehicle into its lead time) and whether
		// every signal further on is out of reach too.
		want, beyond, untilS, why := e.policy.want(e, v, i, dist, &origin)
		if p != nil {
			p.wants = want
		}
		if !want {
			if p == nil && untilS < math.Inf(1) {
				v.nextCross = min(v.nextCross, e.nowI.add(time.Duration(math.Max(untilS, 0.1)*float64(time.Second))))
			}
			if beyond {
				break // ETAs and distances grow along the path
			}
			continue
		}
		if p == nil {
			p = e.newPassage(v, i)
			p.wants = true
		}
		p.why = why
		e.estimate(p, along, &origin)
		e.tryRequest(p)
	}
}

// greenWave is PolicyGreenWave: request each signal just in time.
type greenWave struct{}

func (greenWave) maxHold(maxPreempt time.Duration) time.Duration { return maxPreempt }

// prepare makes sure v's plan for the signals ahead is current.
func (greenWave) prepare(e *Engine, v *vehicle, along float64, origin *routing.ETAOrigin) {
	if e.planReported {
		e.ensurePlan(v, along, origin)
	}
}

// want applies the green-wave rule to one signal ahead: whether to
// request it now, given the vehicle's ETA there, and if not, in how many
// seconds it would at the current pace.
//
// The rule is the worst-case lead: worst-case entry + queue flush + margin
// before the (optimistic) ETA. One refinement uses the roadside's status:
// when the vehicle's phase is green in the unit's own plan with a reported
// planned end, no entry is needed while it lasts (a preempt of a green
// phase holds it at once), so the request waits until that end is within
// the margin; a vehicle that gets through first needs no preempt at all.
// That removes the long holds of an already-green phase that operators
// see as "preempts that fire too early", at no cost to the vehicle.
//
// The other refinement one might make, asking later when a conflicting
// green has already run its minimum, was measured on the shipped corridor
// and rejected: it cut hold time but raised the ambulances' signal delay
// (the queue had less time to flush) and the cross-street queue delay,
// because it truncates side greens just as often.
func (greenWave) want(e *Engine, v *vehicle, i int, _ float64, origin *routing.ETAOrigin) (want, beyond bool, untilS float64, why Reason) {
	if c := v.plan.choiceFor(i); c != nil {
		if c.request == never {
			return false, false, math.Inf(1), 0
		}
		untilS = c.request.sub(e.nowI).Seconds() - planTickS
		return untilS <= 0, false, untilS, c.kind
	}
	s := &v.path.Signals()[i]
	eta := origin.ToSignal(i)
	beyond = eta.MinS > e.maxLeadS+e.queueLeadExtraS
	is := &e.inters[s.Intersection]
	flush := e.queueFlushS(s.QueueFlushS)
	if e.queueLeadExtraS > 0 {
		flush = e.queueLeadEstimateS(is, s, flush) // queuelead.go
	}
	untilS = eta.MinS - (is.leadBaseS + flush)
	st := &is.timing
	if !st.normal || st.greenMask&wire.PhaseBit(s.Phase) == 0 || !st.greenUntil.After(e.now) {
		return untilS <= 0, beyond, untilS, 0 // unknown, conflicting, open-ended or stale: worst case
	}
	if untilEndS := st.greenUntil.Sub(e.now).Seconds() - e.cfg.Margin.Seconds(); untilEndS > untilS {
		untilS = untilEndS
	}
	return untilS <= 0, beyond, untilS, 0
}

// rangeTrigger is PolicyRange: request within a fixed distance.
type rangeTrigger struct {
	rangeM  float64
	timeout time.Duration
}

func (r rangeTrigger) maxHold(maxPreempt time.Duration) time.Duration {
	return min(maxPreempt, r.timeout)
}

// want: the signal is within range along the path, whatever the speed.
// Every signal further on is out of range too when this one is.
func (r rangeTrigger) want(_ *Engine, v *vehicle, _ int, dist float64, _ *routing.ETAOrigin) (want, beyond bool, untilS float64, why Reason) {
	want = dist <= r.rangeM
	untilS = math.Inf(1)
	if v.speedKnown && v.speed > 0.5 {
		untilS = (dist - r.rangeM) / v.speed
	}
	return want, !want, untilS, 0
}

func (rangeTrigger) prepare(*Engine, *vehicle, float64, *routing.ETAOrigin) {}
