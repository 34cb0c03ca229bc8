package sumo

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/greenwave-project/greenwave/routing"
	"github.com/greenwave-project/greenwave/wire"
)

// Map is a SUMO network imported for greenwave: the inventory that the
// routing package builds its network from (map-format.md), and for each
// of its features what ties it back to SUMO, which the co-simulation needs
// to play a preempt onto SUMO's signals and to place vehicles on the map.
// Intersections and Roads are parallel to Inventory.Intersections and
// Inventory.Roads.
type Map struct {
	Inventory     routing.Inventory
	Intersections []Intersection
	Roads         []Road
}

// Intersection ties an inventory intersection to its SUMO traffic light.
type Intersection struct {
	TLS       string   // the tlLogic id
	ProgramID string   // the program the phases were derived from
	Junctions []string // the junctions it controls (several for a joined traffic light)
	LinkCount int      // characters in its state strings
	// Approaches is parallel to the inventory intersection's Approaches.
	Approaches []Approach
}

// Approach ties an inventory approach to its SUMO edge and signals.
type Approach struct {
	Edge string // the incoming edge
	// Links are the link indices (positions in the state string) of every
	// connection from Edge this traffic light controls; ThroughLinks those
	// the phase was derived from (straight on, see Import).
	Links, ThroughLinks []int
	// GreenPhases are the indices of the program's phases in which all
	// ThroughLinks are green.
	GreenPhases []int
}

// Road ties an inventory road to its SUMO edge.
type Road struct {
	Edge string
}

// ImportOptions adjust the import. The zero value follows the program.
type ImportOptions struct {
	// MinGreenS, when > 0, replaces the minimum green derived from the
	// program (see Import): a static program's phases have no minimum
	// of their own, only a duration.
	MinGreenS float64
}

// ImportReport says what the import made of the network.
type ImportReport struct {
	TrafficLights   int // traffic lights (tlLogic ids) in the network
	Intersections   int // intersections written
	JoinedSignals   int // intersections whose traffic light controls several junctions
	Approaches      int
	Roads           int
	EdgesNotForCars int // edges no passenger car or emergency vehicle may use, left out
	EdgesInsideTLS  int // edges between junctions of one joined traffic light, left out
	Restrictions    int // turns between roads that SUMO does not connect, written as no_connection restrictions
	Warnings        []string
}

func (r *ImportReport) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// String is the report as import-sumo prints it.
func (r *ImportReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "signals     %d traffic lights -> %d intersections (%d controlling several junctions), %d approaches\n",
		r.TrafficLights, r.Intersections, r.JoinedSignals, r.Approaches)
	fmt.Fprintf(&b, "roads       %d (left out: %d edges closed to cars and emergency vehicles, %d inside joined traffic lights)\n",
		r.Roads, r.EdgesNotForCars, r.EdgesInsideTLS)
	fmt.Fprintf(&b, "turns       %d forbidden (no SUMO connection), written as no_connection restrictions\n", r.Restrictions)
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning     %s\n", w)
	}
	return b.String()
}

// ErrNoTrafficLights is returned (wrapped) for a network without traffic
// lights: there is nothing for greenwave to preempt.
var ErrNoTrafficLights = errors.New("no traffic lights (tlLogic) in the network: nothing to preempt")

