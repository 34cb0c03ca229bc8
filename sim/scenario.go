package sim

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"gopkg.in/yaml.v3"
)

// Scenario is one simulation set-up, read from a YAML file (see doc.go for
// the format with every field, its unit and its default). Fields left out
// take their defaults; Validate reports every field out of range, naming
// it by its YAML path.
type Scenario struct {
	Name       string         `yaml:"name"`
	Seed       uint64         `yaml:"seed"`
	DurationS  float64        `yaml:"duration_s"`
	Start      string         `yaml:"start"` // RFC 3339; the run's virtual epoch
	Map        MapSpec        `yaml:"map"`
	Plans      PlanSpec       `yaml:"plans"`
	Traffic    TrafficSpec    `yaml:"traffic"`
	EV         EVSpec         `yaml:"ev"`
	Vehicles   []VehicleSpec  `yaml:"vehicles"`
	Trips      *TripsSpec     `yaml:"random_trips"`
	GPS        GPSSpec        `yaml:"gps"`
	Network    NetworkSpec    `yaml:"network"`
	Controller ControllerSpec `yaml:"controller"`

	// Dir is the directory map.file is relative to: the scenario file's.
	Dir string `yaml:"-"`

	file string     // for error messages
	root *yaml.Node // for the line numbers of validation errors
}

// MapSpec is where the road network comes from: a GeoJSON inventory file
// (map-format.md) or a generator.
type MapSpec struct {
	File      string `yaml:"file"`      // relative to the scenario file
	Generator string `yaml:"generator"` // "corridor" or "grid"

	Signals      int        `yaml:"signals"`        // corridor: signalised intersections, ≥ 1
	Rows         int        `yaml:"rows"`           // grid
	Cols         int        `yaml:"cols"`           // grid
	SpacingM     float64    `yaml:"spacing_m"`      // between neighbouring signals
	SpeedMps     float64    `yaml:"speed_mps"`      // main (east-west) roads' free-flow speed
	SideSpeedMps float64    `yaml:"side_speed_mps"` // side (north-south) roads' free-flow speed
	SideLengthM  float64    `yaml:"side_length_m"`  // corridor: length of each side-street stub
	Timing       TimingSpec `yaml:"timing"`         // generated intersections' timing
}

// TimingSpec overrides generated intersections' timing (map-format.md
// "timing"); zero fields keep routing.DefaultTiming's values.
type TimingSpec struct {
	MinGreenS     float64 `yaml:"min_green_s"`
	YellowS       float64 `yaml:"yellow_s"`
	AllRedS       float64 `yaml:"all_red_s"`
	PedClearanceS float64 `yaml:"ped_clearance_s"`
	MaxPreemptS   float64 `yaml:"max_preempt_s"`
}

// PlanSpec is the rule that gives every intersection its fixed-time plan
// (routing.Intersection.NormalPlan, the rule the roadside-unit simulator uses):
// cycle, the main street's share of the green, and offsets. With ProgressionMps > 0 each intersection's offset is its
// eastward distance from the westernmost signal divided by that speed, so
// the main street's eastbound green starts travel a background green wave.
type PlanSpec struct {
	CycleS         float64        `yaml:"cycle_s"`
	MainShare      float64        `yaml:"main_share"`
	ProgressionMps float64        `yaml:"progression_mps"`
	Intersections  []PlanOverride `yaml:"intersections"`
}

// PlanOverride gives one intersection its own cycle, main share or offset
// (zero fields keep the rule's).
type PlanOverride struct {
	Intersection string   `yaml:"intersection"`
	CycleS       float64  `yaml:"cycle_s"`
	MainShare    float64  `yaml:"main_share"`
	OffsetS      *float64 `yaml:"offset_s"`
}

// TrafficSpec is the background demand: per-approach arrival rates (veh/h)
// with main (phases 1, 2, 5, 6) and side defaults, and the discharge
// parameters of the queue model (see signals.Queue).
type TrafficSpec struct {
	MainVehH        float64 `yaml:"main_veh_h"`
	SideVehH        float64 `yaml:"side_veh_h"`
	SatFlowVehHLane float64 `yaml:"sat_flow_veh_h_lane"`
	Lanes           int     `yaml:"lanes"`
	StartupLostS    float64 `yaml:"startup_lost_s"`
	JamSpacingM     float64 `yaml:"jam_spacing_m"`
	// MaxSaturation caps the main/side default rates at this fraction of
	// each approach's capacity under its plan, so that a junction whose
	// generated plan gives a minor approach little green does not grow a
	// queue without end (a real engineer would have timed it for its
	// demand). Per-approach overrides are taken as given.
	MaxSaturation float64        `yaml:"max_saturation"`
	Approaches    []ApproachRate `yaml:"approaches"`
}

