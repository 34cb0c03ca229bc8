package sumo

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/greenwave-project/greenwave/sim"
)

// CoSimReport is what `greenwave sumo --json` prints: one run per
// strategy, each with its totals, its trips and its signal passages.
type CoSimReport struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	// SUMO is the simulator's identification, e.g. "SUMO 1.15.0": the
	// same seed gives the same report with the same SUMO.
	SUMO string `json:"sumo"`
	// EndS is the simulation time every run ended at.
	EndS float64    `json:"end_s"`
	Runs []CoSimRun `json:"runs"`
}

// CoSimRun is one strategy's run.
type CoSimRun struct {
	Strategy    string           `json:"strategy"`
	Totals      CoSimTotals      `json:"totals"`
	Trips       []TripReport     `json:"trips"`
	Signals     []SignalPass     `json:"signals"`
	Diagnostics CoSimDiagnostics `json:"diagnostics"`

	run *coRun
}

// CoSimTotals sums a run (docs/sumo.md).
type CoSimTotals struct {
	// EVTrips is the number of ambulance trips that departed.
	EVTrips int `json:"ev_trips"`
	// EVTravelTimeS sums the trips' travel times, departure to arrival
	// (to the end of the run for a trip still on its way).
	EVTravelTimeS float64 `json:"ev_travel_time_s"`
	// EVIdealTravelTimeS sums the same trips' travel times on the same
	// routes with no other traffic and every signal green.
	EVIdealTravelTimeS float64 `json:"ev_ideal_travel_time_s"`
	// EVSignalDelayS is EVTravelTimeS − EVIdealTravelTimeS: what signals
	// and the traffic in front of them cost the ambulances.
	EVSignalDelayS float64 `json:"ev_signal_delay_s"`
	// EVStops counts the times an ambulance's speed fell below 0.5 m/s
	// (another only after it was above 3 m/s again), not counting the
	// start.
	EVStops int `json:"ev_stops"`
	// GreenArrivalRate is the share of the map's signals passed on green
	// (G or g on the link taken) without a stop on the way to them.
	GreenArrivalRate float64 `json:"green_arrival_rate"`
	// Preempts counts distinct requests the units accepted.
	Preempts int `json:"preempts"`
	// HoldLeadSP50 is the median, over passages through a hold that
	// served the ambulance, of the time from the hold's start to the
	// passage.
	HoldLeadSP50 float64 `json:"hold_lead_s_p50"`
	// HoldAfterPassSP50 is the median, over holds an ambulance they served
	// went through, of the time from the last such passage to the hold's
	// end.
	HoldAfterPassSP50 float64 `json:"hold_after_pass_s_p50"`
	// OffPathHolds counts requests held for an ambulance whose route does
	// not enter that intersection by that approach.
	OffPathHolds int `json:"off_path_holds"`
	// UnsafeSwitches counts, over every signal of the map and every step,
	// a link going from green to red without yellow, and a state
	// greening two links that no phase of the traffic light's programs
	// greens together.
	UnsafeSwitches int `json:"unsafe_switches"`
	// UnreleasedPreempts counts units still in entry or hold when the run
	// ended.
	UnreleasedPreempts int `json:"unreleased_preempts"`
	// OtherTimeLossS is the time loss (SUMO's tripinfo timeLoss) of every
	// other vehicle, summed, minus that of the none run.
	OtherTimeLossS float64 `json:"other_time_loss_s"`
}

// TripReport is one ambulance trip.
type TripReport struct {
	TripID           string   `json:"trip_id"`
	DepartS          *float64 `json:"depart_s"`
	ArriveS          *float64 `json:"arrive_s"`
	TravelTimeS      float64  `json:"travel_time_s"`
	IdealTravelTimeS float64  `json:"ideal_travel_time_s"`
	SignalDelayS     float64  `json:"signal_delay_s"`
	Stops            int      `json:"stops"`
	WaitS            float64  `json:"wait_s"`
	Signals          int      `json:"signals"`
	GreenArrivals    int      `json:"green_arrivals"`
	Teleported       bool     `json:"teleported,omitempty"`
}

