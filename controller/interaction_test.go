package controller

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/paulmach/orb"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// The interaction scripts (testdata/*.txt) drive an engine the way the
// daemon does — Tick at every NextWakeup before the next input — and
// compare everything it outputs with the expected text. They run on
// cockroachdb/datadriven: a directive is a block of script lines ending
// with "----", the expected output and a blank line; its first line is
// datadriven's command and the lines below it (datadriven's input) are
// further commands run in order after it. Lines starting with # are
// comments. The output of a block is what its "ready" and "vehicles"
// commands print. Run with -rewrite to regenerate the expected output.
// Every mismatch is reported, not just a file's first (see
// reportEveryMismatch). Commands (times t in seconds from 08:00:00Z; x, y
// in metres east and north of the map's origin):
//
//	engine map=corridor|cross|chain [maxhold=S] [policy=greenwave|range] [prio=veh:N,...] [lease=S] [refresh=S] [grace=S]
//	       [price=N|inf] [class=veh:CLASS,...] [classprice=CLASS:N,...] [flow=VEH_H]
//	pos t= v= [seq=] x= [y=] [speed=] [heading=] [acc=] [em=true|false] [lon= lat=] [ts=]
//	    (seq defaults to the vehicle's last + 1; em to true)
//	drive t0= t1= [dt=1] [em=] [speed=] veh=x0,y0>x1,y1 ...
//	    (each vehicle reports every dt s along a straight line; speed and heading from the motion)
//	route t= v= [id=] (path=x,y;x,y;... | dest=x,y | clear) [ts=]
//	status t= i= state= [green=2,6] [req=] [ts=] [offline=true] [plan=CYCLE:OFFSET:PHASES/GREEN:PHASES/GREEN...] [instep=true]
//	    (plan=60:0:2,6/30:4,8/22 is a 60 s cycle, offset 0: phases 2 and 6 green 30 s, then 4 and 8 for 22 s)
//	priorities t= [prio=veh:N,...]   (SetPriorities; no prio= clears them)
//	plan v=            (prints the vehicle's plan: per signal ahead the choice, its request time, expected delay and cost)
//	joint v=           (prints the objective of the vehicle's joint plan and of the per-junction one, planned afresh now)
//	tick t=            (runs every wakeup up to t, then Tick(t))
//	ready              (prints what the engine output since the last ready, and its next wakeup)
//	vehicles           (prints each vehicle's tracked state)
func TestInteraction(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			s := &script{t: t, seqs: map[string]uint64{}}
			datadriven.RunTestAny(reportEveryMismatch{t}, file, func(_ testing.TB, td *datadriven.TestData) string {
				out := s.run(td.Cmd, td.CmdArgs)
				for _, line := range strings.Split(td.Input, "\n") {
					line = strings.TrimSpace(line)
					if line == "" || strings.HasPrefix(line, "#") {
						continue
					}
					cmd, args, err := datadriven.ParseLine(line)
					require.NoError(t, err, "%s: %s", td.Pos, line)
					out += s.run(cmd, args)
				}
				return out
			})
		})
	}
}

// reportEveryMismatch lets datadriven go on after a directive whose output
// does not match: datadriven reports a mismatch with Fatalf and stops the
// file there, so a change that alters several outputs would show only
// the first. Errors (a bad argument) still end the test: the handlers
// report them on the real *testing.T.
type reportEveryMismatch struct{ *testing.T }

func (r reportEveryMismatch) Fatalf(format string, args ...any) {
	r.T.Helper()
	r.T.Errorf(format, args...)
}

// Failed is false so that datadriven runs the next directive after a
// mismatch; the test itself has failed all the same.
func (r reportEveryMismatch) Failed() bool { return false }

var scriptEpoch = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func at(s float64) time.Time {
	return scriptEpoch.Add(time.Duration(math.Round(s*1000)) * time.Millisecond)
}

func rel(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return strconv.FormatFloat(t.Sub(scriptEpoch).Seconds(), 'f', 1, 64)
}

type script struct {
	t    testing.TB
	eng  *Engine
	seqs map[string]uint64 // the highest seq sent per vehicle: pos without seq= sends the next
	out  strings.Builder   // output since the last ready
}

// argMap is a directive's key=value arguments by key (a bare key maps to "").
func argMap(args []datadriven.CmdArg) map[string]string {
	m := map[string]string{}
	for _, a := range args {
		m[a.Key] = strings.Join(a.Vals, ",")
	}
	return m
}

