package sumo

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/sim"
	"github.com/greenwave-project/greenwave/traci"
)

// CoSimOptions tune CoSimulate. The zero value runs every strategy with
// sumo, headless.
type CoSimOptions struct {
	// Strategies to run and report, in order: none, range, greenwave
	// (sim.Strategies). Empty means all three. The none run is always
	// made: the others' other_time_loss_s is measured against it.
	Strategies []string
	// DurationS, when > 0, ends every run that many simulated seconds
	// after SUMO's begin, instead of the scenario's end_s or the
	// configuration's end.
	DurationS float64
	// GUI runs the strategies in sumo-gui (started and closed
	// unattended; pausing it pauses the run).
	GUI bool
	// Binary is the SUMO program to run instead of sumo (or sumo-gui).
	Binary string
	// Record keeps each ambulance's trajectory, for WriteSVGs.
	Record bool
	// Progress, when set, is called every simulated minute with the run
	// ("ideal", "none", ...), the simulation time and the end time.
	Progress func(run string, t, end float64)
	// SUMOOutput receives SUMO's own output; nil discards it (its last
	// lines are in any error either way).
	SUMOOutput io.Writer
	// Timeout bounds each TraCI exchange; 0 means a minute (a day with
	// GUI, whose user may pause it).
	Timeout time.Duration
	// QueueAwareLead turns on the engine's queue-aware lead
	// (controller.Config.QueueAwareLead; it needs approach flows in the
	// map).
	QueueAwareLead bool

	// afterStep is a test hook, called after every step of a strategy run.
	afterStep func(run string, t float64, p *traci.Process)
}

// ambulanceType is the SUMO vehicle type of the ambulances.
const ambulanceType = "greenwave.ambulance"

// coEpoch is the wall-clock time of SUMO's time 0 on the wire: fixes,
// commands and statuses carry it plus the simulation time.
var coEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// controllerID is the co-simulated controller's id in every command.
const controllerID = "sumo-cosim"

// postArrivalFixes is how many fixes an ambulance still sends, with
// emergency off, after reaching its destination (as sim does).
const postArrivalFixes = 3

// Stop detection hysteresis, as sim's: a stop when the speed falls below
// stopBelowMps, another only after exceeding goAboveMps.
const (
	stopBelowMps = 0.5
	goAboveMps   = 3.0
	// waitBelowMps is SUMO's own waiting threshold.
	waitBelowMps = 0.1
)

// openEndGraceS: when neither the scenario nor the configuration sets an
// end, the none run ends this long after its last ambulance's last fix,
// and every other run at the same time (later only if one of its
// ambulances is still on the way).
const openEndGraceS = 30

// maxOpenRunS bounds a run without an end: a week, as sim does.
const maxOpenRunS = 7 * 24 * 3600

// coWorld is what every run of a scenario shares.
type coWorld struct {
	sc      *Scenario
	opt     CoSimOptions
	cfg     *SumoCfg
	net     *Net
	m       *Map
	rnet    *routing.Network
	proj    *Projection
	sumoVer string

	conns          map[connKey]connLink
	approachByEdge map[string][]edgeApproach
	roadByEdge     map[string]int
	trips          []coTrip
	endS           float64 // 0 while open (see openEndGraceS)
	beginS         float64
	tmpDir         string
}

type connKey struct {
	from string
	lane int
	to   string
}

type connLink struct {
	tls  string
	link int
}

type edgeApproach struct {
	inter    int32
	approach int
}

// coTrip is a scenario trip resolved against the network.
type coTrip struct {
	spec     *Trip
	index    int
	from, to string
	// departPos and arrivalPos are where on its first and last edge it
	// starts and ends, m: half way along, where a station or a hospital
	// would be, rather than at a junction, which a fix cannot place on
	// one road.
	departPos, arrivalPos float64
	edges                 []string
	signals               []routeSignal
	path                  []orb.Point
	dest                  orb.Point
	idealS                float64
	priority              int
}

