package sim

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// Time-space diagram layout, in SVG user units (pixels).
const (
	svgW, svgH                   = 1100.0, 640.0
	svgLeft, svgRight            = 80.0, 190.0
	svgTop, svgBottom            = 50.0, 60.0
	svgBand                      = 5.0 // height of a signal's indication bar
	svgHoldPad                   = 5.0 // the preempt box extends this far above and below the bar
	svgMarginS                   = 15.0
	colourGreen, colourYellow    = "#2ca02c", "#f2c200"
	colourRed, colourHold        = "#d62728", "#7b3fbf"
	colourEntry, colourTrajector = "#c9b3e6", "#111111"
)

// WriteSVGs writes one time-space diagram per vehicle trip and strategy to
// dir, named SCENARIO-STRATEGY-VEHICLE.svg, and returns their paths. The
// report must come from Simulate with Options.Record.
func (rep *Report) WriteSVGs(dir string) ([]string, error) {
	var files []string
	for _, rr := range rep.Runs {
		if rr.run == nil || !rr.run.record {
			return nil, fmt.Errorf("sim: the report was made without Options.Record: no trajectories to draw")
		}
		for i := range rr.run.vehicles {
			v := &rr.run.vehicles[i]
			name := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.svg", rep.Scenario, rr.Strategy, v.trip.id))
			if err := writeSVGFile(name, rr.run, v, rep.Scenario, rr.Vehicles[i]); err != nil {
				return nil, err
			}
			files = append(files, name)
		}
	}
	return files, nil
}

