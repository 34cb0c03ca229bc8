package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of one scenario under several strategies, the
// JSON object `greenwave sim --json` prints.
type Report struct {
	Scenario string      `json:"scenario"`
	Seed     uint64      `json:"seed"`
	Runs     []RunReport `json:"runs"`
}

// RunReport is one strategy's run.
type RunReport struct {
	Strategy string          `json:"strategy"`
	Vehicles []VehicleReport `json:"vehicles"`
	Totals   Totals          `json:"totals"`
	// Recoveries lists every preempt's end (a unit leaving entry or hold)
	// and the time it took the unit to show its plan's greens again: the
	// time back in step, per event (Totals.RecoverySP50 is their median).
	Recoveries []RecoveryEvent `json:"recoveries,omitempty"`

	run *run // kept for the time-space diagrams
}

// VehicleReport is one emergency-vehicle trip.
type VehicleReport struct {
	VehicleID string `json:"vehicle_id"`
	// TravelTimeS is from departure to standing at the destination; for a
	// vehicle still driving when the run ends, to the end of the run.
	TravelTimeS float64 `json:"travel_time_s"`
	// FreeFlowS is the same trip with the same kinematics on an empty
	// network with every signal green.
	FreeFlowS float64 `json:"free_flow_s"`
	// SignalDelayS is TravelTimeS − FreeFlowS: the time signals and the
	// queues in front of them cost the vehicle (braking, standing, queue
	// discharge, accelerating again). It is 0 exactly when nothing ever
	// made the vehicle brake.
	SignalDelayS float64 `json:"signal_delay_s"`
	// Stops counts the times the vehicle's speed fell below 0.5 m/s on
	// its way (not at its destination), a new stop counting only after it
	// had been above 3 m/s again.
	Stops int `json:"stops"`
	// GreenArrivals counts the signals the vehicle went through without
	// ever braking for them: it arrived at the stop line to a green (or a
	// yellow it could not stop for) with no queue ahead of it.
	GreenArrivals int `json:"green_arrivals"`
	// RedArrivals counts the signals it had to brake for: a red, a yellow
	// it could stop for, or a queue ahead still discharging.
	RedArrivals int `json:"red_arrivals"`
}

// Totals sums a run. Every _s total is a sum over the run except
// EVTravelTimeS (a mean) and the _p50 medians.
type Totals struct {
	EVTravelTimeS    float64 `json:"ev_travel_time_s"`   // mean over the trips
	EVSignalDelayS   float64 `json:"ev_signal_delay_s"`  // sum of the trips' signal_delay_s
	EVStops          int     `json:"ev_stops"`           // sum of the trips' stops
	GreenArrivalRate float64 `json:"green_arrival_rate"` // green arrivals / signals passed (0 when none passed)
	// Preempts counts distinct requests (request_id at an intersection)
	// that a roadside unit accepted.
	Preempts int `json:"preempts"`
	// PreemptHoldS is the time units spent in `hold`, summed.
	PreemptHoldS float64 `json:"preempt_hold_s"`
	// HoldAfterPassSP50 is the median, over holds some vehicle went
	// through, of the time from the last vehicle crossing the stop line to
	// the hold ending: how promptly passed signals are let go.
	HoldAfterPassSP50 float64 `json:"hold_after_pass_s_p50"`
	// CrossGreenLostS is the green time taken from phases not serving an
	// emergency vehicle, against the plan: summed over intersections and
	// phases, the time a phase is green in the none run (the unit's plan)
	// but not green in this run, while that phase is not the one a preempt
	// is serving (in entry or hold). In phase-seconds: a side street with
	// a phase each way that loses 10 s counts 20 s.
	CrossGreenLostS float64 `json:"cross_green_lost_s"`
	// CrossQueueDelayS is the background traffic's queueing delay
	// (vehicle-seconds in queue, every approach of every intersection)
	// minus that of the none run of the same scenario and seed: what the
	// strategy cost (or, if negative, saved) ordinary traffic.
	CrossQueueDelayS float64 `json:"cross_queue_delay_s"`
	// RecoverySP50 is the median, over preempts, of the time from a unit
	// leaving entry or hold until it shows the same green phases as its
	// coordinated plan (the none run of the same unit) again: the signals'
	// own recovery, measured on what they display. A unit that reports
	// `normal` at once but keeps the preempted green past the plan's
	// switch is not yet recovered.
	RecoverySP50 float64 `json:"recovery_s_p50"`
	// UnreleasedPreempts counts preempts still in entry or hold when the
	// run ends, and holds that lasted past the expiry of the request they
	// served. Must be 0.
	UnreleasedPreempts int `json:"unreleased_preempts"`
	// MaxHoldS is the longest single hold.
	MaxHoldS float64 `json:"max_hold_s"`

	queueDelayVehS float64 // absolute background delay, for the comparison
}

