package routing

import (
	"math"

	"github.com/paulmach/orb"
)

// MaxApproachDiffDeg is how far a path's bearing as it arrives at a
// signalised intersection may be from the nearest of its approaches' bearings
// for the path to count as entering on that approach. Approaches of a
// four-way junction are 90° apart, so 60° accepts a road that bends into
// the junction while rejecting a path that merely touches the junction's
// node on a road the inventory gives no approach for (a slip lane, a
// service road): such an intersection is left out of Path.Signals, because
// no phase of it serves the vehicle.
const MaxApproachDiffDeg = 60.0

// Path is what a vehicle will drive: a polyline in the network's projection
// with its free-flow speeds and the signalised intersections on it, in the
// order they are met. Immutable, shareable.
type Path struct {
	net *Network
	// points is the polyline with, at each point, everything the engine
	// reads about it and the segment it starts on every fix, side by side:
	// locating a vehicle and estimating its ETAs touch one or two cache
	// lines of a path instead of one per array.
	points  []pathPoint
	signals []PathSignal
	sigTime []float64 // free-flow time from the start to each signal's stop line (see indexSignals)
	// lengthM is the last point's cum, kept here because the engine reads
	// it every fix: from the far end of points it would cost a cache miss.
	lengthM float64
	// For a path on the graph: the edges it drives and the distance along
	// the path at which each is entered (the first is the path's start).
	edges     []int32
	edgeAlong []float64
}

// pathPoint is one point of a path's polyline.
type pathPoint struct {
	xy   XY
	cum  float64 // distance from the path's start
	tcum float64 // free-flow time from the path's start
	// Of the segment from this point to the next (zero at the last point):
	invLen2 float64 // 1/length² (0 for none), for the cursor's projections
	bearing float64 // BearingDeg of the segment: the engine checks the heading against it every fix
}

// PathSignal is a signalised intersection on a path and how the path enters
// it.
type PathSignal struct {
	Intersection int32   // index in Network.Intersections()
	ID           string  // intersection id
	Approach     string  // approach id it enters on (path bearing against the approaches stopping there, 0/360 wrap)
	Phase        int     // the phase that gives that approach its through green
	AlongM       float64 // distance from the path's start to the stop line (the node where the path enters the intersection)
	QueueFlushS  float64 // from the approach (0 = engine default)
}

// LengthM is the path's length in metres.
func (p *Path) LengthM() float64 { return p.lengthM }

// FreeFlowS is the time to drive the whole path at the roads' free-flow
// speeds.
func (p *Path) FreeFlowS() float64 { return p.points[len(p.points)-1].tcum }

// Points returns the path's polyline in the network's projection (a fresh
// slice). It has at least two points; a path of zero length has two equal
// ones.
func (p *Path) Points() []XY {
	out := make([]XY, len(p.points))
	for i := range p.points {
		out[i] = p.points[i].xy
	}
	return out
}

// LonLats returns the polyline as [lon, lat] points (a fresh slice, for
// output).
func (p *Path) LonLats() []orb.Point {
	out := make([]orb.Point, len(p.points))
	for i := range p.points {
		out[i] = p.net.proj.ToLonLat(p.points[i].xy)
	}
	return out
}

// Signals returns the signalised intersections on the path, ordered by
// AlongM (shared, read-only).
func (p *Path) Signals() []PathSignal { return p.signals }

// segmentOf turns i, the first index with cum[i] >= alongM, into the index
// s of the segment [pts[s], pts[s+1]] holding alongM: the first point
// farther than alongM, minus one.
func (p *Path) segmentOf(alongM float64, i int) int {
	s := i
	if s > 0 && (s == len(p.points) || p.points[s].cum > alongM) {
		s--
	}
	if s > len(p.points)-2 {
		s = len(p.points) - 2
	}
	return s
}

