package web

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

var (
	testOrigin = orb.Point{6.13, 49.61}
	testProj   = routing.NewProjection(testOrigin)
	t0         = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
)

func ll(x, y float64) orb.Point { return testProj.ToLonLat(routing.XY{X: x, Y: y}) }

// corridor is an east-west road 2 km long with signals I1 and I2 at
// x = 500 and 1000 m, and short cross streets.
func corridor(t testing.TB) *routing.Network {
	t.Helper()
	inv := &routing.Inventory{}
	road := func(id string, pts ...[2]float64) {
		r := routing.Road{ID: id, SpeedMps: 13.9, Class: "primary"}
		for _, p := range pts {
			r.Coords = append(r.Coords, ll(p[0], p[1]))
		}
		inv.Roads = append(inv.Roads, r)
	}
	road("w", [2]float64{0, 0}, [2]float64{500, 0})
	road("m", [2]float64{500, 0}, [2]float64{1000, 0})
	road("e", [2]float64{1000, 0}, [2]float64{2000, 0})
	for i, x := range []float64{500, 1000} {
		id := []string{"I1", "I2"}[i]
		inv.Intersections = append(inv.Intersections, routing.Intersection{ID: id, Name: "Place " + id, LonLat: ll(x, 0),
			Timing: routing.DefaultTiming(), Approaches: []routing.Approach{
				{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "WB", BearingDeg: 270, Phase: 6},
				{ID: "NB", BearingDeg: 0, Phase: 4}, {ID: "SB", BearingDeg: 180, Phase: 8}}})
		road(id+"-n", [2]float64{x, 0}, [2]float64{x, 200})
		road(id+"-s", [2]float64{x, 0}, [2]float64{x, -200})
	}
	net, err := routing.Build(inv)
	require.NoError(t, err)
	return net
}

// manualClock is a clock the test moves.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *manualClock) NewTimer(d time.Duration) *clock.Timer {
	return clock.Wall{}.NewTimer(d)
}
func (c *manualClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newTestHub(t testing.TB, opts Options) (*Hub, *manualClock) {
	t.Helper()
	clk := &manualClock{now: t0}
	if opts.Network == nil && opts.Map == nil {
		opts.Network = corridor(t)
	}
	opts.Clock = clk
	h, err := New(opts)
	require.NoError(t, err)
	return h, clk
}

func fix(id string, seq uint64, at time.Time, x float64, emergency bool) wire.Position {
	p := ll(x, 0)
	return wire.Position{VehicleID: id, Seq: seq, TS: at, Lat: p[1], Lon: p[0], SpeedMps: new(13.9), HeadingDeg: new(90.0), Emergency: emergency}
}

// lastBatch subscribes a page and returns a function giving the batches it
// is sent.
func page(t testing.TB, h *Hub) (*client, func() []*Batch) {
	t.Helper()
	c, first, err := h.subscribe()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(first), "event: snapshot\ndata: {"))
	return c, func() []*Batch {
		var out []*Batch
		for {
			select {
			case f := <-c.ch:
				out = append(out, decodeFrame(t, f))
			default:
				return out
			}
		}
	}
}

func decodeFrame(t testing.TB, f []byte) *Batch {
	t.Helper()
	s := string(f)
	require.True(t, strings.HasPrefix(s, "event: batch\ndata: "), s)
	require.True(t, strings.HasSuffix(s, "\n\n"))
	var b Batch
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(s, "event: batch\ndata: "), "\n\n")), &b))
	return &b
}

