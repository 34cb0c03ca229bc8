package routing

import "math"

// Cursor is a vehicle's progress along a Path. It is a small value that
// remembers the segment of the last located position, so that each fix
// costs a short walk from there instead of a search of the whole path; it
// never allocates.
//
// Locate picks the point of the path that minimises
//
//	distance to the fix + forwardCost·(metres ahead of the last position)
//	                    + backwardCost·(metres behind it)
//
// rather than the nearest point: where a path doubles back on itself (a
// hairpin, a loop round a block, the two sides of a dual carriageway), the
// nearest point to a noisy fix may be on the other leg, hundreds of metres
// further along; the cost keeps the cursor on the leg it is on. Because the
// cost grows with the distance along, the walk stops as soon as no segment
// further away can beat the best point found, which is after a few segments
// in steady state.
type Cursor struct {
	path    *Path
	seg     int     // segment of the last located position
	along   float64 // last located distance from the start
	next    int     // first signal with AlongM >= along
	located bool
}

// Cost per metre of movement along the path between two fixes, in metres
// of distance from the path: moving ahead is what vehicles do, so it is
// cheap (a 100 m jump ahead weighs like 20 m of GPS error); moving back is
// only ever GPS noise, so it is dear.
const (
	cursorForwardCost  = 0.2
	cursorBackwardCost = 0.5
)

// NewCursor returns a cursor that has not located the vehicle yet: its
// first Locate searches the whole path.
func (p *Path) NewCursor() Cursor { return Cursor{path: p} }

// Locate moves the cursor to the point of the path where the vehicle at pt
// most likely is, searching forward from the last located position (and a
// little back, for GPS noise), and returns its distance from the path's
// start and pt's distance from the path there. ok is false, and the cursor
// does not move, when pt is farther than maxOffPathM from the path: the
// vehicle has left it (or the fix is an outlier).
func (c *Cursor) Locate(pt XY, maxOffPathM float64) (alongM, offPathM float64, ok bool) {
	p := c.path
	if p == nil || math.IsNaN(pt.X) || math.IsNaN(pt.Y) {
		return c.along, math.Inf(1), false
	}
	nseg := len(p.points) - 1
	best := locateBest{seg: -1, off2: math.Inf(1), cost: math.Inf(1)}
	if !c.located {
		for s := 0; s < nseg; s++ {
			c.consider(&best, pt, s)
		}
	} else {
		for s := c.seg; s < nseg; s++ {
			if ahead := p.points[s].cum - c.along; ahead > 0 && cursorForwardCost*ahead >= best.cost {
				break
			}
			c.consider(&best, pt, s)
		}
		for s := c.seg - 1; s >= 0; s-- {
			if cursorBackwardCost*(c.along-p.points[s+1].cum) >= best.cost {
				break
			}
			c.consider(&best, pt, s)
		}
	}
	off := math.Sqrt(best.off2)
	if best.seg < 0 || !(off <= maxOffPathM) {
		return best.along, off, false
	}
	c.seg, c.along, c.located = best.seg, best.along, true
	sig := p.signals
	for c.next < len(sig) && sig[c.next].AlongM < c.along {
		c.next++
	}
	for c.next > 0 && sig[c.next-1].AlongM >= c.along {
		c.next--
	}
	return best.along, off, true
}

// locateBest is the best point found so far by Locate.
type locateBest struct {
	seg         int
	along, off2 float64
	cost        float64
}

// consider projects pt on segment s and keeps it in best if it costs less.
// The cost is compared on the distance itself, so a square root is taken
// only for a segment whose squared distance could win.
func (c *Cursor) consider(best *locateBest, pt XY, s int) {
	p := c.path
	pa, pb := &p.points[s], &p.points[s+1]
	a, b := pa.xy, pb.xy
	dx, dy := b.X-a.X, b.Y-a.Y
	t := ((pt.X-a.X)*dx + (pt.Y-a.Y)*dy) * pa.invLen2
	if t < 0 {
		t = 0
	} else if t > 1 {
		t = 1
	}
	ex, ey := pt.X-a.X-t*dx, pt.Y-a.Y-t*dy
	d2 := ex*ex + ey*ey
	if d2 >= best.cost*best.cost {
		return
	}
	along := pa.cum + t*(pb.cum-pa.cum)
	cost := math.Sqrt(d2)
	if c.located {
		if along >= c.along {
			cost += cursorForwardCost * (along - c.along)
		} else {
			cost += cursorBackwardCost * (c.along - along)
		}
	}
	if cost < best.cost {
		*best = locateBest{seg: s, along: along, off2: d2, cost: cost}
	}
}

// AlongM is the distance from the path's start of the last located
// position (0 before the first).
func (c *Cursor) AlongM() float64 { return c.along }

// NextSignal is the index into the path's Signals() of the first signal not
// yet passed (its stop line is at or ahead of AlongM); len(Signals()) when
// every one is behind.
func (c *Cursor) NextSignal() int { return c.next }

// Path returns the path the cursor moves on.
func (c *Cursor) Path() *Path { return c.path }

// searchStart is the index from which the path's cumulative distances can
// be searched for alongM: the cursor's segment when every point before it
// is short of alongM (the usual case, alongM at or just ahead of the
// vehicle), else 0. Starting there finds the same index as a search of the
// whole path, in a step or two, on memory Locate has just read.
func (c *Cursor) searchStart(alongM float64) int {
	p := c.path
	alongM = clamp(alongM, 0, p.LengthM())
	if lo := c.seg; lo > 0 && lo < len(p.points) && p.points[lo-1].cum < alongM {
		return lo
	}
	return 0
}

// PointAt is the cursor's path's PointAt (the same point and bearing),
// found from the cursor's segment rather than by a search of the whole
// path: the engine asks for the vehicle's own position on every fix.
func (c *Cursor) PointAt(alongM float64) (XY, float64) {
	return c.path.pointAtFrom(alongM, c.searchStart(alongM))
}

// ETAOrigin is the origin for estimates from fromAlong on the cursor's
// path (the same estimates as the path's ETA), with fromAlong found from
// the cursor's segment rather than by a search of the whole path: the
// engine estimates from the vehicle's position several times a fix.
func (c *Cursor) ETAOrigin(fromAlong, smoothedSpeedMps float64) ETAOrigin {
	lo := 0
	if !math.IsNaN(fromAlong) {
		lo = c.searchStart(fromAlong)
	}
	return c.path.etaOrigin(fromAlong, smoothedSpeedMps, lo)
}