// searchFrom is sort.Search over a[lo:] for the first point at least x
// from the start, plus lo: the first index at or after lo with
// a[i].cum >= x (len(a) when none). It gallops
// from lo before bisecting, so a point a few segments after a known one
// (a stop line ahead of the vehicle) is found in a few steps, and it is
// written out rather than calling sort.Search because it runs several
// times per fix.
func searchFrom(a []pathPoint, lo int, x float64) int {
	hi := len(a)
	for step := 1; lo < hi; step *= 2 {
		probe := lo + step - 1
		if probe >= hi {
			break
		}
		if a[probe].cum >= x {
			hi = probe
			break
		}
		lo = probe + 1
	}
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if !(a[h].cum >= x) {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// PointAt returns the point alongM metres from the path's start (clamped to
// the path) and the path's bearing there.
func (p *Path) PointAt(alongM float64) (XY, float64) {
	return p.pointAtFrom(alongM, 0)
}

// pointAtFrom is PointAt searching cum from index lo (see searchStart).
func (p *Path) pointAtFrom(alongM float64, lo int) (XY, float64) {
	alongM = clamp(alongM, 0, p.LengthM())
	s := p.segmentOf(alongM, searchFrom(p.points, lo, alongM))
	pa, pb := &p.points[s], &p.points[s+1]
	a, b := pa.xy, pb.xy
	t := 0.0
	if l := pb.cum - pa.cum; l > 0 {
		t = (alongM - pa.cum) / l
	}
	return XY{a.X + t*(b.X-a.X), a.Y + t*(b.Y-a.Y)}, pa.bearing
}

// timeAtFrom is the free-flow time from the path's start to alongM
// (clamped to the path), searching cum from index lo, which must be at
// most the first index with cum[i] >= alongM (clamped); it also returns
// that index, from which a farther point can be searched in turn.
func (p *Path) timeAtFrom(alongM float64, lo int) (float64, int) {
	alongM = clamp(alongM, 0, p.LengthM())
	i := searchFrom(p.points, lo, alongM)
	s := p.segmentOf(alongM, i)
	pa, pb := &p.points[s], &p.points[s+1]
	l := pb.cum - pa.cum
	if l <= 0 {
		return pa.tcum, i
	}
	return pa.tcum + (pb.tcum-pa.tcum)*(alongM-pa.cum)/l, i
}

// FreeFlowTimeS is the free-flow time between two distances along the path
// (each clamped to the path; zero when toAlong is not after fromAlong), in
// O(log n) from the cumulative times. toAlong is searched from fromAlong's
// index onwards: stop lines are usually a few segments ahead.
func (p *Path) FreeFlowTimeS(fromAlong, toAlong float64) float64 {
	return p.freeFlowFrom(fromAlong, toAlong, 0)
}

// freeFlowFrom is FreeFlowTimeS searching cum for fromAlong from index lo
// (see searchStart).
func (p *Path) freeFlowFrom(fromAlong, toAlong float64, lo int) float64 {
	if !(toAlong > fromAlong) {
		return 0
	}
	from, i := p.timeAtFrom(fromAlong, lo)
	to, _ := p.timeAtFrom(toAlong, i)
	return math.Max(0, to-from)
}

// pathBuilder accumulates a path's polyline, times and signals.
type pathBuilder struct {
	p *Path
}

func newPathBuilder(n *Network, capacity int) pathBuilder {
	return pathBuilder{p: &Path{net: n, points: make([]pathPoint, 0, capacity)}}
}

// add appends point q reached at speed speedMps; repeated points are
// dropped so that every segment has a length.
func (b *pathBuilder) add(q XY, speedMps float64) {
	p := b.p
	if len(p.points) == 0 {
		p.points = append(p.points, pathPoint{xy: q})
		return
	}
	last := &p.points[len(p.points)-1]
	if q == last.xy {
		return
	}
	b.addSegment(q, speedMps, geomSegment{lengthM: last.xy.Dist(q), bearing: BearingDeg(last.xy, q)})
}

// addSegment appends point q, reached from the last point along seg, which
// the caller knows (a whole segment of an edge's geometry) or computed.
func (b *pathBuilder) addSegment(q XY, speedMps float64, seg geomSegment) {
	p := b.p
	last := &p.points[len(p.points)-1]
	if q == last.xy {
		return
	}
	last.bearing = seg.bearing
	p.points = append(p.points, pathPoint{xy: q, cum: last.cum + seg.lengthM, tcum: last.tcum + seg.lengthM/speedMps})
}

// addEdge appends the part [fromOff, toOff] of edge e.
func (b *pathBuilder) addEdge(e int32, fromOff, toOff float64) {
	n := b.p.net
	edge := &n.edges[e]
	g, cum := n.EdgeGeometry(e)
	segs := n.segs[edge.geomStart:edge.geomEnd]
	start, _ := n.pointOnEdge(e, fromOff)
	b.add(start, edge.SpeedMps)
	// prev: the geometry point the path's last point is, or -1 when it is
	// between two (the start, mid-edge).
	prev := -1
	if fromOff <= 0 {
		prev = 0
	}
	for i := 1; i < len(g)-1; i++ {
		if cum[i] > fromOff && cum[i] < toOff {
			if prev == i-1 {
				b.addSegment(g[i], edge.SpeedMps, segs[i-1])
			} else {
				b.add(g[i], edge.SpeedMps)
			}
			prev = i
		}
	}
	end, _ := n.pointOnEdge(e, toOff)
	b.add(end, edge.SpeedMps)
}

// addEdgeEndSignal records the intersection edge e enters, if it enters
// one from outside, as met at the current end of the path (e's end
// node: that approach's stop line). A road inside a junction of several
// nodes (between the carriageways of a divided road) meets none: the
// vehicle met the junction where it entered.
func (b *pathBuilder) addEdgeEndSignal(e int32) {
	n := b.p.net
	ii, ok := n.entersIntersection(e)
	if !ok {
		return
	}
	a, ok := n.approachAt(ii, n.edges[e].To, n.edges[e].entryBearing, MaxApproachDiffDeg)
	if !ok {
		return
	}
	b.addSignal(ii, a, b.lengthM())
}

// addSignal records intersection ii met alongM from the start, on
// approach a. A stop line at the path's very start is not ahead: the path
// starts in the junction (a route from a junction's point leaves it, and
// a vehicle matched exactly onto the stop line is over it), so it is left
// out, the same for a path on the graph and an announced polyline.
func (b *pathBuilder) addSignal(ii int32, a Approach, alongM float64) {
	if alongM <= 0 {
		return
	}
	in := &b.p.net.inters[ii]
	b.p.signals = append(b.p.signals, PathSignal{Intersection: ii, ID: in.ID, Approach: a.ID, Phase: a.Phase,
		AlongM: alongM, QueueFlushS: a.QueueFlushS})
}

// lengthM is the length of the path built so far.
func (b *pathBuilder) lengthM() float64 { return b.p.points[len(b.p.points)-1].cum }

// finish returns the path, with two equal points when it has no length.
// Every segment's bearing was set as it was added: add drops repeated
// points, so only a path of zero length has a segment without one (its
// bearing is 0).
func (b *pathBuilder) finish() *Path {
	p := b.p
	if len(p.points) == 1 {
		p.points = append(p.points, p.points[0])
	}
	pts := p.points
	for s := 0; s+1 < len(pts); s++ {
		if d := pts[s+1].xy.Sub(pts[s].xy); d != (XY{}) {
			pts[s].invLen2 = 1 / (d.X*d.X + d.Y*d.Y)
		}
	}
	p.lengthM = pts[len(pts)-1].cum
	p.indexSignals()
	return p
}

// indexSignals records the free-flow time to each signal's stop line,
// exactly as timeAtFrom gives it, so that an ETA to a signal (several a
// fix, for the policy and the advisories) need not search the path for
// it. It runs once the path's signals are final.
func (p *Path) indexSignals() {
	p.sigTime = make([]float64, len(p.signals))
	for i := range p.signals {
		p.sigTime[i], _ = p.timeAtFrom(p.signals[i].AlongM, 0)
	}
}

// pathFromEdges builds the path driving edges in order, from fromOff on the
// first edge to toOff on the last. Signals are the intersections on the
// nodes between edges (and on the last edge's end node when the path
// reaches it); one on the first edge's start node is behind the vehicle.
func (n *Network) pathFromEdges(edges []int32, fromOff, toOff float64) *Path {
	// Each edge adds at most its geometry's points: sized so, the
	// builder never grows its slices, nor allocates far more than it uses.
	capacity := 2
	for _, e := range edges {
		capacity += int(n.edges[e].geomEnd - n.edges[e].geomStart)
	}
	b := newPathBuilder(n, capacity)
	b.p.edges, b.p.edgeAlong = make([]int32, 0, len(edges)), make([]float64, 0, len(edges))
	for i, e := range edges {
		lo, hi := 0.0, n.edges[e].LengthM
		if i == 0 {
			lo = clamp(fromOff, 0, hi)
		}
		last := i == len(edges)-1
		if last {
			hi = clamp(toOff, lo, hi)
		}
		along := 0.0
		if len(b.p.points) > 0 {
			along = b.lengthM()
		}
		b.p.edges = append(b.p.edges, e)
		b.p.edgeAlong = append(b.p.edgeAlong, along)
		b.addEdge(e, lo, hi)
		if !last || hi >= n.edges[e].LengthM {
			b.addEdgeEndSignal(e)
		}
	}
	return b.finish()
}

func clamp(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}