// Import turns a network into a greenwave map.
//
// Roads: every edge a passenger car or an emergency vehicle may use (some
// lane allows one of them) is a one-way road (SUMO edges are directed)
// with the edge's geometry, ending at its junctions' positions, at its
// fastest such lane's speed and named after its street; internal
// (junction) edges are not roads. The road's id is the edge's.
//
// Intersections: one per traffic light (tlLogic id), whatever number of
// junctions it controls; a joined traffic light's junctions become one
// point, their centroid, where every road ending at one of them ends. Its
// id is the traffic light's, with characters outside [A-Za-z0-9._-]
// replaced and long ids shortened with a hash (sumo_tls keeps the
// original).
//
// Approaches: each incoming edge with a link the traffic light controls.
// Its bearing is that of its road's last segment into the intersection,
// which is what the router compares a path's entry with. Its through
// links are its straight-on connections (dir "s"), or, for an edge with
// none (the stem of a T), all but its turnarounds; it is green in a
// program phase when all its through links are green ('G' or 'g') there,
// or, when that never happens, when any is.
//
// Phases: approaches are grouped into stages from the program. Each
// program phase greens a set of approaches; the phase whose set weighs
// most (the sum over its approaches not yet grouped of their total green
// time in the cycle) makes the first group, and so on until every
// approach is in one. Groups are numbered the NEMA way: the first (the
// main street) gets phases 2 and 6, the second 4 and 8, each split by
// bearing along the group's axis (the approaches heading within 90° of
// the axis direction in [0°, 180°) get 2 or 4, the others 6 or 8); every
// further group gets a phase of its own from 9 up, which greenwave treats
// as conflicting with every other. Approaches of one group were green
// together in the program, so granting one of them never greens a
// conflicting movement the program would not have.
//
// Timing, from the traffic light's first program in the file: min_green_s
// is the longest minimum of the phases that green an approach (minDur
// when the program has one, else the phase's duration;
// ImportOptions.MinGreenS overrides it); yellow_s the longest phase with
// yellow signals (at least 3 s, map-format.md's floor); all_red_s the
// longest phase with only red signals that follows a yellow one;
// ped_clearance_s 0 (SUMO's programs carry pedestrian clearance in their
// own phases); max_preempt_s map-format.md's default.
//
// A network without traffic lights is ErrNoTrafficLights; one that is not
// geo-referenced, an error from NewProjection.
func Import(n *Net, opt ImportOptions) (*Map, *ImportReport, error) {
	rep := &ImportReport{}
	proj, err := NewProjection(n.Location)
	if err != nil {
		return nil, rep, err
	}
	programs := map[string]*TLLogic{}
	var tlsIDs []string
	for i := range n.TLLogics {
		l := &n.TLLogics[i]
		if _, ok := programs[l.ID]; !ok {
			programs[l.ID] = l
			tlsIDs = append(tlsIDs, l.ID)
		}
	}
	rep.TrafficLights = len(tlsIDs)
	if len(tlsIDs) == 0 {
		return nil, rep, ErrNoTrafficLights
	}
	sort.Strings(tlsIDs)

	im := &importer{net: n, proj: proj, rep: rep, opt: opt, junctionTLS: map[string]string{},
		links: map[string]map[string][]Connection{}}
	im.groupConnections()
	im.centroids(tlsIDs)
	m := &Map{}
	im.roads(m)
	im.restrictions(m)
	ids := map[string]bool{}
	for _, r := range m.Inventory.Roads {
		ids[r.ID] = true
	}
	for _, id := range tlsIDs {
		in, link, ok := im.intersection(id, programs[id], ids)
		if !ok {
			continue
		}
		m.Inventory.Intersections = append(m.Inventory.Intersections, in)
		m.Intersections = append(m.Intersections, link)
		rep.Intersections++
		rep.Approaches += len(in.Approaches)
		if len(link.Junctions) > 1 {
			rep.JoinedSignals++
		}
	}
	rep.Roads = len(m.Inventory.Roads)
	if len(im.badCoords) > 0 {
		return nil, rep, fmt.Errorf("%d points do not convert to a longitude and latitude with projection %q (a wrong projection or corrupt coordinates), e.g. %s",
			len(im.badCoords), n.Location.ProjParameter, im.badCoords[0])
	}
	if len(m.Inventory.Intersections) == 0 {
		return nil, rep, fmt.Errorf("none of the %d traffic lights controls an edge open to cars: %w", len(tlsIDs), ErrNoTrafficLights)
	}
	// The map must load: an import that would write a map the routing
	// package rejects is an error here, naming the feature.
	if err := m.Inventory.Validate(); err != nil {
		return nil, rep, fmt.Errorf("the imported map is not valid: %w", err)
	}
	return m, rep, nil
}