// routeSignal is a signalised intersection of the map on a trip's route.
type routeSignal struct {
	inter    int32
	approach int    // index among the intersection's approaches
	edgeIdx  int    // index of the approach edge in the route
	next     string // the route edge after it
}

// CoSimulate runs the scenario in SUMO: first once with no background
// traffic and every signal green (each trip's ideal travel time), then
// once per strategy, with greenwave's engine (range and greenwave) or
// without it (none), reporting what docs/sumo.md describes. SUMO's
// process is ended and reaped whatever happens; ctx cancels the whole
// co-simulation (SUMO is killed).
func CoSimulate(ctx context.Context, sc *Scenario, opt CoSimOptions) (*CoSimReport, error) {
	strategies := opt.Strategies
	if len(strategies) == 0 {
		strategies = sim.Strategies
	}
	for _, s := range strategies {
		if !slices.Contains(sim.Strategies, s) {
			return nil, fmt.Errorf("unknown strategy %q (want none, range or greenwave)", s)
		}
	}
	if opt.DurationS < 0 || opt.DurationS > maxOpenRunS || math.IsNaN(opt.DurationS) {
		return nil, fmt.Errorf("duration must be in [0, %d] s, got %v", maxOpenRunS, opt.DurationS)
	}
	w, err := prepareWorld(sc, opt)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "greenwave-sumo-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	w.tmpDir = tmp
	if err := w.idealRun(ctx); err != nil {
		return nil, err
	}
	rep := &CoSimReport{Scenario: sc.Name, Seed: sc.Seed, SUMO: w.sumoVer}
	none, err := w.strategyRun(ctx, sim.StrategyNone)
	if err != nil {
		return nil, err
	}
	if w.endS == 0 {
		w.endS = none.endS
	}
	for _, s := range strategies {
		r := none
		if s != sim.StrategyNone {
			if r, err = w.strategyRun(ctx, s); err != nil {
				return nil, err
			}
		}
		rep.Runs = append(rep.Runs, r.report(none))
	}
	rep.EndS = w.endS
	return rep, nil
}

// prepareWorld reads and checks everything before SUMO is started: the
// configuration, its network, the map, and the trips against both.
func prepareWorld(sc *Scenario, opt CoSimOptions) (*coWorld, error) {
	w := &coWorld{sc: sc, opt: opt}
	var err error
	if w.cfg, err = ReadSumoCfg(sc.SumoCfgPath()); err != nil {
		return nil, err
	}
	if w.net, err = ReadNetFile(w.cfg.NetFile); err != nil {
		return nil, err
	}
	if err := sc.CheckNet(w.net); err != nil {
		return nil, err
	}
	if p := sc.MapPath(); p != "" {
		if w.m, err = ReadMapFile(p); err != nil {
			return nil, err
		}
		if err := checkMapNet(w.m, w.net); err != nil {
			return nil, fmt.Errorf("%s does not belong to %s: %w", p, w.cfg.NetFile, err)
		}
	} else {
		if w.m, _, err = Import(w.net, ImportOptions{}); err != nil {
			return nil, fmt.Errorf("%s: %w", w.cfg.NetFile, err)
		}
	}
	if w.rnet, err = routing.Build(&w.m.Inventory); err != nil {
		return nil, fmt.Errorf("the map of %s does not build: %w", w.cfg.NetFile, err)
	}
	if w.proj, err = NewProjection(w.net.Location); err != nil {
		return nil, fmt.Errorf("%s: %w", w.cfg.NetFile, err)
	}
	w.beginS = w.cfg.BeginS
	switch {
	case opt.DurationS > 0:
		w.endS = w.beginS + opt.DurationS
	case sc.EndS > 0:
		w.endS = sc.EndS
	case w.cfg.EndS > 0:
		w.endS = w.cfg.EndS
	}
	if w.endS != 0 && w.endS <= w.beginS {
		return nil, fmt.Errorf("%s: the run would end (t=%v s) before SUMO begins (t=%v s)", sc.file, w.endS, w.beginS)
	}
	w.conns = map[connKey]connLink{}
	for _, c := range w.net.Connections {
		if c.TL != "" {
			w.conns[connKey{c.From, c.FromLane, c.To}] = connLink{c.TL, c.LinkIndex}
		}
	}
	w.approachByEdge = map[string][]edgeApproach{}
	for i, in := range w.m.Intersections {
		for k, a := range in.Approaches {
			w.approachByEdge[a.Edge] = append(w.approachByEdge[a.Edge], edgeApproach{int32(i), k})
		}
	}
	w.roadByEdge = map[string]int{}
	for i, r := range w.m.Roads {
		w.roadByEdge[r.Edge] = i
	}
	for i := range sc.Trips {
		t := &sc.Trips[i]
		w.trips = append(w.trips, coTrip{spec: t, index: i, from: t.FromEdge, to: t.ToEdge, priority: t.Priority})
	}
	return w, nil
}

