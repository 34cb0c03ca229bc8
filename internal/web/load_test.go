package web

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// The load: a synthetic fleet on the Luxembourg map, shown to a hub as
// the engine would show it. Every vehicle sends a fix a second and is on
// an emergency run; each keeps two preempts live (refreshed every 5 s),
// is sent an advisory every 5 s and whenever it passes a signal, and at
// each signal passed the roadside reports hold then normal and the
// engine releases it and requests the next. About 1,000 fixes, 450
// decisions, 300 advisories and 100 statuses a second for 1,000 vehicles.

var (
	luxOnce sync.Once
	luxNet  *routing.Network
	luxErr  error
)

func luxembourg(tb testing.TB) *routing.Network {
	tb.Helper()
	luxOnce.Do(func() {
		luxNet, luxErr = routing.LoadMapFile(filepath.Join("..", "..", "testdata", "luxembourg.geojson"))
	})
	require.NoError(tb, luxErr)
	return luxNet
}

type fleetVehicle struct {
	id      string
	path    *routing.Path
	along   float64
	speed   float64
	seq     uint64
	next    int // the next signal on the path
	reqs    int
	phase   int // which quarter second it reports in
	advised int // seconds since its last advisory
}

type fleet struct {
	vehicles []*fleetVehicle
}

func newFleet(tb testing.TB, net *routing.Network, n int) *fleet {
	tb.Helper()
	rng := rand.New(rand.NewPCG(16, 1000))
	inters := net.Intersections()
	var routes []*routing.Path
	for len(routes) < 100 {
		a, b := inters[rng.IntN(len(inters))], inters[rng.IntN(len(inters))]
		if p, err := net.Route(a.LonLat, b.LonLat); err == nil && p.LengthM() > 1500 && len(p.Signals()) >= 3 {
			routes = append(routes, p)
		}
	}
	f := &fleet{}
	for i := range n {
		p := routes[i%len(routes)]
		f.vehicles = append(f.vehicles, &fleetVehicle{id: fmt.Sprintf("amb-%04d", i), path: p,
			along: rng.Float64() * p.LengthM() / 2, speed: 10 + 6*rng.Float64(), phase: i % 4, advised: i % 5})
	}
	return f
}

// quarter shows the hub the quarter second q (0..3) of the fleet's
// current second at now: a quarter of the vehicles report.
func (f *fleet) quarter(h *Hub, q int, now time.Time) {
	var ds []controller.Decision
	var advs []wire.Advisory
	for _, v := range f.vehicles {
		if v.phase != q {
			continue
		}
		v.seq++
		v.along += v.speed
		sigs := v.path.Signals()
		if v.along >= v.path.LengthM() { // round again
			v.along, v.next = 0, 0
		}
		passed := false
		for v.next < len(sigs) && sigs[v.next].AlongM <= v.along {
			s := sigs[v.next]
			ds = append(ds, controller.Decision{At: now, Kind: controller.DecisionRelease, VehicleID: v.id,
				IntersectionID: s.ID, RequestID: v.id + "." + s.ID + "." + strconv.Itoa(v.reqs), Reason: controller.ReasonPassed})
			h.ObserveStatus(now, wire.Status{IntersectionID: s.ID, TS: now, State: wire.StateNormal, GreenPhases: []int{2, 6}})
			v.next++
			passed = true
			if v.next+1 < len(sigs) {
				n := sigs[v.next+1]
				v.reqs++
				rid := v.id + "." + n.ID + "." + strconv.Itoa(v.reqs)
				ds = append(ds, controller.Decision{At: now, Kind: controller.DecisionRequest, VehicleID: v.id, IntersectionID: n.ID,
					RequestID: rid, EtaS: 30, LeadS: 34, DistanceM: 400, ExpiresAt: now.Add(20 * time.Second)},
					controller.Decision{At: now, Kind: controller.DecisionGrant, VehicleID: v.id, IntersectionID: n.ID, RequestID: rid})
				h.ObserveStatus(now, wire.Status{IntersectionID: n.ID, TS: now, State: wire.StateHold, GreenPhases: []int{n.Phase}, RequestID: rid})
			}
		}
		pt, bearing := v.path.PointAt(v.along)
		ll := luxNet.Projection().ToLonLat(pt)
		h.ObservePosition(now, wire.Position{VehicleID: v.id, Seq: v.seq, TS: now, Lat: ll[1], Lon: ll[0],
			SpeedMps: new(v.speed), HeadingDeg: new(bearing), Emergency: true},
			controller.VehicleView{Path: v.path, AlongM: v.along, OnPath: true, Emergency: true})
		v.advised++
		if passed || v.advised >= 5 {
			v.advised = 0
			var as []wire.AdvisorySignal
			for i := v.next; i < len(sigs) && len(as) < 8; i++ {
				state := wire.SignalPlanned
				if i < v.next+2 {
					state = wire.SignalGranted
				}
				as = append(as, wire.AdvisorySignal{IntersectionID: sigs[i].ID, EtaS: (sigs[i].AlongM - v.along) / v.speed,
					DistanceM: sigs[i].AlongM - v.along, State: state})
			}
			advs = append(advs, wire.Advisory{VehicleID: v.id, TS: now, Signals: as})
			for i := v.next; i < len(sigs) && i < v.next+2; i++ {
				ds = append(ds, controller.Decision{At: now, Kind: controller.DecisionRefresh, VehicleID: v.id, IntersectionID: sigs[i].ID,
					RequestID: v.id + "." + sigs[i].ID + "." + strconv.Itoa(v.reqs), EtaS: 20, LeadS: 34, DistanceM: 300, ExpiresAt: now.Add(20 * time.Second)})
			}
		}
	}
	h.ObserveReady(now, controller.Ready{Decisions: ds, Advisories: advs})
}

