package routing

import "github.com/paulmach/orb"

// Path is what a vehicle will drive: a polyline in the network's projection
// with its free-flow speeds and the signalised intersections on it, in the
// order they are met. Immutable, shareable.
type Path struct {
	net     *Network
	pts     []XY
	cum     []float64
	tcum    []float64
	signals []PathSignal
}

// PathSignal is a signalised intersection on a path.
type PathSignal struct {
	Intersection int32   // index in Network.Intersections()
	ID           string  // intersection id
	Approach     string  // approach id it enters on
	Phase        int     // phase serving that approach
	AlongM       float64 // distance from the path's start to the stop line (the intersection's node)
	QueueFlushS  float64 // from the approach (0 = engine default)
}

// LengthM is the path's length.
func (p *Path) LengthM() float64 { return 0 }

// FreeFlowS is the free-flow time along the whole path.
func (p *Path) FreeFlowS() float64 { return 0 }

// Points returns the path's polyline (shared, read-only).
func (p *Path) Points() []XY { return p.pts }

// LonLats returns the polyline as [lon, lat] points.
func (p *Path) LonLats() []orb.Point { return nil }

// Signals returns the signals on the path ordered by AlongM (shared, read-only).
func (p *Path) Signals() []PathSignal { return p.signals }

// PointAt returns the point alongM from the start and the bearing there.
func (p *Path) PointAt(alongM float64) (XY, float64) { return XY{}, 0 }

// FreeFlowTimeS returns the free-flow time between two distances along the path.
func (p *Path) FreeFlowTimeS(fromAlong, toAlong float64) float64 { return 0 }

// Cursor is a vehicle's progress along a Path.
type Cursor struct {
	path  *Path
	seg   int
	along float64
}

// NewCursor returns a cursor at the path's start.
func (p *Path) NewCursor() Cursor { return Cursor{path: p} }

// Locate advances the cursor to the point of the path nearest pt.
func (c *Cursor) Locate(pt XY, maxOffPathM float64) (alongM, offPathM float64, ok bool) {
	return 0, 0, false
}

// AlongM is the cursor's distance from the path's start.
func (c *Cursor) AlongM() float64 { return c.along }

// NextSignal is the index into Signals() of the first signal not yet passed.
func (c *Cursor) NextSignal() int { return 0 }
