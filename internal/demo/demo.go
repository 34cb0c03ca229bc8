package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/broker"
	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/rsu"
	"github.com/greenwave-project/greenwave/internal/service"
	"github.com/greenwave-project/greenwave/internal/web"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/sim"
)

// Defaults of Options.
const (
	// DefaultSpeedup plays a typical 3–4 minute run in about 20 seconds:
	// fast enough for a first try, slow enough to follow the progress.
	DefaultSpeedup = 10
	// DefaultTopicRoot keeps the demo's messages apart from a real
	// deployment's when it runs on a shared broker.
	DefaultTopicRoot = "greenwave-demo"
	// DefaultMinTripM: trips shorter than this meet too few signals to
	// show anything.
	DefaultMinTripM = 2000
	// DefaultMaxTripM keeps a trip (and the demo) short.
	DefaultMaxTripM = 3500
	// MaxSpeedup: beyond this the ambulances' 10 Hz kinematics and the
	// broker round trips (a few ms real, so tens of clock ms) stop being
	// small against the signals' timing.
	MaxSpeedup = 100
	// MaxVehicles bounds --vehicles (the demo is a demo).
	MaxVehicles = 20
	// DefaultHTTPAddr is where `greenwave demo` serves the operator page:
	// loopback, and a port apart from serve's 9090.
	DefaultHTTPAddr = "127.0.0.1:8090"
)

// Options configures Run. The zero value runs the default demo.
type Options struct {
	BrokerURL string  // "" starts the embedded broker on loopback
	TopicRoot string  // default DefaultTopicRoot
	Speedup   float64 // clock seconds per real second; default DefaultSpeedup
	Vehicles  int     // ambulances; default 1
	MapFile   string  // default: FindDefaultMap
	Seed      uint64  // picks the routes; default 1
	Out       io.Writer
	Logger    *zap.Logger // the components' logs; default none

	// HTTPAddr serves the operator page (internal/web), /metrics and
	// /healthz there; "" serves none. Port 0 picks a free port.
	HTTPAddr string
	// HTTPToken guards the page; required when HTTPAddr is not loopback.
	HTTPToken string
	// OnPage, when set, is called with the page's URL once it is served,
	// before any ambulance departs.
	OnPage func(url string)
	// WaitForPage holds the ambulances until a page has connected. Their
	// departures then move by whole signal cycles, so that the run is the
	// one the same seed gives without waiting.
	WaitForPage bool
	// KeepPage keeps serving the page after the summary, until ctx is
	// done; Run then returns the summary.
	KeepPage bool
	// Record, when set, receives the page's event stream as JSON lines
	// (`greenwave replay` plays it back).
	Record io.Writer
	// PageBatch is the page's batch interval; default
	// web.DefaultBatchInterval.
	PageBatch time.Duration
}

// VehicleResult is one ambulance's trip, live and with preemption off.
type VehicleResult struct {
	ID            string
	From, To      string // intersection ids
	LengthM       float64
	Signals       int     // signals on the route
	GreenArrivals int     // signals passed without braking for them
	Stops         int     // times it came to a standstill on the way
	TravelS       float64 // departure to standing at the destination
	Preempts      int     // distinct preempt requests made for it
	Granted       int     // of those, how many a unit reported holding
	Off           sim.VehicleReport
}

// Summary is the demo's outcome.
type Summary struct {
	Broker   string
	Speedup  float64
	Vehicles []VehicleResult
}

// demoStart is the demo clock's starting instant: a weekday morning.
var demoStart = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