// RecoveryEvent is one preempt's end at one unit.
type RecoveryEvent struct {
	IntersectionID string `json:"intersection_id"`
	// EndedAtS is when the unit left entry or hold, seconds from the
	// scenario's start.
	EndedAtS float64 `json:"ended_at_s"`
	// BackInStepS is how long after that the unit first showed the same
	// green phases as its plan (the none run of the same unit); a unit not
	// back by the end of the run counts until then.
	BackInStepS float64 `json:"back_in_step_s"`
}

// Options tunes Simulate.
type Options struct {
	// Strategies to run and report, in order; empty means all three.
	Strategies []string
	// Record keeps trajectories and signal changes for WriteSVGs.
	Record bool
	// Progress, when set, is called now and then with the strategy being
	// run and the fraction of its simulated time done.
	Progress func(strategy string, done float64)
}

// Simulate runs the scenario under each strategy with the same seed. The
// none run is always made (the others are measured against it) and
// reported only when asked for.
func Simulate(sc *Scenario, opt Options) (*Report, error) {
	strategies := opt.Strategies
	if len(strategies) == 0 {
		strategies = Strategies
	}
	for _, s := range strategies {
		if !slices.Contains(Strategies, s) {
			return nil, fmt.Errorf("unknown strategy %q (want none, range or greenwave)", s)
		}
	}
	w, err := buildWorld(sc)
	if err != nil {
		return nil, err
	}
	rep := &Report{Scenario: sc.Name, Seed: sc.Seed}
	base, err := runStrategy(w, StrategyNone, opt, nil)
	if err != nil {
		return nil, err
	}
	for _, s := range strategies {
		rr := base
		if s != StrategyNone {
			if rr, err = runStrategy(w, s, opt, base.run); err != nil {
				return nil, err
			}
		}
		rep.Runs = append(rep.Runs, rr)
	}
	return rep, nil
}

func runStrategy(w *world, strategy string, opt Options, base *run) (RunReport, error) {
	r, err := newRun(w, strategy, opt.Record)
	if err != nil {
		return RunReport{}, err
	}
	if opt.Progress != nil {
		r.progress = func(done float64) { opt.Progress(strategy, done) }
	}
	if err := r.execute(); err != nil {
		return RunReport{}, fmt.Errorf("%s run: %w", strategy, err)
	}
	return r.report(base), nil
}

