package sumo

import (
	"bufio"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
)

// WriteSVGs writes one time-distance diagram per ambulance trip into dir:
// the trip's distance driven against the time since its departure, one
// line per strategy, with a dot where it crossed each signal's stop line
// (green: a green arrival; red: it stopped or met yellow or red). It needs
// a report made with CoSimOptions.Record, and returns the files written.
func (rep *CoSimReport) WriteSVGs(dir string) ([]string, error) {
	if len(rep.Runs) == 0 {
		return nil, nil
	}
	var files []string
	for ti := range rep.Runs[0].run.ambs {
		name := filepath.Join(dir, fmt.Sprintf("%s-%s.svg", rep.Scenario, rep.Runs[0].run.ambs[ti].trip.spec.ID))
		if err := rep.writeTripSVG(name, ti); err != nil {
			return files, err
		}
		files = append(files, name)
	}
	return files, nil
}

var strategyColors = map[string]string{"none": "#888888", "range": "#d9822b", "greenwave": "#1f77b4"}

func (rep *CoSimReport) writeTripSVG(name string, ti int) error {
	const w, h, pad = 760.0, 420.0, 50.0
	maxT, maxD := 1.0, 1.0
	for _, run := range rep.Runs {
		a := run.run.ambs[ti]
		for _, p := range a.traj {
			maxT = math.Max(maxT, p.t-a.departS)
			maxD = math.Max(maxD, p.dist)
		}
	}
	x := func(t float64) float64 { return pad + (w-2*pad)*t/maxT }
	y := func(d float64) float64 { return h - pad - (h-2*pad)*d/maxD }
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer f.Close()
	b := bufio.NewWriter(f)
	trip := rep.Runs[0].run.ambs[ti].trip.spec.ID
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(b, `<rect width="100%%" height="100%%" fill="white"/><text x="%.0f" y="20">%s: distance (m) against time since departure (s)</text>`+"\n",
		pad, html.EscapeString(trip))
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n",
		pad, h-pad, w-pad, h-pad, pad, h-pad, pad, pad)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%.0f s</text><text x="4" y="%.1f">%.0f m</text>`+"\n", w-pad-20, h-pad+16, maxT, pad+4, maxD)
	for k, run := range rep.Runs {
		a := run.run.ambs[ti]
		color := strategyColors[run.Strategy]
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="%s">%s</text>`+"\n", w-pad-90, pad+14*float64(k+1), color, html.EscapeString(run.Strategy))
		if len(a.traj) == 0 {
			continue
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="`, color)
		for _, p := range a.traj {
			fmt.Fprintf(b, "%.1f,%.1f ", x(p.t-a.departS), y(p.dist))
		}
		fmt.Fprintln(b, `"/>`)
		for i := range a.sigs {
			s := &a.sigs[i]
			if math.IsNaN(s.passS) {
				continue
			}
			d := distanceAt(a.traj, s.passS)
			dot := "#2ca02c"
			if !s.greenArrival() {
				dot = "#d62728"
			}
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x(s.passS-a.departS), y(d), dot)
		}
	}
	fmt.Fprintln(b, `</svg>`)
	if err := b.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// distanceAt is the trajectory's distance at time t (the last point at or
// before it).
func distanceAt(traj []trajPoint, t float64) float64 {
	d := 0.0
	for _, p := range traj {
		if p.t > t {
			break
		}
		d = p.dist
	}
	return d
}
