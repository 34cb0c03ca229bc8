package ntcip

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/rsu"
	"github.com/greenwave-project/greenwave/internal/service"
	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// e2eSpeedup runs the whole stack — serve, the gateway, the virtual
// controllers and the vehicles — on one clock this many times faster than
// real time. Every time the test reasons about is clock time; 10× leaves
// a loaded CI machine 200 ms of real time for "fault within two polls".
const e2eSpeedup = 10

var (
	e2eOrigin = orb.Point{6.1, 49.6}
	e2eProj   = routing.NewProjection(e2eOrigin)
	e2eX      = []float64{500, 1000, 1500, 2000}
	e2eIDs    = []string{"I1", "I2", "I3", "I4"}
)

func e2eLonLat(x float64) orb.Point { return e2eProj.ToLonLat(routing.XY{X: x}) }

// writeE2EMap is an east-west arterial with four signalised four-way
// junctions; approaches EB, WB, NB, SB on NEMA phases 2, 6, 4, 8.
func writeE2EMap(t testing.TB) string {
	t.Helper()
	inv := &routing.Inventory{}
	road := func(id string, a, b routing.XY) routing.Road {
		return routing.Road{ID: id, SpeedMps: 13.9, Coords: []orb.Point{e2eProj.ToLonLat(a), e2eProj.ToLonLat(b)}}
	}
	xs := append([]float64{0}, append(append([]float64{}, e2eX...), 2500)...)
	for i := 0; i+1 < len(xs); i++ {
		inv.Roads = append(inv.Roads, road(fmt.Sprintf("main-%d", i), routing.XY{X: xs[i]}, routing.XY{X: xs[i+1]}))
	}
	for i, x := range e2eX {
		id := e2eIDs[i]
		inv.Intersections = append(inv.Intersections, routing.Intersection{
			ID: id, LonLat: e2eLonLat(x),
			Timing: routing.Timing{MinGreenS: 5, YellowS: 3, AllRedS: 1, PedClearanceS: 0, MaxPreemptS: 90},
			Approaches: []routing.Approach{
				{ID: "EB", BearingDeg: 90, Phase: 2}, {ID: "WB", BearingDeg: 270, Phase: 6},
				{ID: "NB", BearingDeg: 0, Phase: 4}, {ID: "SB", BearingDeg: 180, Phase: 8},
			},
		})
		inv.Roads = append(inv.Roads, road(id+"-n", routing.XY{X: x}, routing.XY{X: x, Y: 300}), road(id+"-s", routing.XY{X: x}, routing.XY{X: x, Y: -300}))
	}
	var buf bytes.Buffer
	require.NoError(t, inv.WriteGeoJSON(&buf))
	path := filepath.Join(t.TempDir(), "arterial.geojson")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	return path
}

// junction is one intersection's virtual controller and how the gateway
// reaches it. The preempt input numbers differ from junction to junction,
// as a city's cabinets do, so a command on the wrong input shows.
type junction struct {
	id      string
	v       *Virtual
	a       *Agent
	inputs  map[int]int // input → dwell phase
	ebInput int         // the input serving EB (phase 2)
	entry   string      // the gateway's configuration of it
}

// greenLog records, over SNMP, the phase greens of a controller.
type greenLog struct {
	mu      sync.Mutex
	samples []greenSample
}

type greenSample struct {
	at     time.Time
	greens uint8
	ok     bool
}