// startSUMO starts SUMO for one run with the configuration and extra
// arguments.
func (w *coWorld) startSUMO(ctx context.Context, run string, gui bool, extra ...string) (*traci.Process, error) {
	bin := w.opt.Binary
	if bin == "" {
		bin = "sumo"
		if gui {
			bin = "sumo-gui"
		}
	}
	timeout := w.opt.Timeout
	if timeout <= 0 {
		timeout = time.Minute
		if gui {
			timeout = 24 * time.Hour
		}
	}
	args := append([]string{"-c", w.sc.SumoCfgPath(), "--no-step-log"}, extra...)
	p, err := traci.Start(ctx, traci.StartOptions{Binary: bin, Args: args, Stdout: w.opt.SUMOOutput, Stderr: w.opt.SUMOOutput,
		Client: traci.Options{Timeout: timeout}})
	if err != nil {
		return nil, fmt.Errorf("%s run: start SUMO with %s: %w", run, w.sc.SumoCfgPath(), err)
	}
	_, w.sumoVer = p.APIVersion()
	return p, nil
}

// ambulanceVehicleType makes the ambulances' vehicle type: a copy of the
// scenario's base type with its class, driving at the speed limit without
// random dawdling, so that the ideal run and the strategies' runs drive
// alike.
func (w *coWorld) ambulanceVehicleType(p *traci.Process) error {
	a := w.sc.Ambulance
	if err := p.CopyVehicleType(a.BaseType, ambulanceType); err != nil {
		return fmt.Errorf("%s: ambulance.base_type: %w", w.sc.file, err)
	}
	if err := p.SetTypeVClass(ambulanceType, a.VClass); err != nil {
		return fmt.Errorf("%s: ambulance.vclass: %w", w.sc.file, err)
	}
	if err := p.SetTypeSpeedDeviation(ambulanceType, 0); err != nil {
		return err
	}
	return p.SetTypeImperfection(ambulanceType, 0)
}

