package controller

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewFillsDefaultsAndRefusesBadConfig(t *testing.T) {
	net := corridorMap(t, 60)
	e, err := New(Config{ControllerID: "cc-1"}, net)
	require.NoError(t, err)
	cfg := e.Config()
	assert.Equal(t, PolicyGreenWave, cfg.Policy)
	assert.Equal(t, DefaultLease, cfg.Lease)
	assert.Equal(t, DefaultRefreshPeriod, cfg.RefreshPeriod)
	assert.Equal(t, DefaultMargin, cfg.Margin)
	assert.Equal(t, DefaultQueueFlush, cfg.DefaultQueueFlush)
	assert.Equal(t, DefaultSilenceGrace, cfg.SilenceGrace)
	assert.Equal(t, DefaultRangeM, cfg.RangeM)
	assert.Equal(t, 1, cfg.DefaultPriority)

	bad := map[string]Config{
		"ControllerID":    {},
		"Policy":          {ControllerID: "c", Policy: "nearest"},
		"RefreshPeriod":   {ControllerID: "c", Lease: 5 * time.Second, RefreshPeriod: 5 * time.Second},
		"Lease":           {ControllerID: "c", Lease: time.Millisecond},
		"SpeedSmoothing":  {ControllerID: "c", SpeedSmoothing: 1.5},
		"DefaultPriority": {ControllerID: "c", DefaultPriority: 300},
		"Priorities":      {ControllerID: "c", Priorities: map[string]int{"amb 1": 1}},
		"RangeM":          {ControllerID: "c", RangeM: -1},
		"MaxSpeedMps":     {ControllerID: "c", MaxSpeedMps: -5},
		"JumpSlackM":      {ControllerID: "c", JumpSlackM: math.Inf(1)},
		"MaxOffRoadM":     {ControllerID: "c", MaxOffRoadM: -1},
		"SeqResetGap":     {ControllerID: "c", SeqResetGap: -time.Second},
	}
	for field, c := range bad {
		_, err := New(c, net)
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), field)
	}
	_, err = New(Config{ControllerID: "c"}, nil)
	assert.Error(t, err)
}

func TestDecisionJSONIsStable(t *testing.T) {
	at := time.Date(2026, 11, 22, 9, 15, 31, 10e6, time.FixedZone("CET", 3600))
	b, err := json.Marshal(Decision{At: at, Kind: DecisionRequest, VehicleID: "amb-17", IntersectionID: "I-204",
		RequestID: "amb-17.I-204.3", EtaS: 11.4999, LeadS: 34, DistanceM: 160.04, ExpiresAt: at.Add(20 * time.Second)})
	require.NoError(t, err)
	assert.Equal(t, `{"at":"2026-11-22T08:15:31.01Z","kind":"request","vehicle_id":"amb-17","intersection_id":"I-204",`+
		`"request_id":"amb-17.I-204.3","eta_s":11.5,"lead_s":34,"distance_m":160,"expires_at":"2026-11-22T08:15:51.01Z"}`, string(b))

	b, err = json.Marshal(Decision{At: at, Kind: DecisionReject, VehicleID: "amb-17", Reason: ReasonInvalid, Field: "lat", Detail: "out of range"})
	require.NoError(t, err)
	assert.Equal(t, `{"at":"2026-11-22T08:15:31.01Z","kind":"reject","vehicle_id":"amb-17","reason":"invalid","field":"lat","detail":"out of range"}`, string(b))
}

func TestRequestIDFitsTheWireIdentifier(t *testing.T) {
	assert.Equal(t, "amb-17.I-204.3", requestID("amb-17", "I-204", 3))
	long := strings.Repeat("v", 64)
	id := requestID(long, strings.Repeat("i", 64), 12)
	assert.True(t, wire.ValidID(id), id)
	assert.True(t, strings.HasSuffix(id, ".12"))
	assert.NotEqual(t, id, requestID(long, strings.Repeat("i", 63)+"j", 12), "different intersections, different ids")
	assert.NotEqual(t, id, requestID(long, strings.Repeat("i", 64), 13), "different passages, different ids")
	assert.Equal(t, id, requestID(long, strings.Repeat("i", 64), 12), "stable")
}

// A long vehicle id still yields commands that pass the wire validation.
func TestLongIDsGiveValidCommands(t *testing.T) {
	net := corridorMap(t, 60)
	e, err := New(Config{ControllerID: strings.Repeat("c", 64)}, net)
	require.NoError(t, err)
	id := strings.Repeat("a", 64)
	ll := lonLatAt(300, 0)
	require.NoError(t, e.Step(scriptEpoch, PositionInput(wire.Position{VehicleID: id, Seq: 1, TS: scriptEpoch,
		Lon: ll[0], Lat: ll[1], SpeedMps: new(13.9), HeadingDeg: new(90.0), Emergency: true})))
	rd := e.Ready()
	require.Len(t, rd.Commands, 1)
	require.NoError(t, rd.Commands[0].Validate())
}