func num(t testing.TB, m map[string]string, k string, def float64) float64 {
	v, ok := m[k]
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	require.NoError(t, err, "argument %s", k)
	return f
}

// run executes one command and returns what it prints, if anything, with
// a trailing newline.
func (s *script) run(cmd string, cmdArgs []datadriven.CmdArg) string {
	h, ok := handlers[cmd]
	if !ok {
		s.t.Fatalf("unknown command %q", cmd)
	}
	out := h(s, argMap(cmdArgs), cmdArgs)
	if out != "" {
		out += "\n"
	}
	return out
}

// handlers holds one function per script command.
var handlers = map[string]func(s *script, a map[string]string, args []datadriven.CmdArg) string{
	"engine": (*script).engine,
	"pos":    (*script).pos,
	"drive":  (*script).drive,
	"route":  (*script).route,
	"status": (*script).status,
	"priorities": func(s *script, a map[string]string, _ []datadriven.CmdArg) string {
		now := at(num(s.t, a, "t", 0))
		s.wakeUntil(now, false)
		if err := s.eng.SetPriorities(now, parsePriorities(s.t, a["prio"])); err != nil {
			fmt.Fprintf(&s.out, "%s error %v\n", rel(now), err)
		}
		s.drain()
		return ""
	},
	"tick":     (*script).tick,
	"plan":     (*script).plan,
	"joint":    (*script).joint,
	"ready":    (*script).ready,
	"vehicles": func(s *script, _ map[string]string, _ []datadriven.CmdArg) string { return s.vehicles() },
}

func (s *script) engine(a map[string]string, _ []datadriven.CmdArg) string {
	t := s.t
	maxHold := num(t, a, "maxhold", 60)
	var net *routing.Network
	switch a["map"] {
	case "corridor":
		net = corridorMap(t, maxHold)
	case "cross":
		net = crossMap(t, maxHold)
	case "chain":
		net = chainMap(t, maxHold)
	default:
		t.Fatalf("unknown map %q", a["map"])
	}
	cfg := Config{ControllerID: "cc-1", Policy: Policy(a["policy"]),
		Lease:         time.Duration(num(t, a, "lease", 0) * float64(time.Second)),
		RefreshPeriod: time.Duration(num(t, a, "refresh", 0) * float64(time.Second)),
		SilenceGrace:  time.Duration(num(t, a, "grace", 0) * float64(time.Second)),
	}
	if p, ok := a["price"]; ok {
		f := math.Inf(1)
		if p != "inf" {
			f = num(t, a, "price", 0)
		}
		cfg.Price = &f
	}
	if c := a["class"]; c != "" {
		cfg.Classes = map[string]string{}
		for _, kv := range strings.Split(c, ",") {
			k, v, _ := strings.Cut(kv, ":")
			cfg.Classes[k] = v
		}
	}
	if c := a["classprice"]; c != "" {
		cfg.ClassPrices = map[string]float64{}
		for _, kv := range strings.Split(c, ",") {
			k, v, _ := strings.Cut(kv, ":")
			f, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err)
			cfg.ClassPrices[k] = f
		}
	}
	cfg.DefaultFlowVehH = num(t, a, "flow", 0)
	if p := a["prio"]; p != "" {
		cfg.Priorities = parsePriorities(t, p)
	}
	eng, err := New(cfg, net)
	require.NoError(t, err)
	s.eng = eng
	return ""
}

// parsePriorities reads "veh:N,veh:N"; "" is an empty map.
func parsePriorities(t testing.TB, p string) map[string]int {
	out := map[string]int{}
	if p == "" {
		return out
	}
	for _, kv := range strings.Split(p, ",") {
		k, v, _ := strings.Cut(kv, ":")
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		out[k] = n
	}
	return out
}

func (s *script) pos(a map[string]string, _ []datadriven.CmdArg) string {
	now := at(num(s.t, a, "t", 0))
	s.step(now, PositionInput(s.position(a, now)))
	return ""
}

