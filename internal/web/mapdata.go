package web

import (
	"math"
	"path/filepath"

	"github.com/greenwave-project/greenwave/routing"
)

// majorClasses are the OSM highway classes drawn as major roads.
var majorClasses = map[string]bool{
	"motorway": true, "motorway_link": true, "trunk": true, "trunk_link": true,
	"primary": true, "primary_link": true, "secondary": true, "secondary_link": true,
}

// BuildMap turns the network's roads and intersections into what the page
// draws, in page coordinates.
func BuildMap(net *routing.Network, name string) *MapData {
	proj := net.Projection()
	m := &MapData{Name: filepath.Base(name)}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	grow := func(x, y float64) {
		minX, minY, maxX, maxY = math.Min(minX, x), math.Min(minY, y), math.Max(maxX, x), math.Max(maxY, y)
	}
	major, minor := RoadClass{Class: "major"}, RoadClass{Class: "minor"}
	for i := 0; i < net.NumRoads(); i++ {
		r := net.Road(int32(i))
		line := make([]float64, 0, 2*len(r.Coords))
		for _, ll := range r.Coords {
			x, y := pageXY(proj.ToXY(ll))
			grow(x, y)
			line = append(line, x, y)
		}
		if majorClasses[r.Class] {
			major.Lines = append(major.Lines, line)
		} else {
			minor.Lines = append(minor.Lines, line)
		}
	}
	m.Roads = []RoadClass{minor, major}
	for i := range net.Intersections() {
		in := net.Intersection(int32(i))
		x, y := pageXY(in.XY)
		grow(x, y)
		mi := MapIntersection{ID: in.ID, Name: in.Name, X: x, Y: y, Approaches: make([]MapApproach, 0, len(in.Approaches))}
		for _, a := range in.Approaches {
			mi.Approaches = append(mi.Approaches, MapApproach{ID: a.ID, BearingDeg: a.BearingDeg, Phase: a.Phase})
		}
		m.Intersections = append(m.Intersections, mi)
	}
	if minX > maxX {
		minX, minY, maxX, maxY = -500, -500, 500, 500
	}
	m.Bounds = [4]float64{minX, minY, maxX, maxY}
	return m
}

// pageXY is a projected point in page coordinates: y grows southwards.
func pageXY(p routing.XY) (float64, float64) {
	return round1(p.X), round1(-p.Y)
}
