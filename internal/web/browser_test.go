package web_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/browsertest"
	"github.com/greenwave-project/greenwave/internal/demo"
	"github.com/greenwave-project/greenwave/internal/web"
	"github.com/greenwave-project/greenwave/routing"
)

// EnvScreenshot, when set, is where TestOperatorPageOnTheDemo writes its
// screenshot (the README's is docs/img/operator-page.png, made with
// GREENWAVE_SCREENSHOT=$PWD/docs/img/operator-page.png).
const EnvScreenshot = "GREENWAVE_SCREENSHOT"

// watchScript runs before the page's own script and logs, as they happen,
// every change of a signal's shown state (with what each vehicle then had
// ahead of it) and every move of a vehicle marker.
const watchScript = `
window.__gw = { states: [], moves: [] };
new MutationObserver((muts) => {
  const t = performance.now();
  for (const m of muts) {
    const e = m.target;
    if (m.attributeName === 'data-state' && e.dataset.intersection) {
      const ahead = {};
      for (const v of document.querySelectorAll('.veh')) ahead[v.dataset.vehicle] = v.dataset.ahead || '';
      __gw.states.push({ t, id: e.dataset.intersection, state: e.dataset.state, ahead });
    } else if (m.attributeName === 'data-x' && e.dataset.vehicle) {
      __gw.moves.push({ t, id: e.dataset.vehicle, x: +e.dataset.x, y: +e.dataset.y });
    }
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state', 'data-x'] });
`

type stateChange struct {
	T     float64           `json:"t"`
	ID    string            `json:"id"`
	State string            `json:"state"`
	Ahead map[string]string `json:"ahead"`
}

type move struct {
	T  float64 `json:"t"`
	ID string  `json:"id"`
	X  float64 `json:"x"`
	Y  float64 `json:"y"`
}