// loadPage reads one page's event stream over a real connection, as a
// browser's EventSource would, and accounts for every batch: received,
// or declared missed by the snapshot that replaced it.
type loadPage struct {
	mu       sync.Mutex
	lastSeq  uint64
	batches  int64
	missed   int64 // batches declared dropped by resync snapshots
	dropped  int64 // the last Dropped a snapshot reported
	gaps     int64 // batches missing with no snapshot to say so
	bytes    int64
	resyncs  int
	received atomic.Int64 // lastSeq, for waiting
}

func (p *loadPage) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	var event string
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return
		}
		p.mu.Lock()
		p.bytes += int64(len(line))
		p.mu.Unlock()
		switch {
		case bytes.HasPrefix(line, []byte("event: ")):
			event = string(bytes.TrimSpace(line[7:]))
		case bytes.HasPrefix(line, []byte("data: ")):
			// Only the numbers are read, so that the reader costs little
			// more than a browser's socket reads: "seq" leads both events,
			// "dropped" ends a snapshot.
			var head struct {
				Seq     uint64
				Dropped int64
			}
			var ok bool
			if head.Seq, ok = jsonNumber(line[6:], `{"seq":`); !ok {
				return
			}
			if event == "snapshot" {
				d, _ := jsonNumber(line[bytes.LastIndex(line, []byte(`,"dropped":`))+1:], `"dropped":`)
				head.Dropped = int64(d)
			}
			p.mu.Lock()
			switch event {
			case "snapshot":
				if p.lastSeq > 0 || head.Dropped > 0 {
					p.resyncs++
					p.missed += int64(head.Seq - p.lastSeq)
					if head.Dropped-p.dropped != int64(head.Seq-p.lastSeq) {
						p.gaps += int64(head.Seq-p.lastSeq) - (head.Dropped - p.dropped)
					}
				}
				p.dropped = head.Dropped
			case "batch":
				if head.Seq != p.lastSeq+1 {
					p.gaps += int64(head.Seq - p.lastSeq - 1)
				}
				p.batches++
			}
			p.lastSeq = head.Seq
			p.mu.Unlock()
			p.received.Store(int64(head.Seq))
		}
	}
}

// jsonNumber reads the unsigned integer after prefix at the start of b.
func jsonNumber(b []byte, prefix string) (uint64, bool) {
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return 0, false
	}
	b = b[len(prefix):]
	end := bytes.IndexAny(b, ",}")
	if end < 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:end]), 10, 64)
	return n, err == nil
}

func connectPage(tb testing.TB, addr string) (*loadPage, net.Conn) {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(tb, err)
	_, err = io.WriteString(c, "GET /api/events HTTP/1.1\r\nHost: "+addr+"\r\nAccept: text/event-stream\r\n\r\n")
	require.NoError(tb, err)
	p := &loadPage{}
	go p.read(c)
	return p, c
}