type importer struct {
	net  *Net
	proj *Projection
	rep  *ImportReport
	opt  ImportOptions
	// junctionTLS maps a junction to the traffic light it belongs to.
	junctionTLS map[string]string
	// links[tls][edge] are the controlled connections from edge.
	links map[string]map[string][]Connection
	// point is where each traffic light's intersection is.
	point map[string]XY
	// badCoords lists points that do not project to a valid lon/lat.
	badCoords []string
}

// validLonLat reports whether a projected point is a longitude and a
// latitude: a corrupt or foreign network's coordinates may not be.
func validLonLat(lon, lat float64) bool {
	return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90 // false for NaN
}

// groupConnections collects each traffic light's controlled connections
// by incoming edge and the junctions they are at.
func (im *importer) groupConnections() {
	for _, c := range im.net.Connections {
		if c.TL == "" {
			continue
		}
		from, ok := im.net.EdgeByID(c.From)
		if !ok {
			continue
		}
		byEdge := im.links[c.TL]
		if byEdge == nil {
			byEdge = map[string][]Connection{}
			im.links[c.TL] = byEdge
		}
		byEdge[c.From] = append(byEdge[c.From], c)
		j := from.To
		switch owner, taken := im.junctionTLS[j]; {
		case !taken:
			im.junctionTLS[j] = c.TL
		case owner != c.TL:
			im.rep.warn("junction %q is controlled by traffic lights %q and %q: it is placed with %q", j, owner, c.TL, owner)
		}
	}
}

// centroids places each traffic light at the centroid of its junctions.
func (im *importer) centroids(tlsIDs []string) {
	im.point = map[string]XY{}
	sum := map[string]XY{}
	count := map[string]int{}
	for j, tls := range im.junctionTLS {
		jn, ok := im.net.JunctionByID(j)
		if !ok {
			continue
		}
		s := sum[tls]
		sum[tls] = XY{s.X + jn.X, s.Y + jn.Y}
		count[tls]++
	}
	for _, id := range tlsIDs {
		if k := count[id]; k > 0 {
			im.point[id] = XY{sum[id].X / float64(k), sum[id].Y / float64(k)}
		}
	}
}

// restrictions forbids, where roads of the map meet, every turn SUMO does
// not connect (a no_connection restriction from one road to the other):
// routes and paths ahead on the imported map then never take a turn SUMO's
// vehicles cannot, so a route greenwave computes to a destination is one
// an ambulance in SUMO drives. Roads meet at a junction, or at a joined
// traffic light's one point, where a turn counts as connected when SUMO's
// connections lead from the one road to the other through the edges
// inside the joined light.
func (im *importer) restrictions(m *Map) {
	kept := make(map[string]bool, len(m.Roads))
	for _, r := range m.Roads {
		kept[r.Edge] = true
	}
	next := map[string][]string{}
	for _, c := range im.net.Connections {
		next[c.From] = append(next[c.From], c.To)
	}
	group := func(j string) string {
		if tls, ok := im.junctionTLS[j]; ok {
			return "tls " + tls
		}
		return "junction " + j
	}
	in, out := map[string][]string{}, map[string][]string{}
	var groups []string
	for i := range im.net.Edges {
		e := &im.net.Edges[i]
		if !kept[e.ID] {
			continue
		}
		for _, g := range []string{group(e.To), group(e.From)} {
			if len(in[g]) == 0 && len(out[g]) == 0 {
				groups = append(groups, g)
			}
			if g == group(e.To) {
				in[g] = append(in[g], e.ID)
			}
			if g == group(e.From) {
				out[g] = append(out[g], e.ID)
			}
		}
	}
	sort.Strings(groups)
	groups = slices.Compact(groups)
	edgeTo := func(id string) string {
		i, ok := im.net.edgeIndex[id]
		if !ok {
			return ""
		}
		return im.net.Edges[i].To
	}
	for _, g := range groups {
		for _, a := range in[g] {
			reach := map[string]bool{}
			stack := []string{a}
			for len(stack) > 0 {
				e := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				for _, n := range next[e] {
					if reach[n] {
						continue
					}
					reach[n] = true
					if !kept[n] && group(edgeTo(n)) == g { // an edge inside a joined light
						stack = append(stack, n)
					}
				}
			}
			for _, b := range out[g] {
				if reach[b] {
					continue
				}
				via := im.junctionPoint(edgeTo(a))
				lon, lat := im.proj.ToLonLat(via)
				m.Inventory.Restrictions = append(m.Inventory.Restrictions, routing.TurnRestriction{
					ID: fmt.Sprintf("nc-%d", len(m.Inventory.Restrictions)+1), Kind: "no_connection", From: a, To: b, Via: orb.Point{lon, lat}})
				im.rep.Restrictions++
			}
		}
	}
}