// ApproachRate overrides one approach's arrival rate.
type ApproachRate struct {
	Intersection string  `yaml:"intersection"`
	Approach     string  `yaml:"approach"`
	VehH         float64 `yaml:"veh_h"`
}

// EVSpec is the emergency vehicles' kinematics (see Kinematics).
type EVSpec struct {
	AccelMps2   float64 `yaml:"accel_mps2"`
	DecelMps2   float64 `yaml:"decel_mps2"`
	SpeedFactor float64 `yaml:"speed_factor"`
	StepS       float64 `yaml:"step_s"`
}

// VehicleSpec is one emergency-vehicle trip: either from/to (the fastest
// route between them) or via (a polyline of at least two places the
// vehicle drives through in order).
type VehicleSpec struct {
	ID       string  `yaml:"id"`
	From     *Place  `yaml:"from"`
	To       *Place  `yaml:"to"`
	Via      []Place `yaml:"via"`
	DepartS  float64 `yaml:"depart_s"`
	Priority int     `yaml:"priority"`
	// Announce is what the vehicle tells the controller about its route:
	// "path" (its polyline), "destination" (its end point; the controller
	// routes), or "none" (the controller follows the road it is on).
	Announce string `yaml:"announce"`
}

// TripsSpec generates Count trips between random pairs of signalised
// intersections of the map (drawn from the scenario's seed), departing
// every EveryS seconds from FirstDepartS.
type TripsSpec struct {
	Count        int     `yaml:"count"`
	FirstDepartS float64 `yaml:"first_depart_s"`
	EveryS       float64 `yaml:"every_s"`
	MinLengthM   float64 `yaml:"min_length_m"` // straight-line distance between the ends
	Priority     int     `yaml:"priority"`
	Announce     string  `yaml:"announce"`
}

// GPSSpec is the vehicles' positioning and uplink: a fix every PeriodS with
// Gaussian noise, lost with probability Loss, delivered after LatencyS plus
// a uniform jitter in [0, JitterS) (so fixes may arrive out of order), and
// duplicated with probability Duplicate (the copy with its own jitter).
// NoiseCorrelationS > 0 makes the position error a first-order
// Gauss-Markov process with that time constant (real receivers' errors
// drift slowly, multipath aside) instead of independent per fix; its σ is
// NoiseM either way.
type GPSSpec struct {
	PeriodS           float64 `yaml:"period_s"`
	NoiseM            float64 `yaml:"noise_m"`
	NoiseCorrelationS float64 `yaml:"noise_correlation_s"`
	HeadingNoiseDeg   float64 `yaml:"heading_noise_deg"`
	SpeedNoiseMps     float64 `yaml:"speed_noise_mps"`
	Loss              float64 `yaml:"loss"`
	LatencyS          float64 `yaml:"latency_s"`
	JitterS           float64 `yaml:"jitter_s"`
	Duplicate         float64 `yaml:"duplicate"`
}

// NetworkSpec is the controller ↔ roadside link. Messages on it keep their
// order (MQTT QoS 1 on one connection): jitter delays, never reorders.
type NetworkSpec struct {
	CommandLatencyS float64 `yaml:"command_latency_s"`
	CommandJitterS  float64 `yaml:"command_jitter_s"`
	StatusLatencyS  float64 `yaml:"status_latency_s"`
}

// ControllerSpec overrides settings of the decision engine
// (controller.Config) for the range and greenwave runs, so that a city can
// evaluate its own settings. Zero keeps the engine's documented default.
type ControllerSpec struct {
	RangeM             float64 `yaml:"range_m"`
	MarginS            float64 `yaml:"margin_s"`
	DefaultQueueFlushS float64 `yaml:"default_queue_flush_s"`
	LeaseS             float64 `yaml:"lease_s"`
	RefreshS           float64 `yaml:"refresh_s"`
	SilenceGraceS      float64 `yaml:"silence_grace_s"`
	OffPathToleranceM  float64 `yaml:"off_path_tolerance_m"`
	PassedMarginM      float64 `yaml:"passed_margin_m"`
	// Price is the green-wave policy's price (controller.Config.Price):
	// vehicle-seconds of cross-traffic delay one second of emergency
	// vehicle delay is worth; .inf for infinite. Absent: the engine's
	// default.
	Price *float64 `yaml:"price"`
}