func counter(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	_ = (<-ch).Write(&m)
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// A vehicle's fixes, its path, its advisory, the statuses and the
// decisions of one batch interval arrive as one batch; the path is sent
// once, and again only when the engine follows the vehicle on another.
func TestBatchCarriesWhatWasObserved(t *testing.T) {
	h, clk := newTestHub(t, Options{})
	_, batches := page(t, h)
	net := h.opts.Network
	path, err := net.Route(ll(100, 0), ll(1900, 0))
	require.NoError(t, err)
	view := controller.VehicleView{Path: path, AlongM: 14, OnPath: true, Emergency: true}

	h.ObservePosition(t0, fix("amb-1", 1, t0, 100, true), view)
	view.AlongM = 28
	h.ObservePosition(t0, fix("amb-1", 2, t0.Add(time.Second), 114, true), view) // the last fix of the interval stands
	h.ObserveStatus(t0, wire.Status{IntersectionID: "I1", TS: t0, State: wire.StateNormal, GreenPhases: []int{4, 8}})
	h.ObserveReady(t0, controller.Ready{
		Advisories: []wire.Advisory{{VehicleID: "amb-1", Signals: []wire.AdvisorySignal{
			{IntersectionID: "I1", EtaS: 28, DistanceM: 386, State: wire.SignalRequested},
			{IntersectionID: "I2", EtaS: 64, DistanceM: 886, State: wire.SignalPlanned}}}},
		Decisions: []controller.Decision{{At: t0, Kind: controller.DecisionRequest, VehicleID: "amb-1", IntersectionID: "I1",
			RequestID: "amb-1.I1.1", EtaS: 28, LeadS: 34, DistanceM: 386, ExpiresAt: t0.Add(20 * time.Second)}},
	})
	h.Flush()
	got := batches()
	require.Len(t, got, 1)
	b := got[0]
	assert.Equal(t, uint64(1), b.Seq)
	assert.Equal(t, t0.UnixMilli(), b.Now)
	require.Len(t, b.Vehicles, 1)
	v := b.Vehicles[0]
	assert.Equal(t, "amb-1", v.ID)
	assert.InDelta(t, 114-1000, v.X, 0.2, "page x: metres east of the map's centre")
	assert.InDelta(t, 0, v.Y, 0.2)
	assert.Equal(t, 90.0, *v.HeadingDeg)
	assert.Equal(t, 28.0, v.AlongM)
	require.Len(t, b.Paths, 1)
	assert.Equal(t, b.Paths[0].ID, v.PathID)
	assert.Len(t, b.Paths[0].Points, 2*len(path.Points()))
	require.Len(t, b.Advisories, 1)
	assert.Equal(t, "requested", b.Advisories[0].Signals[0].State)
	require.Len(t, b.Statuses, 1)
	assert.Equal(t, []int{4, 8}, b.Statuses[0].Greens)
	require.Len(t, b.Preempts, 1)
	assert.Equal(t, Preempt{RequestID: "amb-1.I1.1", VehicleID: "amb-1", IntersectionID: "I1", Since: t0.UnixMilli(),
		ExpiresAt: t0.Add(20 * time.Second).UnixMilli()}, b.Preempts[0])
	require.Len(t, b.Decisions, 1)
	assert.JSONEq(t, `{"at":"2026-11-23T08:00:00Z","kind":"request","vehicle_id":"amb-1","intersection_id":"I1",`+
		`"request_id":"amb-1.I1.1","eta_s":28,"lead_s":34,"distance_m":386,"expires_at":"2026-11-23T08:00:20Z"}`, string(b.Decisions[0]),
		"the decision's stable JSON")

	// The same path again: not resent. Another path: sent, with a new id.
	clk.advance(time.Second)
	view.AlongM = 42
	h.ObservePosition(t0, fix("amb-1", 3, t0.Add(2*time.Second), 128, true), view)
	h.Flush()
	b = batches()[0]
	assert.Empty(t, b.Paths)
	assert.Equal(t, v.PathID, b.Vehicles[0].PathID)
	other, err := net.Route(ll(150, 0), ll(1000, 150))
	require.NoError(t, err)
	h.ObservePosition(t0, fix("amb-1", 4, t0.Add(3*time.Second), 142, true), controller.VehicleView{Path: other, OnPath: true})
	h.Flush()
	b = batches()[0]
	require.Len(t, b.Paths, 1)
	assert.NotEqual(t, v.PathID, b.Paths[0].ID)
	assert.Equal(t, b.Paths[0].ID, b.Vehicles[0].PathID)

	snap := h.Snapshot()
	assert.Equal(t, uint64(3), snap.Seq)
	require.Len(t, snap.Vehicles, 1)
	assert.Len(t, snap.Vehicles[0].Signals, 2, "the snapshot carries the advisory with the vehicle")
	require.Len(t, snap.Paths, 1)
	assert.Equal(t, b.Paths[0].ID, snap.Paths[0].ID, "only the current path")
}

// A preempt is live from its request to its release, granted when the
// roadside holds it; one that is neither refreshed nor released ends
// when its expires_at has passed.
func TestPreemptLifecycle(t *testing.T) {
	h, clk := newTestHub(t, Options{})
	_, batches := page(t, h)
	req := func(rid string, at time.Time) controller.Decision {
		return controller.Decision{At: at, Kind: controller.DecisionRequest, VehicleID: "amb-1", IntersectionID: "I1", RequestID: rid, ExpiresAt: at.Add(20 * time.Second)}
	}
	h.ObserveReady(t0, controller.Ready{Decisions: []controller.Decision{req("r1", t0), req("r2", t0)}})
	h.Flush()
	assert.Len(t, batches()[0].Preempts, 2)

	h.ObserveReady(t0, controller.Ready{Decisions: []controller.Decision{
		{At: t0, Kind: controller.DecisionGrant, RequestID: "r1", IntersectionID: "I1", VehicleID: "amb-1"},
		{At: t0, Kind: controller.DecisionRefresh, RequestID: "r1", IntersectionID: "I1", VehicleID: "amb-1", ExpiresAt: t0.Add(25 * time.Second)},
	}})
	h.Flush()
	b := batches()[0]
	require.Len(t, b.Preempts, 1)
	assert.True(t, b.Preempts[0].Granted)
	assert.Equal(t, t0.Add(25*time.Second).UnixMilli(), b.Preempts[0].ExpiresAt)
	assert.Equal(t, t0.UnixMilli(), b.Preempts[0].Since, "since the first request")

	h.ObserveReady(t0, controller.Ready{Decisions: []controller.Decision{
		{At: t0, Kind: controller.DecisionRelease, RequestID: "r1", IntersectionID: "I1", VehicleID: "amb-1", Reason: controller.ReasonPassed}}})
	h.Flush()
	assert.Equal(t, []Ended{{RequestID: "r1", Reason: "passed"}}, batches()[0].Ended)

	// r2 was never refreshed: it ends a second after its expiry.
	clk.advance(20 * time.Second)
	h.Flush()
	assert.Empty(t, batches()[0].Ended, "not before its expiry and a second's grace")
	clk.advance(1500 * time.Millisecond)
	h.Flush()
	assert.Equal(t, []Ended{{RequestID: "r2", Reason: ReasonExpired}}, batches()[0].Ended)
	assert.Empty(t, h.Snapshot().Preempts)

	// Requested and released within one batch: nothing to show.
	h.ObserveReady(t0, controller.Ready{Decisions: []controller.Decision{req("r3", clk.Now()),
		{At: clk.Now(), Kind: controller.DecisionRelease, RequestID: "r3", IntersectionID: "I1", Reason: controller.ReasonLeftPath}}})
	h.Flush()
	b = batches()[0]
	assert.Empty(t, b.Preempts)
	assert.Empty(t, b.Ended)
	assert.Len(t, b.Decisions, 2, "the decisions themselves are shown")
}

// Vehicles not heard from go, and signals not heard from are shown
// offline, after their configured times.
func TestQuietVehiclesGoAndStaleSignalsGoOffline(t *testing.T) {
	h, clk := newTestHub(t, Options{VehicleGoneAfter: 30 * time.Second, SignalStaleAfter: time.Minute})
	_, batches := page(t, h)
	h.ObservePosition(t0, fix("amb-1", 1, t0, 100, true), controller.VehicleView{})
	h.ObserveStatus(t0, wire.Status{IntersectionID: "I2", TS: t0, State: wire.StateNormal})
	h.Flush()
	batches()
	clk.advance(29 * time.Second)
	h.Flush()
	assert.Empty(t, batches()[0].Gone)
	clk.advance(2 * time.Second)
	h.Flush()
	assert.Equal(t, []string{"amb-1"}, batches()[0].Gone)
	assert.Empty(t, h.Snapshot().Vehicles)

	clk.advance(30 * time.Second)
	h.Flush()
	b := batches()[0]
	require.Len(t, b.Statuses, 1)
	assert.Equal(t, Signal{ID: "I2", State: StateOffline, TS: clk.Now().UnixMilli()}, b.Statuses[0])
	h.Flush()
	assert.Empty(t, batches()[0].Statuses, "said once")
	// Heard again: back.
	h.ObserveStatus(t0, wire.Status{IntersectionID: "I2", TS: clk.Now(), State: wire.StateHold, RequestID: "r9"})
	h.Flush()
	assert.Equal(t, "hold", h.Snapshot().Signals[0].State)
}

// A page that does not keep up misses batches, each counted, and once it
// has written what it holds it is sent a snapshot that says how many it
// missed; pages that keep up miss nothing.
func TestSlowPageDropsCountsAndResyncs(t *testing.T) {
	h, clk := newTestHub(t, Options{ClientBuffer: 2})
	slow, _ := page(t, h)
	_, fast := page(t, h)
	for i := range 5 {
		h.ObservePosition(t0, fix("amb-1", uint64(i+1), clk.Now(), 100+10*float64(i), true), controller.VehicleView{})
		h.Flush()
		assert.Len(t, fast(), 1)
		clk.advance(time.Second)
	}
	assert.Equal(t, 3.0, counter(h.met.BatchesDropped))
	assert.Equal(t, 7.0, counter(h.met.BatchesSent))
	assert.Nil(t, h.resyncFrame(slow), "not while batches from before the drop wait")
	assert.Equal(t, uint64(1), decodeFrame(t, <-slow.ch).Seq)
	assert.Equal(t, uint64(2), decodeFrame(t, <-slow.ch).Seq)
	f := h.resyncFrame(slow)
	require.NotNil(t, f)
	var snap Snapshot
	require.NoError(t, json.Unmarshal(bytes.TrimSuffix(bytes.TrimPrefix(f, []byte("event: snapshot\ndata: ")), []byte("\n\n")), &snap))
	assert.Equal(t, int64(3), snap.Dropped, "the page is told what it missed")
	assert.Equal(t, uint64(5), snap.Seq)
	assert.InDelta(t, 140-1000, snap.Vehicles[0].X, 0.2, "and has the state as of the last batch")
	assert.Equal(t, 1.0, counter(h.met.Resyncs))
	h.Flush()
	assert.Equal(t, uint64(6), decodeFrame(t, <-slow.ch).Seq, "and batches follow the snapshot again")
}

// The engine goroutine's calls never wait on pages: with the page state
// locked (a page being sent a snapshot, a batch being built), observing
// still returns at once.
func TestObservingNeverWaitsForPages(t *testing.T) {
	h, _ := newTestHub(t, Options{})
	h.stateMu.Lock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			h.ObservePosition(t0, fix("amb-1", uint64(i+1), t0, 100, true), controller.VehicleView{})
			h.ObserveStatus(t0, wire.Status{IntersectionID: "I1", TS: t0, State: wire.StateNormal})
			h.ObserveReady(t0, controller.Ready{Decisions: []controller.Decision{{At: t0, Kind: controller.DecisionRoute, VehicleID: "amb-1"}}})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("observing waited for the page state's lock")
	}
	h.stateMu.Unlock()
}