func TestStepRefusalsAreRejectErrorsAndChangeNothing(t *testing.T) {
	net := corridorMap(t, 60)
	e, err := New(Config{ControllerID: "cc-1"}, net)
	require.NoError(t, err)
	ll := lonLatAt(300, 0)
	fix := wire.Position{VehicleID: "amb-1", Seq: 5, TS: scriptEpoch, Lon: ll[0], Lat: ll[1], SpeedMps: new(13.9), Emergency: true}
	require.NoError(t, e.Step(scriptEpoch, PositionInput(fix)))
	e.Ready()
	before := *e.vehicles["amb-1"]

	later := scriptEpoch.Add(time.Second)
	for name, in := range map[string]Input{
		"duplicate": PositionInput(fix),
		"nan":       PositionInput(wire.Position{VehicleID: "amb-1", Seq: 6, TS: later, Lon: ll[0], Lat: math.NaN()}),
		"kind":      {},
		"status":    StatusInput(wire.Status{IntersectionID: "nowhere", TS: later, State: wire.StateHold}),
	} {
		err := e.Step(later, in)
		var rej *RejectError
		require.True(t, errors.As(err, &rej), "%s: %v", name, err)
		rd := e.Ready()
		require.Len(t, rd.Decisions, 1, name)
		assert.Equal(t, DecisionReject, rd.Decisions[0].Kind)
		assert.Equal(t, rej.Reason, rd.Decisions[0].Reason)
		assert.Empty(t, rd.Commands, name)
		assert.Empty(t, rd.Advisories, name)
	}
	after := *e.vehicles["amb-1"]
	assert.Equal(t, before.seq, after.seq)
	assert.Equal(t, before.along, after.along)
	assert.Equal(t, before.heardAt, after.heardAt)
	assert.Equal(t, scriptEpoch, e.now, "a refused input does not move the engine's clock")
}

// The same inputs give the same outputs, byte for byte: the engine keeps
// no hidden state (clock, randomness, map order) that leaks into them.
func TestDeterministic(t *testing.T) {
	run := func() string {
		net := crossMap(t, 45)
		e, err := New(Config{ControllerID: "cc-1"}, net)
		require.NoError(t, err)
		var log strings.Builder
		checker := newSafetyChecker(t, net, e.Config())
		logReady := func() {
			rd := e.Ready()
			checker.check(rd)
			for _, c := range rd.Commands {
				b, err := json.Marshal(c)
				require.NoError(t, err)
				log.Write(append(b, '\n'))
			}
			for _, a := range rd.Advisories {
				b, err := json.Marshal(a)
				require.NoError(t, err)
				log.Write(append(b, '\n'))
			}
			for _, d := range rd.Decisions {
				b, err := json.Marshal(d)
				require.NoError(t, err)
				log.Write(append(b, '\n'))
			}
		}
		runRandomLogged(t, rand.New(rand.NewSource(7)), e, checker, logReady)
		return log.String()
	}
	a, b := run(), run()
	require.Contains(t, a, `"type":"preempt"`)
	require.Contains(t, a, `"type":"release"`)
	require.Equal(t, a, b)
}

// runRandomLogged drives four vehicles through junction X, one random fix
// at a time, with Ticks at every wakeup, logging every Ready.
func runRandomLogged(t *testing.T, rng *rand.Rand, e *Engine, checker *safetyChecker, logReady func()) {
	ll := func(x, y float64) (float64, float64) { p := lonLatAt(x, y); return p[0], p[1] }
	now := scriptEpoch
	type car struct {
		id           string
		x, y, dx, dy float64
		seq          uint64
	}
	cars := []*car{{id: "a", x: -600, dx: 14}, {id: "b", y: -500, dy: 12}, {id: "c", x: 700, dx: -13}, {id: "d", y: 650, dy: -15}}
	for step := 0; step < 400; step++ {
		now = now.Add(time.Duration(100+rng.Intn(400)) * time.Millisecond)
		for {
			next := e.Ready().NextWakeup
			if next.IsZero() || next.After(now) {
				break
			}
			e.Tick(next)
			logReady()
		}
		c := cars[rng.Intn(len(cars))]
		c.x += c.dx * 0.3
		c.y += c.dy * 0.3
		if c.x*c.x+c.y*c.y > 900*900 {
			c.x, c.y = -c.x, -c.y
		}
		c.seq++
		lon, lat := ll(c.x+rng.NormFloat64()*3, c.y+rng.NormFloat64()*3)
		p := wire.Position{VehicleID: c.id, Seq: c.seq, TS: now, Lon: lon, Lat: lat, SpeedMps: new(14.0), Emergency: rng.Intn(20) != 0}
		if err := e.Step(now, PositionInput(p)); err == nil {
			checker.accepted(now, p)
		}
		logReady()
	}
}