// Place is a point of a scenario: a [lon, lat] pair, or a name — an
// intersection id of the map, or one of the generator's anchors (doc.go).
type Place struct {
	Name   string
	LonLat [2]float64
	line   int
}

// UnmarshalYAML accepts a string or a two-number sequence.
func (p *Place) UnmarshalYAML(n *yaml.Node) error {
	p.line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag != "!!str" {
			return fmt.Errorf("line %d: a place is a name or [lon, lat], got %q", n.Line, n.Value)
		}
		p.Name = n.Value
		return nil
	case yaml.SequenceNode:
		var ll []float64
		if err := n.Decode(&ll); err != nil || len(ll) != 2 {
			return fmt.Errorf("line %d: a place is a name or [lon, lat] (two numbers)", n.Line)
		}
		p.LonLat = [2]float64{ll[0], ll[1]}
		return nil
	}
	return fmt.Errorf("line %d: a place is a name or [lon, lat]", n.Line)
}

// String is the place as the scenario wrote it.
func (p Place) String() string {
	if p.Name != "" {
		return p.Name
	}
	return fmt.Sprintf("[%g, %g]", p.LonLat[0], p.LonLat[1])
}

// MaxScenarioBytes bounds a scenario file: scenarios are hand-written, and
// the bound keeps a fuzzer or a wrong path from feeding megabytes to YAML.
const MaxScenarioBytes = 1 << 20

// Limits that catch unit mistakes (minutes for seconds, km for m) and keep
// one run bounded.
const (
	maxDurationS  = 7 * 24 * 3600
	maxVehicles   = 10000
	maxGenSignals = 400
)

// LoadScenario reads, defaults and validates the scenario file at path.
func LoadScenario(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readLimited(f, MaxScenarioBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ParseScenario(data, path)
}

// ParseScenario parses a scenario from data; path names it in errors and
// map.file is relative to its directory.
func ParseScenario(data []byte, path string) (*Scenario, error) {
	if len(data) > MaxScenarioBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxScenarioBytes)
	}
	sc := &Scenario{file: path, Dir: filepath.Dir(path)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(sc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, cleanYAMLError(err))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		sc.root = &root
	}
	sc.applyDefaults()
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return sc, nil
}

func cleanYAMLError(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("empty scenario")
	}
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}

// Defaults of every optional field (doc.go explains the choices).
func (sc *Scenario) applyDefaults() {
	sc.Start = cmp.Or(sc.Start, "2026-11-23T08:00:00Z")
	m := &sc.Map
	m.SpacingM = cmp.Or(m.SpacingM, 300)
	m.SpeedMps = cmp.Or(m.SpeedMps, 50/3.6)
	m.SideSpeedMps = cmp.Or(m.SideSpeedMps, 30/3.6)
	m.SideLengthM = cmp.Or(m.SideLengthM, 200)
	p := &sc.Plans
	p.CycleS = cmp.Or(p.CycleS, 90)
	p.MainShare = cmp.Or(p.MainShare, 0.6)
	t := &sc.Traffic
	t.SatFlowVehHLane = cmp.Or(t.SatFlowVehHLane, 1800)
	t.Lanes = cmp.Or(t.Lanes, 1)
	t.StartupLostS = cmp.Or(t.StartupLostS, 2)
	t.JamSpacingM = cmp.Or(t.JamSpacingM, 7)
	t.MaxSaturation = cmp.Or(t.MaxSaturation, 0.9)
	e, kin := &sc.EV, DefaultKinematics()
	e.AccelMps2 = cmp.Or(e.AccelMps2, kin.Accel)
	e.DecelMps2 = cmp.Or(e.DecelMps2, kin.Decel)
	e.SpeedFactor = cmp.Or(e.SpeedFactor, kin.SpeedFactor)
	e.StepS = cmp.Or(e.StepS, kin.StepS)
	for i := range sc.Vehicles {
		v := &sc.Vehicles[i]
		v.Priority = cmp.Or(v.Priority, 1)
		v.Announce = cmp.Or(v.Announce, "path")
	}
	if tr := sc.Trips; tr != nil {
		tr.EveryS = cmp.Or(tr.EveryS, 120)
		tr.Priority = cmp.Or(tr.Priority, 1)
		tr.Announce = cmp.Or(tr.Announce, "destination")
	}
	g := &sc.GPS
	g.PeriodS = cmp.Or(g.PeriodS, 1)
	n := &sc.Network
	n.CommandLatencyS = cmp.Or(n.CommandLatencyS, 0.1)
	n.StatusLatencyS = cmp.Or(n.StatusLatencyS, 0.1)
}