// heldAndReleased finds a signal that went to hold while a vehicle had it
// ahead, and then out of hold once no vehicle had it ahead any more.
func heldAndReleased(log []stateChange) (id, vehicle string, ok bool) {
	for i, h := range log {
		if h.State != "hold" {
			continue
		}
		var approaching string
		for v, ahead := range h.Ahead {
			if slices.ContainsFunc(strings.Fields(ahead), func(s string) bool { return strings.HasPrefix(s, h.ID+":") }) {
				approaching = v
			}
		}
		if approaching == "" {
			continue
		}
		for _, after := range log[i+1:] {
			if after.ID != h.ID || after.State == "hold" {
				continue
			}
			if (after.State == "exit" || after.State == "normal") && !strings.Contains(after.Ahead[approaching], h.ID+":") {
				return h.ID, approaching, true
			}
			break
		}
	}
	return "", "", false
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The operator page on a running demo, in headless Chromium: it draws
// every intersection of the map, a signal turns to hold while the
// ambulance approaches and back once it has passed, the ambulance's marker
// moves, the page works by keyboard, and nothing is logged as an error.
func TestOperatorPageOnTheDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo in a browser (about 15 s); skipped with -short")
	}
	mapFile, err := demo.FindDefaultMap()
	require.NoError(t, err)
	net, err := routing.LoadMapFile(mapFile)
	require.NoError(t, err)

	const width, height = 1280, 800
	pg := browsertest.New(t, width, height)
	require.NoError(t, pg.Run(10*time.Second, browsertest.OnNewDocument(watchScript)))

	urls := make(chan string, 1)
	var out, rec syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := demo.Run(ctx, demo.Options{MapFile: mapFile, Speedup: 25, Out: &out,
			HTTPAddr: "127.0.0.1:0", OnPage: func(u string) { urls <- u }, WaitForPage: true, KeepPage: true,
			PageBatch: 100 * time.Millisecond, Record: &rec})
		done <- err
	}()
	var stopOnce sync.Once
	stopDemo := func() {
		stopOnce.Do(func() {
			pg.Close() // first: the page must not see its server go away
			cancel()
			if err := <-done; err != nil && ctx.Err() == nil {
				t.Errorf("demo: %v\n%s", err, out.String())
			}
		})
	}
	defer stopDemo()
	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatalf("demo ended before serving the page: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no page served in 30 s\n%s", out.String())
	}
	require.NoError(t, pg.Run(15*time.Second, chromedp.Navigate(url)))

	// Every intersection of the map, each once.
	n := len(net.Intersections())
	require.NoError(t, pg.Run(15*time.Second, chromedp.Poll[chromedp.Void](
		`document.querySelectorAll('#sigs [data-intersection]').length === `+strconv.Itoa(n)+` && document.getElementById('conn').classList.contains('up')`,
		chromedp.WithPollingInterval(50*time.Millisecond))))
	ids, err := browsertest.Eval[[]string](pg, 5*time.Second, `[...document.querySelectorAll('#sigs [data-intersection]')].map(e => e.dataset.intersection)`)
	require.NoError(t, err)
	want := make([]string, 0, n)
	for _, in := range net.Intersections() {
		want = append(want, in.ID)
	}
	assert.ElementsMatch(t, want, ids, "one marker per intersection of the map")

	// A signal holds for the ambulance, and lets go once it has passed.
	// The hold's marker is read the moment it is seen: a hold of the
	// demo's ambulance lasts a few seconds of real time, and may be over
	// by the time a screenshot has been taken.
	require.NoError(t, pg.Run(60*time.Second, chromedp.Poll[chromedp.Void](`(() => {
		const g = document.querySelector('#sigs [data-state=hold]');
		if (!g) return false;
		window.__hold = { use: g.querySelector('use').getAttribute('href'), letter: g.querySelector('text.letter').textContent,
		                  label: g.getAttribute('aria-label') };
		return true;
	})()`, chromedp.WithPollingInterval(20*time.Millisecond))), out.String())
	// Close up on the ambulance, by keyboard: its marker takes focus,
	// Enter centres the map on it, + zooms in around it.
	require.NoError(t, pg.Run(5*time.Second, chromedp.Focus(chromedp.CSS("#vehs .veh")), chromedp.KeyEvent(kb.Enter),
		chromedp.KeyEvent("+"), chromedp.KeyEvent("+"), chromedp.KeyEvent("+"), chromedp.KeyEvent("+")))
	nextFrame(t, pg)
	shot, err := pg.Screenshot(10 * time.Second)
	require.NoError(t, err)
	checkScreenshot(t, shot, width, height)
	holding, err := browsertest.Eval[map[string]string](pg, 5*time.Second, `window.__hold`)
	require.NoError(t, err)
	assert.Equal(t, "#s-hold", holding["use"], "hold has its own shape")
	assert.Equal(t, "H", holding["letter"], "and its own letter: never colour alone")
	assert.Contains(t, holding["label"], ": hold")

	var (
		states []stateChange
		moves  []move
	)
	deadline := time.Now().Add(60 * time.Second)
	for {
		states, err = browsertest.Eval[[]stateChange](pg, 5*time.Second, `__gw.states`)
		require.NoError(t, err)
		if _, _, ok := heldAndReleased(states); ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	id, vehicle, ok := heldAndReleased(states)
	require.True(t, ok, "no signal went to hold with the ambulance approaching and back after it passed; seen: %v\n%s", states, out.String())
	t.Logf("%s held for %s while it approached, and let go after it passed", id, vehicle)

	// The ambulance's marker moved.
	moves, err = browsertest.Eval[[]move](pg, 5*time.Second, `__gw.moves`)
	require.NoError(t, err)
	var travelled float64
	for i := 1; i < len(moves); i++ {
		if moves[i].ID == vehicle && moves[i-1].ID == vehicle {
			travelled += math.Hypot(moves[i].X-moves[i-1].X, moves[i].Y-moves[i-1].Y)
		}
	}
	assert.Greater(t, travelled, 100.0, "the marker of %s moved (m)", vehicle)

	checkKeyboard(t, pg)
	checkFilters(t, pg, vehicle)

	assert.Empty(t, pg.Errors(), "console errors")
	// The demo recorded what the page was shown: the hold and the
	// ambulance's fixes are in it.
	stopDemo()
	recording, err := web.OpenRecording(strings.NewReader(rec.String()))
	require.NoError(t, err)
	assert.Len(t, recording.Header.Map.Intersections, n)
	var fixes, holds int
	for {
		b, err := recording.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		for _, v := range b.Vehicles {
			if v.ID == vehicle {
				fixes++
			}
		}
		for _, st := range b.Statuses {
			if st.ID == id && st.State == "hold" {
				holds++
			}
		}
	}
	assert.Greater(t, fixes, 10, "the ambulance's fixes are recorded")
	assert.Positive(t, holds, "the hold is recorded")

	if path := os.Getenv(EnvScreenshot); path != "" {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, shot, 0o644))
		t.Logf("screenshot written to %s", path)
	}
}

// checkScreenshot decodes the PNG and checks its size, and that it shows
// something: a blank or error page has a handful of colours.
func checkScreenshot(t *testing.T, b []byte, width, height int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, width, height), img.Bounds())
	assert.Greater(t, len(b), 30_000, "a page of map is not a small PNG")
	colours := map[[3]uint32]bool{}
	for y := 0; y < height; y += 4 {
		for x := 0; x < width; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	assert.Greater(t, len(colours), 50, "distinct colours in the screenshot")
}

