package routing

import (
	"math"

	"github.com/paulmach/orb"
)

// Fix is one GPS fix as the matcher needs it.
type Fix struct {
	LonLat     orb.Point // [lon, lat]
	HeadingDeg float64   // NaN when unknown
	SpeedMps   float64   // NaN when unknown
	AccuracyM  float64   // 0 when unknown
}

// RoadPos is a position on the road graph.
type RoadPos struct {
	Edge    int32   // directed edge, i.e. includes direction of travel
	OffsetM float64 // metres from the edge's start
	XY      XY      // the matched point
	DistM   float64 // from the fix to the road
}

// MatcherConfig tunes a Matcher. Every zero field takes its default.
type MatcherConfig struct {
	// SearchRadiusM: roads farther than this from a fix are not
	// candidates. Default 50 m, widened to 3 σ for a fix whose accuracy
	// is worse, up to MaxSnapDistM.
	SearchRadiusM float64
	// SigmaM is the GPS error (standard deviation, metres) assumed when a
	// fix gives no accuracy. Default 10 m.
	SigmaM float64
	// HeadingSigmaDeg is the spread allowed between a fix's heading and
	// the road's direction of travel. Default 30°: GPS heading at speed is
	// good to a few degrees, but a road's segment and the vehicle's course
	// differ through bends and lane changes.
	HeadingSigmaDeg float64
	// MinHeadingSpeedMps: a fix's heading is used only at or above this
	// speed (a standing receiver's heading is noise). Default 2 m/s.
	MinHeadingSpeedMps float64
	// BetaM scales the transition cost: a move between two fixes whose
	// route is k·BetaM metres longer than the straight line between the
	// two matched points costs as much as k nats of evidence (Newson &
	// Krumm's β). Default 40 m, the best of 10–100 m on noisy traces of
	// the Luxembourg map.
	BetaM float64
	// UTurnM is the extra route length charged for turning round onto the
	// other direction of a two-way road between two fixes. Default 100 m:
	// without a heading, direction comes only from continuity, and a cheap
	// U-turn lets noise flip it (σ = 30 m without heading: 64% right with
	// 25 m, 71% with 100 m); with a heading, a real U-turn still wins
	// within a fix or two.
	UTurnM float64
}

func (c MatcherConfig) withDefaults() MatcherConfig {
	def := func(v *float64, d float64) {
		if !(*v > 0) || math.IsInf(*v, 0) {
			*v = d
		}
	}
	def(&c.SearchRadiusM, 50)
	def(&c.SigmaM, 10)
	def(&c.HeadingSigmaDeg, 30)
	def(&c.MinHeadingSpeedMps, 2)
	def(&c.BetaM, 40)
	def(&c.UTurnM, 100)
	c.SearchRadiusM = math.Min(c.SearchRadiusM, MaxSnapDistM)
	return c
}

const (
	// matchMaxRoads is how many roads (nearest first) a fix considers;
	// each two-way road gives two candidates, one per direction.
	matchMaxRoads = 6
	matchMaxCands = 2 * matchMaxRoads
	// matchPruneNats drops a candidate from the next step's history when
	// its score is this much below the best: e^-12 is one in 160,000.
	matchPruneNats = 12
	// matchBreakNats is the transition score of a candidate no short
	// route reaches: as unlikely as a route 8β longer than the straight
	// line, so a chain of matches is not broken by one noisy fix.
	matchBreakNats = 8
	// matchSearchDepth is how many whole edges a transition may cross
	// between the previous candidate's edge and the current one's.
	matchSearchDepth = 2
)

// matchCandidate is one directed road position for a fix, with its score.
type matchCandidate struct {
	edge  int32
	off   float64
	xy    XY
	dist  float64
	score float64 // log-likelihood of the best sequence ending here
}

// roadHit is the nearest point of one road (its indexed edge) to a fix.
type roadHit struct {
	edge  int32
	off   float64
	xy    XY
	dist2 float64 // squared distance from the fix
	dir   XY      // unit vector of the edge's direction there
}

