package controller

import (
	"math"
	"math/rand"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// safetyChecker watches every command an engine issues and fails the test
// on the first one that breaks a safety rule:
//   - every command is valid on the wire, and every preempt has an
//     expires_at after its issued_at and at most one lease later;
//   - no preempt's expires_at is later than the first preempt of its
//     request_id plus the intersection's max_preempt_s, so every preempt is
//     released or expires within max_preempt_s of its first request;
//   - no preempt of a request_id follows its release;
//   - a preempt is only issued for a vehicle whose last accepted fix said
//     emergency: true, and that was heard within the grace period;
//   - no two live requests (issued, neither released nor expired) at one
//     intersection are for conflicting phases, by a naive reference of the
//     NEMA barrier rule (same phase, or both in 1,2,5,6, or both in
//     3,4,7,8).
type safetyChecker struct {
	t        testing.TB
	net      *routing.Network
	cfg      Config
	first    map[string]time.Time // request_id → first preempt
	released map[string]bool
	lastFix  map[string]time.Time   // vehicle → engine time of its last accepted fix
	emerg    map[string]bool        // vehicle → its last accepted fix's emergency
	live     map[string]liveRequest // request_id → what it holds
	preempts int
	releases int
}

type liveRequest struct {
	intersection string
	phase        int
	expires      time.Time
}

func compatiblePhases(p, q int) bool {
	group := func(x int) int {
		switch x {
		case 1, 2, 5, 6:
			return 1
		case 3, 4, 7, 8:
			return 2
		}
		return 100 + x
	}
	return p == q || group(p) == group(q)
}

func newSafetyChecker(t testing.TB, net *routing.Network, cfg Config) *safetyChecker {
	return &safetyChecker{t: t, net: net, cfg: cfg, first: map[string]time.Time{}, released: map[string]bool{},
		lastFix: map[string]time.Time{}, emerg: map[string]bool{}, live: map[string]liveRequest{}}
}

func (c *safetyChecker) accepted(now time.Time, p wire.Position) {
	c.lastFix[p.VehicleID] = now
	c.emerg[p.VehicleID] = p.Emergency
}

func (c *safetyChecker) check(rd Ready) {
	t := c.t
	for _, cmd := range rd.Commands {
		if err := cmd.Validate(); err != nil {
			t.Fatalf("invalid command %+v: %v", cmd, err)
		}
		if cmd.Type == wire.CommandRelease {
			c.releases++
			if _, ok := c.first[cmd.RequestID]; !ok {
				t.Fatalf("release of %s, which was never requested", cmd.RequestID)
			}
			c.released[cmd.RequestID] = true
			delete(c.live, cmd.RequestID)
			continue
		}
		c.preempts++
		if cmd.ExpiresAt.IsZero() || !cmd.ExpiresAt.After(cmd.IssuedAt) {
			t.Fatalf("preempt %s without a future expiry: %+v", cmd.RequestID, cmd)
		}
		if cmd.ExpiresAt.Sub(cmd.IssuedAt) > c.cfg.Lease {
			t.Fatalf("preempt %s leased %v, more than %v", cmd.RequestID, cmd.ExpiresAt.Sub(cmd.IssuedAt), c.cfg.Lease)
		}
		if c.released[cmd.RequestID] {
			t.Fatalf("preempt %s after its release", cmd.RequestID)
		}
		first, ok := c.first[cmd.RequestID]
		if !ok {
			first = cmd.IssuedAt
			c.first[cmd.RequestID] = first
		}
		ii, ok := c.net.IntersectionByID(cmd.IntersectionID)
		if !ok {
			t.Fatalf("preempt for unknown intersection %s", cmd.IntersectionID)
		}
		maxHold := c.net.Intersection(ii).Timing.Signal().MaxPreempt
		if cmd.ExpiresAt.After(first.Add(maxHold)) {
			t.Fatalf("preempt %s expires at %v, later than its first request %v + max preempt %v",
				cmd.RequestID, cmd.ExpiresAt, first, maxHold)
		}
		if !c.emerg[cmd.VehicleID] {
			t.Fatalf("preempt %s for %s, whose last fix was not an emergency", cmd.RequestID, cmd.VehicleID)
		}
		if heard := c.lastFix[cmd.VehicleID]; cmd.IssuedAt.Sub(heard) > c.cfg.SilenceGrace {
			t.Fatalf("preempt %s for %s, silent since %v (issued %v)", cmd.RequestID, cmd.VehicleID, heard, cmd.IssuedAt)
		}
		for id, l := range c.live {
			if !l.expires.After(cmd.IssuedAt) {
				delete(c.live, id)
				continue
			}
			if id != cmd.RequestID && l.intersection == cmd.IntersectionID && !compatiblePhases(l.phase, cmd.Phase) {
				t.Fatalf("preempt %s (phase %d) while %s (phase %d) lives at %s", cmd.RequestID, cmd.Phase, id, l.phase, cmd.IntersectionID)
			}
		}
		c.live[cmd.RequestID] = liveRequest{cmd.IntersectionID, cmd.Phase, cmd.ExpiresAt}
	}
}

// simVehicle drives along a road-ahead path of the network with GPS noise.
type simVehicle struct {
	id        string
	path      *routing.Path
	along     float64
	speed     float64
	seq       uint64
	emergency bool
	silentTil time.Time
}

func TestPropertyEveryPreemptEndsWithinMaxPreempt(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run("seed="+strconv.FormatInt(seed, 10), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			var net *routing.Network
			if seed%2 == 0 {
				net = crossMap(t, 20+rng.Float64()*60)
			} else {
				net = corridorMap(t, 20+rng.Float64()*60)
			}
			policy := PolicyGreenWave
			if seed%5 == 0 {
				policy = PolicyRange
			}
			cfg := Config{ControllerID: "cc-1", Policy: policy, Priorities: map[string]int{"v-0": 2}}
			eng, err := New(cfg, net)
			require.NoError(t, err)
			checker := newSafetyChecker(t, net, eng.Config())
			runRandom(t, rng, eng, net, checker, 600)
			require.Positive(t, checker.preempts, "the random run should exercise preempts")
		})
	}
}