// idealRun resolves every trip's route in SUMO and drives each ambulance
// through the network with no other traffic (--scale 0) and every signal
// green, for its ideal travel time.
func (w *coWorld) idealRun(ctx context.Context) (err error) {
	p, err := w.startSUMO(ctx, "ideal", false, "--scale", "0")
	if err != nil {
		return err
	}
	defer func() {
		if cerr := p.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("ideal run: close SUMO: %w", cerr)
		}
	}()
	if err := w.ambulanceVehicleType(p); err != nil {
		return err
	}
	for i := range w.trips {
		if err := w.resolveTrip(p, &w.trips[i]); err != nil {
			return err
		}
	}
	ids, err := p.TrafficLightIDs()
	if err != nil {
		return fmt.Errorf("ideal run: %w", err)
	}
	for _, id := range ids {
		state, err := p.RedYellowGreenState(id)
		if err != nil {
			return fmt.Errorf("ideal run: %w", err)
		}
		if err := p.SetRedYellowGreenState(id, strings.Repeat("G", len(state))); err != nil {
			return fmt.Errorf("ideal run: %w", err)
		}
	}
	if err := w.addAmbulances(p); err != nil {
		return fmt.Errorf("ideal run: %w", err)
	}
	if err := p.SubscribeSimulation(traci.SimTime, traci.SimDepartedIDs, traci.SimArrivedIDs); err != nil {
		return fmt.Errorf("ideal run: %w", err)
	}
	dt, err := p.DeltaT()
	if err != nil {
		return fmt.Errorf("ideal run: %w", err)
	}
	byID := map[string]*coTrip{}
	depart := map[string]float64{}
	for i := range w.trips {
		byID[w.trips[i].spec.ID] = &w.trips[i]
	}
	left := len(w.trips)
	last := w.beginS
	for _, t := range w.trips {
		last = math.Max(last, t.spec.DepartS)
	}
	limit := last + 24*3600 // an ambulance on an empty network arrives within a day, or it is lost
	for k := 1; left > 0; k++ {
		target := w.beginS + float64(k)*dt
		if target > limit {
			return fmt.Errorf("ideal run: %d ambulances still driving at t=%v s on an empty network", left, target)
		}
		res, err := p.Step(target)
		if err != nil {
			return fmt.Errorf("ideal run: %w", err)
		}
		for _, id := range res.Sim.DepartedIDs {
			depart[id] = res.Sim.Time
		}
		for _, id := range res.Sim.ArrivedIDs {
			if t, ok := byID[id]; ok {
				t.idealS = res.Sim.Time - depart[id]
				left--
			}
		}
		if w.opt.Progress != nil && k%60 == 0 {
			w.opt.Progress("ideal", res.Sim.Time, last)
		}
	}
	return nil
}

// resolveTrip finds a trip's edges (the nearest lane to a [lon, lat] end)
// and its route, which every run then uses: the fastest SUMO finds for
// the ambulance type on the empty network.
func (w *coWorld) resolveTrip(p *traci.Process, t *coTrip) error {
	field := fmt.Sprintf("trips[%d]", t.index)
	line := w.sc.lineOf(field)
	where := w.sc.file
	if line > 0 {
		where = fmt.Sprintf("%s:%d", w.sc.file, line)
	}
	for _, end := range []struct {
		name string
		edge *string
		ll   *[2]float64
	}{{"from", &t.from, t.spec.From}, {"to", &t.to, t.spec.To}} {
		if *end.edge != "" {
			continue
		}
		rp, err := p.ToRoad(traci.LonLat{Lon: end.ll[0], Lat: end.ll[1]}, w.sc.Ambulance.VClass)
		if err != nil {
			return fmt.Errorf("%s: %s.%s %v: no road for the ambulance near it: %w", where, field, end.name, *end.ll, err)
		}
		*end.edge = rp.EdgeID
	}
	r, err := p.FindRoute(t.from, t.to, ambulanceType)
	if err != nil || len(r.Edges) == 0 {
		reason := "no route connects them for vehicle class " + w.sc.Ambulance.VClass
		if err != nil {
			reason = err.Error()
		}
		return fmt.Errorf("%s: %s (%s): from edge %q to edge %q: %s", where, field, t.spec.ID, t.from, t.to, reason)
	}
	t.edges = w.trimTurnarounds(r.Edges)
	w.routeSignals(t)
	var mid XY
	t.departPos, _ = w.midEdge(t.edges[0])
	t.arrivalPos, mid = w.midEdge(t.edges[len(t.edges)-1])
	// The path announced: the roads of the route, from where the
	// ambulance starts on its first edge to where it stops on its last.
	for i, e := range t.edges {
		ri, ok := w.roadByEdge[e]
		if !ok {
			continue // inside a joined traffic light
		}
		coords := w.m.Inventory.Roads[ri].Coords
		from, to := 0.0, 1.0
		if i == 0 {
			from = w.edgeFraction(e, t.departPos)
		}
		if i == len(t.edges)-1 {
			to = w.edgeFraction(e, t.arrivalPos)
		}
		for _, c := range w.cutLine(coords, from, to) {
			// Consecutive roads meet at a point both carry, rounded
			// differently: a segment a few millimetres long would have
			// an arbitrary bearing.
			if n := len(t.path); n == 0 || w.distM(t.path[n-1], c) >= minPathSegmentM {
				t.path = append(t.path, c)
			}
		}
	}
	if len(t.path) < 2 {
		return fmt.Errorf("%s: %s (%s): its route %v is not on the map", where, field, t.spec.ID, t.edges)
	}
	lon, lat := w.proj.ToLonLat(mid)
	t.dest = orb.Point{lon, lat}
	if t.spec.To != nil {
		t.dest = orb.Point{t.spec.To[0], t.spec.To[1]}
	}
	return nil
}