// readGreens polls phaseStatusGroupGreens.1 over SNMPv2c every few real
// milliseconds until ctx ends.
func readGreens(ctx context.Context, addr string, clk clock.Clock, log *greenLog) {
	cfg := IntersectionConfig{Address: addr, Timeout: Duration(200 * time.Millisecond), Retries: new(int),
		SNMP: SNMPConfig{Version: VersionV2c, Community: testCommunity}}
	c := newClient(cfg)
	defer c.close()
	for ctx.Err() == nil {
		vars, err := c.get([]string{PhaseStatusGroupGreens(1)})
		s := greenSample{at: clk.Now()}
		if err == nil {
			if n, ok := intOf(vars[0]); ok {
				s.greens, s.ok = uint8(n), true
			}
		}
		log.mu.Lock()
		log.samples = append(log.samples, s)
		log.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// greenAt reports whether phase was green in the last sample at or before t
// (taken no more than 3 s of clock before it: a loaded machine stretches
// the reader's loop, and within a dwell the green does not go out).
func (l *greenLog) greenAt(phase int, t time.Time) (bool, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, bit := PhaseGroup(phase)
	for i := len(l.samples) - 1; i >= 0; i-- {
		s := l.samples[i]
		if s.at.After(t) || !s.ok {
			continue
		}
		if t.Sub(s.at) > 3*time.Second {
			return false, false
		}
		return s.greens&bit != 0, true
	}
	return false, false
}

type e2eStack struct {
	t       *testing.T
	clk     *clock.Scaled
	topics  mqttx.Topics
	w       *watcher
	vehicle *mqttx.Client
	js      []*junction
	greens  map[string]*greenLog
	gw      *runningGateway
	proxy   *brokertest.Proxy
	stopSvc context.CancelFunc
}

func newE2E(t *testing.T, b brokertest.Broker) *e2eStack {
	requireSNMP(t)
	clk := clock.NewScaled(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), e2eSpeedup)
	topics, _ := mqttx.NewTopics(mqttx.DefaultRoot)
	s := &e2eStack{t: t, clk: clk, topics: topics, greens: map[string]*greenLog{}}
	mapFile := writeE2EMap(t)
	net, err := routing.LoadMapFile(mapFile)
	require.NoError(t, err)

	// The junctions: SNMPv2c, v3 authPriv, v1 and v3 again, each with its
	// own numbering of the preempt inputs.
	specs := []struct {
		inputs map[int]int
		eb     int
		entry  func(addr string) string
	}{
		{map[int]int{3: 2, 4: 6, 1: 4, 2: 8}, 3, func(a string) string { return v2cEntry("I1", a, "{by_approach: {EB: 3, WB: 4, NB: 1, SB: 2}}") }},
		{map[int]int{1: 2, 2: 6, 3: 4, 4: 8}, 1, func(a string) string { return v3Entry("I2", a, testV3, "{by_phase: {2: 1, 6: 2, 4: 3, 8: 4}}") }},
		{map[int]int{5: 2, 6: 6}, 5, func(a string) string {
			return fmt.Sprintf("  I3:\n    address: %s\n    snmp: {version: v1, community: %s}\n    preempt: {by_approach: {EB: 5, WB: 6}}\n", a, testCommunity)
		}},
		{map[int]int{2: 2, 1: 6}, 2, func(a string) string { return v3Entry("I4", a, testV3, "{by_approach: {EB: 2, WB: 1}}") }},
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfgText := "defaults: {poll: 1s, refresh: 2s, timeout: 300ms, retries: 1}\nintersections:\n"
	for i, sp := range specs {
		in := net.Intersection(int32(i))
		require.Equal(t, e2eIDs[i], in.ID)
		plan, timing, err := in.NormalPlan(rsu.DefaultCycle, rsu.DefaultMainShare)
		require.NoError(t, err)
		v, err := NewVirtual(in.ID, plan, timing, VirtualOptions{Clock: clk, Logger: testLogger(t).Named(in.ID), PreemptInputs: sp.inputs})
		require.NoError(t, err)
		a, err := StartAgent(ctx, v, AgentOptions{Listen: freeUDPAddr(t), Community: testCommunity, Users: []V3User{testV3}, Dir: t.TempDir()})
		require.NoError(t, err)
		t.Cleanup(a.Close)
		j := &junction{id: in.ID, v: v, a: a, inputs: sp.inputs, ebInput: sp.eb, entry: sp.entry(a.Addr())}
		s.js = append(s.js, j)
		cfgText += j.entry
		s.greens[j.id] = &greenLog{}
		if j.id != "I3" { // killed mid-run; its requests are then the gateway's alone
			go readGreens(ctx, a.Addr(), clk, s.greens[j.id])
		}
	}

	s.w, _ = connectWatcher(t, b.URL(), clk)
	s.gw = startGateway(t, b.URL(), clk, mustConfig(t, cfgText))
	for _, id := range e2eIDs {
		s.w.waitStatus(t, id, "first status", func(st gwStatus) bool { return st.State == wire.StateNormal })
	}

	// serve, through a proxy that can drop its connection as a kill -9 would.
	s.proxy = brokertest.NewProxy(t, strings.TrimPrefix(b.URL(), "tcp://"))
	svc, err := service.New(net, service.Config{Topics: topics, Engine: controller.Config{ControllerID: testControllerID}, Clock: clk,
		Logger: testLogger(t).Named("serve"), ShutdownTimeout: 500 * time.Millisecond})
	require.NoError(t, err)
	svcCtx, stopSvc := context.WithCancel(context.Background())
	s.stopSvc = stopSvc
	svcDone := make(chan error, 1)
	go func() { svcDone <- svc.Serve(svcCtx, clientOpts(s.proxy.URL(), "serve", testLogger(t))) }()
	t.Cleanup(func() { stopSvc(); <-svcDone })
	waitFor(t, "serve online", func() bool { p := s.w.presence(testControllerID); return len(p) > 0 && p[len(p)-1] == "online" })

	s.vehicle, err = mqttx.Connect(ctx, clientOpts(b.URL(), "vehicle", testLogger(t)))
	require.NoError(t, err)
	t.Cleanup(func() { s.vehicle.Disconnect(0) })
	return s
}

// fix publishes one position of vehicle id at x on the arterial.
func (s *e2eStack) fix(id string, seq *uint64, x, speed, heading float64) {
	*seq++
	ll := e2eLonLat(x)
	p := wire.Position{VehicleID: id, Seq: *seq, TS: s.clk.Now(), Lat: ll[1], Lon: ll[0],
		SpeedMps: new(speed), HeadingDeg: new(heading), AccuracyM: new(3.0), Emergency: true}
	b, err := json.Marshal(p)
	require.NoError(s.t, err)
	_ = s.vehicle.Publish(context.Background(), mqttx.Message{Topic: s.topics.Position(id), Payload: b, QoS: 1})
}

// drive moves vehicle id from x0 to x1 (either direction) at speed m/s,
// a fix every clock second, positions computed from the clock. It returns
// when the vehicle is at x1 and when it left.
func (s *e2eStack) drive(id string, seq *uint64, x0, x1, speed float64) time.Time {
	start := s.clk.Now()
	dir, heading := 1.0, 90.0
	if x1 < x0 {
		dir, heading = -1, 270
	}
	timer := s.clk.NewTimer(0)
	defer timer.Stop()
	for {
		<-timer.C()
		d := min(speed*s.clk.Now().Sub(start).Seconds(), (x1-x0)*dir)
		s.fix(id, seq, x0+dir*d, speed, heading)
		if d >= (x1-x0)*dir {
			return start
		}
		timer.Reset(time.Second)
	}
}

func (s *e2eStack) junction(id string) *junction {
	for _, j := range s.js {
		if j.id == id {
			return j
		}
	}
	return nil
}

// The must-show of issue 15, on one run: serve + the gateway + four
// virtual controllers behind real snmpd (SNMPv2c, v3 authPriv, v1, v3),
// over the broker and SNMP on loopback. An ambulance's fixes preempt the
// right input at each junction; the phase it needs is green before it
// arrives (read over SNMP); each input is cleared within 1 s of its
// release; a controller killed mid-run is fault within two poll periods
// and the preempts move on past it. Then serve dies without a word: every
// input it had set is cleared by its expires_at.
func TestEndToEndServeGatewayVirtualControllers(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		s := newE2E(t, b)
		const speed = 25.0
		var seq uint64
		driven := make(chan time.Time, 1)
		go func() { driven <- s.drive("amb-1", &seq, 150, 2100, speed) }()

		// Once I1 holds for amb-1, I3's controller dies, between two of the
		// gateway's polls: the gateway's SNMP timeouts are real time while
		// its polls run on the 10× clock, so a poll caught in flight would
		// wait 10× too long (in the field, timeout × tries ≤ the poll
		// period, which the configuration enforces, bounds it).
		s.w.waitStatus(t, "I1", "hold", func(st gwStatus) bool { return st.State == wire.StateHold })
		i3 := s.junction("I3")
		killBetweenPolls(t, i3.v, i3.a)
		killed := s.clk.Now()
		fault := s.w.waitStatus(t, "I3", "fault after the kill", func(st gwStatus) bool {
			return st.State == wire.StateFault && !st.seen.Before(killed)
		})
		assert.Less(t, fault.seen.Sub(killed), 2*time.Second, "I3 fault %v after the kill (poll period 1 s)", fault.seen.Sub(killed))
		assert.Contains(t, fault.Reason, "refused")

		start := <-driven
		arrive := func(x float64) time.Time { return start.Add(time.Duration((x - 150) / speed * float64(time.Second))) }
		waitFor(t, "release of I4", func() bool {
			for _, c := range s.w.commands(t) {
				if c.Type == wire.CommandRelease && c.IntersectionID == "I4" {
					return true
				}
			}
			return false
		})
		cmds := s.w.commands(t)
		for i, id := range e2eIDs {
			if id == "I3" {
				continue // dead: denied, and the run went on past it
			}
			j := s.junction(id)
			var pre, rel wire.Command
			for _, c := range cmds {
				if c.IntersectionID == id && c.Type == wire.CommandPreempt && pre.RequestID == "" {
					pre = c
				}
				if c.IntersectionID == id && c.Type == wire.CommandRelease && c.RequestID == pre.RequestID {
					rel = c
				}
			}
			require.NotEmpty(t, pre.RequestID, "a preempt for %s", id)
			require.NotEmpty(t, rel.RequestID, "its release")
			assert.Equal(t, "EB", pre.Approach)

			// The right input, and only it.
			h := j.v.History()
			require.NotEmpty(t, h, id)
			assert.Equal(t, j.ebInput, h[0].Input, "%s: EB is input %d", id, j.ebInput)
			for _, c := range h {
				assert.Equal(t, j.ebInput, c.Input, "%s: only input %d was touched: %+v", id, j.ebInput, c)
			}
			// Green before the ambulance arrives, read over SNMP.
			at := arrive(e2eX[i])
			green, sampled := s.greens[id].greenAt(2, at.Add(-200*time.Millisecond))
			require.True(t, sampled, "%s: a greens sample just before the arrival at %v", id, at)
			assert.True(t, green, "%s: phase 2 green before the ambulance arrived at %v", id, at)
			// Cleared within 1 s of the release.
			off, ok := lastChange(j.v, j.ebInput)
			require.True(t, ok)
			assert.False(t, off.On)
			assert.Less(t, off.At.Sub(rel.IssuedAt), time.Second, "%s: cleared %v after the release", id, off.At.Sub(rel.IssuedAt))
			assert.False(t, off.At.Before(rel.IssuedAt), "%s: cleared before the release", id)
		}
		for _, c := range cmds {
			if c.IntersectionID == "I3" && c.Type == wire.CommandPreempt {
				assert.False(t, c.IssuedAt.After(fault.TS), "a preempt for I3 after its fault: %+v", c)
			}
		}

		// serve is killed -9 while holding I1 (amb-2, eastbound) and I2
		// (amb-3, westbound): only its Last Will and expires_at act.
		var seq2, seq3 uint64
		stop := make(chan struct{})
		var standing sync.WaitGroup
		standing.Add(1)
		go func() {
			defer standing.Done()
			s.drive("amb-2", &seq2, 150, 440, speed)
			s.drive("amb-3", &seq3, 1400, 1060, speed)
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Second / e2eSpeedup):
				}
				s.fix("amb-2", &seq2, 440, 0, 90)
				s.fix("amb-3", &seq3, 1060, 0, 270)
			}
		}()
		var last map[string]wire.Command
		waitFor(t, "I1 and I2 held for amb-2 and amb-3", func() bool {
			last = map[string]wire.Command{}
			for _, c := range s.w.commands(t) {
				if c.Type == wire.CommandPreempt && (c.VehicleID == "amb-2" || c.VehicleID == "amb-3") {
					last[c.IntersectionID] = c
				}
			}
			held := 0
			for id, c := range last {
				for _, st := range s.w.statuses(t, id) {
					if st.State == wire.StateHold && st.RequestID == c.RequestID {
						held++
						break
					}
				}
			}
			return held == 2 && len(last) == 2
		})
		s.proxy.Cut() // the process is gone: no release, no offline of its own
		cut := s.clk.Now()
		close(stop)
		standing.Wait()
		waitFor(t, "serve's Last Will", func() bool { p := s.w.presence(testControllerID); return p[len(p)-1] == "offline" })
		for id, c := range last {
			j := s.junction(id)
			n := j.ebInput
			if c.Approach == "WB" {
				for in, ph := range j.inputs {
					if ph == 6 {
						n = in
					}
				}
			}
			waitFor(t, id+" input cleared", func() bool { ch, _ := lastChange(j.v, n); return !ch.On && ch.At.After(cut) })
			ch, _ := lastChange(j.v, n)
			assert.True(t, ch.At.Before(c.ExpiresAt), "%s: input %d cleared at %v, after expires_at %v", id, n, ch.At, c.ExpiresAt)
		}
		assert.GreaterOrEqual(t, metrics.Value(s.gw.gw.met.InputClears.WithLabelValues("controller_offline")), 2.0)
		// Over SNMP too: every input of the live controllers reads 0.
		for _, j := range s.js {
			if j.id == "I3" {
				continue
			}
			c := newClient(IntersectionConfig{Address: j.a.Addr(), Timeout: Duration(time.Second), Retries: new(int),
				SNMP: SNMPConfig{Version: VersionV2c, Community: testCommunity}})
			for n := range j.inputs {
				vars, err := c.get([]string{PreemptControlState(n)})
				require.NoError(t, err)
				v, _ := intOf(vars[0])
				assert.Equal(t, 0, v, "%s input %d", j.id, n)
			}
			c.close()
		}
	})
}