// junctionPoint is where a road ending at junction j ends: the
// intersection's point for a signalised junction, else the junction's.
func (im *importer) junctionPoint(j string) XY {
	if tls, ok := im.junctionTLS[j]; ok {
		return im.point[tls]
	}
	jn, _ := im.net.JunctionByID(j)
	return XY{jn.X, jn.Y}
}

// forCars reports whether a lane allows passenger cars or emergency
// vehicles (SUMO's allow/disallow lists; neither means every class).
func forCars(l *Lane) bool { return laneAllows(l, "passenger") || laneAllows(l, "emergency") }

// minEndSegmentM is the shortest last (or first) segment a road keeps:
// geometry points closer than this to an end are dropped, so that the
// bearing into an intersection is not that of a stub.
const minEndSegmentM = 2.0

func (im *importer) roads(m *Map) {
	for i := range im.net.Edges {
		e := &im.net.Edges[i]
		speed := 0.0
		for k := range e.Lanes {
			if forCars(&e.Lanes[k]) {
				speed = math.Max(speed, e.Lanes[k].Speed)
			}
		}
		if speed == 0 {
			im.rep.EdgesNotForCars++
			continue
		}
		fromTLS, fromSig := im.junctionTLS[e.From]
		toTLS, toSig := im.junctionTLS[e.To]
		if fromSig && toSig && fromTLS == toTLS && e.From != e.To {
			im.rep.EdgesInsideTLS++
			continue
		}
		geom := im.edgeGeometry(e)
		coords := make([]orb.Point, len(geom))
		for k, p := range geom {
			lon, lat := im.proj.ToLonLat(p)
			if !validLonLat(lon, lat) {
				im.badCoords = append(im.badCoords, fmt.Sprintf("edge %q point %d (%v, %v)", e.ID, k, p.X, p.Y))
			}
			coords[k] = orb.Point{lon, lat}
		}
		r := routing.Road{ID: e.ID, Name: e.Name, Coords: coords, Oneway: true, SpeedMps: speed}
		if c, ok := strings.CutPrefix(e.Type, "highway."); ok {
			r.Class = c
		}
		m.Inventory.Roads = append(m.Inventory.Roads, r)
		m.Roads = append(m.Roads, Road{Edge: e.ID})
	}
}

// edgeGeometry is the edge's shape (or the line between its junctions)
// with its ends moved to where the road must end.
func (im *importer) edgeGeometry(e *Edge) []XY {
	from, to := im.junctionPoint(e.From), im.junctionPoint(e.To)
	base := e.Shape
	if len(base) < 2 {
		return []XY{from, to}
	}
	dist := func(a, b XY) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }
	inner := base[1 : len(base)-1]
	for len(inner) > 0 && dist(inner[0], from) < minEndSegmentM {
		inner = inner[1:]
	}
	for len(inner) > 0 && dist(inner[len(inner)-1], to) < minEndSegmentM {
		inner = inner[:len(inner)-1]
	}
	out := make([]XY, 0, len(inner)+2)
	out = append(out, from)
	out = append(out, inner...)
	return append(out, to)
}