// trimTurnarounds drops a turnaround at either end of a route: an
// ambulance starts facing its way and stops where it is going, rather than
// driving to the next junction to turn (the random ends of generated trips
// often face the other way).
func (w *coWorld) trimTurnarounds(edges []string) []string {
	reverse := func(a, b string) bool {
		ea, okA := w.net.EdgeByID(a)
		eb, okB := w.net.EdgeByID(b)
		return okA && okB && ea.From == eb.To && ea.To == eb.From
	}
	if len(edges) > 2 && reverse(edges[0], edges[1]) {
		edges = edges[1:]
	}
	if n := len(edges); n > 2 && reverse(edges[n-2], edges[n-1]) {
		edges = edges[:n-1]
	}
	return edges
}

// minPathSegmentM is the shortest segment of an announced path.
const minPathSegmentM = 0.5

// distM is the distance between two [lon, lat] points in the network's
// projection, m.
func (w *coWorld) distM(a, b orb.Point) float64 {
	p, q := w.proj.FromLonLat(a[0], a[1]), w.proj.FromLonLat(b[0], b[1])
	return math.Hypot(p.X-q.X, p.Y-q.Y)
}

// edgeFraction is how far pos metres along an edge's first lane is, as a
// fraction of the lane's length.
func (w *coWorld) edgeFraction(edge string, pos float64) float64 {
	e, ok := w.net.EdgeByID(edge)
	if !ok || len(e.Lanes) == 0 || e.Lanes[0].Length <= 0 {
		return 0
	}
	return math.Max(0, math.Min(1, pos/e.Lanes[0].Length))
}

// cutLine is the part of a [lon, lat] line from fraction from to fraction
// to of its length (measured in the network's projection).
func (w *coWorld) cutLine(line []orb.Point, from, to float64) []orb.Point {
	if from <= 0 && to >= 1 {
		return line
	}
	xy := make([]XY, len(line))
	total := 0.0
	for i, c := range line {
		xy[i] = w.proj.FromLonLat(c[0], c[1])
		if i > 0 {
			total += math.Hypot(xy[i].X-xy[i-1].X, xy[i].Y-xy[i-1].Y)
		}
	}
	at := func(d float64) orb.Point {
		p := pointAlong(xy, d)
		lon, lat := w.proj.ToLonLat(p)
		return orb.Point{lon, lat}
	}
	out := []orb.Point{at(from * total)}
	d := 0.0
	for i := 1; i < len(xy); i++ {
		d += math.Hypot(xy[i].X-xy[i-1].X, xy[i].Y-xy[i-1].Y)
		if d > from*total && d < to*total {
			out = append(out, line[i])
		}
	}
	return append(out, at(to*total))
}

// midEdge is half an edge's length (its first lane's) and the point there.
func (w *coWorld) midEdge(edge string) (float64, XY) {
	e, ok := w.net.EdgeByID(edge)
	if !ok || len(e.Lanes) == 0 {
		return 0, XY{}
	}
	l := &e.Lanes[0]
	half := l.Length / 2
	return half, pointAlong(l.Shape, half)
}

