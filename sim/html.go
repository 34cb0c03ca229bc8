package sim

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
)

// HTMLSection is a figure the HTML report shows after its results table:
// a sweep's frontier, say. SVG is one complete <svg> element, inlined as
// it is: it must come from greenwave's own writers, not from outside.
type HTMLSection struct {
	Title   string
	Caption string
	SVG     []byte
}

// HTMLOptions adds to the HTML report.
type HTMLOptions struct {
	Sections []HTMLSection
}

// WriteHTML writes the report as one self-contained HTML file (`greenwave
// sim --html FILE`): the results table, the notes of each run, any extra
// sections (a sweep's frontier), each vehicle's figures per strategy, and,
// when the report was made with Options.Record, every trip's time-space
// diagram inline. It loads nothing from anywhere: styles are inline and
// the diagrams are SVG in the page.
func (rep *Report) WriteHTML(w io.Writer, opt HTMLOptions) error {
	bw := bufio.NewWriter(w)
	e := html.EscapeString
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>greenwave sim: %s</title>
<style>%s</style>
</head>
<body>
<main>
<h1>Scenario %s <span class="sub">seed %d</span></h1>
`, e(rep.Scenario), reportCSS, e(rep.Scenario), rep.Seed)

	recorded := len(rep.Runs) > 0
	for _, rr := range rep.Runs {
		recorded = recorded && rr.run != nil && rr.run.record
	}
	p("<nav aria-label=\"Contents\"><ul><li><a href=\"#results\">Results</a></li>")
	for i, s := range opt.Sections {
		p(`<li><a href="#section-%d">%s</a></li>`, i+1, e(s.Title))
	}
	if len(rep.Runs) > 0 {
		p(`<li><a href="#vehicles">Vehicles</a></li>`)
	}
	if recorded {
		p(`<li><a href="#diagrams">Time-space diagrams</a></li>`)
	}
	p("</ul></nav>\n")

	// Results.
	p(`<section id="results" aria-labelledby="h-results"><h2 id="h-results">Results</h2>
<table class="num"><caption>One row per strategy, every run on the same seed and traffic</caption>
<thead><tr><th scope="col">strategy</th>`)
	for _, c := range resultColumns {
		p(`<th scope="col" title="%s">%s</th>`, e(c.help), e(c.name))
	}
	p("</tr></thead><tbody>\n")
	for _, rr := range rep.Runs {
		p(`<tr><th scope="row">%s</th>`, e(rr.Strategy))
		for _, c := range resultColumns {
			p("<td>%s</td>", e(c.value(rr.Totals)))
		}
		p("</tr>\n")
	}
	p("</tbody></table>\n")
	var notes []string
	for _, rr := range rep.Runs {
		if rr.run == nil {
			continue
		}
		notes = append(notes, runNote(rr))
	}
	if len(notes) > 0 {
		p("<ul class=\"notes\">")
		for _, n := range notes {
			p("<li>%s</li>", e(n))
		}
		p("</ul>\n")
	}
	p("<p class=\"help\">Definitions of every column: <code>sim/report.go</code> (hover a heading for a summary). Cross-street green lost is in phase-seconds; cross queue delay is against the <code>none</code> run.</p></section>\n")

	// Extra sections: a sweep's frontier, say.
	for i, s := range opt.Sections {
		p(`<section id="section-%d" aria-labelledby="h-section-%d"><h2 id="h-section-%d">%s</h2><figure aria-labelledby="cap-section-%d">`,
			i+1, i+1, i+1, e(s.Title), i+1)
		bw.Write(withRole(s.SVG, s.Title))
		p(`<figcaption id="cap-section-%d">%s</figcaption></figure></section>`+"\n", i+1, e(s.Caption))
	}

	// Vehicles.
	if len(rep.Runs) > 0 {
		p(`<section id="vehicles" aria-labelledby="h-vehicles"><h2 id="h-vehicles">Vehicles</h2>
<table class="num"><caption>Each emergency-vehicle trip under each strategy: travel time, delay (travel − free flow), stops, signals met on green / braked for</caption><thead><tr><th scope="col">vehicle</th><th scope="col">free flow s</th>`)
		for _, rr := range rep.Runs {
			p(`<th scope="col">%s travel s</th><th scope="col">delay s</th><th scope="col">stops</th><th scope="col">green/red</th>`, e(rr.Strategy))
		}
		p("</tr></thead><tbody>\n")
		for i, v := range rep.Runs[0].Vehicles {
			name := e(v.VehicleID)
			if recorded {
				name = fmt.Sprintf(`<a href="#trip-%s">%s</a>`, e(v.VehicleID), name)
			}
			p(`<tr><th scope="row">%s</th><td>%.1f</td>`, name, v.FreeFlowS)
			for _, rr := range rep.Runs {
				vr := rr.Vehicles[i]
				p("<td>%.1f</td><td>%.1f</td><td>%d</td><td>%d/%d</td>", vr.TravelTimeS, vr.SignalDelayS, vr.Stops, vr.GreenArrivals, vr.RedArrivals)
			}
			p("</tr>\n")
		}
		p("</tbody></table></section>\n")
	}

	// Time-space diagrams, one per trip and strategy.
	if recorded {
		p(`<section id="diagrams" aria-labelledby="h-diagrams"><h2 id="h-diagrams">Time-space diagrams</h2>
<p class="help">Time since departure across, distance along the route up. Each signal on the route is a bar at its stop line, coloured by what the vehicle's phase showed; preempts are boxes around it (light: entry, dark: hold); the line is the vehicle, open circles the signals it met on green, filled ones those it braked for.</p>
`)
		for i := range rep.Runs[0].Vehicles {
			id := rep.Runs[0].Vehicles[i].VehicleID
			p(`<section id="trip-%s" class="trip" aria-labelledby="h-trip-%s"><h3 id="h-trip-%s">%s</h3>`, e(id), e(id), e(id), e(id))
			for _, rr := range rep.Runs {
				v := &rr.run.vehicles[i]
				vr := rr.Vehicles[i]
				var svg bytes.Buffer
				writeTimeSpace(&svg, rr.run, v, rep.Scenario, vr)
				label := fmt.Sprintf("%s under %s: travel %.1f s (free flow %.1f s), signal delay %.1f s, %d stops",
					id, rr.Strategy, vr.TravelTimeS, vr.FreeFlowS, vr.SignalDelayS, vr.Stops)
				p(`<figure class="ts" data-strategy="%s" data-vehicle="%s">`, e(rr.Strategy), e(id))
				bw.Write(withRole(svg.Bytes(), label))
				p("<figcaption>%s</figcaption></figure>\n", e(label))
			}
			p("</section>\n")
		}
		p("</section>\n")
	} else {
		p(`<p class="help">No time-space diagrams: the report was made without recording trajectories.</p>` + "\n")
	}
	p("</main>\n<footer>Made by <code>greenwave sim</code>.</footer>\n</body>\n</html>\n")
	return bw.Flush()
}

// withRole gives an inline SVG an image role and an accessible name.
func withRole(svg []byte, label string) []byte {
	s := string(bytes.TrimSpace(svg))
	if !strings.HasPrefix(s, "<svg") {
		return []byte(`<p>(not an SVG image)</p>`)
	}
	return []byte(`<svg role="img" aria-label="` + html.EscapeString(label) + `"` + s[len("<svg"):])
}

func runNote(rr RunReport) string {
	r := rr.run
	if rr.Strategy == StrategyNone {
		return fmt.Sprintf("none: %d hard brakes", r.hardBrakes)
	}
	keys := make([]string, 0, len(r.decisionCounts))
	for k := range r.decisionCounts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.decisionCounts[k]))
	}
	return fmt.Sprintf("%s: %s; %d commands refused by roadside units; %d inputs rejected by the engine; %d hard brakes",
		rr.Strategy, strings.Join(parts, ", "), r.refusedCmds, r.engineRejects, r.hardBrakes)
}

type resultColumn struct {
	name, help string
	value      func(Totals) string
}

var resultColumns = []resultColumn{
	{"EV travel s (mean)", "mean travel time of the emergency-vehicle trips", func(t Totals) string { return fmt.Sprintf("%.1f", t.EVTravelTimeS) }},
	{"EV signal delay s", "sum over trips of travel time minus free flow", func(t Totals) string { return fmt.Sprintf("%.1f", t.EVSignalDelayS) }},
	{"EV stops", "times an emergency vehicle came to a standstill", func(t Totals) string { return fmt.Sprint(t.EVStops) }},
	{"green arrivals", "signals passed without braking, of those passed", func(t Totals) string { return fmt.Sprintf("%.0f%%", 100*t.GreenArrivalRate) }},
	{"preempts", "distinct requests a roadside unit accepted", func(t Totals) string { return fmt.Sprint(t.Preempts) }},
	{"hold s", "time the units spent in hold, summed", func(t Totals) string { return fmt.Sprintf("%.1f", t.PreemptHoldS) }},
	{"hold after pass p50 s", "median time from the last vehicle through to the hold ending", func(t Totals) string { return fmt.Sprintf("%.1f", t.HoldAfterPassSP50) }},
	{"cross green lost s", "phase-seconds of green the plan would have shown to phases no preempt served", func(t Totals) string { return fmt.Sprintf("%.1f", t.CrossGreenLostS) }},
	{"cross queue delay veh·s", "background traffic's extra queueing against the none run", func(t Totals) string { return fmt.Sprintf("%.0f", t.CrossQueueDelayS) }},
	{"recovery p50 s", "median time from a preempt's end until the unit shows its plan again", func(t Totals) string { return fmt.Sprintf("%.1f", t.RecoverySP50) }},
	{"unreleased", "preempts still held when the run ended", func(t Totals) string { return fmt.Sprint(t.UnreleasedPreempts) }},
	{"max hold s", "the longest single hold", func(t Totals) string { return fmt.Sprintf("%.1f", t.MaxHoldS) }},
}

const reportCSS = `
body { font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; margin: 0; background: #f6f7f9; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 40px; background: #fff; }
h1 { font-size: 24px; } h1 .sub { color: #5a6470; font-weight: normal; font-size: 16px; }
h2 { margin-top: 32px; border-bottom: 1px solid #d5d9de; padding-bottom: 4px; }
nav ul { display: flex; flex-wrap: wrap; gap: 16px; list-style: none; padding: 0; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
caption { text-align: left; color: #5a6470; padding-bottom: 4px; }
th, td { border: 1px solid #d5d9de; padding: 4px 8px; }
thead th { background: #eef1f4; vertical-align: bottom; }
table.num td { text-align: right; font-variant-numeric: tabular-nums; }
tbody th { text-align: left; }
.help, .notes { color: #3d4650; font-size: 14px; }
figure { margin: 12px 0 20px; }
figure svg { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
figcaption { color: #3d4650; font-size: 14px; }
footer { text-align: center; color: #5a6470; padding: 16px; font-size: 13px; }
a { color: #1f5fa5; }
`
