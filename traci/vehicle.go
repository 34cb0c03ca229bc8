package traci

// VehicleAdd describes a vehicle to insert (SUMO's <vehicle> attributes).
// Empty strings take SUMO's defaults.
type VehicleAdd struct {
	ID      string
	RouteID string // a route added with AddRoute or loaded from a file; "" puts it on a random edge
	TypeID  string // "" is SUMO's DEFAULT_VEHTYPE
	// Depart is the insertion time: "now", or seconds as a decimal
	// string. "" means "now".
	Depart       string
	DepartLane   string // "best", "free", "first", a lane index, ...; "" means "first"
	DepartPos    string // "base", "free", metres, ...; "" means "base"
	DepartSpeed  string // "max", "desired", "avg", m/s, ...; "" means "0"
	ArrivalLane  string // "" means "current"
	ArrivalPos   string // "" means "max" (the end of the last edge)
	ArrivalSpeed string // "" means "current"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// AddVehicle inserts a vehicle (SUMO inserts it at its depart time, once
// there is room; watch SimDepartedIDs).
func (c *Client) AddVehicle(v VehicleAdd) error {
	const name = "vehicle.add"
	if err := c.usable(name); err != nil {
		return err
	}
	c.beginCmd(cmdSetVehicle, varAddFull, v.ID)
	c.enc.compound(14)
	c.enc.typedString(v.RouteID)
	c.enc.typedString(orDefault(v.TypeID, "DEFAULT_VEHTYPE"))
	c.enc.typedString(orDefault(v.Depart, "now"))
	c.enc.typedString(orDefault(v.DepartLane, "first"))
	c.enc.typedString(orDefault(v.DepartPos, "base"))
	c.enc.typedString(orDefault(v.DepartSpeed, "0"))
	c.enc.typedString(orDefault(v.ArrivalLane, "current"))
	c.enc.typedString(orDefault(v.ArrivalPos, "max"))
	c.enc.typedString(orDefault(v.ArrivalSpeed, "current"))
	c.enc.typedString("") // from TAZ
	c.enc.typedString("") // to TAZ
	c.enc.typedString("") // line
	c.enc.typedInt(0)     // person capacity
	c.enc.typedInt(0)     // person number
	return c.set(pendingCmd{cmd: cmdSetVehicle, varID: varAddFull, object: v.ID, name: name})
}

// RemoveReason is why a vehicle is removed (SUMO's REMOVE_* codes).
type RemoveReason int8

// Removal reasons.
const (
	RemoveTeleport        RemoveReason = 0
	RemoveParking         RemoveReason = 1
	RemoveArrived         RemoveReason = 2
	RemoveVaporized       RemoveReason = 3
	RemoveTeleportArrived RemoveReason = 4
)

// RemoveVehicle takes a vehicle out of the simulation.
func (c *Client) RemoveVehicle(id string, reason RemoveReason) error {
	const name = "vehicle.remove"
	if err := c.usable(name); err != nil {
		return err
	}
	c.beginCmd(cmdSetVehicle, varRemove, id)
	c.enc.typedByte(int8(reason))
	return c.set(pendingCmd{cmd: cmdSetVehicle, varID: varRemove, object: id, name: name})
}

// SetVehicleRoute replaces a vehicle's route by edges; the first must be
// the edge it is on (or, before it departs, its first edge).
func (c *Client) SetVehicleRoute(id string, edges []string) error {
	const name = "vehicle.setRoute"
	if err := c.usable(name); err != nil {
		return err
	}
	c.beginCmd(cmdSetVehicle, varRoute, id)
	c.enc.typedStringList(edges)
	return c.set(pendingCmd{cmd: cmdSetVehicle, varID: varRoute, object: id, name: name})
}

// SetVehicleRouteID replaces a vehicle's route by a known route.
func (c *Client) SetVehicleRouteID(id, routeID string) error {
	return c.setString(cmdSetVehicle, varRouteID, id, "vehicle.setRouteID", routeID)
}

// ChangeVehicleTarget sets a vehicle's destination edge; SUMO reroutes it
// by the fastest route.
func (c *Client) ChangeVehicleTarget(id, edgeID string) error {
	return c.setString(cmdSetVehicle, cmdChangeTarget, id, "vehicle.changeTarget", edgeID)
}

// SetVehicleType changes a vehicle's type.
func (c *Client) SetVehicleType(id, typeID string) error {
	return c.setString(cmdSetVehicle, varType, id, "vehicle.setType", typeID)
}

// SetVehicleColor colours a vehicle (what sumo-gui shows).
func (c *Client) SetVehicleColor(id string, r, g, b, a uint8) error {
	const name = "vehicle.setColor"
	if err := c.usable(name); err != nil {
		return err
	}
	c.beginCmd(cmdSetVehicle, varColor, id)
	c.enc.u8(typeColor)
	c.enc.u8(r)
	c.enc.u8(g)
	c.enc.u8(b)
	c.enc.u8(a)
	return c.set(pendingCmd{cmd: cmdSetVehicle, varID: varColor, object: id, name: name})
}

// VehicleIDs returns the ids of the vehicles in the network.
func (c *Client) VehicleIDs() ([]string, error) {
	return c.getStringList(cmdGetVehicle, varIDList, "", "vehicle.getIDList")
}

// VehicleRoute returns the edges of a vehicle's route.
func (c *Client) VehicleRoute(id string) ([]string, error) {
	return c.getStringList(cmdGetVehicle, varEdges, id, "vehicle.getRoute")
}

// VehicleRoadID returns the edge a vehicle is on.
func (c *Client) VehicleRoadID(id string) (string, error) {
	return c.getString(cmdGetVehicle, varRoadID, id, "vehicle.getRoadID")
}

// VehicleSpeed returns a vehicle's speed, m/s.
func (c *Client) VehicleSpeed(id string) (float64, error) {
	return c.getDouble(cmdGetVehicle, varSpeed, id, "vehicle.getSpeed")
}

// VehiclePosition returns a vehicle's position in network coordinates.
func (c *Client) VehiclePosition(id string) (Position, error) {
	const name = "vehicle.getPosition"
	if err := c.usable(name); err != nil {
		return Position{}, err
	}
	c.beginCmd(cmdGetVehicle, varPosition, id)
	var p Position
	err := c.get(pendingCmd{cmd: cmdGetVehicle, varID: varPosition, object: id, name: name, get: true},
		func(d *decoder) {
			if d.expectType(type2D, "vehicle position") {
				p.X, p.Y = d.f64("x"), d.f64("y")
			}
		})
	return p, err
}

// AddRoute adds a route by its edges. Two edges that are not adjacent make
// a trip: a vehicle on it takes the fastest route between them.
func (c *Client) AddRoute(id string, edges []string) error {
	const name = "route.add"
	if err := c.usable(name); err != nil {
		return err
	}
	c.beginCmd(cmdSetRoute, varAdd, id)
	c.enc.typedStringList(edges)
	return c.set(pendingCmd{cmd: cmdSetRoute, varID: varAdd, object: id, name: name})
}

// RouteEdges returns a route's edges.
func (c *Client) RouteEdges(id string) ([]string, error) {
	return c.getStringList(cmdGetRoute, varEdges, id, "route.getEdges")
}

// CopyVehicleType creates type newID as a copy of type id (e.g. of
// "DEFAULT_VEHTYPE"), to be changed with SetTypeVClass.
func (c *Client) CopyVehicleType(id, newID string) error {
	return c.setString(cmdSetVehicleType, varCopy, id, "vehicletype.copy", newID)
}

// SetTypeVClass sets a vehicle type's class ("passenger", "emergency",
// ...), which decides the lanes its vehicles may use.
func (c *Client) SetTypeVClass(typeID, vClass string) error {
	return c.setString(cmdSetVehicleType, varVClass, typeID, "vehicletype.setVehicleClass", vClass)
}

// SetTypeSpeedDeviation sets the spread of a vehicle type's speed factor
// (0: every vehicle of the type drives at exactly its speed factor times
// the limit).
func (c *Client) SetTypeSpeedDeviation(typeID string, dev float64) error {
	return c.setDouble(cmdSetVehicleType, varSpeedDeviation, typeID, "vehicletype.setSpeedDeviation", dev)
}

// SetTypeImperfection sets a vehicle type's driver imperfection (the
// car-following model's sigma: 0 drives without random dawdling).
func (c *Client) SetTypeImperfection(typeID string, sigma float64) error {
	return c.setDouble(cmdSetVehicleType, varImperfection, typeID, "vehicletype.setImperfection", sigma)
}

// TypeVClass returns a vehicle type's class.
func (c *Client) TypeVClass(typeID string) (string, error) {
	return c.getString(cmdGetVehicleType, varVClass, typeID, "vehicletype.getVehicleClass")
}

// LaneLength returns a lane's length, m.
func (c *Client) LaneLength(laneID string) (float64, error) {
	return c.getDouble(cmdGetLane, varLength, laneID, "lane.getLength")
}

// setDouble sends a set command with one double value.
func (c *Client) setDouble(cmd, varID byte, object, name string, value float64) error {
	if err := c.usable(name); err != nil {
		return err
	}
	c.beginCmd(cmd, varID, object)
	c.enc.typedDouble(value)
	return c.set(pendingCmd{cmd: cmd, varID: varID, object: object, name: name})
}

// setString sends a set command with one string value.
func (c *Client) setString(cmd, varID byte, object, name, value string) error {
	if err := c.usable(name); err != nil {
		return err
	}
	c.beginCmd(cmd, varID, object)
	c.enc.typedString(value)
	return c.set(pendingCmd{cmd: cmd, varID: varID, object: object, name: name})
}