// runRandom drives eng with random vehicles, emergency toggles, silences,
// statuses, routes and time jumps for the given number of steps, ticking
// at its wakeups (and sometimes late, as an overloaded driver would).
func runRandom(t testing.TB, rng *rand.Rand, eng *Engine, net *routing.Network, checker *safetyChecker, steps int) {
	now := scriptEpoch
	proj := net.Projection()
	var vehicles []*simVehicle
	for i := 0; i < 2+rng.Intn(5); i++ {
		vehicles = append(vehicles, &simVehicle{id: "v-" + strconv.Itoa(i), emergency: rng.Intn(4) != 0})
	}
	spawn := func(v *simVehicle) {
		e := int32(rng.Intn(net.NumEdges()))
		v.path = net.RoadAhead(routing.RoadPos{Edge: e, OffsetM: rng.Float64() * net.Edge(e).LengthM}, 3000)
		v.along = 0
		v.speed = 3 + rng.Float64()*20
	}
	for _, v := range vehicles {
		spawn(v)
	}
	var requestIDs []string
	tick := func(until time.Time) {
		for i := 0; ; i++ {
			next := eng.Ready().NextWakeup
			if next.IsZero() || next.After(until) {
				return
			}
			if i == 100000 {
				t.Fatalf("the engine keeps waking up before %v (next %v)", until, next)
			}
			if rng.Intn(10) == 0 {
				next = next.Add(time.Duration(rng.Intn(3000)) * time.Millisecond) // a late tick
				if next.After(until) {
					next = until
				}
			}
			eng.Tick(next)
			rd := eng.Ready()
			checker.check(rd)
		}
	}
	for step := 0; step < steps; step++ {
		dt := time.Duration(200+rng.Intn(1000)) * time.Millisecond
		if rng.Intn(50) == 0 {
			dt = time.Duration(rng.Intn(120)) * time.Second // a time jump
		}
		prev := now
		now = now.Add(dt)
		tick(now)
		for _, v := range vehicles {
			v.along += v.speed * now.Sub(prev).Seconds()
			if v.along > v.path.LengthM() || rng.Intn(300) == 0 {
				spawn(v)
			}
			if rng.Intn(40) == 0 {
				v.speed = rng.Float64() * 25
			}
		}
		v := vehicles[rng.Intn(len(vehicles))]
		var in Input
		switch r := rng.Intn(100); {
		case r < 75:
			if now.Before(v.silentTil) {
				continue
			}
			if rng.Intn(100) == 0 {
				v.silentTil = now.Add(time.Duration(rng.Intn(30)) * time.Second)
			}
			if rng.Intn(30) == 0 {
				v.emergency = !v.emergency
			}
			xy, bearing := v.path.PointAt(v.along)
			xy.X += rng.NormFloat64() * 5
			xy.Y += rng.NormFloat64() * 5
			ll := proj.ToLonLat(xy)
			v.seq++
			seq := v.seq
			if rng.Intn(20) == 0 {
				seq -= uint64(rng.Intn(3)) // duplicate or late
			}
			p := wire.Position{VehicleID: v.id, Seq: seq, TS: now, Lat: ll[1], Lon: ll[0],
				SpeedMps: new(v.speed), HeadingDeg: new(math.Mod(bearing+360, 360)), Emergency: v.emergency}
			if rng.Intn(4) == 0 {
				p.SpeedMps = nil
			}
			if rng.Intn(50) == 0 {
				p.Lat = math.NaN()
			}
			in = PositionInput(p)
		case r < 90:
			if len(requestIDs) == 0 {
				continue
			}
			inters := net.Intersections()
			st := wire.Status{IntersectionID: inters[rng.Intn(len(inters))].ID, TS: now,
				State: []wire.State{wire.StateNormal, wire.StateEntry, wire.StateHold, wire.StateExit, wire.StateFault}[rng.Intn(5)]}
			if st.State == wire.StateHold {
				st.RequestID = requestIDs[rng.Intn(len(requestIDs))]
				st.GreenPhases = []int{2, 6}
			}
			in = StatusInput(st)
		case r < 95:
			r := wire.Route{VehicleID: v.id, RouteID: "r-" + strconv.Itoa(step), TS: now}
			switch rng.Intn(3) {
			case 0:
				dest := proj.ToLonLat(net.NodeXY(int32(rng.Intn(net.NumNodes()))))
				r.Destination = &dest
			case 1:
				r = wire.Route{VehicleID: v.id}
			default:
				r.Path = v.path.LonLats()
			}
			in = RouteInput(r)
		default:
			in = PositionInput(wire.Position{VehicleID: v.id, Seq: v.seq + 1, TS: now, Lat: 91, Lon: 0})
		}
		err := eng.Step(now, in)
		if err == nil && in.Kind == InputPosition {
			checker.accepted(now, in.Position)
		}
		rd := eng.Ready()
		checker.check(rd)
		checkInvariants(t, eng)
		for _, c := range rd.Commands {
			if c.Type == wire.CommandPreempt {
				requestIDs = append(requestIDs, c.RequestID)
			}
		}
		if !rd.NextWakeup.IsZero() && rd.NextWakeup.Before(now) {
			t.Fatalf("next wakeup %v is before now %v", rd.NextWakeup, now)
		}
	}
	// Run out the clock: whatever is still live must end by max preempt.
	tick(now.Add(time.Hour))
}