// validator collects field errors.
type validator struct {
	sc   *Scenario
	errs []error
}

func (v *validator) fail(field, format string, args ...any) {
	if len(v.errs) >= 50 {
		return
	}
	v.errs = append(v.errs, &wire.FieldError{Where: v.sc.file, Line: v.sc.lineOf(field), Field: field, Reason: fmt.Sprintf(format, args...)})
}

// num checks lo ≤ x ≤ hi (and finite).
func (v *validator) num(field string, x, lo, hi float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) || x < lo || x > hi {
		v.fail(field, "must be in [%v, %v], got %v", lo, hi, x)
	}
}

// pos checks 0 < x ≤ hi.
func (v *validator) pos(field string, x, hi float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 || x > hi {
		v.fail(field, "must be in (0, %v], got %v", hi, x)
	}
}

func (v *validator) announce(field, a string) {
	switch a {
	case "path", "destination", "none":
	default:
		v.fail(field, `must be "path", "destination" or "none", got %q`, a)
	}
}

func (v *validator) place(field string, p *Place) {
	if p == nil {
		v.fail(field, "required")
		return
	}
	if p.Name != "" {
		if !wire.ValidID(p.Name) {
			v.fail(field, "a place name must match "+wire.IDPattern+", got %q", p.Name)
		}
		return
	}
	if lon, lat := p.LonLat[0], p.LonLat[1]; math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		v.fail(field, "not a valid [lon, lat]: %v", p.LonLat)
	}
}