// drive t0= t1= [dt=1] [em=] [speed=] veh=x0,y0>x1,y1 ...: every vehicle
// listed reports a fix every dt seconds, moving in a straight line at
// constant speed, vehicles in the order given.
func (s *script) drive(a map[string]string, args []datadriven.CmdArg) string {
	t := s.t
	t0, t1, dt := num(t, a, "t0", 0), num(t, a, "t1", 0), num(t, a, "dt", 1)
	type leg struct {
		id     string
		x0, y0 float64
		x1, y1 float64
	}
	var legs []leg
	for _, arg := range args {
		from, to, ok := strings.Cut(strings.Join(arg.Vals, ","), ">")
		if !ok {
			continue
		}
		p0, p1 := s.xy(from), s.xy(to)
		legs = append(legs, leg{arg.Key, p0.X, p0.Y, p1.X, p1.Y})
	}
	require.NotEmpty(t, legs, "drive needs vehicle=x0,y0>x1,y1")
	for k := 0; ; k++ {
		ts := t0 + float64(k)*dt
		if ts > t1+1e-9 {
			break
		}
		f := (ts - t0) / math.Max(t1-t0, 1e-9)
		for _, l := range legs {
			speed := math.Hypot(l.x1-l.x0, l.y1-l.y0) / math.Max(t1-t0, 1e-9)
			if _, ok := a["speed"]; ok {
				speed = num(t, a, "speed", 0)
			}
			heading := routing.BearingDeg(routing.XY{X: l.x0, Y: l.y0}, routing.XY{X: l.x1, Y: l.y1})
			fix := map[string]string{"v": l.id, "x": fmt.Sprint(l.x0 + f*(l.x1-l.x0)), "y": fmt.Sprint(l.y0 + f*(l.y1-l.y0)),
				"speed": fmt.Sprint(speed), "em": a["em"]}
			if l.x0 != l.x1 || l.y0 != l.y1 {
				fix["heading"] = fmt.Sprint(heading)
			}
			now := at(ts)
			s.step(now, PositionInput(s.position(fix, now)))
		}
	}
	return ""
}

func (s *script) route(a map[string]string, _ []datadriven.CmdArg) string {
	t := s.t
	now := at(num(t, a, "t", 0))
	r := wire.Route{VehicleID: a["v"], RouteID: a["id"], TS: now}
	if ts, ok := a["ts"]; ok {
		f, err := strconv.ParseFloat(ts, 64)
		require.NoError(t, err)
		r.TS = at(f)
	}
	if p, ok := a["path"]; ok {
		for _, xy := range strings.Split(p, ";") {
			r.Path = append(r.Path, s.point(xy))
		}
	}
	if d, ok := a["dest"]; ok {
		pt := s.point(d)
		r.Destination = &pt
	}
	if _, ok := a["clear"]; ok {
		r = wire.Route{VehicleID: a["v"]}
	}
	s.step(now, RouteInput(r))
	return ""
}

func (s *script) status(a map[string]string, _ []datadriven.CmdArg) string {
	t := s.t
	now := at(num(t, a, "t", 0))
	st := wire.Status{IntersectionID: a["i"], TS: at(num(t, a, "ts", num(t, a, "t", 0))), State: parseState(a["state"]), RequestID: a["req"],
		Offline: a["offline"] == "true"}
	if g := a["green"]; g != "" {
		for _, p := range strings.Split(g, ",") {
			n, err := strconv.Atoi(p)
			require.NoError(t, err)
			st.GreenPhases = append(st.GreenPhases, n)
		}
	}
	if p := a["plan"]; p != "" {
		st.Plan = parseScriptPlan(t, p)
		st.InStep = a["instep"] == "true"
	}
	s.step(now, StatusInput(st))
	return ""
}

func (s *script) tick(a map[string]string, _ []datadriven.CmdArg) string {
	now := at(num(s.t, a, "t", 0))
	s.wakeUntil(now, true)
	s.eng.Tick(now)
	s.drain()
	return ""
}

func (s *script) ready(map[string]string, []datadriven.CmdArg) string {
	out := strings.TrimRight(s.out.String(), "\n")
	s.out.Reset()
	if out != "" {
		out += "\n"
	}
	return out + "next " + rel(s.eng.Ready().NextWakeup)
}

func (s *script) point(xy string) orb.Point {
	p := s.xy(xy)
	return lonLatAt(p.X, p.Y)
}