// The map pans and zooms by keyboard, a signal is reached with Tab and
// opened with Enter, and Escape closes it.
func checkKeyboard(t *testing.T, pg *browsertest.Page) {
	t.Helper()
	viewBox := func() []float64 {
		vb, err := browsertest.Eval[[]float64](pg, 5*time.Second, `document.getElementById('map').getAttribute('viewBox').split(' ').map(Number)`)
		require.NoError(t, err)
		require.Len(t, vb, 4)
		return vb
	}
	frame := func() { nextFrame(t, pg) }
	require.NoError(t, pg.Run(5*time.Second, chromedp.Focus(chromedp.CSS("#map")), chromedp.KeyEvent("0")))
	frame()
	before := viewBox()
	require.NoError(t, pg.Run(5*time.Second, chromedp.KeyEvent("+")))
	frame()
	zoomed := viewBox()
	assert.Less(t, zoomed[2], before[2]*0.9, "+ zooms in")
	require.NoError(t, pg.Run(5*time.Second, chromedp.KeyEvent(kb.ArrowRight)))
	frame()
	assert.Greater(t, viewBox()[0], zoomed[0], "→ pans east")
	require.NoError(t, pg.Run(5*time.Second, chromedp.KeyEvent("0")))
	frame()
	assert.InDelta(t, before[2], viewBox()[2], before[2]*0.01, "0 shows the whole map again")

	require.NoError(t, pg.Run(5*time.Second, chromedp.KeyEvent(kb.Tab)))
	focused, err := browsertest.Eval[string](pg, 5*time.Second, `document.activeElement.dataset.intersection || ''`)
	require.NoError(t, err)
	require.NotEmpty(t, focused, "Tab from the map reaches a signal")
	require.NoError(t, pg.Run(5*time.Second, chromedp.KeyEvent(kb.Enter)))
	require.NoError(t, pg.Run(10*time.Second, chromedp.Poll[chromedp.Void](
		`!document.getElementById('sigpanel').hidden && document.querySelectorAll('#history li time').length > 0`,
		chromedp.WithPollingInterval(20*time.Millisecond))), "Enter shows the signal's history")
	title, err := browsertest.Eval[string](pg, 5*time.Second, `document.getElementById('h-sig').textContent`)
	require.NoError(t, err)
	assert.Contains(t, title, focused)
	require.NoError(t, pg.Run(5*time.Second, chromedp.KeyEvent(kb.Escape)))
	hidden, err := browsertest.Eval[bool](pg, 5*time.Second, `document.getElementById('sigpanel').hidden`)
	require.NoError(t, err)
	assert.True(t, hidden, "Escape closes the history")

	unlabelled, err := browsertest.Eval[int](pg, 5*time.Second,
		`[...document.querySelectorAll('#sigs .sig, #vehs .veh, button, input, select')].filter(e => !(e.getAttribute('aria-label') || e.labels?.length || e.textContent.trim())).length`)
	require.NoError(t, err)
	assert.Zero(t, unlabelled, "controls and markers without an accessible name")
}

// nextFrame waits until the page has drawn twice: the view is redrawn on
// the next animation frame.
func nextFrame(t *testing.T, pg *browsertest.Page) {
	t.Helper()
	require.NoError(t, pg.Run(5*time.Second, chromedp.Evaluate[chromedp.Void](
		`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise)))
}

// The decisions panel filters by vehicle and by intersection.
func checkFilters(t *testing.T, pg *browsertest.Page, vehicle string) {
	t.Helper()
	setFilter := func(id, value string) []string {
		require.NoError(t, pg.Run(5*time.Second, chromedp.Evaluate[chromedp.Void](`(() => {
			const e = document.getElementById('`+id+`'); e.value = '`+value+`'; e.dispatchEvent(new Event('input'));
		})()`)))
		rows, err := browsertest.Eval[[]string](pg, 5*time.Second, `[...document.querySelectorAll('#decisions li')].map(li => li.textContent)`)
		require.NoError(t, err)
		return rows
	}
	rows := setFilter("fveh", vehicle)
	require.NotEmpty(t, rows, "decisions about %s", vehicle)
	for _, r := range rows {
		assert.Contains(t, r, vehicle)
	}
	assert.Empty(t, setFilter("fveh", "no-such-vehicle"))
	setFilter("fveh", "")
	rows = setFilter("fint", "n-")
	require.NotEmpty(t, rows)
	for _, r := range rows {
		assert.Contains(t, r, "@ n-")
	}
	setFilter("fint", "")
}