// intersection builds the intersection of traffic light id.
func (im *importer) intersection(id string, prog *TLLogic, usedIDs map[string]bool) (routing.Intersection, Intersection, bool) {
	byEdge := im.links[id]
	if len(byEdge) == 0 {
		im.rep.warn("traffic light %q controls no connection: left out", id)
		return routing.Intersection{}, Intersection{}, false
	}
	pt := im.point[id]
	lon, lat := im.proj.ToLonLat(pt)
	if !validLonLat(lon, lat) {
		im.badCoords = append(im.badCoords, fmt.Sprintf("traffic light %q at (%v, %v)", id, pt.X, pt.Y))
		return routing.Intersection{}, Intersection{}, false
	}
	centre := orb.Point{lon, lat}
	local := routing.NewProjection(centre)
	nLinks := len(prog.Phases[0].State)

	type approach struct {
		edge         *Edge
		bearing      float64
		links        []int
		through      []int
		green        []int // phase indices
		greenTimeS   float64
		group, phase int
		streetName   string
	}
	var aps []*approach
	edgeIDs := make([]string, 0, len(byEdge))
	for eid := range byEdge {
		edgeIDs = append(edgeIDs, eid)
	}
	sort.Strings(edgeIDs)
	for _, eid := range edgeIDs {
		e, _ := im.net.EdgeByID(eid)
		if !edgeForCars(e) {
			continue
		}
		if fromTLS, ok := im.junctionTLS[e.From]; ok && fromTLS == id && e.From != e.To {
			continue // inside a joined traffic light
		}
		a := &approach{edge: e, streetName: e.Name, group: -1}
		a.links, a.through = im.approachLinks(id, e, byEdge, nLinks)
		if len(a.through) == 0 {
			continue
		}
		for _, all := range []bool{true, false} {
			for pi, ph := range prog.Phases {
				if greenIn(ph.State, a.through, all) {
					a.green = append(a.green, pi)
					a.greenTimeS += ph.Duration
				}
			}
			if len(a.green) > 0 {
				break
			}
		}
		if len(a.green) == 0 {
			im.rep.warn("traffic light %q: approach %q is never green in program %q: left out", id, eid, prog.ProgramID)
			continue
		}
		geom := im.edgeGeometry(e)
		p, q := geom[len(geom)-2], geom[len(geom)-1]
		plon, plat := im.proj.ToLonLat(p)
		qlon, qlat := im.proj.ToLonLat(q)
		a.bearing = routing.BearingDeg(local.ToXY(orb.Point{plon, plat}), local.ToXY(orb.Point{qlon, qlat}))
		sort.Ints(a.links)
		sort.Ints(a.through)
		aps = append(aps, a)
	}
	if len(aps) == 0 {
		im.rep.warn("traffic light %q controls no edge open to cars that is ever green: left out", id)
		return routing.Intersection{}, Intersection{}, false
	}

	// Stages: repeatedly the program phase greening the most of what is
	// not yet grouped, weighted by green time.
	groups := 0
	for {
		best, bestW := -1, 0.0
		for pi := range prog.Phases {
			w := 0.0
			for _, a := range aps {
				if a.group < 0 && slices.Contains(a.green, pi) {
					w += 1 + a.greenTimeS // 1: a program of zero-length phases still groups
				}
			}
			if w > bestW+1e-9 {
				best, bestW = pi, w
			}
		}
		if best < 0 {
			break
		}
		for _, a := range aps {
			if a.group < 0 && slices.Contains(a.green, best) {
				a.group = groups
			}
		}
		groups++
	}
	if groups > 2+(wire.MaxPhase-8) {
		im.rep.warn("traffic light %q: %d stages, more than phases 2/6, 4/8 and 9..16 can number: left out", id, groups)
		return routing.Intersection{}, Intersection{}, false
	}
	for g := 0; g < groups; g++ {
		var members []*approach
		var sx, sy float64
		for _, a := range aps {
			if a.group == g {
				members = append(members, a)
				r := 2 * a.bearing * math.Pi / 180
				sx += math.Cos(r)
				sy += math.Sin(r)
			}
		}
		axis := math.Mod(math.Atan2(sy, sx)*180/math.Pi/2+180, 180)
		for _, a := range members {
			switch {
			case g >= 2:
				a.phase = 7 + g
			case routing.AngleDiffDeg(a.bearing, axis) <= 90:
				a.phase = 2 + 2*g
			default:
				a.phase = 6 + 2*g
			}
		}
	}

	in := routing.Intersection{ID: uniqueID(sanitizeID(id), usedIDs), LonLat: centre, Timing: im.timing(prog)}
	usedIDs[in.ID] = true
	link := Intersection{TLS: id, ProgramID: prog.ProgramID, LinkCount: nLinks}
	for j, tls := range im.junctionTLS {
		if tls == id {
			link.Junctions = append(link.Junctions, j)
		}
	}
	sort.Strings(link.Junctions)
	sort.SliceStable(aps, func(i, j int) bool {
		if aps[i].phase != aps[j].phase {
			return aps[i].phase < aps[j].phase
		}
		return aps[i].edge.ID < aps[j].edge.ID
	})
	apIDs := map[string]bool{}
	var names []string
	for _, a := range aps {
		aid := uniqueID(sanitizeID(a.edge.ID), apIDs)
		apIDs[aid] = true
		in.Approaches = append(in.Approaches, routing.Approach{ID: aid, BearingDeg: roundBearing(a.bearing), Phase: a.phase})
		link.Approaches = append(link.Approaches, Approach{Edge: a.edge.ID, Links: a.links, ThroughLinks: a.through, GreenPhases: a.green})
		if a.streetName != "" && !slices.Contains(names, a.streetName) {
			names = append(names, a.streetName)
		}
	}
	if len(names) > 3 {
		names = names[:3]
	}
	in.Name = strings.Join(names, " & ")
	return in, link, true
}