// FuzzEngineStep feeds the engine arbitrary inputs decoded from the fuzz
// bytes: any vehicle id, seq, time step, coordinate (NaN and out of range
// included), speed, heading, emergency flag, status or route. It must never
// panic and never issue a command without an expiry (checked with every
// other safety rule by safetyChecker).
func FuzzEngineStep(f *testing.F) {
	f.Add([]byte{0, 1, 10, 128, 128, 20, 90, 1, 0, 1, 10, 140, 128, 20, 90, 1})
	f.Add([]byte("\x00\x01\x05\x10\x80\x14\x5a\x01\x01\x02\x03\x04\x05\x06\x07\x08\x03\xff\xff\xff"))
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, 3, 200, 0, 0, 0, 0, 0, 0})
	f.Fuzz(fuzzBody)
}

var fuzzNet *routing.Network

func fuzzBody(t *testing.T, data []byte) {
	if fuzzNet == nil {
		fuzzNet = corridorMap(t, 30)
	}
	net := fuzzNet
	{
		eng, err := New(Config{ControllerID: "cc-1", SilenceGrace: 3 * time.Second}, net)
		require.NoError(t, err)
		checker := newSafetyChecker(t, net, eng.Config())
		now := scriptEpoch
		seqs := map[string]uint64{}
		for len(data) >= 8 {
			op := data[:8]
			data = data[8:]
			now = now.Add(time.Duration(int8(op[2])) * 100 * time.Millisecond) // may go backwards
			id := "v-" + strconv.Itoa(int(op[1]%4))
			if op[1] == 255 {
				id = "bad id"
			}
			var in Input
			switch op[0] % 5 {
			case 0, 1:
				seqs[id] += uint64(op[7] % 3) // 0: a duplicate
				x := (float64(op[3]) - 32) * 10
				y := (float64(op[4]) - 128) * 3
				ll := lonLatAt(x, y)
				p := wire.Position{VehicleID: id, Seq: seqs[id], TS: now, Lon: ll[0], Lat: ll[1],
					Emergency: op[7]&4 == 0}
				switch op[5] % 8 {
				case 0:
				case 1:
					p.SpeedMps = new(math.NaN())
				case 2:
					p.Lat = math.Inf(1)
				case 3:
					p.SpeedMps = new(float64(op[5]) - 200)
				default:
					p.SpeedMps = new(float64(op[5] % 40))
				}
				if op[6] < 200 {
					p.HeadingDeg = new(float64(op[6]) * 360 / 200)
				} else if op[6] == 255 {
					p.HeadingDeg = new(math.NaN())
				}
				in = PositionInput(p)
			case 2:
				st := wire.Status{IntersectionID: "I" + strconv.Itoa(int(op[3]%5)), TS: now.Add(time.Duration(int8(op[4])) * time.Second),
					State: []wire.State{wire.StateNormal, wire.StateEntry, wire.StateHold, wire.StateExit, wire.StateFault, 99}[op[5]%6]}
				if op[6]%2 == 0 {
					st.RequestID = id + ".I" + strconv.Itoa(int(op[3]%5)) + "." + strconv.Itoa(int(op[7]%3))
					st.GreenPhases = []int{int(op[6]%18) + 1}
				}
				in = StatusInput(st)
			case 3:
				r := wire.Route{VehicleID: id, TS: now}
				switch op[3] % 3 {
				case 0:
					d := lonLatAt((float64(op[4])-32)*10, (float64(op[5])-128)*3)
					r.Destination = &d
				case 1:
					r.Path = append(r.Path, lonLatAt(float64(op[4])*10, 0), lonLatAt(float64(op[5])*10, float64(op[6])-128))
				}
				in = RouteInput(r)
			default:
				eng.Tick(now)
				checker.check(eng.Ready())
				continue
			}
			if err := eng.Step(now, in); err == nil && in.Kind == InputPosition {
				checker.accepted(now, in.Position)
			}
			checker.check(eng.Ready())
			checkInvariants(t, eng)
		}
		eng.Tick(now.Add(time.Hour))
		checker.check(eng.Ready())
		checkInvariants(t, eng)
	}
}