// pointAlong is the point d metres along a polyline (its end if shorter).
func pointAlong(shape []XY, d float64) XY {
	for i := 1; i < len(shape); i++ {
		a, b := shape[i-1], shape[i]
		seg := math.Hypot(b.X-a.X, b.Y-a.Y)
		if d <= seg && seg > 0 {
			f := d / seg
			return XY{a.X + f*(b.X-a.X), a.Y + f*(b.Y-a.Y)}
		}
		d -= seg
	}
	if len(shape) == 0 {
		return XY{}
	}
	return shape[len(shape)-1]
}

// linkPlaces is, for each link of an intersection's traffic light, the
// junction it crosses and the edge it comes from.
func (w *coWorld) linkPlaces(link *Intersection) []linkPlace {
	places := make([]linkPlace, link.LinkCount)
	for _, c := range w.net.Connections {
		if c.TL != link.TLS || c.LinkIndex < 0 || c.LinkIndex >= link.LinkCount {
			continue
		}
		junction := ""
		if e, ok := w.net.EdgeByID(c.From); ok {
			junction = e.To
		}
		places[c.LinkIndex] = linkPlace{junction: junction, from: c.From}
	}
	return places
}

// routeSignals lists the map's signals on a trip's route: an approach edge
// followed by an edge its traffic light's links lead to.
func (w *coWorld) routeSignals(t *coTrip) {
	for i := 0; i+1 < len(t.edges); i++ {
		for _, ea := range w.approachByEdge[t.edges[i]] {
			tls := w.m.Intersections[ea.inter].TLS
			if w.controlledBy(t.edges[i], t.edges[i+1], tls) {
				t.signals = append(t.signals, routeSignal{inter: ea.inter, approach: ea.approach, edgeIdx: i, next: t.edges[i+1]})
				break
			}
		}
	}
}

func (w *coWorld) controlledBy(from, to, tls string) bool {
	e, ok := w.net.EdgeByID(from)
	if !ok {
		return false
	}
	for lane := range e.Lanes {
		if c, ok := w.conns[connKey{from, lane, to}]; ok && c.tls == tls {
			return true
		}
	}
	return false
}

// addAmbulances adds every trip's route and vehicle, to depart at its time.
func (w *coWorld) addAmbulances(p *traci.Process) error {
	for _, t := range w.trips {
		route := "greenwave.route." + t.spec.ID
		if err := p.AddRoute(route, t.edges); err != nil {
			return err
		}
		if err := p.AddVehicle(traci.VehicleAdd{ID: t.spec.ID, RouteID: route, TypeID: ambulanceType,
			Depart: fmt.Sprintf("%.3f", t.spec.DepartS), DepartLane: "best", DepartSpeed: "0",
			DepartPos: fmt.Sprintf("%.2f", t.departPos), ArrivalPos: fmt.Sprintf("%.2f", t.arrivalPos)}); err != nil {
			return err
		}
	}
	return nil
}

// newEngine builds the engine for a strategy with the scenario's
// controller settings (as sim does).
func (w *coWorld) newEngine(strategy string) (*controller.Engine, error) {
	policy, err := controller.ParsePolicy(strategy)
	if err != nil {
		return nil, err
	}
	c := w.sc.Controller
	cfg := controller.Config{ControllerID: controllerID, Policy: policy, Priorities: map[string]int{},
		RangeM: c.RangeM, Margin: sim.Seconds(c.MarginS), DefaultQueueFlush: sim.Seconds(c.DefaultQueueFlushS),
		Lease: sim.Seconds(c.LeaseS), RefreshPeriod: sim.Seconds(c.RefreshS), SilenceGrace: sim.Seconds(c.SilenceGraceS),
		OffPathToleranceM: c.OffPathToleranceM, PassedMarginM: c.PassedMarginM, Price: c.Price,
		QueueAwareLead: w.opt.QueueAwareLead}
	for _, t := range w.trips {
		cfg.Priorities[t.spec.ID] = t.priority
	}
	return controller.New(cfg, w.rnet)
}

// tripinfoPath is where a run's tripinfo output goes.
func (w *coWorld) tripinfoPath(run string) string {
	return filepath.Join(w.tmpDir, "tripinfo-"+run+".xml")
}