// approachLinks returns the link indices of an approach: every link its
// traffic may take through the intersection, and its through links. Where
// a joined traffic light spans several junctions, a movement crosses more
// than one link (straight on through a divided avenue's two carriageways
// is two links): the edges between its junctions are followed, so that
// greening an approach's through links lets it cross the whole
// intersection.
func (im *importer) approachLinks(tls string, e *Edge, byEdge map[string][]Connection, nLinks int) (links, through []int) {
	inside := func(edgeID string) bool {
		t, ok := im.net.EdgeByID(edgeID)
		if !ok {
			return false
		}
		a, okA := im.junctionTLS[t.From]
		b, okB := im.junctionTLS[t.To]
		return okA && okB && a == tls && b == tls && t.From != t.To
	}
	toCars := func(edgeID string) bool {
		t, ok := im.net.EdgeByID(edgeID)
		return ok && edgeForCars(t)
	}
	valid := func(c Connection) bool {
		if c.LinkIndex >= nLinks {
			im.rep.warn("traffic light %q: connection %s→%s has link index %d but the program has %d signals: left out",
				tls, c.From, c.To, c.LinkIndex, nLinks)
			return false
		}
		return true
	}
	// Every link reachable from the approach without leaving the
	// intersection.
	seen := map[string]bool{e.ID: true}
	queue := []string{e.ID}
	for len(queue) > 0 {
		from := queue[0]
		queue = queue[1:]
		for _, c := range byEdge[from] {
			if !valid(c) {
				continue
			}
			links = appendUnique(links, c.LinkIndex)
			if inside(c.To) && !seen[c.To] {
				seen[c.To] = true
				queue = append(queue, c.To)
			}
		}
	}
	// Through: straight on to an edge open to cars, followed across the
	// intersection's inner edges.
	follow := func(dirOK func(string) bool) []int {
		var out []int
		visited := map[string]bool{}
		var walk func(from string)
		walk = func(from string) {
			if visited[from] {
				return
			}
			visited[from] = true
			for _, c := range byEdge[from] {
				if c.LinkIndex >= nLinks || !dirOK(c.Dir) || !toCars(c.To) {
					continue
				}
				out = appendUnique(out, c.LinkIndex)
				if inside(c.To) {
					walk(c.To)
				}
			}
		}
		walk(e.ID)
		return out
	}
	through = follow(func(d string) bool { return d == "s" })
	if len(through) == 0 {
		through = follow(func(d string) bool { return d != "t" })
	}
	if len(through) == 0 {
		through = append([]int(nil), links...)
	}
	return links, through
}