// report computes the run's figures; base is the none run (nil for the
// none run itself).
func (r *run) report(base *run) RunReport {
	rr := RunReport{Strategy: r.strategy, run: r}
	var tot Totals
	var green, passed int
	var recoveries []float64
	for i := range r.vehicles {
		v := &r.vehicles[i]
		vr := VehicleReport{VehicleID: v.trip.id, FreeFlowS: round3(v.trip.freeFlowS), Stops: v.stops,
			GreenArrivals: v.greenArr, RedArrivals: v.redArr}
		switch v.state {
		case vehArrived:
			vr.TravelTimeS = (v.arriveT - v.departT).Seconds()
		case vehDriving:
			vr.TravelTimeS = (r.endT - v.departT).Seconds()
		}
		vr.SignalDelayS = round3(math.Max(0, vr.TravelTimeS-v.trip.freeFlowS))
		vr.TravelTimeS = round3(vr.TravelTimeS)
		tot.EVTravelTimeS += vr.TravelTimeS
		tot.EVSignalDelayS += vr.SignalDelayS
		tot.EVStops += vr.Stops
		green += v.greenArr
		passed += v.greenArr + v.redArr
		rr.Vehicles = append(rr.Vehicles, vr)
	}
	if n := len(r.vehicles); n > 0 {
		tot.EVTravelTimeS /= float64(n)
	}
	if passed > 0 {
		tot.GreenArrivalRate = float64(green) / float64(passed)
	}
	tot.Preempts = len(r.requestsSeen)
	for i := range r.units {
		u := &r.units[i]
		tot.PreemptHoldS += u.holdS
		tot.MaxHoldS = math.Max(tot.MaxHoldS, u.maxHol)
		tot.UnreleasedPreempts += u.unreleased
		for j := range u.queues {
			tot.queueDelayVehS += u.queues[j].Delay()
		}
		if base != nil {
			tot.CrossGreenLostS += greenLost(base.units[i].greenLog, u.greenLog, u.evLog, r.endT)
			n := len(recoveries)
			recoveries = appendRecoveries(recoveries, base.units[i].greenLog, u.greenLog, u.preemptEnds, r.endT)
			for k, d := range recoveries[n:] {
				rr.Recoveries = append(rr.Recoveries, RecoveryEvent{IntersectionID: r.w.units[i].id,
					EndedAtS: round3(u.preemptEnds[k].Seconds()), BackInStepS: round3(d)})
			}
		}
	}
	if base != nil {
		var baseDelay float64
		for i := range base.units {
			for j := range base.units[i].queues {
				baseDelay += base.units[i].queues[j].Delay()
			}
		}
		tot.CrossQueueDelayS = tot.queueDelayVehS - baseDelay
	}
	sort.SliceStable(rr.Recoveries, func(a, b int) bool { return rr.Recoveries[a].EndedAtS < rr.Recoveries[b].EndedAtS })
	tot.HoldAfterPassSP50 = Median(r.holdAfterPass)
	tot.RecoverySP50 = Median(recoveries)
	tot.EVTravelTimeS = round3(tot.EVTravelTimeS)
	tot.EVSignalDelayS = round3(tot.EVSignalDelayS)
	tot.GreenArrivalRate = round3(tot.GreenArrivalRate)
	tot.PreemptHoldS = round3(tot.PreemptHoldS)
	tot.HoldAfterPassSP50 = round3(tot.HoldAfterPassSP50)
	tot.CrossGreenLostS = round3(tot.CrossGreenLostS)
	tot.CrossQueueDelayS = round3(tot.CrossQueueDelayS)
	tot.RecoverySP50 = round3(tot.RecoverySP50)
	tot.MaxHoldS = round3(tot.MaxHoldS)
	rr.Totals = tot
	return rr
}

// greenLost integrates, over [0, end), the phases green in plan but not in
// actual and not served by a preempt, in phase-seconds. Each log is a step
// function: the mask holds from its time until the next entry.
func greenLost(plan, actual, ev []maskAt, end time.Duration) float64 {
	var lost time.Duration
	var pm, am, em uint16
	i, j, k := 0, 0, 0
	t := time.Duration(0)
	for t < end {
		for i < len(plan) && plan[i].t <= t {
			pm = plan[i].mask
			i++
		}
		for j < len(actual) && actual[j].t <= t {
			am = actual[j].mask
			j++
		}
		for k < len(ev) && ev[k].t <= t {
			em = ev[k].mask
			k++
		}
		next := end
		if i < len(plan) {
			next = min(next, plan[i].t)
		}
		if j < len(actual) {
			next = min(next, actual[j].t)
		}
		if k < len(ev) {
			next = min(next, ev[k].t)
		}
		lost += time.Duration(bits.OnesCount16(pm&^am&^em)) * (next - t)
		t = next
	}
	return lost.Seconds()
}