// Validate checks every field after defaults; the error joins one
// *wire.FieldError per problem. It changes nothing.
func (sc *Scenario) Validate() error {
	v := &validator{sc: sc}
	if sc.Name == "" {
		v.fail("name", "required")
	} else if !wire.ValidID(sc.Name) {
		v.fail("name", "must match "+wire.IDPattern+", got %q", sc.Name)
	}
	v.pos("duration_s", sc.DurationS, maxDurationS)
	if _, err := time.Parse(time.RFC3339Nano, sc.Start); err != nil {
		v.fail("start", "not an RFC 3339 time: %q", sc.Start)
	}
	m := sc.Map
	switch {
	case m.File != "" && m.Generator != "":
		v.fail("map", "give either file or generator, not both")
	case m.File == "" && m.Generator == "":
		v.fail("map", "give file (a GeoJSON inventory) or generator (corridor or grid)")
	case m.Generator == "corridor":
		if m.Signals < 1 || m.Signals > maxGenSignals {
			v.fail("map.signals", "must be in [1, %d], got %d", maxGenSignals, m.Signals)
		}
	case m.Generator == "grid":
		if m.Rows < 1 || m.Cols < 1 || m.Rows*m.Cols > maxGenSignals || m.Rows > maxGenSignals || m.Cols > maxGenSignals {
			v.fail("map.rows", "rows and cols must be ≥ 1 with rows×cols ≤ %d, got %d×%d", maxGenSignals, m.Rows, m.Cols)
		}
	case m.Generator != "":
		v.fail("map.generator", `must be "corridor" or "grid", got %q`, m.Generator)
	}
	if m.Generator != "" {
		v.num("map.spacing_m", m.SpacingM, 50, 5000)
		v.num("map.side_length_m", m.SideLengthM, 20, 5000)
		v.pos("map.speed_mps", m.SpeedMps, 60)
		v.pos("map.side_speed_mps", m.SideSpeedMps, 60)
		t := m.Timing
		v.num("map.timing.min_green_s", t.MinGreenS, 0, 120)
		v.num("map.timing.yellow_s", t.YellowS, 0, 10)
		v.num("map.timing.all_red_s", t.AllRedS, 0, 10)
		v.num("map.timing.ped_clearance_s", t.PedClearanceS, 0, 120)
		v.num("map.timing.max_preempt_s", t.MaxPreemptS, 0, 600)
		if t.YellowS != 0 && t.YellowS < 3 {
			v.fail("map.timing.yellow_s", "must be at least 3 s (map-format), got %v", t.YellowS)
		}
	}
	v.num("plans.cycle_s", sc.Plans.CycleS, 20, 600)
	if s := sc.Plans.MainShare; math.IsNaN(s) || s <= 0 || s >= 1 {
		v.fail("plans.main_share", "must be in (0, 1), got %v", s)
	}
	v.num("plans.progression_mps", sc.Plans.ProgressionMps, 0, 60)
	seenPlan := map[string]bool{}
	for i, o := range sc.Plans.Intersections {
		f := fmt.Sprintf("plans.intersections[%d]", i)
		if !wire.ValidID(o.Intersection) {
			v.fail(f+".intersection", "must be an intersection id, got %q", o.Intersection)
		} else if seenPlan[o.Intersection] {
			v.fail(f+".intersection", "intersection %s given twice", o.Intersection)
		}
		seenPlan[o.Intersection] = true
		if o.CycleS != 0 {
			v.num(f+".cycle_s", o.CycleS, 20, 600)
		}
		if o.MainShare != 0 && !(o.MainShare > 0 && o.MainShare < 1) {
			v.fail(f+".main_share", "must be in (0, 1), got %v", o.MainShare)
		}
		if o.OffsetS != nil {
			v.num(f+".offset_s", *o.OffsetS, 0, 600)
		}
	}
	t := sc.Traffic
	v.num("traffic.main_veh_h", t.MainVehH, 0, 5000)
	v.num("traffic.side_veh_h", t.SideVehH, 0, 5000)
	v.num("traffic.sat_flow_veh_h_lane", t.SatFlowVehHLane, 100, 3000)
	if t.Lanes < 1 || t.Lanes > 8 {
		v.fail("traffic.lanes", "must be in [1, 8], got %d", t.Lanes)
	}
	v.num("traffic.startup_lost_s", t.StartupLostS, 0, 10)
	v.num("traffic.jam_spacing_m", t.JamSpacingM, 4, 20)
	v.num("traffic.max_saturation", t.MaxSaturation, 0.05, 2)
	overridden := map[string]bool{}
	for i, a := range t.Approaches {
		f := fmt.Sprintf("traffic.approaches[%d]", i)
		if !wire.ValidID(a.Intersection) {
			v.fail(f+".intersection", "must be an intersection id, got %q", a.Intersection)
		}
		if !wire.ValidID(a.Approach) {
			v.fail(f+".approach", "must be an approach id, got %q", a.Approach)
		}
		v.num(f+".veh_h", a.VehH, 0, 5000)
		key := a.Intersection + "/" + a.Approach
		if overridden[key] {
			v.fail(f, "approach %s given twice", key)
		}
		overridden[key] = true
	}
	e := sc.EV
	v.num("ev.accel_mps2", e.AccelMps2, 0.5, 6)
	v.num("ev.decel_mps2", e.DecelMps2, 1, 8)
	v.num("ev.speed_factor", e.SpeedFactor, 0.5, 2)
	v.num("ev.step_s", e.StepS, 0.01, 1)
	if len(sc.Vehicles) == 0 && (sc.Trips == nil || sc.Trips.Count == 0) {
		v.fail("vehicles", "a scenario needs at least one vehicle (vehicles or random_trips)")
	}
	if len(sc.Vehicles) > maxVehicles {
		v.fail("vehicles", "at most %d, got %d", maxVehicles, len(sc.Vehicles))
	}
	ids := map[string]bool{}
	for i := range sc.Vehicles {
		ve := &sc.Vehicles[i]
		f := fmt.Sprintf("vehicles[%d]", i)
		switch {
		case !wire.ValidID(ve.ID):
			v.fail(f+".id", "must match "+wire.IDPattern+", got %q", ve.ID)
		case ids[ve.ID]:
			v.fail(f+".id", "duplicate vehicle id %q", ve.ID)
		}
		ids[ve.ID] = true
		switch {
		case len(ve.Via) > 0 && (ve.From != nil || ve.To != nil):
			v.fail(f, "give either via or from/to, not both")
		case len(ve.Via) == 1:
			v.fail(f+".via", "needs at least two places")
		case len(ve.Via) >= 2:
			for j := range ve.Via {
				v.place(fmt.Sprintf("%s.via[%d]", f, j), &ve.Via[j])
			}
		default:
			v.place(f+".from", ve.From)
			v.place(f+".to", ve.To)
		}
		v.num(f+".depart_s", ve.DepartS, 0, sc.DurationS)
		if ve.Priority < 1 || ve.Priority > 255 {
			v.fail(f+".priority", "must be in [1, 255] (1 is highest), got %d", ve.Priority)
		}
		v.announce(f+".announce", ve.Announce)
	}
	if tr := sc.Trips; tr != nil {
		if tr.Count < 0 || tr.Count > maxVehicles {
			v.fail("random_trips.count", "must be in [0, %d], got %d", maxVehicles, tr.Count)
		}
		v.num("random_trips.first_depart_s", tr.FirstDepartS, 0, sc.DurationS)
		v.pos("random_trips.every_s", tr.EveryS, maxDurationS)
		v.num("random_trips.min_length_m", tr.MinLengthM, 0, 100000)
		if tr.Priority < 1 || tr.Priority > 255 {
			v.fail("random_trips.priority", "must be in [1, 255], got %d", tr.Priority)
		}
		v.announce("random_trips.announce", tr.Announce)
	}
	CheckSettings(sc.GPS, sc.Network, sc.Controller, v.fail)
	return errors.Join(v.errs...)
}