// timing derives the intersection's timing from its program.
func (im *importer) timing(prog *TLLogic) routing.Timing {
	t := routing.DefaultTiming()
	t.PedClearanceS = 0
	minGreen, yellow, allRed := 0.0, 0.0, 0.0
	for i, ph := range prog.Phases {
		hasGreen := strings.ContainsAny(ph.State, "Gg")
		hasYellow := strings.ContainsAny(ph.State, "yY")
		switch {
		case hasGreen:
			m := ph.Duration
			if ph.MinDur > 0 {
				m = ph.MinDur
			}
			minGreen = math.Max(minGreen, m)
		case hasYellow:
			yellow = math.Max(yellow, ph.Duration)
		case strings.Trim(ph.State, "rsoO") == "" && strings.ContainsRune(ph.State, 'r'):
			prev := prog.Phases[(i+len(prog.Phases)-1)%len(prog.Phases)]
			if strings.ContainsAny(prev.State, "yY") {
				allRed = math.Max(allRed, ph.Duration)
			}
		}
	}
	if im.opt.MinGreenS > 0 {
		minGreen = im.opt.MinGreenS
	}
	const minYellowS = 3 // map-format.md's (and routing.Validate's) floor
	if yellow < minYellowS {
		if yellow > 0 {
			im.rep.warn("traffic light %q: yellow of %v s raised to %v s", prog.ID, yellow, float64(minYellowS))
		}
		yellow = minYellowS
	}
	t.MinGreenS, t.YellowS, t.AllRedS = math.Min(minGreen, 3600), math.Min(yellow, 3600), math.Min(allRed, 3600)
	return t
}

// greenIn reports whether the links are green in state: all of them, or
// any of them.
func greenIn(state string, links []int, all bool) bool {
	for _, li := range links {
		g := li < len(state) && (state[li] == 'G' || state[li] == 'g')
		if all && !g {
			return false
		}
		if !all && g {
			return true
		}
	}
	return all
}

func edgeForCars(e *Edge) bool {
	for k := range e.Lanes {
		if forCars(&e.Lanes[k]) {
			return true
		}
	}
	return false
}

func appendUnique(s []int, v int) []int {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func roundBearing(b float64) float64 {
	r := math.Round(b*10) / 10
	if r >= 360 {
		r -= 360
	}
	return r
}

// sanitizeID makes a SUMO id a wire-protocol id (^[A-Za-z0-9._-]{1,64}$):
// other characters become '_', and an id longer than 64 is cut to 55
// characters plus '-' and 8 hex digits of a hash of the whole id.
func sanitizeID(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	s := string(b)
	if s == "" {
		s = "_"
	}
	if len(s) > 64 {
		h := fnv.New32a()
		h.Write([]byte(id))
		s = s[:55] + "-" + fmt.Sprintf("%08x", h.Sum32())
	}
	return s
}

// uniqueID returns id, or id with a "-2", "-3", ... suffix (within 64
// characters) when it is taken.
func uniqueID(id string, taken map[string]bool) string {
	if !taken[id] {
		return id
	}
	for k := 2; ; k++ {
		suffix := "-" + strconv.Itoa(k)
		base := id
		if len(base)+len(suffix) > 64 {
			base = base[:64-len(suffix)]
		}
		if c := base + suffix; !taken[c] {
			return c
		}
	}
}
