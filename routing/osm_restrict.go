package routing

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/osm"
)

// osmRestriction is a type=restriction relation as read.
type osmRestriction struct {
	id       osm.RelationID
	kind     string // no_left_turn, only_straight_on, ...
	from, to []osm.WayID
	via      osm.NodeID  // 0 when the via member is not a node
	viaWays  []osm.WayID // via members that are ways
	viaNodes int         // via members that are nodes
	skip     string      // why it does not apply, decided from its tags alone
}

// parseRestriction reads a type=restriction relation. The kind is the
// restriction tag, else restriction:motorcar, else
// restriction:motor_vehicle (the ones an ambulance, a motor car, obeys);
// a relation whose except tag names emergency vehicles or motor cars, or
// whose only restriction is conditional (by time of day), is kept with a
// reason to skip it, so that the report can say so.
func parseRestriction(r *osm.Relation) (osmRestriction, bool) {
	if r.Tags.Find("type") != "restriction" {
		return osmRestriction{}, false
	}
	out := osmRestriction{id: r.ID}
	for _, k := range []string{"restriction", "restriction:motorcar", "restriction:motor_vehicle"} {
		if v := strings.TrimSpace(r.Tags.Find(k)); v != "" {
			out.kind = v
			break
		}
	}
	for _, ex := range strings.Split(r.Tags.Find("except"), ";") {
		switch strings.TrimSpace(ex) {
		case "emergency", "motorcar", "motor_vehicle":
			out.skip = fmt.Sprintf("does not apply to emergency vehicles (except=%s)", r.Tags.Find("except"))
		}
	}
	switch {
	case out.kind == "" && r.Tags.Find("restriction:conditional") != "":
		out.skip = "conditional (restriction:conditional, by time of day): not applied"
	case out.kind == "":
		out.skip = "no restriction tag for motor vehicles"
	case out.skip == "" && !strings.HasPrefix(out.kind, "no_") && !strings.HasPrefix(out.kind, "only_"):
		out.skip = fmt.Sprintf("unknown restriction %q (want no_* or only_*)", out.kind)
	}
	for _, m := range r.Members {
		switch {
		case m.Role == "from" && m.Type == osm.TypeWay:
			out.from = append(out.from, osm.WayID(m.Ref))
		case m.Role == "to" && m.Type == osm.TypeWay:
			out.to = append(out.to, osm.WayID(m.Ref))
		case m.Role == "via" && m.Type == osm.TypeNode:
			out.via = osm.NodeID(m.Ref)
			out.viaNodes++
		case m.Role == "via" && m.Type == osm.TypeWay:
			out.viaWays = append(out.viaWays, osm.WayID(m.Ref))
		}
	}
	return out, true
}

// turnFits reports whether a turn of angle deg (the change of bearing from
// arriving to leaving, clockwise positive: right turns in right-hand
// traffic) is the turn a restriction kind names. Kinds that name no turn
// (no_entry, no_exit) fit any.
func turnFits(kind string, deg float64) bool {
	switch {
	case strings.HasSuffix(kind, "_left_turn"):
		return deg < -20 && deg > -170
	case strings.HasSuffix(kind, "_right_turn"):
		return deg > 20 && deg < 170
	case strings.HasSuffix(kind, "_straight_on"):
		return deg > -60 && deg < 60
	case strings.HasSuffix(kind, "_u_turn"):
		return deg < -120 || deg > 120
	}
	return true
}

// restrictions turns the restriction relations into the map's turn
// restrictions, one per (from road, to road) pair at the via node, and
// reports those it cannot apply: a via way (greenwave applies via-node
// restrictions only), a member the extract lacks or that is no drivable
// road, a from or to way that does not reach the via node. Where a way
// runs through the via node (it was not split there, as it should have
// been), the road on the side the restriction's kind names is taken (the
// one whose turn angle fits it).
func (g *osmGraph) restrictions(rs []osmRestriction, canonical func(osm.NodeID) (osm.NodeID, bool), rep *ImportReport) []TurnRestriction {
	var out []TurnRestriction
	skip := func(r osmRestriction, format string, args ...any) {
		rep.SkippedRestrictions = append(rep.SkippedRestrictions, SkippedRestriction{Relation: int64(r.id), Reason: fmt.Sprintf(format, args...)})
	}
	for _, r := range rs {
		if r.skip != "" {
			skip(r, "%s", r.skip)
			continue
		}
		switch {
		case len(r.viaWays) > 0:
			skip(r, "via a way (%v): not applied, greenwave applies restrictions via a node only", r.viaWays)
			continue
		case r.viaNodes != 1:
			skip(r, "%d via nodes (want exactly one)", r.viaNodes)
			continue
		case len(r.from) == 0 || len(r.to) == 0:
			skip(r, "missing its from or to member")
			continue
		}
		via, ok := canonical(r.via)
		if !ok || g.deg[via] == 0 {
			skip(r, "via node %d is not in the extract or on no drivable road", r.via)
			continue
		}
		type end struct {
			road    int32
			bearing float64
		}
		var froms, tos []end
		missing := ""
		for _, w := range r.from {
			found := false
			for _, e := range g.ends[via] {
				if rd := &g.roads[e.road]; rd.way == w && g.canArrive(e) {
					if b, ok := g.arrivalBearing(via, e); ok {
						froms = append(froms, end{e.road, b})
					}
					found = true
				}
			}
			if !found {
				missing = fmt.Sprintf("from way %d does not lead into via node %d (missing from the extract, not drivable, or one-way away from it)", w, r.via)
			}
		}
		for _, w := range r.to {
			found := false
			for _, e := range g.ends[via] {
				if rd := &g.roads[e.road]; rd.way == w && !(!e.atStart && rd.road.Oneway) {
					if b, ok := g.arrivalBearing(via, e); ok {
						tos = append(tos, end{e.road, math.Mod(b+180, 360)}) // leaving: the other way
					}
					found = true
				}
			}
			if !found {
				missing = fmt.Sprintf("to way %d does not lead out of via node %d (missing from the extract, not drivable, or one-way towards it)", w, r.via)
			}
		}
		if missing != "" {
			skip(r, "%s", missing)
			continue
		}
		// Every (from, to) pair, or where a way has several roads at the
		// via node only the pairs whose turn fits the kind.
		var pairs [][2]int32
		ambiguous := len(froms) > len(r.from) || len(tos) > len(r.to)
		for _, f := range froms {
			for _, t := range tos {
				if !ambiguous || turnFits(r.kind, signedTurn(f.bearing, t.bearing)) {
					pairs = append(pairs, [2]int32{f.road, t.road})
				}
			}
		}
		if len(pairs) == 0 {
			skip(r, "its from and to ways run through via node %d and no turn between them is a %s", r.via, r.kind)
			continue
		}
		slices.SortFunc(pairs, func(a, b [2]int32) int {
			if a[0] != b[0] {
				return int(a[0] - b[0])
			}
			return int(a[1] - b[1])
		})
		for k, p := range pairs {
			id := fmt.Sprintf("r%d", r.id)
			if len(pairs) > 1 {
				id = fmt.Sprintf("r%d.%d", r.id, k)
			}
			out = append(out, TurnRestriction{ID: id, Kind: r.kind, From: g.roads[p[0]].road.ID, To: g.roads[p[1]].road.ID, Via: g.nodes[via].ll})
		}
	}
	return out
}

// signedTurn is the change of bearing from a to b in (-180, 180]:
// positive clockwise (a right turn).
func signedTurn(a, b float64) float64 {
	d := math.Mod(b-a+360, 360)
	if d > 180 {
		d -= 360
	}
	return d
}