func (s *script) xy(xy string) routing.XY {
	x, y, ok := strings.Cut(xy, ",")
	require.True(s.t, ok, "point %q is not x,y", xy)
	fx, err := strconv.ParseFloat(x, 64)
	require.NoError(s.t, err)
	fy, err := strconv.ParseFloat(y, 64)
	require.NoError(s.t, err)
	return routing.XY{X: fx, Y: fy}
}

func (s *script) position(a map[string]string, now time.Time) wire.Position {
	t := s.t
	seq := s.seqs[a["v"]] + 1
	if v, ok := a["seq"]; ok {
		var err error
		seq, err = strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "seq")
	}
	if seq > s.seqs[a["v"]] {
		s.seqs[a["v"]] = seq
	}
	p := wire.Position{VehicleID: a["v"], Seq: seq, TS: now, Emergency: a["em"] != "false"}
	if ts, ok := a["ts"]; ok {
		f, err := strconv.ParseFloat(ts, 64)
		require.NoError(t, err)
		p.TS = at(f)
	}
	ll := lonLatAt(num(t, a, "x", 0), num(t, a, "y", 0))
	p.Lon, p.Lat = num(t, a, "lon", ll[0]), num(t, a, "lat", ll[1])
	if _, ok := a["speed"]; ok {
		p.SpeedMps = new(num(t, a, "speed", 0))
	}
	if _, ok := a["heading"]; ok {
		p.HeadingDeg = new(num(t, a, "heading", 0))
	}
	if _, ok := a["acc"]; ok {
		p.AccuracyM = new(num(t, a, "acc", 0))
	}
	return p
}

// wakeUntil ticks the engine at each of its wakeups before now, as a
// driver loop would; one due exactly at now waits until after the input
// of that instant.
func (s *script) wakeUntil(now time.Time, inclusive bool) {
	for i := 0; i < 10000; i++ {
		next := s.eng.Ready().NextWakeup
		if next.IsZero() || next.After(now) || (!inclusive && next.Equal(now)) {
			return
		}
		s.eng.Tick(next)
		s.drain()
	}
	s.t.Fatalf("engine keeps waking up before %v", now)
}

func (s *script) step(now time.Time, in Input) {
	s.wakeUntil(now, false)
	if err := s.eng.Step(now, in); err != nil {
		fmt.Fprintf(&s.out, "%s error %v\n", rel(now), err)
	}
	s.drain()
}

// drain renders what the engine has output into the script's output.
func (s *script) drain() {
	rd := s.eng.Ready()
	for _, c := range rd.Commands {
		require.NoError(s.t, c.Validate(), "engine issued an invalid command")
		if c.Type == wire.CommandPreempt {
			fmt.Fprintf(&s.out, "%s cmd preempt %s %s/%d prio=%d eta=%.1f expires=%s\n", rel(c.IssuedAt), c.RequestID,
				c.Approach, c.Phase, c.Priority, c.EtaS, rel(c.ExpiresAt))
		} else {
			fmt.Fprintf(&s.out, "%s cmd release %s\n", rel(c.IssuedAt), c.RequestID)
		}
	}
	for _, a := range rd.Advisories {
		var parts []string
		for _, sig := range a.Signals {
			parts = append(parts, fmt.Sprintf("%s:%s/%.0fm/%.1fs", sig.IntersectionID, sig.State, sig.DistanceM, sig.EtaS))
		}
		route := ""
		if a.RouteID != "" {
			route = " route=" + a.RouteID
		}
		fmt.Fprintf(&s.out, "%s adv %s%s [%s]\n", rel(a.TS), a.VehicleID, route, strings.Join(parts, " "))
	}
	for _, d := range rd.Decisions {
		var b strings.Builder
		fmt.Fprintf(&b, "%s dec %s", rel(d.At), d.Kind)
		for _, f := range []string{d.VehicleID, d.IntersectionID, d.RequestID, d.Reason.String()} {
			if f != "" {
				b.WriteString(" " + f)
			}
		}
		if d.Field != "" {
			b.WriteString(" field=" + d.Field)
		}
		switch d.Kind {
		case DecisionRequest, DecisionRefresh, DecisionDeny:
			fmt.Fprintf(&b, " eta=%.1f lead=%.1f d=%.0f", d.EtaS, d.LeadS, d.DistanceM)
		}
		if d.Kind == DecisionDeny && d.Detail != "" {
			b.WriteString(" holder=" + d.Detail)
		}
		s.out.WriteString(b.String() + "\n")
	}
}

