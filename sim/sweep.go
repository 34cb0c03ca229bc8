package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Sweep parameters: the setting a sweep varies, and the strategy it runs.
const (
	// SweepRangeM varies the range strategy's trigger distance
	// (controller.range_m), in metres.
	SweepRangeM = "range_m"
	// SweepPrice varies the greenwave strategy's price (controller.price):
	// the vehicle-seconds of cross-traffic delay one second of emergency
	// vehicle delay is worth.
	SweepPrice = "price"
)

// SweepSpec is one sweep: a parameter and the values it takes, in order.
type SweepSpec struct {
	Param  string
	Values []float64
}

// ParseSweep reads a sweep flag: PARAM=FROM:TO:STEP (both ends included)
// or PARAM=V1,V2,... ; "inf" is an infinite value (a price).
func ParseSweep(s string) (SweepSpec, error) {
	param, vals, ok := strings.Cut(s, "=")
	if !ok {
		return SweepSpec{}, fmt.Errorf("sweep %q: want PARAM=FROM:TO:STEP or PARAM=V1,V2,…", s)
	}
	sp := SweepSpec{Param: strings.TrimSpace(param)}
	if sp.Param != SweepRangeM && sp.Param != SweepPrice {
		return SweepSpec{}, fmt.Errorf("sweep %q: unknown parameter %q (want %s or %s)", s, sp.Param, SweepRangeM, SweepPrice)
	}
	num := func(v string) (float64, error) {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || f < 0 {
			return 0, fmt.Errorf("sweep %q: %q is not a number ≥ 0", s, v)
		}
		return f, nil
	}
	if parts := strings.Split(vals, ":"); len(parts) == 3 {
		from, err1 := num(parts[0])
		to, err2 := num(parts[1])
		step, err3 := num(parts[2])
		for _, err := range []error{err1, err2, err3} {
			if err != nil {
				return SweepSpec{}, err
			}
		}
		if step <= 0 || to < from || math.IsInf(to, 0) || (to-from)/step > 1000 {
			return SweepSpec{}, fmt.Errorf("sweep %q: want FROM ≤ TO, a positive STEP and at most 1000 values", s)
		}
		for i := 0; ; i++ {
			v := from + float64(i)*step
			if v > to+step*1e-9 {
				break
			}
			sp.Values = append(sp.Values, v)
		}
		return sp, nil
	}
	for _, v := range strings.Split(vals, ",") {
		f, err := num(v)
		if err != nil {
			return SweepSpec{}, err
		}
		sp.Values = append(sp.Values, f)
	}
	if len(sp.Values) == 0 || len(sp.Values) > 1000 {
		return SweepSpec{}, fmt.Errorf("sweep %q: want 1 to 1000 values", s)
	}
	return sp, nil
}

// SweepRow is one run of a sweep.
type SweepRow struct {
	Strategy string
	// Param and Value are the setting varied; Param is "" for the
	// reference rows (none, and greenwave at its defaults).
	Param  string
	Value  float64
	Totals Totals
}

// MarshalJSON writes value as a string ("600", "inf"): JSON has no
// infinity.
func (r SweepRow) MarshalJSON() ([]byte, error) {
	type row struct {
		Strategy string `json:"strategy"`
		Param    string `json:"param,omitempty"`
		Value    string `json:"value,omitempty"`
		Totals   Totals `json:"totals"`
	}
	out := row{Strategy: r.Strategy, Param: r.Param, Totals: r.Totals}
	if r.Param != "" {
		out.Value = formatSetting(r.Value)
	}
	return json.Marshal(out)
}

func formatSetting(v float64) string {
	if math.IsInf(v, 1) {
		return "inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// SweepReport is the outcome of Sweep, the JSON object `greenwave sim
// --sweep … --json` prints.
type SweepReport struct {
	Scenario string     `json:"scenario"`
	Seed     uint64     `json:"seed"`
	Rows     []SweepRow `json:"rows"`
}

// Sweep runs, on the scenario's seed, the none strategy, greenwave at its
// defaults (the reference rows), then every value of every sweep. Every run
// meets the same background traffic and the same emergency trips, so the
// rows differ only by the setting.
func Sweep(sc *Scenario, sweeps []SweepSpec, opt Options) (*SweepReport, error) {
	w, err := buildWorld(sc)
	if err != nil {
		return nil, err
	}
	opt.Record = false
	base, err := runStrategy(w, StrategyNone, opt, nil)
	if err != nil {
		return nil, err
	}
	rep := &SweepReport{Scenario: sc.Name, Seed: sc.Seed, Rows: []SweepRow{{Strategy: StrategyNone, Totals: base.Totals}}}
	run := func(strategy, param string, value float64, set func(*ControllerSpec)) error {
		sc2 := *w.sc
		set(&sc2.Controller)
		w2 := *w
		w2.sc = &sc2
		rr, err := runStrategy(&w2, strategy, opt, base.run)
		if err != nil {
			if param != "" {
				return fmt.Errorf("%s=%s: %w", param, formatSetting(value), err)
			}
			return err
		}
		rep.Rows = append(rep.Rows, SweepRow{Strategy: strategy, Param: param, Value: value, Totals: rr.Totals})
		return nil
	}
	if err := run(StrategyGreenwave, "", 0, func(*ControllerSpec) {}); err != nil {
		return nil, err
	}
	for _, sp := range sweeps {
		for _, v := range sp.Values {
			var err error
			switch sp.Param {
			case SweepRangeM:
				err = run(StrategyRange, sp.Param, v, func(c *ControllerSpec) { c.RangeM = v })
			case SweepPrice:
				err = run(StrategyGreenwave, sp.Param, v, func(c *ControllerSpec) { c.Price = &v })
			default:
				err = fmt.Errorf("unknown sweep parameter %q", sp.Param)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return rep, nil
}

// WriteJSON writes the report as one JSON object and a newline.
func (rep *SweepReport) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteTable writes one row per run.
func (rep *SweepReport) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "scenario %s, seed %d\n", rep.Scenario, rep.Seed)
	fmt.Fprintln(tw, "strategy\tsetting\tEV signal delay s\tEV stops\tgreen arrivals\tcross queue delay veh·s\tcross green lost s\thold s\trecovery p50 s\tunreleased\t")
	for _, r := range rep.Rows {
		setting := "defaults"
		if r.Param != "" {
			setting = r.Param + "=" + formatSetting(r.Value)
		}
		t := r.Totals
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%d\t%.0f%%\t%.0f\t%.1f\t%.1f\t%.1f\t%d\t\n", r.Strategy, setting,
			t.EVSignalDelayS, t.EVStops, 100*t.GreenArrivalRate, t.CrossQueueDelayS, t.CrossGreenLostS,
			t.PreemptHoldS, t.RecoverySP50, t.UnreleasedPreempts)
	}
	return tw.Flush()
}