// appendRecoveries appends, for each preempt end, the time until actual
// shows the same non-empty set of green phases as plan (both step
// functions); a unit not recovered by end counts until end.
func appendRecoveries(out []float64, plan, actual []maskAt, ends []time.Duration, end time.Duration) []float64 {
	maskAtTime := func(log []maskAt, t time.Duration) (uint16, int) {
		i := sort.Search(len(log), func(i int) bool { return log[i].t > t })
		if i == 0 {
			return 0, 0
		}
		return log[i-1].mask, i
	}
	for _, te := range ends {
		t := te
		for {
			pm, i := maskAtTime(plan, t)
			am, j := maskAtTime(actual, t)
			if pm == am && pm != 0 {
				break
			}
			next := end
			if i < len(plan) {
				next = min(next, plan[i].t)
			}
			if j < len(actual) {
				next = min(next, actual[j].t)
			}
			if next <= t {
				break
			}
			t = next
		}
		out = append(out, (t - te).Seconds())
	}
	return out
}

// Median is the middle of xs (the mean of the two middle values for an even
// count, 0 for none), without reordering xs. Exported so that sumo's
// co-simulation reports compute their medians as the simulator's do.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// round3 keeps reports readable: a millisecond is below anything the model
// resolves (its step is 0.1 s).
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// WriteJSON writes the report as one JSON object and a newline.
func (rep *Report) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteTable writes the human-readable report: one row per strategy, then
// each vehicle's figures per strategy.
func (rep *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "scenario %s, seed %d\n", rep.Scenario, rep.Seed)
	fmt.Fprintln(tw, "strategy\tEV travel s (mean)\tEV signal delay s\tEV stops\tgreen arrivals\tpreempts\thold s\thold after pass p50\tcross green lost s\tcross queue delay veh·s\trecovery p50 s\tunreleased\tmax hold s\t")
	for _, rr := range rep.Runs {
		t := rr.Totals
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%d\t%.0f%%\t%d\t%.1f\t%.1f\t%.1f\t%.0f\t%.1f\t%d\t%.1f\t\n",
			rr.Strategy, t.EVTravelTimeS, t.EVSignalDelayS, t.EVStops, 100*t.GreenArrivalRate, t.Preempts,
			t.PreemptHoldS, t.HoldAfterPassSP50, t.CrossGreenLostS, t.CrossQueueDelayS, t.RecoverySP50,
			t.UnreleasedPreempts, t.MaxHoldS)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, rr := range rep.Runs {
		if rr.run == nil {
			continue
		}
		if rr.Strategy == StrategyNone {
			fmt.Fprintf(w, "none: %d hard brakes\n", rr.run.hardBrakes)
			continue
		}
		keys := make([]string, 0, len(rr.run.decisionCounts))
		for k := range rr.run.decisionCounts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, rr.run.decisionCounts[k]))
		}
		fmt.Fprintf(w, "%s: %s; %d commands refused by roadside units; %d inputs rejected by the engine (late or duplicate fixes); %d hard brakes\n",
			rr.Strategy, strings.Join(parts, ", "), rr.run.refusedCmds, rr.run.engineRejects, rr.run.hardBrakes)
	}
	if len(rep.Runs) == 0 || len(rep.Runs[0].Vehicles) > 40 {
		return nil
	}
	fmt.Fprintln(w)
	header := []string{"vehicle", "free flow s"}
	for _, rr := range rep.Runs {
		header = append(header, rr.Strategy+" travel s", "delay s", "stops", "green/red")
	}
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	for i, v := range rep.Runs[0].Vehicles {
		row := []string{v.VehicleID, fmt.Sprintf("%.1f", v.FreeFlowS)}
		for _, rr := range rep.Runs {
			vr := rr.Vehicles[i]
			row = append(row, fmt.Sprintf("%.1f", vr.TravelTimeS), fmt.Sprintf("%.1f", vr.SignalDelayS),
				fmt.Sprint(vr.Stops), fmt.Sprintf("%d/%d", vr.GreenArrivals, vr.RedArrivals))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	return tw.Flush()
}