// More decisions in one interval than MaxDecisions: the rest are counted,
// in the batch and in the metrics, not sent.
func TestDecisionFloodIsCounted(t *testing.T) {
	h, _ := newTestHub(t, Options{MaxDecisions: 10})
	_, batches := page(t, h)
	var ds []controller.Decision
	for range 25 {
		ds = append(ds, controller.Decision{At: t0, Kind: controller.DecisionReject, VehicleID: "x", Reason: controller.ReasonInvalid})
	}
	h.ObserveReady(t0, controller.Ready{Decisions: ds})
	h.Flush()
	b := batches()[0]
	assert.Len(t, b.Decisions, 10)
	assert.Equal(t, 15, b.Skipped)
	assert.Equal(t, 15.0, counter(h.met.DecisionsSkipped))
}

// A signal's history keeps its statuses and the decisions about it, the
// last HistoryKept; an intersection the map does not have gets none.
func TestSignalHistory(t *testing.T) {
	h, _ := newTestHub(t, Options{HistoryKept: 3})
	for i, st := range []wire.State{wire.StateNormal, wire.StateEntry, wire.StateHold} {
		h.ObserveStatus(t0, wire.Status{IntersectionID: "I1", TS: t0.Add(time.Duration(i) * time.Second), State: st})
	}
	h.ObserveReady(t0, controller.Ready{Decisions: []controller.Decision{
		{At: t0, Kind: controller.DecisionGrant, VehicleID: "amb-1", IntersectionID: "I1", RequestID: "r1"},
		{At: t0, Kind: controller.DecisionReject, IntersectionID: "nowhere", Reason: controller.ReasonUnknownInter},
	}})
	h.Flush()
	hist, ok := h.History("I1")
	require.True(t, ok)
	require.Len(t, hist, 3)
	assert.Equal(t, "entry", hist[0].Status.State)
	assert.Equal(t, "hold", hist[1].Status.State)
	assert.Contains(t, string(hist[2].Decision), `"kind":"grant"`)
	hist, ok = h.History("I2")
	assert.True(t, ok)
	assert.Empty(t, hist)
	_, ok = h.History("nowhere")
	assert.False(t, ok)
	assert.NotContains(t, h.st.history, "nowhere")
}