// Matcher matches one vehicle's fixes to the road graph with an online
// hidden-Markov model in the spirit of Newson & Krumm (2009), the model of
// OSRM, Valhalla and GraphHopper.
//
// The candidates of a fix are the nearest points, in both directions of
// travel, of the roads within the search radius. A candidate's emission
// score is Gaussian in its distance from the fix, plus, when the vehicle is
// moving, a von Mises (circular Gaussian) score of the angle between the
// fix's heading and the road's direction of travel. Its transition score
// from each candidate of the previous fix is -(route distance −
// straight-line distance)/β, the route found by a search of at most a
// couple of edges ahead rather than a Dijkstra (moving back along the same
// edge counts the distance twice, turning round costs UTurnM); a candidate
// the search does not reach scores as a break (matchBreakNats below the
// best previous candidate). Each fix keeps, per candidate, the best score
// of any sequence ending there (the forward step of Viterbi) and reports
// the best candidate at once, without waiting for later fixes: robust to
// 20–30 m of noise, and to a parallel road, which loses on heading or on
// continuity.
//
// A Matcher is one vehicle's state, not safe for concurrent use; its
// buffers are fixed arrays, so Match does not allocate.
type Matcher struct {
	net *Network
	cfg MatcherConfig

	prev, cur   [matchMaxCands]matchCandidate
	nPrev, nCur int
	prevFix     XY

	hits  [matchMaxRoads]roadHit
	nHits int
	// The segment search's query and callback, built once so that a
	// search allocates no closure.
	q        XY
	radius   float64
	collect  func(lo, hi [2]float64, ref SegmentRef) bool
	routeLen [matchMaxCands]float64 // scratch: route distance to each current candidate
	wanted   [matchMaxCands]int8    // scratch: current candidates a search looks for
	nWanted  int
	limit    float64 // scratch: longest route searched
	kappa    float64 // heading concentration, 1/HeadingSigma² in radians
}

// NewMatcher returns the matcher of one vehicle.
func NewMatcher(n *Network, cfg MatcherConfig) *Matcher {
	m := &Matcher{net: n, cfg: cfg.withDefaults()}
	m.collect = m.collectSegment
	hs := m.cfg.HeadingSigmaDeg * math.Pi / 180
	m.kappa = 1 / (hs * hs)
	return m
}

// Reset forgets the vehicle's history: the next fix is matched on its own.
func (m *Matcher) Reset() { m.nPrev = 0 }

// Match returns the most likely road position of the vehicle given this
// fix and the ones before it. ok is false when no road lies within the
// search radius (the history is kept: the next fix continues from it) or
// the fix's position is not a valid [lon, lat].
func (m *Matcher) Match(f Fix) (pos RoadPos, ok bool) {
	if !validLonLat(f.LonLat) {
		return RoadPos{Edge: -1}, false
	}
	n := m.net
	p := n.proj.ToXY(f.LonLat)
	sigma := m.cfg.SigmaM
	if f.AccuracyM > 0 && !math.IsInf(f.AccuracyM, 0) {
		sigma = clamp(f.AccuracyM, 3, MaxSnapDistM/3)
	}
	m.q, m.radius, m.nHits = p, min(max(m.cfg.SearchRadiusM, 3*sigma), MaxSnapDistM), 0
	n.segIndex.Search([2]float64{p.X - m.radius, p.Y - m.radius}, [2]float64{p.X + m.radius, p.Y + m.radius}, m.collect)
	if m.nHits == 0 {
		return RoadPos{Edge: -1}, false
	}

	// The heading as a unit vector (east, north); zero when unusable, so
	// that it adds nothing.
	var heading XY
	if !math.IsNaN(f.HeadingDeg) && !math.IsInf(f.HeadingDeg, 0) && f.SpeedMps >= m.cfg.MinHeadingSpeedMps {
		heading.X, heading.Y = math.Sincos(f.HeadingDeg * math.Pi / 180)
	}
	m.nCur = 0
	for i := 0; i < m.nHits; i++ {
		h := &m.hits[i]
		dist := math.Sqrt(h.dist2)
		m.addCandidate(h.edge, h.off, h.xy, dist, h.dir, sigma, heading)
		if tw := n.edges[h.edge].Twin; tw >= 0 {
			m.addCandidate(tw, n.edges[tw].LengthM-h.off, h.xy, dist, XY{-h.dir.X, -h.dir.Y}, sigma, heading)
		}
	}

	m.transition(p)

	top := m.cur[0].score
	for j := 1; j < m.nCur; j++ {
		top = max(top, m.cur[j].score)
	}
	// Keep the plausible candidates as the next fix's history, scores
	// relative to the best so they never drift.
	// They are kept best first (a stable insertion sort, so the best is
	// the one chosen above), which lets the next transition stop early.
	m.nPrev = 0
	for j := 0; j < m.nCur; j++ {
		if c := m.cur[j]; c.score >= top-matchPruneNats {
			c.score -= top
			k := m.nPrev
			for k > 0 && m.prev[k-1].score < c.score {
				m.prev[k] = m.prev[k-1]
				k--
			}
			m.prev[k] = c
			m.nPrev++
		}
	}
	m.prevFix = p
	c := &m.prev[0]
	return RoadPos{Edge: c.edge, OffsetM: c.off, XY: c.xy, DistM: c.dist}, true
}