func waitPages(tb testing.TB, pages []*loadPage, h *Hub, seq uint64) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, p := range pages {
		for uint64(p.received.Load()) < seq {
			if time.Now().After(deadline) {
				tb.Fatalf("a page got to batch %d of %d", p.received.Load(), seq)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// 1,000 vehicles at 1 Hz for 60 s of their clock, shown as fast as the
// machine goes (far faster than real time) to four pages reading real
// connections: every batch reaches every page, or is counted as dropped
// and declared to it; none goes missing unaccounted for.
func TestThousandVehiclesKeepUp(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of a 1,000-vehicle fleet (a few seconds); skipped with -short")
	}
	net := luxembourg(t)
	h, clk := newTestHub(t, Options{Network: net})
	srv := httptest.NewServer(Handler(h, "", nil))
	defer srv.Close()
	const nPages = 4
	var pages []*loadPage
	for range nPages {
		p, c := connectPage(t, srv.Listener.Addr().String())
		defer c.Close()
		pages = append(pages, p)
	}
	require.Eventually(t, func() bool { return counter(h.met.Pages) == nPages }, 10*time.Second, 5*time.Millisecond)

	f := newFleet(t, net, 1000)
	start := time.Now()
	const seconds = 60
	for range seconds {
		for q := range 4 {
			f.quarter(h, q, clk.Now())
			clk.advance(250 * time.Millisecond)
			h.Flush()
		}
	}
	built := time.Since(start)
	const batches = 4 * seconds
	waitPages(t, pages, h, batches)

	snap := h.Snapshot()
	assert.Len(t, snap.Vehicles, 1000)
	assert.Equal(t, uint64(batches), snap.Seq)
	var dropped int64
	for i, p := range pages {
		p.mu.Lock()
		assert.Zero(t, p.gaps, "page %d: batches missing that no snapshot declared", i)
		assert.Equal(t, int64(batches), p.batches+p.missed, "page %d: every batch received or declared missed", i)
		dropped += p.missed
		t.Logf("page %d: %d batches, %d missed and declared (%d resyncs), %.1f MB", i, p.batches, p.missed, p.resyncs, float64(p.bytes)/1e6)
		p.mu.Unlock()
	}
	assert.Equal(t, float64(dropped), counter(h.met.BatchesDropped), "every page's missed batches are counted")
	assert.Equal(t, float64(nPages*batches), counter(h.met.BatchesSent)+counter(h.met.BatchesDropped))
	t.Logf("60 s of 1,000 vehicles built and sent in %v (%.0fx real time); %d batches dropped", built.Round(time.Millisecond),
		60/built.Seconds(), dropped)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFleetSecond: one second of a 1,000-vehicle fleet (four
// batches) through the hub to 0, 1, 4 and 16 pages reading real loopback
// connections. cpu-ms/op is the process's CPU time per fleet second: the
// hub's, the HTTP server's and the readers' socket reads. Its growth per
// page is the CPU cost of a connected page (docs/operator-page.md).
//
//	go test ./internal/web -run '^$' -bench FleetSecond -benchtime 60x
func BenchmarkFleetSecond(b *testing.B) {
	net := luxembourg(b)
	for _, nPages := range []int{0, 1, 4, 16} {
		b.Run(fmt.Sprintf("pages=%d", nPages), func(b *testing.B) {
			h, clk := newTestHub(b, Options{Network: net, MaxClients: 64})
			srv := httptest.NewServer(Handler(h, "", nil))
			defer srv.Close()
			var pages []*loadPage
			for range nPages {
				p, c := connectPage(b, srv.Listener.Addr().String())
				defer c.Close()
				pages = append(pages, p)
			}
			for counter(h.met.Pages) != float64(nPages) {
				time.Sleep(time.Millisecond)
			}
			f := newFleet(b, net, 1000)
			second := func() {
				for q := range 4 {
					f.quarter(h, q, clk.Now())
					clk.advance(250 * time.Millisecond)
					h.Flush()
				}
			}
			for range 5 { // every vehicle's path sent, buffers grown
				second()
			}
			waitPages(b, pages, h, h.st.seq)
			runtime.GC()
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				second()
			}
			waitPages(b, pages, h, h.st.seq)
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
			var bytes int64
			for _, p := range pages {
				p.mu.Lock()
				bytes += p.bytes
				p.mu.Unlock()
			}
			if nPages > 0 {
				b.ReportMetric(float64(bytes)/float64(nPages)/float64(b.N+5)/1e3, "kB/page/op")
			}
			b.ReportMetric(counter(h.met.BatchesDropped), "dropped")
		})
	}
}
