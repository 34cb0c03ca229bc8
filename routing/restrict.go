package routing

import (
	"fmt"
	"slices"
	"sort"

	"github.com/greenwave-project/greenwave/wire"
)

// buildRestrictions turns the inventory's turn restrictions into banned
// (arriving edge, leaving edge) pairs, and gives every edge its route
// search label (Edge.state): its end node, or, where some turn at that
// node is forbidden, a label of its own, so that a search tells apart
// vehicles that arrived by different roads there.
func (n *Network) buildRestrictions(rs []TurnRestriction, snap snapGrid) []error {
	n.numStates = int32(len(n.nodes))
	defer func() {
		for i := range n.edges {
			e := &n.edges[i]
			e.state = e.To
			if n.banStart != nil && n.restrictedNode(e.To) {
				e.state = int32(len(n.nodes)) + int32(i)
			}
		}
		if n.banStart != nil {
			n.numStates = int32(len(n.nodes) + len(n.edges))
		}
	}()
	if len(rs) == 0 {
		return nil
	}
	roadByID := make(map[string]int32, len(n.roads))
	for i := range n.roads {
		roadByID[n.roads[i].ID] = int32(i)
	}
	var errs []error
	banned := map[[2]int32]bool{}
	only := map[int32][]int32{} // arriving edge -> the edges only_* restrictions allow
	for i := range rs {
		if len(errs) >= maxReportedErrors {
			break
		}
		r := &rs[i]
		name := featureName("restriction", i, r.ID)
		fail := func(field, format string, args ...any) {
			errs = append(errs, &wire.FieldError{Where: name, Field: field, Reason: fmt.Sprintf(format, args...)})
		}
		via, ok := snap.find(n.proj.ToXY(r.Via), n.nodes)
		if !ok {
			fail("geometry.coordinates", "[%.7f, %.7f] is not a road end point (none within %.0f m)", r.Via[0], r.Via[1], JoinToleranceM)
			continue
		}
		from, okFrom := roadByID[r.From]
		to, okTo := roadByID[r.To]
		if !okFrom {
			fail("from", "no road %q", r.From)
		}
		if !okTo {
			fail("to", "no road %q", r.To)
		}
		if !okFrom || !okTo {
			continue
		}
		var in, out []int32
		for _, e := range n.InEdges(via) {
			if n.edges[e].Road == from {
				in = append(in, e)
			}
		}
		for _, e := range n.OutEdges(via) {
			if n.edges[e].Road == to {
				out = append(out, e)
			}
		}
		if len(in) == 0 {
			fail("from", "road %q does not lead into the via point (it does not end there, or is one-way away from it)", r.From)
		}
		if len(out) == 0 {
			fail("to", "road %q does not lead out of the via point (it does not end there, or is one-way towards it)", r.To)
		}
		for _, a := range in {
			for _, b := range out {
				if r.Only() {
					only[a] = append(only[a], b)
				} else {
					banned[[2]int32{a, b}] = true
				}
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	for a, allowed := range only {
		for _, b := range n.OutEdges(n.edges[a].To) {
			if !slices.Contains(allowed, b) {
				banned[[2]int32{a, b}] = true
			}
		}
	}
	if len(banned) == 0 {
		return nil
	}
	pairs := make([][2]int32, 0, len(banned))
	for p := range banned {
		pairs = append(pairs, p)
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	n.banStart = make([]int32, len(n.edges)+1)
	n.bans = make([]int32, len(pairs))
	for i, p := range pairs {
		n.banStart[p[0]+1]++
		n.bans[i] = p[1]
	}
	for i := 1; i <= len(n.edges); i++ {
		n.banStart[i] += n.banStart[i-1]
	}
	return nil
}

// bannedAfter returns the edges a vehicle arriving on edge e may not take
// next (shared; do not modify).
func (n *Network) bannedAfter(e int32) []int32 {
	if n.banStart == nil {
		return nil
	}
	return n.bans[n.banStart[e]:n.banStart[e+1]]
}

// TurnAllowed reports whether a vehicle arriving on edge from may leave
// its end node by edge to: false when a turn restriction forbids it (or
// to does not leave that node).
func (n *Network) TurnAllowed(from, to int32) bool {
	if n.edges[to].From != n.edges[from].To {
		return false
	}
	return !slices.Contains(n.bannedAfter(from), to)
}

// restrictedNode reports whether some turn at node v is forbidden.
func (n *Network) restrictedNode(v int32) bool {
	for _, e := range n.InEdges(v) {
		if n.banStart[e+1] > n.banStart[e] {
			return true
		}
	}
	return false
}

// NumTurnBans is how many (arriving, leaving) edge pairs the map's turn
// restrictions forbid.
func (n *Network) NumTurnBans() int { return len(n.bans) }