// CheckSettings checks the GPS, network and controller sections a
// scenario shares with the SUMO co-simulation's, reporting each field out
// of range to fail (field, then a format and its arguments).
func CheckSettings(gps GPSSpec, network NetworkSpec, ctl ControllerSpec, fail func(field, format string, args ...any)) {
	num := func(field string, x, lo, hi float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < lo || x > hi {
			fail(field, "must be in [%v, %v], got %v", lo, hi, x)
		}
	}
	g := gps
	num("gps.period_s", g.PeriodS, 0.1, 60)
	num("gps.noise_m", g.NoiseM, 0, 200)
	num("gps.noise_correlation_s", g.NoiseCorrelationS, 0, 3600)
	num("gps.heading_noise_deg", g.HeadingNoiseDeg, 0, 180)
	num("gps.speed_noise_mps", g.SpeedNoiseMps, 0, 20)
	num("gps.loss", g.Loss, 0, 0.99)
	num("gps.latency_s", g.LatencyS, 0, 60)
	num("gps.jitter_s", g.JitterS, 0, 60)
	num("gps.duplicate", g.Duplicate, 0, 1)
	n := network
	num("network.command_latency_s", n.CommandLatencyS, 0, 60)
	num("network.command_jitter_s", n.CommandJitterS, 0, 60)
	num("network.status_latency_s", n.StatusLatencyS, 0, 60)
	c := ctl
	num("controller.range_m", c.RangeM, 0, 5000)
	num("controller.margin_s", c.MarginS, 0, 60)
	num("controller.default_queue_flush_s", c.DefaultQueueFlushS, 0, 120)
	num("controller.lease_s", c.LeaseS, 0, 600)
	num("controller.refresh_s", c.RefreshS, 0, 600)
	if c.LeaseS > 0 && c.RefreshS >= c.LeaseS {
		fail("controller.refresh_s", "must be shorter than lease_s (%v), got %v", c.LeaseS, c.RefreshS)
	}
	num("controller.silence_grace_s", c.SilenceGraceS, 0, 600)
	num("controller.off_path_tolerance_m", c.OffPathToleranceM, 0, 1000)
	num("controller.passed_margin_m", c.PassedMarginM, 0, 100)
	if c.Price != nil && (math.IsNaN(*c.Price) || *c.Price < 0) {
		fail("controller.price", "must be a number ≥ 0 (.inf for infinite), got %v", *c.Price)
	}
}

// lineOf finds the line of a field given by its path; see FieldLine.
func (sc *Scenario) lineOf(path string) int { return FieldLine(sc.root, path) }

// FieldLine finds the line of a field, given by its path ("a.b[2].c"), in
// the YAML document root: the line of its key, or of its element in a
// list, falling back to the nearest enclosing node that exists; 0 when
// unknown. An error naming a field names its line with it, here and in
// package sumo's scenarios.
func FieldLine(root *yaml.Node, path string) int {
	if root == nil || len(root.Content) == 0 {
		return 0
	}
	n := root.Content[0]
	line := n.Line
	for _, part := range strings.Split(path, ".") {
		key, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			key = part[:i]
			idx, _ = strconv.Atoi(part[i+1 : len(part)-1])
		}
		k, v := mappingEntry(n, key)
		if v == nil {
			return line
		}
		n, line = v, k.Line
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line
			}
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}

// mappingEntry returns the key and value nodes of key in the mapping n,
// or nils.
func mappingEntry(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// Epoch is the scenario's virtual time zero.
func (sc *Scenario) Epoch() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, sc.Start)
	return t.UTC()
}

func readLimited(f *os.File, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}