// collectSegment keeps, for each of the matchMaxRoads nearest roads, its
// nearest segment to the query point. It is on the hot path: squared
// distances, and one square root per kept segment.
func (m *Matcher) collectSegment(_, _ [2]float64, ref SegmentRef) bool {
	n := m.net
	e := &n.edges[ref.Edge]
	g := n.geom[e.geomStart:e.geomEnd]
	a, b := g[ref.Seg], g[ref.Seg+1]
	dx, dy := b.X-a.X, b.Y-a.Y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = clamp(((m.q.X-a.X)*dx+(m.q.Y-a.Y)*dy)/l2, 0, 1)
	}
	q := XY{a.X + t*dx, a.Y + t*dy}
	ex, ey := m.q.X-q.X, m.q.Y-q.Y
	d2 := ex*ex + ey*ey
	if d2 > m.radius*m.radius {
		return true
	}
	slot := -1
	for i := 0; i < m.nHits; i++ {
		if m.hits[i].edge == ref.Edge {
			if d2 >= m.hits[i].dist2 {
				return true
			}
			slot = i
			break
		}
	}
	if slot < 0 {
		if m.nHits < matchMaxRoads {
			slot = m.nHits
			m.nHits++
		} else {
			worst := 0
			for i := 1; i < m.nHits; i++ {
				if m.hits[i].dist2 > m.hits[worst].dist2 {
					worst = i
				}
			}
			if d2 >= m.hits[worst].dist2 {
				return true
			}
			slot = worst
		}
	}
	cum := n.cum[e.geomStart:e.geomEnd]
	var dir XY
	if l := math.Sqrt(l2); l > 0 {
		dir = XY{dx / l, dy / l}
	}
	m.hits[slot] = roadHit{edge: ref.Edge, off: cum[ref.Seg] + t*(cum[ref.Seg+1]-cum[ref.Seg]), xy: q, dist2: d2, dir: dir}
	return true
}

// addCandidate appends a directed candidate with its emission score: a
// Gaussian in the distance, and for the heading a von Mises density
// (the circular Gaussian) in the angle Δ between the heading and the
// road's direction, κ(cos Δ - 1) with κ = 1/σ² (σ in radians): like
// -Δ²/2σ² for small angles, and bounded (2κ) for a road the other way.
func (m *Matcher) addCandidate(edge int32, off float64, xy XY, dist float64, dir XY, sigma float64, heading XY) {
	z := dist / sigma
	score := -0.5 * z * z
	if heading != (XY{}) {
		score += m.kappa * (heading.X*dir.X + heading.Y*dir.Y - 1)
	}
	m.cur[m.nCur] = matchCandidate{edge: edge, off: off, xy: xy, dist: dist, score: score}
	m.nCur++
}

