package sim

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteFrontierSVG draws the sweep as a trade-off chart: EV signal delay
// (s) on x, cross queue delay (vehicle-seconds) on y, one polyline per
// swept parameter through its settings, and the reference rows as
// labelled points. Lower-left is better on both. When the delays span
// more than a factor of 20 the x axis is logarithmic, so that the
// settings that serve the vehicle well are not crowded into a corner.
func (rep *SweepReport) WriteFrontierSVG(out io.Writer) error {
	w := bufio.NewWriter(out)
	const width, height, left, right, top, bottom = 820.0, 580.0, 90.0, 170.0, 70.0, 60.0
	plotW, plotH := width-left-right, height-top-bottom
	xMax, xMinPos, yMin, yMax := 1.0, math.Inf(1), 0.0, 1.0
	for _, r := range rep.Rows {
		xMax = math.Max(xMax, r.Totals.EVSignalDelayS)
		if r.Totals.EVSignalDelayS > 0 {
			xMinPos = math.Min(xMinPos, r.Totals.EVSignalDelayS)
		}
		yMin = math.Min(yMin, r.Totals.CrossQueueDelayS)
		yMax = math.Max(yMax, r.Totals.CrossQueueDelayS)
	}
	logX := xMax/xMinPos > 20
	xMax *= 1.05
	pad := 0.05 * (yMax - yMin)
	yMin, yMax = yMin-pad, yMax+pad
	x := func(v float64) float64 { return left + v/xMax*plotW }
	var xTicks []float64
	if logX {
		lo := math.Pow(10, math.Floor(math.Log10(xMinPos)))
		x = func(v float64) float64 {
			return left + math.Log10(math.Max(v, lo)/lo)/math.Log10(xMax/lo)*plotW
		}
		for d := lo; d <= xMax; d *= 10 {
			for _, m := range []float64{1, 2, 5} {
				if v := m * d; v <= xMax {
					xTicks = append(xTicks, v)
				}
			}
		}
	} else {
		for v, step := 0.0, niceStep(xMax, 8); v <= xMax; v += step {
			xTicks = append(xTicks, v)
		}
	}
	y := func(v float64) float64 { return top + plotH - (v-yMin)/(yMax-yMin)*plotH }

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(w, `<rect width="%g" height="%g" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(w, `<text x="%g" y="26" font-size="15" font-weight="bold">%s, seed %d</text>`+"\n", left, esc(rep.Scenario), rep.Seed)
	fmt.Fprintf(w, `<text x="%g" y="46">emergency vehicle delay against cross-traffic delay: lower left is better</text>`+"\n", left)
	fmt.Fprintf(w, `<g stroke="#e4e4e4">`+"\n")
	yStep := niceStep(yMax-yMin, 8)
	for _, v := range xTicks {
		fmt.Fprintf(w, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`+"\n", x(v), top, x(v), top+plotH)
	}
	for v := math.Ceil(yMin/yStep) * yStep; v <= yMax; v += yStep {
		fmt.Fprintf(w, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f"/>`+"\n", left, y(v), left+plotW, y(v))
	}
	fmt.Fprintln(w, `</g>`)
	for _, v := range xTicks {
		fmt.Fprintf(w, `<text x="%.1f" y="%g" text-anchor="middle">%g</text>`+"\n", x(v), top+plotH+18, v)
	}
	for v := math.Ceil(yMin/yStep) * yStep; v <= yMax; v += yStep {
		fmt.Fprintf(w, `<text x="%g" y="%.1f" text-anchor="end">%g</text>`+"\n", left-6, y(v)+4, v)
	}
	xLabel := "EV signal delay, s (sum over trips)"
	if logX {
		xLabel += ", logarithmic"
	}
	fmt.Fprintf(w, `<text x="%g" y="%g" text-anchor="middle">%s</text>`+"\n", left+plotW/2, height-18, xLabel)
	fmt.Fprintf(w, `<text transform="translate(20 %g) rotate(-90)" text-anchor="middle">cross queue delay, vehicle-seconds (vs no preemption)</text>`+"\n", top+plotH/2)

	styles := map[string]struct{ colour, mark string }{
		SweepRangeM: {"#d62728", "square"},
		SweepPrice:  {"#1f77b4", "circle"},
	}
	legendY := top + 10
	for _, param := range []string{SweepRangeM, SweepPrice} {
		var pts []string
		var rows []SweepRow
		for _, r := range rep.Rows {
			if r.Param == param {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(r.Totals.EVSignalDelayS), y(r.Totals.CrossQueueDelayS)))
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			continue
		}
		st := styles[param]
		fmt.Fprintf(w, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`+"\n", strings.Join(pts, " "), st.colour)
		for _, r := range rows {
			px, py := x(r.Totals.EVSignalDelayS), y(r.Totals.CrossQueueDelayS)
			label := fmt.Sprintf("%s=%s: %.1f s, %.0f veh·s", param, formatSetting(r.Value), r.Totals.EVSignalDelayS, r.Totals.CrossQueueDelayS)
			if st.mark == "square" {
				fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="7" height="7" fill="%s"><title>%s</title></rect>`+"\n", px-3.5, py-3.5, st.colour, esc(label))
			} else {
				fmt.Fprintf(w, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s</title></circle>`+"\n", px, py, st.colour, esc(label))
			}
			fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-size="10" fill="%s">%s</text>`+"\n", px+6, py-5, st.colour, esc(formatSetting(r.Value)))
		}
		name := map[string]string{SweepRangeM: "range, by range_m", SweepPrice: "greenwave, by price"}[param]
		fmt.Fprintf(w, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/><text x="%g" y="%g">%s</text>`+"\n",
			left+plotW+15, legendY, left+plotW+35, legendY, st.colour, left+plotW+40, legendY+4, name)
		legendY += 20
	}
	for _, r := range rep.Rows {
		if r.Param != "" {
			continue
		}
		px, py := x(r.Totals.EVSignalDelayS), y(r.Totals.CrossQueueDelayS)
		label := r.Strategy
		if r.Strategy == StrategyGreenwave {
			label += " (defaults)"
		}
		fmt.Fprintf(w, `<path d="M %.1f %.1f l 6 6 l -6 6 l -6 -6 z" transform="translate(0 -6)" fill="#111"><title>%s: %.1f s, %.0f veh·s</title></path>`+"\n", px, py, esc(label), r.Totals.EVSignalDelayS, r.Totals.CrossQueueDelayS)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" font-weight="bold">%s</text>`+"\n", px+8, py+14, esc(label))
	}
	fmt.Fprintln(w, `</svg>`)
	return w.Flush()
}
