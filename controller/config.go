package controller

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// Config tunes an Engine. Every zero field takes the default documented
// on it (New fills them in; Engine.Config returns the result).
type Config struct {
	// ControllerID names this controller in every command
	// (controller_id). Required: a roadside unit ends the preempts of a
	// controller that goes offline, so it must know whose they are.
	ControllerID string

	// Policy: PolicyGreenWave (default) or PolicyRange.
	Policy Policy

	// Lease is how far ahead of each (re)send a preempt's expires_at is
	// set. Default 20 s: four refresh periods, so three refreshes in a
	// row can be lost before the roadside drops a live preempt, yet a
	// controller that dies leaves a signal held for at most 20 s.
	Lease time.Duration

	// RefreshPeriod is how often a live preempt is re-sent with a later
	// expires_at. Default 5 s. Must be shorter than Lease.
	RefreshPeriod time.Duration

	// Margin is added to every lead time for message latency (MQTT round
	// trip, the roadside's own polling) and ETA error. Default 3 s.
	Margin time.Duration

	// DefaultQueueFlush is the time for the standing queue on an
	// approach to clear once it gets green, used where the inventory
	// gives no queue_flush_s. Default 6 s: about three cars at the usual
	// 2 s saturation headway, a typical urban arterial queue.
	DefaultQueueFlush time.Duration

	// SilenceGrace is how long a vehicle may go without a fix before its
	// preempts are released. Meanwhile its position is dead-reckoned
	// along its path at its smoothed speed. Default 6 s: a few lost fixes
	// at the usual 1 Hz (tunnels, urban canyons) do not drop the green
	// wave, while a vehicle that really stopped reporting frees the
	// junction well before its lease would.
	SilenceGrace time.Duration

	// OffPathToleranceM is how far a fix may be from the vehicle's path
	// before the vehicle counts as having left it. Default 30 m: three
	// times the usual 10 m GPS error, less than a block.
	OffPathToleranceM float64

	// PassedMarginM is how far beyond an intersection's node (its stop
	// line on the path) the vehicle must be before it counts as through
	// and the preempt is released. Default 5 m: enough that GPS jitter
	// at the node does not release early; by then the vehicle is inside
	// the junction and its own green is no longer needed.
	PassedMarginM float64

	// LookaheadM is how far along its path the engine looks for signals,
	// and how far the road ahead is followed when no route is known; a
	// road-ahead path is extended when a third of it is left. Default
	// 3000 m: the third left, 1 km, is beyond the lead distance of any
	// junction at emergency speeds (a 40 s lead at 25 m/s), and a path is
	// derived only every 2 km.
	LookaheadM float64

	// RangeM is the range policy's trigger distance. Default 300 m (about
	// 1000 ft, the usual optical-preemption detection range).
	RangeM float64

	// RangeTimeout caps a range-policy preempt, counted from its first
	// request, on top of the intersection's max_preempt_s. Default 60 s:
	// the "max call time" of conventional preemption systems.
	RangeTimeout time.Duration

	// DefaultPriority is the priority of vehicles not listed in
	// Priorities. Default 1 (highest): every vehicle on an emergency run
	// is equal unless the city ranks its fleets.
	DefaultPriority int

	// Priorities gives some vehicles another priority (1 is the
	// highest, 255 the lowest), e.g. fire engines over ambulances.
	Priorities map[string]int

	// ArbitrationHysteresis: between equal priorities, a newcomer takes a
	// conflicting intersection from the vehicle holding it only if it
	// arrives this much earlier. Default 2 s, so that two vehicles with
	// nearly equal ETAs do not take the junction back and forth as their
	// estimates jitter.
	ArbitrationHysteresis time.Duration

	// SpeedSmoothing is the weight of a new speed sample in the smoothed
	// speed (an exponentially weighted moving average per fix). Default
	// 0.3: a time constant of about three fixes at 1 Hz, which rides out
	// GPS speed noise but follows a real slowdown within seconds.
	SpeedSmoothing float64

	// AdvisorySignals is how many signals ahead an advisory lists at
	// most. Default 8.
	AdvisorySignals int

	// ForgetAfter: a vehicle not heard from for this long is forgotten
	// (its state freed; a later fix starts afresh with any seq). Default
	// 15 min. Every preempt it held was released at SilenceGrace.
	ForgetAfter time.Duration

	// MaxClockSkew: a fix or route stamped (ts) more than this after the
	// engine's time is refused (future_ts). A device whose clock ran far
	// ahead would otherwise make every later, correct fix look older than
	// the last one accepted, locking the vehicle out. A fix stamped more
	// than this before the engine's time is refused too (old_ts): it is
	// no use to the policy, and a captured fix replayed later (after a
	// controller restart, when nothing remembers its seq) must not
	// preempt. Routes are retained messages, announced once and valid
	// until replaced, so their age is not checked. Default 30 s:
	// GPS-disciplined units are within a second; this leaves room for a
	// controller whose own clock lags, and for fixes queued through a
	// short loss of connection.
	MaxClockSkew time.Duration

	// MaxVehicles bounds how many vehicles the engine tracks, so a flood
	// of invented vehicle ids cannot exhaust memory. Default 100000.
	MaxVehicles int

	// MaxSpeedMps: a fix farther from the vehicle's last accepted one
	// than this speed times the time between their ts, plus JumpSlackM,
	// is refused (implausible_speed): a GPS glitch or a forged fix, not a
	// vehicle. Default 70 m/s (252 km/h), above any emergency vehicle's
	// top speed.
	MaxSpeedMps float64

	// JumpSlackM is the distance any two fixes may be apart whatever the
	// time between them, for GPS error: the larger of this and three
	// times the sum of the two fixes' accuracy_m, capped at four times
	// this. Default 50 m: two fixes each off by 10 m (σ) are within it
	// with room to spare.
	JumpSlackM float64

	// MaxOffRoadM: a fix farther than this from every road of the map is
	// refused (off_road): no vehicle on a run is there, and a fix that
	// jumped there would otherwise drop the vehicle's path and release
	// its preempts. Default 200 m (routing.MaxSnapDistM, the farthest a
	// route's ends may lie from a road).
	MaxOffRoadM float64

	// SeqResetGap: a fix whose seq is not above the last accepted one is
	// still accepted, as the first after a reboot of the vehicle's unit
	// (whose seq restarts), when its ts is at least this much after the
	// last accepted fix's; otherwise it is refused as a duplicate or late
	// fix (stale_seq). Default 1 s: a duplicate has the same ts and a
	// late fix an earlier one, while a reboot takes longer than a second.
	SeqResetGap time.Duration
	// Price is the green-wave planner's exchange rate: how many
	// vehicle-seconds of the other traffic's delay one second of an
	// emergency vehicle's delay is worth (planner.go, docs/planner.md).
	// The planner minimises the other traffic's expected extra delay plus
	// Price times the vehicle's expected delay. Default 400 (DefaultPrice).
	// 0 serves the vehicle only where that costs nobody anything; +Inf
	// puts any delay above any cost: the planner then only withholds the
	// requests the plan's own green makes needless, and the worst-case
	// lead times the rest. Must not be negative. Nil means the default.
	Price *float64

	// ClassPrices gives vehicle classes (ambulance, fire, police, ... as
	// Classes assigns them) a price of their own; Classes maps vehicle ids
	// to classes. A vehicle with no class, or a class with no price, has
	// Price.
	ClassPrices map[string]float64
	Classes     map[string]string

	// DefaultFlowVehH and DefaultSatFlowVehH are an approach's traffic and
	// saturation flow (vehicles an hour) where the map gives none
	// (flow_veh_h, sat_flow_veh_h): what the planner weighs a green's
	// seconds by. Defaults 300 and 1800 (one lane at the usual 2 s
	// saturation headway): every approach weighs the same unless the map
	// says otherwise.
	DefaultFlowVehH    float64
	DefaultSatFlowVehH float64

	// QueueAwareLead turns on the queue-aware lead (queuelead.go): at
	// approaches whose flow the map gives, the queue flush of the
	// worst-case rule is estimated from how long the phase has been red.
	// Off by default: measured on the shipped SUMO and sim scenarios it
	// lengthened holds without making the vehicles faster (docs/sumo.md).
	QueueAwareLead bool

	// StartupLost is the green lost at the start of every green while a
	// queue reacts (the planner's queue model). Default 2 s (the Highway
	// Capacity Manual's).
	StartupLost time.Duration

	// Matcher tunes the per-vehicle map matchers (routing defaults when
	// zero).
	Matcher routing.MatcherConfig
}