// A recording played back through a replay hub gives the live hub's state.
func TestRecordingReplaysToTheSameState(t *testing.T) {
	var rec bytes.Buffer
	live, clk := newTestHub(t, Options{Record: &rec})
	net := live.opts.Network
	path, err := net.Route(ll(100, 0), ll(1900, 0))
	require.NoError(t, err)
	for i := range 8 {
		now := clk.Now()
		x := 100 + 14*float64(i)
		live.ObservePosition(now, fix("amb-1", uint64(i+1), now, x, true), controller.VehicleView{Path: path, AlongM: x - 100, OnPath: true, Emergency: true})
		live.ObserveStatus(now, wire.Status{IntersectionID: "I1", TS: now, State: []wire.State{wire.StateNormal, wire.StateEntry, wire.StateHold}[min(i/3, 2)]})
		live.ObserveReady(now, controller.Ready{Decisions: []controller.Decision{{At: now, Kind: controller.DecisionRefresh,
			VehicleID: "amb-1", IntersectionID: "I1", RequestID: "r1", ExpiresAt: now.Add(20 * time.Second)}}})
		live.Flush()
		clk.advance(time.Second)
		live.Flush() // an empty batch: not recorded
	}
	lines := strings.Split(strings.TrimSpace(rec.String()), "\n")
	assert.Len(t, lines, 1+8, "a header and the batches that were not empty")

	r, err := OpenRecording(bytes.NewReader(rec.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, t0.UnixMilli(), r.Header.Start)
	assert.Equal(t, live.opts.Map, r.Header.Map)
	replay, _ := newTestHub(t, Options{Map: r.Header.Map, Replay: true})
	for {
		b, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		replay.Inject(b)
	}
	replay.Flush()
	want, got := live.Snapshot(), replay.Snapshot()
	assert.Equal(t, want.Signals, got.Signals)
	assert.Equal(t, want.Vehicles, got.Vehicles)
	assert.Equal(t, want.Paths, got.Paths)
	assert.Equal(t, want.Preempts, got.Preempts)
	assert.Equal(t, want.Decisions, got.Decisions)
	assert.True(t, got.Replay)
	histWant, _ := live.History("I1")
	histGot, _ := replay.History("I1")
	assert.Len(t, histGot, len(histWant))
}

func TestRecordingRefusesBadInput(t *testing.T) {
	hdr := `{"format":"greenwave-events","version":1,"start":1,"rate":1,"map":{"name":"m","bounds":[0,0,1,1],"roads":[],"intersections":[{"id":"I1","x":0,"y":0,"approaches":[]}]}}`
	for name, tc := range map[string]struct{ text, want string }{
		"empty":       {"", "empty"},
		"not json":    {"hello\n", "line 1"},
		"format":      {`{"format":"other","version":1,"rate":1,"map":{}}`, "format"},
		"version":     {`{"format":"greenwave-events","version":2,"rate":1,"map":{}}`, "version"},
		"rate":        {`{"format":"greenwave-events","version":1,"rate":0,"map":{}}`, "rate"},
		"map":         {`{"format":"greenwave-events","version":1,"rate":1}`, "map"},
		"bad id":      {strings.Replace(hdr, `"I1"`, `"I 1"`, 1), "map.intersections[0].id"},
		"batch":       {hdr + "\n{\"seq\":\"x\"}\n", "line 2"},
		"vehicle id":  {hdr + "\n" + `{"now":2,"vehicles":[{"id":"<script>","x":0,"y":0}]}`, "vehicles[0].id"},
		"back":        {hdr + "\n" + `{"now":5}` + "\n" + `{"now":3}`, "line 3: now"},
		"decision":    {hdr + "\n" + `{"now":2,"decisions":[[1]]}`, "decisions[0]"},
		"odd points":  {hdr + "\n" + `{"now":2,"paths":[{"id":1,"points":[1,2,3]}]}`, "paths[0]"},
		"status id":   {hdr + "\n" + `{"now":2,"statuses":[{"id":"","state":"hold"}]}`, "statuses[0]"},
		"nonfinite x": {hdr + "\n" + `{"now":2,"vehicles":[{"id":"a","x":1e999,"y":0}]}`, "line 2"},
	} {
		r, err := OpenRecording(strings.NewReader(tc.text))
		if err == nil {
			for err == nil {
				_, err = r.Next()
			}
			if err == io.EOF {
				err = nil
			}
		}
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}
}

// FuzzRecording: no recording makes the reader panic, and what it accepts
// applies to a replay hub without panicking.
func FuzzRecording(f *testing.F) {
	hdr := `{"format":"greenwave-events","version":1,"start":1,"rate":2,"map":{"name":"m","bounds":[0,0,1,1],"roads":[{"class":"minor","lines":[[0,0,1,1]]}],"intersections":[{"id":"I1","x":0,"y":0,"approaches":[]}]}}`
	f.Add(hdr + "\n")
	f.Add(hdr + "\n" + `{"now":2,"statuses":[{"id":"I1","state":"hold","ts":2}],"vehicles":[{"id":"a","x":1,"y":2,"path_id":1}],"paths":[{"id":1,"vehicle_id":"a","points":[0,0,1,1]}],"advisories":[{"vehicle_id":"a","signals":[{"id":"I1","state":"granted"}]}],"preempts":[{"request_id":"r","vehicle_id":"a","intersection_id":"I1","expires_at":9}],"decisions":[{"kind":"grant","intersection_id":"I1"}]}` + "\n" + `{"now":3,"gone":["a"],"ended":[{"request_id":"r","reason":"passed"}]}`)
	f.Add("{}")
	f.Add("\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		r, err := OpenRecording(strings.NewReader(text))
		if err != nil {
			return
		}
		h, err := New(Options{Map: r.Header.Map, Replay: true, Clock: clock.Wall{}})
		if err != nil {
			return
		}
		for {
			b, err := r.Next()
			if err != nil {
				break
			}
			h.Inject(b)
			h.Flush()
		}
		_, _ = json.Marshal(h.Snapshot())
	})
}