// transition adds to each current candidate the best of (previous score +
// transition score) over the previous candidates. A candidate that no
// short route from a previous one reaches (a gap in the fixes, a jump, a
// road the bounded search cannot see) is not ruled out: it is scored as if
// reached from the best previous candidate at matchBreakNats, so a fix
// clearly on another road still wins there, as an HMM restarts after a
// break.
func (m *Matcher) transition(p XY) {
	if m.nPrev == 0 {
		return
	}
	n := m.net
	t := transitionState{bestTotal: math.Inf(-1)}
	floor := m.prev[0].score - matchBreakNats
	for j := 0; j < m.nCur; j++ {
		t.bestFrom[j] = floor
		t.bestTotal = max(t.bestTotal, m.cur[j].score+floor)
	}
	// A route longer than the fixes' separation plus both search radii
	// and a couple of β is not how the vehicle went.
	m.limit = m.prevFix.Dist(p) + 2*m.radius + 2*m.cfg.BetaM
	for i := 0; i < m.nPrev; i++ {
		pc := &m.prev[i]
		// Previous candidates come best first, and a transition never
		// adds to a score: once no current candidate could gain from
		// this one (it has a better predecessor already, or could not
		// come within the pruning margin of the best), none further down
		// can help either.
		useful := false
		for j := 0; j < m.nCur && !useful; j++ {
			useful = m.gains(&t, pc, j)
		}
		if !useful {
			break
		}
		// Moves along the same edge or onto its twin need no search.
		e := &n.edges[pc.edge]
		m.nWanted = 0
		for j := 0; j < m.nCur; j++ {
			c := &m.cur[j]
			switch {
			case c.edge == pc.edge && c.off >= pc.off:
				m.relax(&t, pc, j, c.off-pc.off)
			case c.edge == pc.edge:
				m.relax(&t, pc, j, 2*(pc.off-c.off)) // back: only noise explains it
			case c.edge == e.Twin:
				m.relax(&t, pc, j, math.Abs(e.LengthM-pc.off-c.off)+m.cfg.UTurnM)
			default:
				m.wanted[m.nWanted] = int8(j)
				m.nWanted++
			}
		}
		// The others by a short search ahead, if any could gain.
		k := 0
		for _, j := range m.wanted[:m.nWanted] {
			if m.gains(&t, pc, int(j)) {
				m.wanted[k] = j
				m.routeLen[j] = math.Inf(1)
				k++
			}
		}
		m.nWanted = k
		if k == 0 {
			continue
		}
		m.searchAhead(pc.edge, e.LengthM-pc.off, 0)
		for _, j := range m.wanted[:m.nWanted] {
			if r := m.routeLen[j]; !math.IsInf(r, 1) {
				m.relax(&t, pc, int(j), r)
			}
		}
	}
	for j := 0; j < m.nCur; j++ {
		m.cur[j].score += t.bestFrom[j]
	}
}

// transitionState is one transition step's best predecessor scores.
type transitionState struct {
	bestFrom  [matchMaxCands]float64 // best previous score + transition score into each current candidate
	bestTotal float64                // best emission + bestFrom over the current candidates
}

// gains reports whether previous candidate pc could improve current
// candidate j enough to matter.
func (m *Matcher) gains(t *transitionState, pc *matchCandidate, j int) bool {
	return pc.score > t.bestFrom[j] && m.cur[j].score+pc.score >= t.bestTotal-matchPruneNats
}

// relax records the move from pc to current candidate j along a route of
// routeM metres.
func (m *Matcher) relax(t *transitionState, pc *matchCandidate, j int, routeM float64) {
	c := &m.cur[j]
	dx, dy := pc.xy.X-c.xy.X, pc.xy.Y-c.xy.Y
	excess := max(0, routeM-math.Sqrt(dx*dx+dy*dy))
	if s := pc.score - excess/m.cfg.BetaM; s > t.bestFrom[j] {
		t.bestFrom[j] = s
		t.bestTotal = max(t.bestTotal, c.score+s)
	}
}

// searchAhead walks the edges leaving edge from's end, acc metres after the
// previous candidate, recording the route to the wanted current
// candidates it meets.
func (m *Matcher) searchAhead(from int32, acc float64, depth int) {
	n := m.net
	fe := &n.edges[from]
	for _, ei := range n.outEdges[n.outStart[fe.To]:n.outStart[fe.To+1]] {
		if ei == fe.Twin {
			continue
		}
		for _, j := range m.wanted[:m.nWanted] {
			if c := &m.cur[j]; c.edge == ei {
				if r := acc + c.off; r < m.routeLen[j] {
					m.routeLen[j] = r
				}
			}
		}
		if depth < matchSearchDepth {
			if next := acc + n.edges[ei].LengthM; next < m.limit {
				m.searchAhead(ei, next, depth+1)
			}
		}
	}
}