func (s *script) vehicles() string {
	var ids []string
	for id := range s.eng.vehicles {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	for _, id := range ids {
		v := s.eng.vehicles[id]
		fmt.Fprintf(&b, "%s seq=%d along=%.0f onpath=%v speed=%.1f em=%v silent=%v source=%v", id, v.seq, v.along, v.onPath, v.speed, v.emergency, v.silent, v.source)
		for _, p := range v.passages {
			fmt.Fprintf(&b, " %s:%s", s.eng.inters[p.inter].id, stateNames[p.state])
		}
		b.WriteString("\n")
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.TrimRight(b.String(), "\n")
}

// parseScriptPlan reads CYCLE:OFFSET:PHASES/GREEN:PHASES/GREEN...
func parseScriptPlan(t testing.TB, s string) *wire.SignalPlan {
	parts := strings.Split(s, ":")
	require.GreaterOrEqual(t, len(parts), 4, "plan %q", s)
	f := func(v string) float64 {
		x, err := strconv.ParseFloat(v, 64)
		require.NoError(t, err, "plan %q", s)
		return x
	}
	sp := &wire.SignalPlan{CycleS: f(parts[0]), OffsetS: f(parts[1])}
	for _, st := range parts[2:] {
		phases, green, ok := strings.Cut(st, "/")
		require.True(t, ok, "plan stage %q is not PHASES/GREEN", st)
		stage := wire.PlanStage{GreenS: f(green)}
		for _, ph := range strings.Split(phases, ",") {
			if ph != "" {
				stage.Phases = append(stage.Phases, int(f(ph)))
			}
		}
		sp.Stages = append(sp.Stages, stage)
	}
	return sp
}

// plan prints v's current plan: for each signal it covers, what is
// chosen, when the request is due (seconds from the script's epoch), and
// the expected delay and cost.
func (s *script) plan(a map[string]string, _ []datadriven.CmdArg) string {
	v := s.eng.vehicles[a["v"]]
	require.NotNil(s.t, v, "no vehicle %q", a["v"])
	p := &v.plan
	if p.path == nil || p.n == 0 {
		return "no plan"
	}
	var b strings.Builder
	sigs := p.path.Signals()
	for k := 0; k < p.n; k++ {
		c := &p.choice[k]
		fmt.Fprintf(&b, "%s ", s.eng.inters[sigs[p.first+k].Intersection].id)
		switch {
		case !c.modelled:
			b.WriteString("rule")
		case c.request == never:
			fmt.Fprintf(&b, "%s delay=%.1f", c.kind, c.delayS)
		default:
			fmt.Fprintf(&b, "%s at=%s delay=%.1f cost=%.0f", c.kind, rel(s.eng.timeOf(c.request)), c.delayS, c.costVehS)
		}
		if k+1 < p.n {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// joint plans v afresh now, jointly (the engine's way) and junction by
// junction (each choice the best for its own junction given those
// before it), and prints both: the objective (cost + price × delay) and
// the choices.
func (s *script) joint(a map[string]string, _ []datadriven.CmdArg) string {
	e := s.eng
	v := e.vehicles[a["v"]]
	require.NotNil(s.t, v, "no vehicle %q", a["v"])
	along := e.deadReckon(v)
	origin := e.etaOrigin(v, along)
	first := e.firstAhead(v, along)
	e.replan(v, along, &origin, first)
	joint := describeChoices(e, v, v.plan.choice[:v.plan.n])
	greedy := e.greedyPlan(v, &origin, first)
	return "joint:  " + joint + "\ngreedy: " + describeChoices(e, v, greedy)
}

func describeChoices(e *Engine, v *vehicle, cs []planChoice) string {
	obj := 0.0
	var parts []string
	price := min(v.price, maxPlanPrice)
	for _, c := range cs {
		if !c.modelled {
			parts = append(parts, "rule")
			continue
		}
		obj += c.costVehS + price*c.delayS
		parts = append(parts, fmt.Sprintf("%s(%.1f s, %.0f veh·s)", c.kind, c.delayS, c.costVehS))
	}
	return fmt.Sprintf("objective %.0f: %s", obj, strings.Join(parts, " "))
}

// parseState reads a roadside state's wire name; an unknown one is the
// invalid zero State, which the engine must refuse.
func parseState(s string) wire.State {
	st, _ := wire.ParseState(s)
	return st
}
