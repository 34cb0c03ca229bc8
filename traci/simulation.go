package traci

// Position is a point in the network's coordinates (metres, x east, y
// north, as in the .net.xml).
type Position struct{ X, Y float64 }

// LonLat is a geographic point (degrees, WGS84).
type LonLat struct{ Lon, Lat float64 }

// Route is a route SUMO computed: its edges, its expected travel time (s)
// and its length (m).
type Route struct {
	Edges      []string
	TravelTime float64
	Length     float64
}

// Time returns the current simulation time, s.
func (c *Client) Time() (float64, error) {
	return c.getDouble(cmdGetSim, varTime, "", "simulation.getTime")
}

// DeltaT returns the length of one simulation step, s.
func (c *Client) DeltaT() (float64, error) {
	return c.getDouble(cmdGetSim, varDeltaT, "", "simulation.getDeltaT")
}

// MinExpectedNumber returns the number of vehicles in the network plus
// those still to be inserted: 0 means the simulation has nothing left to
// do.
func (c *Client) MinExpectedNumber() (int, error) {
	return c.getInt(cmdGetSim, varMinExpected, "", "simulation.getMinExpectedNumber")
}

// ToGeo converts network coordinates to longitude and latitude with the
// network's projection.
func (c *Client) ToGeo(p Position) (LonLat, error) {
	out, err := c.ToGeoMany([]Position{p}, nil)
	if err != nil {
		return LonLat{}, err
	}
	return out[0], nil
}

// FromGeo converts longitude and latitude to network coordinates.
func (c *Client) FromGeo(ll LonLat) (Position, error) {
	if err := c.usable("simulation.convertGeo"); err != nil {
		return Position{}, err
	}
	c.beginCmd(cmdGetSim, varPositionConversion, "")
	c.enc.compound(2)
	c.enc.u8(typeLonLat)
	c.enc.f64(ll.Lon)
	c.enc.f64(ll.Lat)
	c.enc.typedUByte(type2D)
	var p Position
	err := c.get(pendingCmd{cmd: cmdGetSim, varID: varPositionConversion, name: "simulation.convertGeo", get: true},
		func(d *decoder) {
			if d.expectType(type2D, "converted position") {
				p.X, p.Y = d.f64("x"), d.f64("y")
			}
		})
	return p, err
}

// maxBatch bounds the commands of one batched message: well below what
// SUMO accepts, and large enough that the round trip is amortised.
const maxBatch = 4096

// ToGeoMany converts many points in few round trips (one per maxBatch
// points), appending the results to dst. A co-simulation converts every
// tracked vehicle's position every step: one exchange instead of one per
// vehicle.
func (c *Client) ToGeoMany(ps []Position, dst []LonLat) ([]LonLat, error) {
	const name = "simulation.convertGeo"
	for len(ps) > 0 {
		n := min(len(ps), maxBatch)
		if err := c.usable(name); err != nil {
			return dst, err
		}
		c.enc.reset()
		c.pending = c.pending[:0]
		for _, p := range ps[:n] {
			c.enc.begin(cmdGetSim)
			c.enc.u8(varPositionConversion)
			c.enc.str("")
			c.enc.compound(2)
			c.enc.u8(type2D)
			c.enc.f64(p.X)
			c.enc.f64(p.Y)
			c.enc.typedUByte(typeLonLat)
			c.enc.end()
			c.pending = append(c.pending, pendingCmd{cmd: cmdGetSim, varID: varPositionConversion, name: name, get: true})
		}
		d, err := c.roundTrip(name, 0, false)
		if err != nil {
			return dst, err
		}
		var first error
		for i := range c.pending {
			end, err := c.getHeader(d, &c.pending[i])
			if err != nil {
				if d.err != nil {
					return dst, c.fail(name, 0, false, d.err)
				}
				if first == nil {
					first = err
				}
				continue
			}
			var ll LonLat
			if d.expectType(typeLonLat, "converted position") {
				ll.Lon, ll.Lat = d.f64("lon"), d.f64("lat")
			}
			d.expectEnd(end, "response")
			dst = append(dst, ll)
		}
		c.expectMessageEnd(d)
		if d.err != nil {
			return dst, c.fail(name, 0, false, d.err)
		}
		if first != nil {
			return dst, first
		}
		ps = ps[n:]
	}
	return dst, nil
}

// FindRoute asks SUMO for the fastest route between two edges for a
// vehicle type ("" for SUMO's default type), at the current travel times.
func (c *Client) FindRoute(fromEdge, toEdge, vehicleType string) (Route, error) {
	const name = "simulation.findRoute"
	if err := c.usable(name); err != nil {
		return Route{}, err
	}
	c.beginCmd(cmdGetSim, varFindRoute, "")
	c.enc.compound(5)
	c.enc.typedString(fromEdge)
	c.enc.typedString(toEdge)
	c.enc.typedString(vehicleType)
	c.enc.typedDouble(-1) // depart: now
	c.enc.typedInt(0)     // routing mode: default
	var r Route
	err := c.get(pendingCmd{cmd: cmdGetSim, varID: varFindRoute, name: name, get: true}, func(d *decoder) {
		if !d.compoundOf(13, "route stage") {
			return
		}
		d.typedInt("stage type")
		d.typedString("stage vehicle type")
		d.typedString("stage line")
		d.typedString("stage destination stop")
		r.Edges = d.typedStringList(nil, "stage edges")
		r.TravelTime = d.typedDouble("stage travel time")
		d.typedDouble("stage cost")
		r.Length = d.typedDouble("stage length")
		d.typedString("stage intended")
		d.typedDouble("stage depart")
		d.typedDouble("stage depart position")
		d.typedDouble("stage arrival position")
		d.typedString("stage description")
	})
	return r, err
}

// RoadPosition is a place on the road network: an edge (or an internal
// ":junction" edge), the distance along it and the lane.
type RoadPosition struct {
	EdgeID    string
	Pos       float64 // m from the edge's start
	LaneIndex int
}

// ToRoad maps longitude and latitude to the nearest lane open to vClass
// ("" for any). On a two-way street the nearest lane may be either
// direction's.
func (c *Client) ToRoad(ll LonLat, vClass string) (RoadPosition, error) {
	const name = "simulation.convertRoad"
	if err := c.usable(name); err != nil {
		return RoadPosition{}, err
	}
	if vClass == "" {
		vClass = "ignoring"
	}
	c.beginCmd(cmdGetSim, varPositionConversion, "")
	c.enc.compound(3)
	c.enc.u8(typeLonLat)
	c.enc.f64(ll.Lon)
	c.enc.f64(ll.Lat)
	c.enc.typedUByte(typeRoadMap)
	c.enc.typedString(vClass)
	var rp RoadPosition
	err := c.get(pendingCmd{cmd: cmdGetSim, varID: varPositionConversion, name: name, get: true},
		func(d *decoder) {
			if d.expectType(typeRoadMap, "road position") {
				rp.EdgeID = d.str("road position edge")
				rp.Pos = d.f64("road position offset")
				rp.LaneIndex = int(d.u8("road position lane"))
			}
		})
	return rp, err
}
