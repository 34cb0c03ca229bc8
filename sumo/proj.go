package sumo

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Projection converts between a network's coordinates and longitude and
// latitude. It implements the projections netconvert writes for imported
// maps: UTM (+proj=utm, what --proj.utm and OSM imports use) and general
// transverse Mercator (+proj=tmerc), on the WGS84 or GRS80 ellipsoid, with
// Snyder's series (USGS Professional Paper 1395, §8), which are accurate
// to well under a centimetre within a UTM zone.
type Projection struct {
	offset XY // network = projected + offset

	a, e2, ep2 float64 // semi-major axis, eccentricity², second eccentricity²
	k0         float64 // scale on the central meridian
	lon0, lat0 float64 // radians
	x0, y0     float64 // false easting and northing, m
	m0         float64 // meridian distance of lat0
}

// NewProjection builds the projection of a network's location. A network
// without geo-reference (projParameter "!") or with a projection other
// than UTM or transverse Mercator is an error that says how to rebuild it.
func NewProjection(loc Location) (*Projection, error) {
	params := strings.TrimSpace(loc.ProjParameter)
	if params == "" || params == "!" {
		return nil, fmt.Errorf("the network is not geo-referenced (projParameter %q): rebuild it with netconvert --proj.utm from geographic input", params)
	}
	kv := map[string]string{}
	for _, f := range strings.Fields(params) {
		f = strings.TrimPrefix(f, "+")
		k, v, _ := strings.Cut(f, "=")
		kv[k] = v
	}
	p := &Projection{offset: loc.NetOffset, k0: 1}
	switch e := kv["ellps"]; e {
	case "WGS84", "GRS80", "":
		if d := kv["datum"]; d != "" && d != "WGS84" {
			return nil, fmt.Errorf("projection %q: datum %q is not supported (WGS84 only)", params, d)
		}
		p.a, p.e2 = 6378137, 0.0066943799901413165 // WGS84; GRS80 differs by 1e-10
	default:
		return nil, fmt.Errorf("projection %q: ellipsoid %q is not supported (WGS84 or GRS80)", params, e)
	}
	if u := kv["units"]; u != "" && u != "m" {
		return nil, fmt.Errorf("projection %q: units %q are not supported (metres only)", params, u)
	}
	num := func(key string, def float64) (float64, error) {
		v, ok := kv[key]
		if !ok {
			return def, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("projection %q: +%s=%q is not a number", params, key, v)
		}
		return f, nil
	}
	switch kv["proj"] {
	case "utm":
		zone, err := strconv.Atoi(kv["zone"])
		if err != nil || zone < 1 || zone > 60 {
			return nil, fmt.Errorf("projection %q: UTM zone %q is not in 1..60", params, kv["zone"])
		}
		p.lon0 = float64(zone*6-183) * math.Pi / 180
		p.k0 = 0.9996
		p.x0 = 500000
		if _, south := kv["south"]; south {
			p.y0 = 10000000
		}
	case "tmerc":
		var lon0, lat0 float64
		var err error
		if lon0, err = num("lon_0", 0); err != nil {
			return nil, err
		}
		if lat0, err = num("lat_0", 0); err != nil {
			return nil, err
		}
		if p.k0, err = num("k", 1); err != nil {
			return nil, err
		}
		if _, ok := kv["k_0"]; ok {
			if p.k0, err = num("k_0", 1); err != nil {
				return nil, err
			}
		}
		if p.x0, err = num("x_0", 0); err != nil {
			return nil, err
		}
		if p.y0, err = num("y_0", 0); err != nil {
			return nil, err
		}
		if p.k0 <= 0 || math.Abs(lat0) > 90 || math.Abs(lon0) > 180 {
			return nil, fmt.Errorf("projection %q: parameters out of range", params)
		}
		p.lon0, p.lat0 = lon0*math.Pi/180, lat0*math.Pi/180
	default:
		return nil, fmt.Errorf("projection %q is not supported (UTM or transverse Mercator): rebuild the network with netconvert --proj.utm", params)
	}
	p.ep2 = p.e2 / (1 - p.e2)
	p.m0 = p.meridian(p.lat0)
	return p, nil
}

// meridian is the distance along the meridian from the equator to lat.
func (p *Projection) meridian(lat float64) float64 {
	e2, e4 := p.e2, p.e2*p.e2
	e6 := e4 * p.e2
	return p.a * ((1-e2/4-3*e4/64-5*e6/256)*lat -
		(3*e2/8+3*e4/32+45*e6/1024)*math.Sin(2*lat) +
		(15*e4/256+45*e6/1024)*math.Sin(4*lat) -
		(35*e6/3072)*math.Sin(6*lat))
}

// ToLonLat converts network coordinates to longitude and latitude
// (degrees).
func (p *Projection) ToLonLat(pt XY) (lon, lat float64) {
	x := pt.X - p.offset.X - p.x0
	y := pt.Y - p.offset.Y - p.y0
	e2 := p.e2
	m := p.m0 + y/p.k0
	mu := m / (p.a * (1 - e2/4 - 3*e2*e2/64 - 5*e2*e2*e2/256))
	s := math.Sqrt(1 - e2)
	e1 := (1 - s) / (1 + s)
	phi1 := mu + (3*e1/2-27*e1*e1*e1/32)*math.Sin(2*mu) +
		(21*e1*e1/16-55*e1*e1*e1*e1/32)*math.Sin(4*mu) +
		(151*e1*e1*e1/96)*math.Sin(6*mu) +
		(1097*e1*e1*e1*e1/512)*math.Sin(8*mu)
	sin1, cos1 := math.Sincos(phi1)
	tan1 := sin1 / cos1
	c1 := p.ep2 * cos1 * cos1
	t1 := tan1 * tan1
	w := 1 - e2*sin1*sin1
	n1 := p.a / math.Sqrt(w)
	r1 := p.a * (1 - e2) / (w * math.Sqrt(w))
	d := x / (n1 * p.k0)
	d2 := d * d
	phi := phi1 - (n1*tan1/r1)*(d2/2-
		(5+3*t1+10*c1-4*c1*c1-9*p.ep2)*d2*d2/24+
		(61+90*t1+298*c1+45*t1*t1-252*p.ep2-3*c1*c1)*d2*d2*d2/720)
	lam := p.lon0 + (d-(1+2*t1+c1)*d2*d/6+
		(5-2*c1+28*t1-3*c1*c1+8*p.ep2+24*t1*t1)*d2*d2*d/120)/cos1
	return lam * 180 / math.Pi, phi * 180 / math.Pi
}

// FromLonLat converts longitude and latitude (degrees) to network
// coordinates.
func (p *Projection) FromLonLat(lon, lat float64) XY {
	phi := lat * math.Pi / 180
	lam := lon * math.Pi / 180
	sin, cos := math.Sincos(phi)
	tan := sin / cos
	n := p.a / math.Sqrt(1-p.e2*sin*sin)
	t := tan * tan
	c := p.ep2 * cos * cos
	a := (lam - p.lon0) * cos
	a2 := a * a
	m := p.meridian(phi)
	x := p.k0 * n * (a + (1-t+c)*a2*a/6 + (5-18*t+t*t+72*c-58*p.ep2)*a2*a2*a/120)
	y := p.k0 * (m - p.m0 + n*tan*(a2/2+(5-t+9*c+4*c*c)*a2*a2/24+(61-58*t+t*t+600*c-330*p.ep2)*a2*a2*a2/720))
	return XY{X: x + p.x0 + p.offset.X, Y: y + p.y0 + p.offset.Y}
}