// The defaults of Config; see each field for why.
const (
	DefaultLease                 = 20 * time.Second
	DefaultRefreshPeriod         = 5 * time.Second
	DefaultMargin                = 3 * time.Second
	DefaultQueueFlush            = 6 * time.Second
	DefaultSilenceGrace          = 6 * time.Second
	DefaultOffPathToleranceM     = 30.0
	DefaultPassedMarginM         = 5.0
	DefaultLookaheadM            = 3000.0
	DefaultRangeM                = 300.0
	DefaultRangeTimeout          = 60 * time.Second
	DefaultPriority              = wire.HighestPriority
	DefaultArbitrationHysteresis = 2 * time.Second
	DefaultSpeedSmoothing        = 0.3
	DefaultAdvisorySignals       = 8
	DefaultForgetAfter           = 15 * time.Minute
	DefaultMaxVehicles           = 100000
	DefaultMaxClockSkew          = 30 * time.Second
	DefaultMaxSpeedMps           = 70.0
	DefaultJumpSlackM            = 50.0
	DefaultMaxOffRoadM           = 200.0
	DefaultSeqResetGap           = time.Second
	DefaultFlowVehH              = 300.0
	DefaultSatFlowVehH           = 1800.0
	DefaultStartupLost           = 2 * time.Second
)