// SignalPass is one ambulance's passage through one signal of its route.
type SignalPass struct {
	TripID         string   `json:"trip_id"`
	IntersectionID string   `json:"intersection_id"`
	Approach       string   `json:"approach"`
	FirstSeenS     *float64 `json:"first_seen_s"` // the ambulance's first fix at the controller
	RequestedS     *float64 `json:"requested_s"`  // the unit accepted a preempt for it
	HoldS          *float64 `json:"hold_s"`       // the hold serving it began
	PassS          *float64 `json:"pass_s"`       // it crossed the stop line
	State          string   `json:"state"`        // its link's signal then: G, g, y, r, ...
	Stopped        bool     `json:"stopped"`      // it stopped on its way to the signal
	WaitS          float64  `json:"wait_s"`
	HoldLeadS      *float64 `json:"hold_lead_s"`
	HoldAfterPassS *float64 `json:"hold_after_pass_s"`
	// Miss says why a passage was not a green arrival: no_preemption
	// (none run), not_requested, late_request (requested less than the
	// worst-case entry before the passage), no_hold (requested in time,
	// never held before the passage), hold_ended (held, but the hold
	// ended before the passage), late_hold (the hold began after the
	// ambulance had stopped), queue (held green before it stopped: the
	// traffic in front held it up), link_not_green (held, but its own
	// link, a turn, was not green), not_passed (the run ended first).
	Miss string `json:"miss,omitempty"`
}

// CoSimDiagnostics is what helps explain a run's figures.
type CoSimDiagnostics struct {
	OtherVehicles      int            `json:"other_vehicles"`
	OtherTimeLossTotal float64        `json:"other_time_loss_total_s"`
	Misses             map[string]int `json:"misses"`
	EngineDecisions    map[string]int `json:"engine_decisions"`
	RefusedCommands    int            `json:"refused_commands"`
	EngineRejects      int            `json:"engine_rejects"`
	// UnitsOutOfStep counts the units of static programs that were not
	// back on their own schedule when the run ended.
	UnitsOutOfStep int `json:"units_out_of_step"`
}

func opt(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	r := round2(v)
	return &r
}

func round2(v float64) float64 {
	r := math.Round(v*100) / 100
	if r == 0 {
		return 0
	}
	return r
}

// report assembles the run's report; none is the none run of the same
// scenario and seed.
func (r *coRun) report(none *coRun) CoSimRun {
	out := CoSimRun{Strategy: r.strategy, run: r, Trips: []TripReport{}, Signals: []SignalPass{}}
	out.Diagnostics = CoSimDiagnostics{OtherVehicles: r.stats.otherVehicles, OtherTimeLossTotal: round2(r.stats.otherLossS),
		Misses: map[string]int{}, EngineDecisions: r.stats.releases, RefusedCommands: r.stats.refused, EngineRejects: r.engineRejects,
		UnitsOutOfStep: r.stats.outOfStep}
	t := &out.Totals
	passed, green := 0, 0
	for _, a := range r.ambs {
		tr := a.trip
		rep := TripReport{TripID: tr.spec.ID, DepartS: opt(a.departS), ArriveS: opt(a.arriveS), Stops: a.stops,
			WaitS: round2(a.waitS), Signals: len(tr.signals), Teleported: a.teleported, IdealTravelTimeS: round2(tr.idealS)}
		if !math.IsNaN(a.departS) {
			end := a.arriveS
			if math.IsNaN(end) {
				end = r.T
			}
			rep.TravelTimeS = round2(end - a.departS)
			rep.SignalDelayS = round2(end - a.departS - tr.idealS)
			t.EVTrips++
			t.EVTravelTimeS += end - a.departS
			t.EVIdealTravelTimeS += tr.idealS
			t.EVStops += a.stops
		}
		for k, s := range tr.signals {
			rec := &a.sigs[k]
			if math.IsNaN(a.departS) {
				continue
			}
			u := r.units[s.inter]
			sp := SignalPass{TripID: tr.spec.ID, IntersectionID: u.id, Approach: u.approaches[s.approach].id,
				RequestedS: opt(rec.requested), HoldS: opt(rec.held), PassS: opt(rec.passS), Stopped: rec.stopped,
				WaitS: round2(rec.waitS)}
			if r.eng != nil {
				sp.FirstSeenS = opt(a.firstSeen)
			}
			if !math.IsNaN(rec.passS) {
				passed++
				sp.State = string(rec.state)
				if rec.greenArrival() {
					rep.GreenArrivals++
					green++
				}
				if !math.IsNaN(rec.held) && rec.held <= rec.passS && (math.IsNaN(rec.holdEnd) || rec.holdEnd >= rec.passS) {
					sp.HoldLeadS = opt(rec.passS - rec.held)
					sp.HoldAfterPassS = opt(rec.holdEnd - rec.passS)
				}
			}
			sp.Miss = r.miss(u, rec)
			if sp.Miss != "" {
				out.Diagnostics.Misses[sp.Miss]++
			}
			out.Signals = append(out.Signals, sp)
		}
		out.Trips = append(out.Trips, rep)
	}
	t.EVTravelTimeS = round2(t.EVTravelTimeS)
	t.EVIdealTravelTimeS = round2(t.EVIdealTravelTimeS)
	t.EVSignalDelayS = round2(t.EVTravelTimeS - t.EVIdealTravelTimeS)
	if passed > 0 {
		t.GreenArrivalRate = math.Round(float64(green)/float64(passed)*1e4) / 1e4
	}
	t.Preempts = r.stats.preempts
	t.HoldLeadSP50 = round2(sim.Median(r.stats.holdLead))
	t.HoldAfterPassSP50 = round2(sim.Median(r.stats.holdAfterPass))
	t.OffPathHolds = r.stats.offPath
	t.UnsafeSwitches = r.stats.unsafe
	t.UnreleasedPreempts = r.stats.unreleased
	t.OtherTimeLossS = round2(r.stats.otherLossS - none.stats.otherLossS)
	return out
}

