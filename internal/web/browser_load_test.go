package web

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/browsertest"
	"github.com/greenwave-project/greenwave/internal/clock"
)

// longTasks counts the page's long tasks (over 50 ms, when the page could
// not answer input), from before its own script runs.
const longTasks = `
window.__lt = { n: 0, total: 0, max: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) { __lt.n++; __lt.total += e.duration; __lt.max = Math.max(__lt.max, e.duration); }
}).observe({ entryTypes: ['longtask'] });
`

// The page in Chromium with 1,000 vehicles on the map, fed in real time
// at 1 Hz each: it draws every vehicle, applies every batch (or, if it
// fell behind, is resynchronised and says how many it missed: the count
// it shows is the server's), and ends in step with the server.
func TestPageWithAThousandVehicles(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand vehicles in a browser for a few seconds; skipped with -short")
	}
	net := luxembourg(t)
	h, err := New(Options{Network: net, Clock: clock.Wall{}})
	require.NoError(t, err)
	srv := httptest.NewServer(Handler(h, "", nil))
	defer srv.Close()
	f := newFleet(t, net, 1000)
	second := func(paced bool) {
		for q := range 4 {
			f.quarter(h, q, time.Now())
			h.Flush()
			if paced {
				time.Sleep(250 * time.Millisecond)
			}
		}
	}
	second(false) // every vehicle on the map before the page opens

	pg := browsertest.New(t, 1280, 800)
	defer h.closeClients() // before srv.Close, which waits for the page's stream to end
	defer pg.Close()
	require.NoError(t, pg.Run(10*time.Second, browsertest.OnNewDocument(longTasks), chromedp.Navigate(srv.URL+"/")))
	require.NoError(t, pg.Run(30*time.Second, chromedp.Poll[chromedp.Void](`document.querySelectorAll('#vehs .veh').length === 1000`,
		chromedp.WithPollingInterval(50*time.Millisecond))), "the snapshot's 1,000 vehicles drawn")
	const seconds = 6
	for range seconds {
		second(true)
	}
	final := h.Snapshot().Seq
	require.NoError(t, pg.Run(30*time.Second, chromedp.Poll[chromedp.Void](`Number(document.body.dataset.seq) >= `+itoa(final),
		chromedp.WithPollingInterval(20*time.Millisecond))), "the page applies the last batch")

	type pageStats struct {
		Vehicles  int     `json:"vehicles"`
		Paths     int     `json:"paths"`
		Dropped   string  `json:"dropped"`
		SlowestMs string  `json:"slowest"`
		LongTasks int     `json:"long_tasks"`
		LongMs    float64 `json:"long_ms"`
		LongMax   float64 `json:"long_max"`
	}
	st, err := browsertest.Eval[pageStats](pg, 5*time.Second, `({ vehicles: document.querySelectorAll('#vehs .veh').length,
		paths: document.querySelectorAll('#paths path[d]').length, dropped: document.getElementById('dropped').textContent,
		slowest: document.body.dataset.slowestBatchMs, long_tasks: __lt.n, long_ms: __lt.total, long_max: __lt.max })`)
	require.NoError(t, err)
	assert.Equal(t, 1000, st.Vehicles)
	assert.Equal(t, 1000, st.Paths, "every vehicle on a run shows its path ahead")
	dropped := counter(h.met.BatchesDropped)
	if dropped == 0 {
		assert.Empty(t, st.Dropped, "nothing missed, nothing said")
	} else {
		assert.Contains(t, st.Dropped, itoa(uint64(dropped))+" update", "the page shows what the server counted")
	}
	assert.Empty(t, pg.Errors(), "console errors")
	t.Logf("%d s of 1,000 vehicles at 1 Hz: %v batches dropped; slowest batch applied in %s ms; %d long tasks (%.0f ms in all, longest %.0f ms) in %d s",
		seconds, dropped, st.SlowestMs, st.LongTasks, st.LongMs, st.LongMax, seconds)
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