// DefaultPrice is Config.Price's default, 400 vehicle-seconds a second.
// It is a value judgement, and docs/planner.md says how it was made: a
// stop costs an ambulance at 50 km/h at least 7 s (braking and picking up
// speed again, before any wait), which at this price outweighs 2,800
// vehicle-seconds — more than skipping a whole stage costs the cross
// traffic of a junction at ordinary flows (about 1,100 on the shipped
// corridor) — so the planner does not plan stops; while a slowdown of a
// second or two is traded where it saves a stage. A city sets its own.
const DefaultPrice = 400.0

// withDefaults fills the zero fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	dur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	num := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Policy == "" {
		c.Policy = PolicyGreenWave
	}
	dur(&c.Lease, DefaultLease)
	dur(&c.RefreshPeriod, DefaultRefreshPeriod)
	dur(&c.Margin, DefaultMargin)
	dur(&c.DefaultQueueFlush, DefaultQueueFlush)
	dur(&c.SilenceGrace, DefaultSilenceGrace)
	num(&c.OffPathToleranceM, DefaultOffPathToleranceM)
	num(&c.PassedMarginM, DefaultPassedMarginM)
	num(&c.LookaheadM, DefaultLookaheadM)
	num(&c.RangeM, DefaultRangeM)
	dur(&c.RangeTimeout, DefaultRangeTimeout)
	if c.DefaultPriority == 0 {
		c.DefaultPriority = DefaultPriority
	}
	dur(&c.ArbitrationHysteresis, DefaultArbitrationHysteresis)
	num(&c.SpeedSmoothing, DefaultSpeedSmoothing)
	if c.AdvisorySignals == 0 {
		c.AdvisorySignals = DefaultAdvisorySignals
	}
	dur(&c.ForgetAfter, DefaultForgetAfter)
	if c.MaxVehicles == 0 {
		c.MaxVehicles = DefaultMaxVehicles
	}
	dur(&c.MaxClockSkew, DefaultMaxClockSkew)
	num(&c.MaxSpeedMps, DefaultMaxSpeedMps)
	num(&c.JumpSlackM, DefaultJumpSlackM)
	num(&c.MaxOffRoadM, DefaultMaxOffRoadM)
	dur(&c.SeqResetGap, DefaultSeqResetGap)
	num(&c.DefaultFlowVehH, DefaultFlowVehH)
	num(&c.DefaultSatFlowVehH, DefaultSatFlowVehH)
	dur(&c.StartupLost, DefaultStartupLost)
	if c.Price == nil {
		price := DefaultPrice
		c.Price = &price
	}

	bad := func(field, reason string) (Config, error) {
		return Config{}, errors.New("controller config: " + field + " " + reason)
	}
	switch {
	case !wire.ValidID(c.ControllerID):
		return bad("ControllerID", "must match "+wire.IDPattern+", got "+wire.Quote(c.ControllerID, 70))
	case !c.Policy.valid():
		return bad("Policy", "must be one of "+policyList()+", got "+wire.Quote(string(c.Policy), 40))
	case c.Lease < time.Second:
		return bad("Lease", "must be at least 1s, got "+c.Lease.String())
	case c.RefreshPeriod <= 0 || c.RefreshPeriod >= c.Lease:
		return bad("RefreshPeriod", "must be positive and shorter than Lease ("+c.Lease.String()+"), got "+c.RefreshPeriod.String())
	case c.Margin < 0:
		return bad("Margin", "must not be negative, got "+c.Margin.String())
	case c.DefaultQueueFlush < 0:
		return bad("DefaultQueueFlush", "must not be negative, got "+c.DefaultQueueFlush.String())
	case c.SilenceGrace < 0:
		return bad("SilenceGrace", "must not be negative, got "+c.SilenceGrace.String())
	case !positiveFinite(c.OffPathToleranceM):
		return bad("OffPathToleranceM", "must be a positive number of metres, got "+wire.FormatFloat(c.OffPathToleranceM))
	case !positiveFinite(c.PassedMarginM) && c.PassedMarginM != 0:
		return bad("PassedMarginM", "must be a positive number of metres, got "+wire.FormatFloat(c.PassedMarginM))
	case !positiveFinite(c.LookaheadM):
		return bad("LookaheadM", "must be a positive number of metres, got "+wire.FormatFloat(c.LookaheadM))
	case !positiveFinite(c.RangeM):
		return bad("RangeM", "must be a positive number of metres, got "+wire.FormatFloat(c.RangeM))
	case c.RangeTimeout < 0:
		return bad("RangeTimeout", "must not be negative, got "+c.RangeTimeout.String())
	case c.DefaultPriority < wire.HighestPriority || c.DefaultPriority > wire.LowestPriority:
		return bad("DefaultPriority", "must be in 1..255, got "+strconv.Itoa(c.DefaultPriority))
	case c.ArbitrationHysteresis < 0:
		return bad("ArbitrationHysteresis", "must not be negative, got "+c.ArbitrationHysteresis.String())
	case !(c.SpeedSmoothing > 0 && c.SpeedSmoothing <= 1):
		return bad("SpeedSmoothing", "must be in (0, 1], got "+wire.FormatFloat(c.SpeedSmoothing))
	case c.AdvisorySignals < 0:
		return bad("AdvisorySignals", "must not be negative, got "+strconv.Itoa(c.AdvisorySignals))
	case c.ForgetAfter < c.SilenceGrace:
		return bad("ForgetAfter", "must be at least SilenceGrace, got "+c.ForgetAfter.String())
	case c.MaxClockSkew < 0:
		return bad("MaxClockSkew", "must not be negative, got "+c.MaxClockSkew.String())
	case c.MaxVehicles < 0:
		return bad("MaxVehicles", "must not be negative, got "+strconv.Itoa(c.MaxVehicles))
	case !positiveFinite(c.MaxSpeedMps):
		return bad("MaxSpeedMps", "must be a positive speed, got "+wire.FormatFloat(c.MaxSpeedMps))
	case !positiveFinite(c.JumpSlackM):
		return bad("JumpSlackM", "must be a positive number of metres, got "+wire.FormatFloat(c.JumpSlackM))
	case !positiveFinite(c.MaxOffRoadM):
		return bad("MaxOffRoadM", "must be a positive number of metres, got "+wire.FormatFloat(c.MaxOffRoadM))
	case c.SeqResetGap < 0:
		return bad("SeqResetGap", "must not be negative, got "+c.SeqResetGap.String())
	case c.Price != nil && (math.IsNaN(*c.Price) || *c.Price < 0):
		return bad("Price", "must be a number ≥ 0 (+Inf allowed), got "+wire.FormatFloat(*c.Price))
	case !positiveFinite(c.DefaultFlowVehH):
		return bad("DefaultFlowVehH", "must be a positive number of vehicles an hour, got "+wire.FormatFloat(c.DefaultFlowVehH))
	case !positiveFinite(c.DefaultSatFlowVehH):
		return bad("DefaultSatFlowVehH", "must be a positive number of vehicles an hour, got "+wire.FormatFloat(c.DefaultSatFlowVehH))
	case c.StartupLost < 0:
		return bad("StartupLost", "must not be negative, got "+c.StartupLost.String())
	}
	for class, p := range c.ClassPrices {
		if math.IsNaN(p) || p < 0 {
			return bad("ClassPrices["+class+"]", "must be a number ≥ 0 (+Inf allowed), got "+wire.FormatFloat(p))
		}
	}
	if err := checkPriorities(c.Priorities); err != nil {
		return Config{}, err
	}
	return c, nil
}

// checkPriorities validates a vehicle id → priority map (Config.Priorities,
// SetPriorities).
func checkPriorities(ps map[string]int) error {
	for id, p := range ps {
		if !wire.ValidID(id) {
			return errors.New("controller config: Priorities has an invalid vehicle id " + wire.Quote(id, 70))
		}
		if p < wire.HighestPriority || p > wire.LowestPriority {
			return errors.New("controller config: Priorities[" + id + "] must be in 1..255, got " + strconv.Itoa(p))
		}
	}
	return nil
}

func positiveFinite(f float64) bool { return f > 0 && !math.IsInf(f, 0) }