// miss classifies a passage that was not a green arrival (see SignalPass).
func (r *coRun) miss(u *rsu, rec *sigRecord) string {
	switch {
	case math.IsNaN(rec.passS):
		return "not_passed"
	case rec.greenArrival():
		return ""
	case r.eng == nil:
		return "no_preemption"
	case math.IsNaN(rec.requested) || rec.requested > rec.passS:
		return "not_requested"
	case math.IsNaN(rec.held) || rec.held > rec.passS:
		if rec.passS-rec.requested < u.minGreen+u.yellow+u.allRed {
			return "late_request"
		}
		return "no_hold"
	case !math.IsNaN(rec.holdEnd) && rec.holdEnd < rec.passS:
		return "hold_ended"
	case rec.stopped && rec.stopS < rec.held:
		return "late_hold"
	case classOf(rec.state) != linkGreen:
		return "link_not_green"
	}
	return "queue"
}

// readTripinfo sums the other vehicles' time loss from SUMO's tripinfo
// output of the run (vehicles still driving at the end included, with the
// loss so far).
func (r *coRun) readTripinfo() error {
	path := r.w.tripinfoPath(r.strategy)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("SUMO's tripinfo output: %w", err)
	}
	defer f.Close()
	loss, n, err := sumTimeLoss(f, func(id string) bool { return r.ambByID[id] != nil })
	if err != nil {
		return fmt.Errorf("SUMO's tripinfo output %s: %w", path, err)
	}
	r.stats.otherLossS, r.stats.otherVehicles = loss, n
	return nil
}

// maxTripinfoBytes bounds a tripinfo file read: a day of a large city is
// a few hundred MiB.
const maxTripinfoBytes = 4 << 30

// sumTimeLoss sums the timeLoss of every <tripinfo> whose id skip does not
// take, and counts them. A timeLoss that is missing or not a finite
// number is an error naming its line.
func sumTimeLoss(r io.Reader, skip func(id string) bool) (float64, int, error) {
	dec := xml.NewDecoder(io.LimitReader(r, maxTripinfoBytes))
	var sum float64
	n := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return sum, n, nil
		}
		if err != nil {
			return 0, 0, fmt.Errorf("XML: %w", err)
		}
		e, ok := tok.(xml.StartElement)
		if !ok || e.Name.Local != "tripinfo" {
			continue
		}
		id, _ := attr(e, "id")
		if skip(id) {
			continue
		}
		v, _ := attr(e, "timeLoss")
		loss, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(loss) || math.IsInf(loss, 0) {
			line, _ := dec.InputPos()
			return 0, 0, fmt.Errorf("line %d: tripinfo %q: timeLoss %q is not a number", line, truncate(id, 64), truncate(v, 32))
		}
		sum += loss
		n++
	}
}

// WriteJSON writes the report as one indented JSON object.
func (rep *CoSimReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteTable writes the totals of every run, then each run's misses.
func (rep *CoSimReport) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "strategy\ttrips\ttravel s\tideal s\tsignal delay s\tstops\tgreen arr\tpreempts\thold lead p50\tafter pass p50\toff-path\tunsafe\tunreleased\tother loss s\t\n")
	for _, run := range rep.Runs {
		t := run.Totals
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%d\t%.3f\t%d\t%.1f\t%.1f\t%d\t%d\t%d\t%+.0f\t\n", run.Strategy, t.EVTrips,
			t.EVTravelTimeS, t.EVIdealTravelTimeS, t.EVSignalDelayS, t.EVStops, t.GreenArrivalRate, t.Preempts,
			t.HoldLeadSP50, t.HoldAfterPassSP50, t.OffPathHolds, t.UnsafeSwitches, t.UnreleasedPreempts, t.OtherTimeLossS)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, run := range rep.Runs {
		if len(run.Diagnostics.Misses) == 0 {
			continue
		}
		var parts []string
		for k, n := range run.Diagnostics.Misses {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(parts)
		if _, err := fmt.Fprintf(w, "%s: signals not passed on green: %s\n", run.Strategy, strings.Join(parts, ", ")); err != nil {
			return err
		}
	}
	return nil
}
