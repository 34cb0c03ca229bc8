package sumo

import (
	"math"
	"testing"
)

// The test junction's location as netconvert wrote it, and a point SUMO
// itself converted (traci.Client.ToGeo against SUMO 1.15 on that network).
var crossLocation = Location{NetOffset: XY{-292469.89, -5499026.64},
	ProjParameter: "+proj=utm +zone=32 +ellps=WGS84 +datum=WGS84 +units=m +no_defs"}

func TestProjectionMatchesSUMO(t *testing.T) {
	p, err := NewProjection(crossLocation)
	if err != nil {
		t.Fatal(err)
	}
	lon, lat := p.ToLonLat(XY{200, 200})
	// SUMO: (6.12999496054766, 49.609999149866155).
	if math.Abs(lon-6.12999496054766) > 1e-8 || math.Abs(lat-49.609999149866155) > 1e-8 {
		t.Errorf("ToLonLat(200, 200) = %.10f, %.10f; SUMO says 6.1299949605, 49.6099991499", lon, lat)
	}
}

func TestProjectionRoundTrip(t *testing.T) {
	for _, c := range []struct {
		loc Location
		lls [][2]float64 // within the projection's zone: ±3.5° of its central meridian
	}{
		{crossLocation, [][2]float64{{6.13, 49.61}, {9, 49.61}, {11.9, 52.3}, {6.5, 47}}},
		{Location{ProjParameter: "+proj=utm +zone=33 +south +ellps=WGS84 +datum=WGS84 +units=m +no_defs"},
			[][2]float64{{15, -33.9}, {12.1, -45}, {17.9, -10}}},
		{Location{NetOffset: XY{10, -20}, ProjParameter: "+proj=tmerc +lat_0=49 +lon_0=6 +k=1 +x_0=80000 +y_0=100000 +ellps=GRS80 +units=m"},
			[][2]float64{{6.13, 49.61}, {4, 50.5}, {8.9, 47.5}}},
	} {
		p, err := NewProjection(c.loc)
		if err != nil {
			t.Fatal(err)
		}
		for _, ll := range c.lls {
			xy := p.FromLonLat(ll[0], ll[1])
			lon2, lat2 := p.ToLonLat(xy)
			// 1e-8 degrees is about a millimetre.
			if math.Abs(lon2-ll[0]) > 1e-8 || math.Abs(lat2-ll[1]) > 1e-8 {
				t.Errorf("%s: (%v, %v) -> %+v -> (%.10f, %.10f)", c.loc.ProjParameter, ll[0], ll[1], xy, lon2, lat2)
			}
		}
	}
}

func TestProjectionMatchesNetconvert(t *testing.T) {
	// netconvert placed the test junction's nodes, given in lon/lat, at
	// these network coordinates (cross.net.xml, 2 decimals).
	p, err := NewProjection(crossLocation)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lon, lat, x, y float64 }{
		{6.13, 49.61, 200.37, 200.08},     // C
		{6.127226, 49.61, 0, 207.73},      // W
		{6.13, 49.6082, 192.73, 0},        // S
		{6.132774, 49.61, 400.74, 192.43}, // E
	} {
		xy := p.FromLonLat(c.lon, c.lat)
		if math.Abs(xy.X-c.x) > 0.011 || math.Abs(xy.Y-c.y) > 0.011 {
			t.Errorf("FromLonLat(%v, %v) = %.3f, %.3f; netconvert: %v, %v", c.lon, c.lat, xy.X, xy.Y, c.x, c.y)
		}
	}
}

func TestProjectionRejects(t *testing.T) {
	for _, params := range []string{"!", "", "+proj=lcc +lat_1=49 +lat_2=50", "+proj=utm +zone=99",
		"+proj=utm +zone=32 +ellps=bessel", "+proj=tmerc +k=abc", "+proj=utm +zone=32 +units=ft"} {
		if _, err := NewProjection(Location{ProjParameter: params}); err == nil {
			t.Errorf("NewProjection(%q) accepted", params)
		}
	}
}