// Run plays the demo and returns its summary (also printed to Out).
func Run(ctx context.Context, opts Options) (*Summary, error) {
	if opts.Speedup == 0 {
		opts.Speedup = DefaultSpeedup
	}
	if !(opts.Speedup >= 1 && opts.Speedup <= MaxSpeedup) {
		return nil, fmt.Errorf("speed-up must be in [1, %d], got %v", MaxSpeedup, opts.Speedup)
	}
	if opts.Vehicles == 0 {
		opts.Vehicles = 1
	}
	if opts.Vehicles < 1 || opts.Vehicles > MaxVehicles {
		return nil, fmt.Errorf("vehicles must be in [1, %d], got %d", MaxVehicles, opts.Vehicles)
	}
	if opts.TopicRoot == "" {
		opts.TopicRoot = DefaultTopicRoot
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.MapFile == "" {
		p, err := FindDefaultMap()
		if err != nil {
			return nil, err
		}
		opts.MapFile = p
	}
	topics, err := mqttx.NewTopics(opts.TopicRoot)
	if err != nil {
		return nil, err
	}
	net, err := routing.LoadMapFile(opts.MapFile)
	if err != nil {
		return nil, err
	}
	p := &printer{w: opts.Out}

	brokerURL := opts.BrokerURL
	if brokerURL == "" {
		b, err := broker.Start(broker.Options{})
		if err != nil {
			return nil, err
		}
		defer func() { _ = b.Close() }()
		brokerURL = b.URL()
		p.printf("embedded MQTT broker on %s\n", brokerURL)
	} else if err := mqttx.ValidateBrokerURL(brokerURL); err != nil {
		return nil, err
	}

	trips, err := pickTrips(net, opts.Vehicles, opts.Seed)
	if err != nil {
		return nil, err
	}
	// Every component runs on this clock; starting it at a fixed instant
	// makes the signals' plans (referenced to the Unix epoch) the same on
	// every run, so the same seed gives the same demo.
	clk := clock.NewScaled(demoStart, opts.Speedup)
	origin := demoStart
	p.clk, p.origin = clk, origin
	p.printf("map %s: %d signalised intersections; clock %gx real time\n", filepath.Base(opts.MapFile), len(net.Intersections()), opts.Speedup)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	suffix := fmt.Sprintf("-%d", os.Getpid())
	client := func(id string) mqttx.Options {
		return mqttx.Options{BrokerURL: brokerURL, ClientID: "greenwave-demo-" + id + suffix, Logger: opts.Logger,
			MaxReconnectInterval: time.Second, ConnectTimeout: 5 * time.Second}
	}

	// The street: roadside units for every intersection.
	units, err := rsu.New(net, rsu.Options{Topics: topics, Clock: clk, Logger: opts.Logger.Named("rsu")})
	if err != nil {
		return nil, err
	}
	// The watcher: what the units show, what the controller says.
	w := newWatcher(topics, p)
	watchOpts := client("watch")
	watchOpts.Subscriptions = w.subscriptions()
	watch, err := mqttx.Connect(ctx, watchOpts)
	if err != nil {
		return nil, err
	}
	defer watch.Disconnect(100 * time.Millisecond)

	errs := make(chan error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs <- units.Serve(ctx, client("rsu")) }()
	// The controller, and the operator page watching it.
	met := metrics.New()
	var hub *web.Hub
	if opts.HTTPAddr != "" {
		if err := web.CheckExposure(opts.HTTPAddr, opts.HTTPToken); err != nil {
			return nil, err
		}
		hub, err = web.New(web.Options{Network: net, MapName: opts.MapFile, Clock: clk, Record: opts.Record,
			BatchInterval: opts.PageBatch, Logger: opts.Logger.Named("web")})
		if err != nil {
			return nil, err
		}
		if err := hub.Metrics().Register(met.Registry); err != nil {
			return nil, err
		}
	}
	cfg := service.Config{Topics: topics, Engine: controller.Config{ControllerID: "demo"},
		Clock: clk, Logger: opts.Logger.Named("serve"), Metrics: met, ShutdownTimeout: 2 * time.Second}
	if hub != nil {
		cfg.Observer = hub
	}
	svc, err := service.New(net, cfg)
	if err != nil {
		return nil, err
	}
	var page *metrics.Server
	svcDone := make(chan struct{})
	if hub != nil {
		page, err = metrics.Listen(opts.HTTPAddr, web.Handler(hub, opts.HTTPToken, metrics.Handler(met, svc.Healthy)))
		if err != nil {
			return nil, fmt.Errorf("operator page on %s: %w (--http 127.0.0.1:0 picks a free port, --http '' serves no page)", opts.HTTPAddr, err)
		}
		// The hub stops after the controller, so that the releases of its
		// shutdown are shown and recorded; the page's streams end with the
		// hub, and only then can the server close without waiting on them.
		hubCtx, stopHub := context.WithCancel(context.Background())
		hubDone := make(chan struct{})
		go func() { defer close(hubDone); hub.Run(hubCtx) }()
		defer func() {
			cancel()
			<-svcDone
			stopHub()
			<-hubDone
			_ = page.Close()
		}()
	}
	go func() { defer wg.Done(); defer close(svcDone); errs <- svc.Serve(ctx, client("serve")) }()
	if err := w.waitReady(ctx, errs, "demo", trips); err != nil {
		return nil, err
	}
	p.printf("controller and %d roadside units online\n", len(units.Intersections()))
	if hub != nil {
		url := "http://" + page.Addr() + "/"
		p.printf("operator page: %s\n", url)
		if opts.OnPage != nil {
			opts.OnPage(url)
		}
		if opts.WaitForPage {
			p.printf("waiting for the page to open before the ambulances depart ...\n")
			if err := hub.WaitFirstPage(ctx); err != nil {
				return nil, err
			}
		}
	}
	p.printf("\n")
	// Departures are 5 s after the start, or whole signal cycles later
	// when the start is past: every unit's plan repeats each cycle, so
	// the run is the same.
	base := origin
	for clk.Now().Add(time.Second).After(base.Add(5 * time.Second)) {
		base = base.Add(rsu.DefaultCycle)
	}

	// The ambulances, departing 20 clock seconds apart.
	results := make([]VehicleResult, len(trips))
	var vwg sync.WaitGroup
	vehicleErrs := make(chan error, len(trips))
	for i := range trips {
		tr := &trips[i]
		tr.depart = base.Add(time.Duration(5+20*i) * time.Second)
		vc, err := mqttx.Connect(ctx, client(tr.id))
		if err != nil {
			return nil, err
		}
		vwg.Add(1)
		go func() {
			defer vwg.Done()
			defer vc.Disconnect(100 * time.Millisecond)
			res, err := drive(ctx, vc, topics, clk, net, tr, w, p)
			if err != nil {
				vehicleErrs <- fmt.Errorf("%s: %w", tr.id, err)
				return
			}
			results[i] = res
		}()
	}
	vwg.Wait()
	close(vehicleErrs)
	if err := errors.Join(drain(vehicleErrs)...); err != nil {
		return nil, err
	}
	for i := range results {
		results[i].Preempts, results[i].Granted = w.preemptsFor(results[i].ID)
	}

	// The same trips with preemption off, by the simulator.
	p.printf("\nsimulating the same trips with preemption off ...\n")
	off, err := offTrips(opts.MapFile, origin, trips)
	if err != nil {
		return nil, err
	}
	for i := range results {
		results[i].Off = off[results[i].ID]
	}
	sum := &Summary{Broker: brokerURL, Speedup: opts.Speedup, Vehicles: results}
	writeSummary(opts.Out, sum)
	if hub != nil && opts.KeepPage {
		p.printf("\nthe operator page is still served at http://%s/ (Ctrl-C to stop)\n", page.Addr())
		<-ctx.Done()
	}
	return sum, nil
}

func drain(ch <-chan error) []error {
	var out []error
	for err := range ch {
		out = append(out, err)
	}
	return out
}

// trip is one ambulance's route.
type trip struct {
	id       string
	from, to *routing.Intersection
	path     *routing.Path
	depart   time.Time
}

// firstSignalM is the least distance from the start to the route's first
// signal past the one it starts in. Nearer, no controller could help: the
// unit may need 25 s (min green, pedestrian clearance, yellow, all red) to
// end a conflicting green safely, and the ambulance is there in 20. The
// demo shows what preemption can do, so it leaves such routes out.
const firstSignalM = 400

// pickTrips draws n routes between signalised intersections, each between
// DefaultMinTripM and DefaultMaxTripM long with at least four signals, from
// a seeded generator so that the same seed gives the same demo.
func pickTrips(net *routing.Network, n int, seed uint64) ([]trip, error) {
	inters := net.Intersections()
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	var trips []trip
	for attempt := 0; len(trips) < n && attempt < 2000; attempt++ {
		a, b := &inters[rng.IntN(len(inters))], &inters[rng.IntN(len(inters))]
		d := routing.HaversineM(a.LonLat, b.LonLat)
		if d < DefaultMinTripM*0.7 || d > DefaultMaxTripM {
			continue
		}
		path, err := net.Route(a.LonLat, b.LonLat)
		if err != nil || path.LengthM() < DefaultMinTripM || path.LengthM() > DefaultMaxTripM*1.3 || len(path.Signals()) < 4 {
			continue
		}
		if sig := path.Signals(); (sig[0].AlongM < 1 && sig[1].AlongM < firstSignalM) || (sig[0].AlongM >= 1 && sig[0].AlongM < firstSignalM) {
			continue
		}
		trips = append(trips, trip{id: fmt.Sprintf("amb-%d", len(trips)+1), from: a, to: b, path: path})
	}
	if len(trips) < n {
		return nil, fmt.Errorf("found only %d routes of %g–%g m with 4+ signals on this map", len(trips), float64(DefaultMinTripM), float64(DefaultMaxTripM))
	}
	return trips, nil
}

// offTrips runs the simulator's "none" strategy (no preemption) for the
// same routes, departures and signal plans (the plans are referenced to
// the Unix epoch, so the same start time gives the same signal timing).
func offTrips(mapFile string, origin time.Time, trips []trip) (map[string]sim.VehicleReport, error) {
	abs, err := filepath.Abs(mapFile)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	last := 0.0
	fmt.Fprintf(&b, "name: demo-off\nseed: 1\nstart: %q\nmap:\n  file: %q\nvehicles:\n", origin.Format(time.RFC3339Nano), abs)
	for _, tr := range trips {
		dep := tr.depart.Sub(origin).Seconds()
		last = math.Max(last, dep+4*tr.path.FreeFlowS())
		fmt.Fprintf(&b, "  - {id: %s, from: %q, to: %q, depart_s: %g, announce: path}\n", tr.id, tr.from.ID, tr.to.ID, dep)
	}
	fmt.Fprintf(&b, "duration_s: %g\n", math.Ceil(last+600))
	sc, err := sim.ParseScenario([]byte(b.String()), filepath.Join(filepath.Dir(abs), "demo-off.yaml"))
	if err != nil {
		return nil, fmt.Errorf("preemption-off simulation: %w", err)
	}
	rep, err := sim.Simulate(sc, sim.Options{Strategies: []string{sim.StrategyNone}})
	if err != nil {
		return nil, fmt.Errorf("preemption-off simulation: %w", err)
	}
	out := map[string]sim.VehicleReport{}
	for _, run := range rep.Runs {
		for _, v := range run.Vehicles {
			out[v.VehicleID] = v
		}
	}
	return out, nil
}

// printer writes progress lines stamped with the demo clock.
type printer struct {
	mu     sync.Mutex
	w      io.Writer
	clk    clock.Clock
	origin time.Time
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

// event prints one progress line: clock time since the start, then text.
func (p *printer) event(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := p.clk.Now().Sub(p.origin)
	fmt.Fprintf(p.w, "[%02d:%04.1f] ", int(el.Minutes()), math.Mod(el.Seconds(), 60))
	fmt.Fprintf(p.w, format, args...)
	fmt.Fprintln(p.w)
}

func writeSummary(w io.Writer, s *Summary) {
	fmt.Fprintf(w, "\nsummary (clock %gx real time)\n", s.Speedup)
	fmt.Fprintf(w, "%-7s %8s %8s %10s %14s %6s %12s %10s %24s %9s\n", "vehicle", "length", "signals", "preempted", "green arrival", "stops", "travel time", "free flow", "preemption off (sim)", "saved")
	var saved, off float64
	for _, v := range s.Vehicles {
		offText := fmt.Sprintf("%s, %d stops", dur(v.Off.TravelTimeS), v.Off.Stops)
		fmt.Fprintf(w, "%-7s %7.1fkm %8d %10d %14s %6d %12s %10s %24s %9s\n", v.ID, v.LengthM/1000, v.Signals, v.Preempts,
			fmt.Sprintf("%d/%d", v.GreenArrivals, v.Signals), v.Stops, dur(v.TravelS), dur(v.Off.FreeFlowS), offText, dur(v.Off.TravelTimeS-v.TravelS))
		saved += v.Off.TravelTimeS - v.TravelS
		off += v.Off.TravelTimeS
	}
	if off > 0 {
		fmt.Fprintf(w, "\ntime saved: %s in total, %.0f%% of the trips' time with preemption off\n", dur(saved), 100*saved/off)
		fmt.Fprintln(w, "(preempted: signals the controller asked for; the others were green on their plan when the ambulance came.")
		fmt.Fprintln(w, " free flow: the same trip with every signal green and no traffic, the best any preemption can do.)")
	}
}

func dur(s float64) string {
	sign := ""
	if s < 0 {
		sign, s = "-", -s
	}
	d := time.Duration(math.Round(s)) * time.Second
	return sign + fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

// json helper used by the vehicles.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own well-formed types are marshalled
	}
	return b
}
