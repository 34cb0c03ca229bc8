package routing

import (
	"math"

	"github.com/paulmach/orb"
)

// EarthRadiusM is the mean Earth radius (IUGG) used by the local projection.
const EarthRadiusM = 6371008.8

// XY is a point in a Network's local projection, in metres east (X) and
// north (Y) of the projection's origin.
type XY struct{ X, Y float64 }

// Sub returns p - q.
func (p XY) Sub(q XY) XY { return XY{p.X - q.X, p.Y - q.Y} }

// Dist returns the Euclidean distance in metres between p and q.
func (p XY) Dist(q XY) float64 { return math.Hypot(p.X-q.X, p.Y-q.Y) }

// Projection is a local equirectangular projection centred on a city.
//
// Distances in planar degrees or raw Web Mercator are wrong by up to
// 1/cos(latitude) (about 55% at Luxembourg's latitude); an equirectangular
// projection scaled by cos(lat0) at the map's centre is accurate to better
// than 0.1% over a 30 km city and makes every distance, bearing and
// nearest-point computation a cheap planar one.
type Projection struct {
	Origin   orb.Point // [lon, lat] of the projection's centre
	mPerDegX float64
	mPerDegY float64
	degPerMX float64
	degPerMY float64
}

// NewProjection returns the projection centred on origin ([lon, lat]).
func NewProjection(origin orb.Point) Projection {
	mPerDegY := EarthRadiusM * math.Pi / 180
	mPerDegX := mPerDegY * math.Cos(origin[1]*math.Pi/180)
	return Projection{Origin: origin, mPerDegX: mPerDegX, mPerDegY: mPerDegY,
		degPerMX: 1 / mPerDegX, degPerMY: 1 / mPerDegY}
}

// ToXY projects a [lon, lat] point to local metres.
func (p Projection) ToXY(ll orb.Point) XY {
	return XY{(ll[0] - p.Origin[0]) * p.mPerDegX, (ll[1] - p.Origin[1]) * p.mPerDegY}
}

// ToLonLat inverts ToXY.
func (p Projection) ToLonLat(q XY) orb.Point {
	return orb.Point{p.Origin[0] + q.X*p.degPerMX, p.Origin[1] + q.Y*p.degPerMY}
}

// HaversineM returns the great-circle distance in metres between two
// [lon, lat] points; tests use it to check the projection.
func HaversineM(a, b orb.Point) float64 {
	lat1, lat2 := a[1]*math.Pi/180, b[1]*math.Pi/180
	dLat := lat2 - lat1
	dLon := (b[0] - a[0]) * math.Pi / 180
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1)*math.Cos(lat2)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * EarthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
}

// BearingDeg returns the compass bearing (degrees clockwise from north, in
// [0, 360)) of travel from a to b in the local projection.
func BearingDeg(a, b XY) float64 {
	d := math.Atan2(b.X-a.X, b.Y-a.Y) * 180 / math.Pi
	if d < 0 {
		d += 360
	}
	if d >= 360 {
		d -= 360
	}
	return d
}

// AngleDiffDeg returns the absolute difference between two bearings in
// [0, 180], handling the 0/360 wrap (359 and 1 differ by 2).
func AngleDiffDeg(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 360)
	if d > 180 {
		d = 360 - d
	}
	return d
}

// projectOnSegment returns the point of segment ab nearest to p, the
// fraction t in [0, 1] along ab where it lies, and its distance to p.
func projectOnSegment(p, a, b XY) (XY, float64, float64) {
	dx, dy := b.X-a.X, b.Y-a.Y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = ((p.X-a.X)*dx + (p.Y-a.Y)*dy) / l2
		if t < 0 {
			t = 0
		} else if t > 1 {
			t = 1
		}
	}
	q := XY{a.X + t*dx, a.Y + t*dy}
	return q, t, p.Dist(q)
}

// validLonLat reports whether p is a finite WGS84 [lon, lat].
func validLonLat(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0) &&
		p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90
}