func writeSVGFile(name string, r *run, v *vehicleRun, scenario string, vr VehicleReport) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	writeTimeSpace(bw, r, v, scenario, vr)
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeTimeSpace draws one trip: time since departure on x, distance along
// the route on y, each signal on the route as a bar at its stop line
// coloured by what the vehicle's phase showed, preempts (entry light,
// hold dark) as boxes around the bar, and the vehicle's trajectory.
func writeTimeSpace(w io.Writer, r *run, v *vehicleRun, scenario string, vr VehicleReport) {
	t0 := v.departT
	tEnd := r.endT
	if v.state == vehArrived {
		tEnd = v.arriveT
	}
	xMin, xMax := -svgMarginS, (tEnd-t0).Seconds()+svgMarginS
	length := v.trip.path.LengthM()
	yMax := math.Max(length, 1)
	plotW, plotH := svgW-svgLeft-svgRight, svgH-svgTop-svgBottom
	x := func(d time.Duration) float64 {
		s := (d - t0).Seconds()
		return svgLeft + (s-xMin)/(xMax-xMin)*plotW
	}
	y := func(along float64) float64 { return svgTop + plotH - along/yMax*plotH }
	winStart, winEnd := t0+Seconds(xMin), t0+Seconds(xMax)

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", svgW, svgH, svgW, svgH)
	fmt.Fprintf(w, `<rect width="%g" height="%g" fill="white"/>`+"\n", svgW, svgH)
	title := fmt.Sprintf("%s — %s — %s: travel %.1f s (free flow %.1f s), signal delay %.1f s, %d stops",
		v.trip.id, r.strategy, scenario, vr.TravelTimeS, vr.FreeFlowS, vr.SignalDelayS, vr.Stops)
	fmt.Fprintf(w, `<text x="%g" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", svgLeft, esc(title))

	// Grid and axes.
	fmt.Fprintf(w, `<g stroke="#e4e4e4" stroke-width="1">`+"\n")
	xStep := niceStep(xMax-xMin, 10)
	for s := math.Ceil(xMin/xStep) * xStep; s <= xMax; s += xStep {
		px := x(t0 + Seconds(s))
		fmt.Fprintf(w, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`+"\n", px, svgTop, px, svgTop+plotH)
	}
	yStep := niceStep(yMax, 8)
	for a := 0.0; a <= yMax; a += yStep {
		fmt.Fprintf(w, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f"/>`+"\n", svgLeft, y(a), svgLeft+plotW, y(a))
	}
	fmt.Fprintln(w, `</g>`)
	fmt.Fprintf(w, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#444"/>`+"\n", svgLeft, svgTop, plotW, plotH)
	for s := math.Ceil(xMin/xStep) * xStep; s <= xMax; s += xStep {
		label := math.Round(s)
		if label == 0 {
			label = 0 // not "-0"
		}
		fmt.Fprintf(w, `<text x="%.1f" y="%g" text-anchor="middle">%g</text>`+"\n", x(t0+Seconds(s)), svgTop+plotH+16, label)
	}
	for a := 0.0; a <= yMax; a += yStep {
		fmt.Fprintf(w, `<text x="%g" y="%.1f" text-anchor="end" dominant-baseline="middle">%g</text>`+"\n", svgLeft-6, y(a), a)
	}
	fmt.Fprintf(w, `<text x="%g" y="%g" text-anchor="middle">time since departure (s)</text>`+"\n", svgLeft+plotW/2, svgH-18)
	fmt.Fprintf(w, `<text transform="translate(22 %g) rotate(-90)" text-anchor="middle">distance along route (m)</text>`+"\n", svgTop+plotH/2)

	// Signals.
	for _, s := range v.trip.signals {
		u := &r.units[s.unit]
		yc := y(s.alongM)
		for _, iv := range preemptIntervals(u.changes, r.w.epoch, winStart, winEnd) {
			colour := colourEntry
			if iv.state == wire.StateHold {
				colour = colourHold
			}
			fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%g" fill="%s" fill-opacity="0.85"/>`+"\n",
				x(iv.from), yc-svgBand/2-svgHoldPad, x(iv.to)-x(iv.from), svgBand+2*svgHoldPad, colour)
		}
		for _, iv := range indicationIntervals(u.changes, s.phase, r.w.epoch, winStart, winEnd) {
			fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%g" fill="%s"/>`+"\n",
				x(iv.from), yc-svgBand/2, x(iv.to)-x(iv.from), svgBand, indicationColour(iv.ind))
		}
		fmt.Fprintf(w, `<text x="%g" y="%.1f" dominant-baseline="middle" font-size="10">%s</text>`+"\n",
			svgLeft+plotW+4, yc, esc(r.w.units[s.unit].id))
	}

	// Trajectory.
	var pts strings.Builder
	for _, p := range v.trajectory {
		fmt.Fprintf(&pts, "%.1f,%.1f ", x(p.t), y(p.along))
	}
	fmt.Fprintf(w, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.TrimSpace(pts.String()), colourTrajector)
	for _, p := range v.passes {
		fill := "white"
		if !p.green {
			fill = colourTrajector
		}
		fmt.Fprintf(w, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s" stroke="%s" stroke-width="1.5"/>`+"\n", x(p.t), y(p.along), fill, colourTrajector)
	}

	// Legend.
	lx, ly := svgLeft+plotW+60, svgTop+10
	legend := []struct{ colour, label string }{
		{colourGreen, "green"}, {colourYellow, "yellow"}, {colourRed, "red"},
		{colourEntry, "preempt entry"}, {colourHold, "preempt hold"},
	}
	for i, l := range legend {
		fmt.Fprintf(w, `<rect x="%g" y="%g" width="14" height="10" fill="%s"/><text x="%g" y="%g">%s</text>`+"\n",
			lx, ly+float64(i)*18, l.colour, lx+20, ly+float64(i)*18+9, l.label)
	}
	ly += float64(len(legend)) * 18
	fmt.Fprintf(w, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/><text x="%g" y="%g">vehicle</text>`+"\n",
		lx, ly+5, lx+14, ly+5, colourTrajector, lx+20, ly+9)
	ly += 18
	fmt.Fprintf(w, `<circle cx="%g" cy="%g" r="4" fill="white" stroke="%s" stroke-width="1.5"/><text x="%g" y="%g">green arrival</text>`+"\n",
		lx+7, ly+5, colourTrajector, lx+20, ly+9)
	ly += 18
	fmt.Fprintf(w, `<circle cx="%g" cy="%g" r="4" fill="%s" stroke="%s" stroke-width="1.5"/><text x="%g" y="%g">braked for it</text>`+"\n",
		lx+7, ly+5, colourTrajector, colourTrajector, lx+20, ly+9)
	fmt.Fprintln(w, `</svg>`)
}

type indicationInterval struct {
	from, to time.Duration
	ind      signals.Indication
}

// indicationIntervals turns a unit's change log into the intervals of
// phase's indication that meet [from, to).
func indicationIntervals(changes []signals.Change, phase int, epoch time.Time, from, to time.Duration) []indicationInterval {
	var out []indicationInterval
	cur, since := signals.Red, time.Duration(math.MinInt64)
	emit := func(end time.Duration) {
		a, b := max(since, from), min(end, to)
		if b > a {
			out = append(out, indicationInterval{a, b, cur})
		}
	}
	for _, c := range changes {
		if c.Phase != phase {
			continue
		}
		t := c.At.Sub(epoch)
		emit(t)
		cur, since = c.To, t
	}
	emit(to)
	return out
}

type stateInterval struct {
	from, to time.Duration
	state    wire.State
}

// preemptIntervals is when the unit was in entry or hold, within [from, to).
func preemptIntervals(changes []signals.Change, epoch time.Time, from, to time.Duration) []stateInterval {
	var out []stateInterval
	cur, since := wire.StateNormal, time.Duration(math.MinInt64)
	emit := func(end time.Duration) {
		a, b := max(since, from), min(end, to)
		if b > a && (cur == wire.StateEntry || cur == wire.StateHold) {
			out = append(out, stateInterval{a, b, cur})
		}
	}
	for _, c := range changes {
		if c.Phase != 0 {
			continue
		}
		t := c.At.Sub(epoch)
		emit(t)
		cur, since = c.State, t
	}
	emit(to)
	return out
}

func indicationColour(i signals.Indication) string {
	switch i {
	case signals.Green:
		return colourGreen
	case signals.Yellow:
		return colourYellow
	}
	return colourRed
}

// niceStep is a 1, 2 or 5 times a power of ten step giving at most about n
// ticks over span.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
