package sim

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/browsertest"
)

// A frontier-like figure, as a sweep would pass one in.
var testSection = HTMLSection{Title: "Frontier", Caption: "cross green lost against EV delay",
	SVG: []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200" viewBox="0 0 300 200"><polyline points="10,190 100,80 290,20" fill="none" stroke="black"/></svg>`)}

func htmlReport(t *testing.T) ([]byte, *Report) {
	t.Helper()
	sc, err := LoadScenario(filepath.Join("testdata", "grid-crossing.yaml"))
	require.NoError(t, err)
	rep, err := Simulate(sc, Options{Record: true})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, rep.WriteHTML(&buf, HTMLOptions{Sections: []HTMLSection{testSection}}))
	return buf.Bytes(), rep
}

// The report is one file that refers to nothing outside it, with a row per
// strategy, a diagram per trip and strategy, and the sections given.
func TestHTMLReportIsSelfContained(t *testing.T) {
	page, rep := htmlReport(t)
	s := string(page)
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(|@import|<script|<link`)
	assert.Empty(t, external.FindAllString(s, -1), "nothing loaded from elsewhere")
	assert.Equal(t, len(rep.Runs)*len(rep.Runs[0].Vehicles), strings.Count(s, `<figure class="ts"`))
	assert.Contains(t, s, `<h2 id="h-section-1">Frontier</h2>`)
	assert.Equal(t, 1+len(rep.Runs)*len(rep.Runs[0].Vehicles), strings.Count(s, `<svg role="img" aria-label=`), "every figure is named")

	// Without recorded trajectories: the tables, and a word why there is no diagram.
	sc, err := LoadScenario(filepath.Join("testdata", "grid-crossing.yaml"))
	require.NoError(t, err)
	plain, err := Simulate(sc, Options{Strategies: []string{StrategyGreenwave}})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, plain.WriteHTML(&buf, HTMLOptions{}))
	assert.NotContains(t, buf.String(), "<svg")
	assert.Contains(t, buf.String(), "without recording trajectories")
}

// The report opens in Chromium with its diagrams drawn: every figure has
// a size on the page, every trip's trajectory a length, and nothing is
// logged as an error.
func TestHTMLReportRendersInChromium(t *testing.T) {
	page, rep := htmlReport(t)
	file := filepath.Join(t.TempDir(), "report.html")
	require.NoError(t, os.WriteFile(file, page, 0o644))
	pg := browsertest.New(t, 1200, 900)
	require.NoError(t, pg.Run(15*time.Second, chromedp.Navigate("file://"+file)))
	type figure struct {
		Strategy string  `json:"strategy"`
		Vehicle  string  `json:"vehicle"`
		Width    float64 `json:"width"`
		Height   float64 `json:"height"`
		Line     float64 `json:"line"`
		Bars     int     `json:"bars"`
	}
	figs, err := browsertest.Eval[[]figure](pg, 10*time.Second, `[...document.querySelectorAll('figure.ts')].map(f => {
		const svg = f.querySelector('svg'), r = svg.getBoundingClientRect(), line = svg.querySelector('polyline');
		return { strategy: f.dataset.strategy, vehicle: f.dataset.vehicle, width: r.width, height: r.height,
		         line: line ? line.getTotalLength() : 0, bars: svg.querySelectorAll('rect').length };
	})`)
	require.NoError(t, err)
	require.Len(t, figs, len(rep.Runs)*len(rep.Runs[0].Vehicles))
	for _, f := range figs {
		assert.Greater(t, f.Width, 500.0, "%s/%s drawn", f.Strategy, f.Vehicle)
		assert.Greater(t, f.Height, 250.0, "%s/%s drawn", f.Strategy, f.Vehicle)
		assert.Greater(t, f.Line, 100.0, "%s/%s: the trajectory has a length on screen", f.Strategy, f.Vehicle)
		assert.Greater(t, f.Bars, 5, "%s/%s: signal bars", f.Strategy, f.Vehicle)
	}
	rows, err := browsertest.Eval[int](pg, 5*time.Second, `document.querySelectorAll('#results tbody tr').length`)
	require.NoError(t, err)
	assert.Equal(t, len(rep.Runs), rows)
	frontier, err := browsertest.Eval[float64](pg, 5*time.Second, `document.querySelector('#section-1 svg').getBoundingClientRect().width`)
	require.NoError(t, err)
	assert.InDelta(t, 300, frontier, 2, "the frontier section is drawn")

	shot, err := pg.Screenshot(10 * time.Second)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	assert.Equal(t, 1200, img.Bounds().Dx())
	assert.Equal(t, 900, img.Bounds().Dy())
	assert.Empty(t, pg.Errors(), "console errors")
}
