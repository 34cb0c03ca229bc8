package traci

import "math"

// SimVar is a simulation variable a subscription may ask for.
type SimVar byte

// Simulation variables.
const (
	SimTime                SimVar = varTime             // the time reached, s
	SimDepartedIDs         SimVar = varDepartedIDs      // vehicles inserted in the last step
	SimArrivedIDs          SimVar = varArrivedIDs       // vehicles that arrived (left the network) in the last step
	SimTeleportStartingIDs SimVar = varTeleportStartIDs // vehicles SUMO teleported away (jammed) in the last step
	SimLoadedIDs           SimVar = varLoadedIDs        // vehicles loaded (not yet inserted) in the last step
	SimMinExpectedNumber   SimVar = varMinExpected      // vehicles running or still to come
)

// VehicleVar is a vehicle variable a subscription may ask for.
type VehicleVar byte

// Vehicle variables.
const (
	VehPosition     VehicleVar = varPosition    // X, Y: network coordinates, m
	VehSpeed        VehicleVar = varSpeed       // m/s
	VehAngle        VehicleVar = varAngle       // heading, degrees clockwise from north
	VehRoadID       VehicleVar = varRoadID      // edge (or internal edge ":junction_n")
	VehLaneID       VehicleVar = varLaneID      // lane
	VehLaneIndex    VehicleVar = varLaneIndex   // 0 = rightmost lane
	VehLanePosition VehicleVar = varLanePos     // distance from the lane's start, m
	VehRouteID      VehicleVar = varRouteID     // the route's id
	VehRouteIndex   VehicleVar = varRouteIndex  // index of the current edge in the route
	VehEdges        VehicleVar = varEdges       // the route's edges
	VehTypeID       VehicleVar = varType        // vehicle type
	VehDistance     VehicleVar = varDistance    // odometer since departure, m
	VehWaitingTime  VehicleVar = varWaitingTime // time spent below 0.1 m/s since it last moved, s
)

// DefaultVehicleVars is what SubscribeVehicle asks for when given no
// variables: where the vehicle is and how fast it goes.
var DefaultVehicleVars = []VehicleVar{VehPosition, VehSpeed, VehAngle, VehRoadID, VehLaneID, VehLanePosition}

// TLVar is a traffic-light variable a subscription may ask for.
type TLVar byte

// Traffic-light variables.
const (
	TLState         TLVar = tlState          // red-yellow-green state, one character per link index
	TLPhase         TLVar = tlCurrentPhase   // index of the current phase in the program
	TLProgram       TLVar = tlCurrentProgram // id of the running program
	TLNextSwitch    TLVar = tlNextSwitch     // absolute time of the next phase change, s
	TLPhaseDuration TLVar = tlPhaseDuration  // total duration of the current phase, s
)

// SimState is the simulation's subscribed variables after a step. Fields
// not subscribed stay zero (Time is NaN).
type SimState struct {
	Time           float64
	DepartedIDs    []string
	ArrivedIDs     []string
	TeleportingIDs []string
	LoadedIDs      []string
	MinExpected    int
	// Err is SUMO's message for a variable it could not give, if any.
	Err string
}

// VehicleState is one vehicle's subscribed variables after a step. Fields
// not subscribed stay zero.
type VehicleState struct {
	ID           string
	X, Y         float64
	Speed        float64
	Angle        float64
	RoadID       string
	LaneID       string
	LaneIndex    int
	LanePosition float64
	RouteID      string
	RouteIndex   int
	Edges        []string
	TypeID       string
	Distance     float64
	WaitingTime  float64
	// Err is SUMO's message for a variable it could not give, if any.
	Err string
}

// TrafficLightState is one traffic light's subscribed variables after a step.
type TrafficLightState struct {
	ID            string
	State         string
	Phase         int
	Program       string
	NextSwitch    float64
	PhaseDuration float64
	Err           string
}

// StepResult is what a step returns: the subscription results. It belongs
// to the client and is overwritten by the next Step: copy what must
// outlive it. Its strings may be kept (they are immutable).
type StepResult struct {
	Sim           SimState
	Vehicles      []VehicleState
	TrafficLights []TrafficLightState
}

// reset empties the result, keeping its memory.
func (r *StepResult) reset() {
	r.Sim = SimState{Time: math.NaN(), DepartedIDs: r.Sim.DepartedIDs[:0], ArrivedIDs: r.Sim.ArrivedIDs[:0],
		TeleportingIDs: r.Sim.TeleportingIDs[:0], LoadedIDs: r.Sim.LoadedIDs[:0]}
	r.Vehicles = r.Vehicles[:0]
	r.TrafficLights = r.TrafficLights[:0]
}

// nextVehicle appends a cleared vehicle, reusing a previous step's Edges.
func (r *StepResult) nextVehicle() *VehicleState {
	if len(r.Vehicles) < cap(r.Vehicles) {
		r.Vehicles = r.Vehicles[:len(r.Vehicles)+1]
		v := &r.Vehicles[len(r.Vehicles)-1]
		*v = VehicleState{Edges: v.Edges[:0]}
		return v
	}
	r.Vehicles = append(r.Vehicles, VehicleState{})
	return &r.Vehicles[len(r.Vehicles)-1]
}

// Step advances the simulation to time until (seconds), or by exactly one
// step when until is 0, and returns the subscription results at the time
// reached. A lost connection or a SUMO that exited is a *ConnectionError
// naming the target time.
func (c *Client) Step(until float64) (*StepResult, error) {
	if err := c.usableAt("simulationStep", until, true); err != nil {
		return nil, err
	}
	c.enc.reset()
	c.enc.begin(cmdSimStep)
	c.enc.f64(until)
	c.enc.end()
	c.pending = append(c.pending[:0], pendingCmd{cmd: cmdSimStep, name: "simulationStep"})
	d, err := c.roundTrip("simulationStep", until, true)
	if err != nil {
		return nil, err
	}
	if err := c.status(d, &c.pending[0]); err != nil {
		return nil, c.fatalIfProtocol("simulationStep", until, true, err)
	}
	decodeStep(d, &c.step)
	c.expectMessageEnd(d)
	if d.err != nil {
		return nil, c.fail("simulationStep", until, true, d.err)
	}
	return &c.step, nil
}

// decodeStep reads a step's subscription results (after its status) into
// res. Problems are left in d.err.
func decodeStep(d *decoder, res *StepResult) {
	res.reset()
	n := d.count("subscription result count", 2)
	for i := 0; i < n && d.err == nil; i++ {
		decodeSubscription(d, res)
	}
}

// decodeSubscription reads one variable-subscription response into res.
func decodeSubscription(d *decoder, res *StepResult) {
	id, end := d.cmdHeader("subscription result")
	obj := d.str("subscription object id")
	nvars := int(d.u8("subscription variable count"))
	if d.err != nil {
		return
	}
	switch id {
	case cmdSubscribeSim + responseOffset:
		for k := 0; k < nvars && d.err == nil; k++ {
			decodeSimVar(d, &res.Sim)
		}
	case cmdSubscribeVehicle + responseOffset:
		v := res.nextVehicle()
		v.ID = obj
		for k := 0; k < nvars && d.err == nil; k++ {
			decodeVehicleVar(d, v)
		}
	case cmdSubscribeTL + responseOffset:
		res.TrafficLights = append(res.TrafficLights, TrafficLightState{ID: obj})
		tl := &res.TrafficLights[len(res.TrafficLights)-1]
		for k := 0; k < nvars && d.err == nil; k++ {
			decodeTLVar(d, tl)
		}
	default:
		d.fail("subscription result of response 0x%02x: not a subscription this client makes", id)
		return
	}
	d.expectEnd(end, "subscription result")
}

// varStatus reads a subscribed variable's id and status. On a failed
// status it reads SUMO's message and returns it with ok=false.
func varStatus(d *decoder) (varID byte, msg string, ok bool) {
	varID = d.u8("subscription variable")
	st := d.u8("subscription variable status")
	if d.err != nil {
		return 0, "", false
	}
	if st != rtypeOK {
		return varID, d.typedString("subscription variable error"), false
	}
	return varID, "", true
}

func decodeSimVar(d *decoder, s *SimState) {
	varID, msg, ok := varStatus(d)
	if !ok {
		if d.err == nil && s.Err == "" {
			s.Err = msg
		}
		return
	}
	switch SimVar(varID) {
	case SimTime:
		s.Time = d.typedDouble("simulation time")
	case SimDepartedIDs:
		s.DepartedIDs = d.typedStringList(s.DepartedIDs, "departed vehicle ids")
	case SimArrivedIDs:
		s.ArrivedIDs = d.typedStringList(s.ArrivedIDs, "arrived vehicle ids")
	case SimTeleportStartingIDs:
		s.TeleportingIDs = d.typedStringList(s.TeleportingIDs, "teleporting vehicle ids")
	case SimLoadedIDs:
		s.LoadedIDs = d.typedStringList(s.LoadedIDs, "loaded vehicle ids")
	case SimMinExpectedNumber:
		s.MinExpected = int(d.typedInt("min expected number"))
	default:
		d.fail("simulation variable 0x%02x: not one this client subscribes to", varID)
	}
}

func decodeVehicleVar(d *decoder, v *VehicleState) {
	varID, msg, ok := varStatus(d)
	if !ok {
		if d.err == nil && v.Err == "" {
			v.Err = msg
		}
		return
	}
	switch VehicleVar(varID) {
	case VehPosition:
		if d.expectType(type2D, "vehicle position") {
			v.X = d.f64("vehicle x")
			v.Y = d.f64("vehicle y")
		}
	case VehSpeed:
		v.Speed = d.typedDouble("vehicle speed")
	case VehAngle:
		v.Angle = d.typedDouble("vehicle angle")
	case VehRoadID:
		v.RoadID = d.typedString("vehicle road id")
	case VehLaneID:
		v.LaneID = d.typedString("vehicle lane id")
	case VehLaneIndex:
		v.LaneIndex = int(d.typedInt("vehicle lane index"))
	case VehLanePosition:
		v.LanePosition = d.typedDouble("vehicle lane position")
	case VehRouteID:
		v.RouteID = d.typedString("vehicle route id")
	case VehRouteIndex:
		v.RouteIndex = int(d.typedInt("vehicle route index"))
	case VehEdges:
		v.Edges = d.typedStringList(v.Edges, "vehicle route edges")
	case VehTypeID:
		v.TypeID = d.typedString("vehicle type")
	case VehDistance:
		v.Distance = d.typedDouble("vehicle distance")
	case VehWaitingTime:
		v.WaitingTime = d.typedDouble("vehicle waiting time")
	default:
		d.fail("vehicle variable 0x%02x: not one this client subscribes to", varID)
	}
}

func decodeTLVar(d *decoder, tl *TrafficLightState) {
	varID, msg, ok := varStatus(d)
	if !ok {
		if d.err == nil && tl.Err == "" {
			tl.Err = msg
		}
		return
	}
	switch TLVar(varID) {
	case TLState:
		tl.State = d.typedString("traffic light state")
	case TLPhase:
		tl.Phase = int(d.typedInt("traffic light phase"))
	case TLProgram:
		tl.Program = d.typedString("traffic light program")
	case TLNextSwitch:
		tl.NextSwitch = d.typedDouble("traffic light next switch")
	case TLPhaseDuration:
		tl.PhaseDuration = d.typedDouble("traffic light phase duration")
	default:
		d.fail("traffic light variable 0x%02x: not one this client subscribes to", varID)
	}
}

// subscribe sends a variable subscription for the whole simulation and
// reads the first result SUMO sends back with its status (discarded: the
// values of the current time step arrive with the next Step as well).
// With no variables it cancels the object's subscription.
func (c *Client) subscribe(cmd byte, object, name string, vars []byte) error {
	if err := c.usable(name); err != nil {
		return err
	}
	if len(vars) > 255 {
		return &CommandError{Cmd: cmd, Name: name, Object: object, Status: rtypeErr, Msg: "more than 255 variables (refused by the client)"}
	}
	c.enc.reset()
	c.enc.begin(cmd)
	c.enc.f64(invalidDouble)
	c.enc.f64(invalidDouble)
	c.enc.str(object)
	c.enc.u8(byte(len(vars)))
	for _, v := range vars {
		c.enc.u8(v)
	}
	c.enc.end()
	c.pending = append(c.pending[:0], pendingCmd{cmd: cmd, object: object, name: name})
	d, err := c.roundTrip(name, 0, false)
	if err != nil {
		return err
	}
	if err := c.status(d, &c.pending[0]); err != nil {
		return c.fatalIfProtocol(name, 0, false, err)
	}
	if len(vars) > 0 {
		var scratch StepResult
		scratch.reset()
		decodeSubscription(d, &scratch)
		if d.err == nil {
			var got string
			switch {
			case len(scratch.Vehicles) == 1:
				got = scratch.Vehicles[0].ID
			case len(scratch.TrafficLights) == 1:
				got = scratch.TrafficLights[0].ID
			}
			if cmd != cmdSubscribeSim && got != object {
				d.fail("%s: first result is for %q, want %q", name, got, object)
			}
		}
	}
	c.expectMessageEnd(d)
	if d.err != nil {
		return c.fail(name, 0, false, d.err)
	}
	return nil
}

// SubscribeSimulation asks for simulation variables with every step
// (StepResult.Sim), replacing an earlier simulation subscription. Typical:
// SimTime, SimDepartedIDs, SimArrivedIDs.
func (c *Client) SubscribeSimulation(vars ...SimVar) error {
	b := make([]byte, len(vars))
	for i, v := range vars {
		switch v {
		case SimTime, SimDepartedIDs, SimArrivedIDs, SimTeleportStartingIDs, SimLoadedIDs, SimMinExpectedNumber:
		default:
			return unknownVar("simulation.subscribe", cmdSubscribeSim, "", byte(v))
		}
		b[i] = byte(v)
	}
	return c.subscribe(cmdSubscribeSim, "", "simulation.subscribe", b)
}

// SubscribeVehicle asks for a vehicle's variables with every step
// (StepResult.Vehicles), replacing an earlier subscription to it; no
// variables means DefaultVehicleVars. The vehicle must be in the network
// (departed): subscribe to the ids of SimDepartedIDs. SUMO ends the
// subscription when the vehicle arrives.
func (c *Client) SubscribeVehicle(id string, vars ...VehicleVar) error {
	if len(vars) == 0 {
		vars = DefaultVehicleVars
	}
	b := make([]byte, len(vars))
	for i, v := range vars {
		switch v {
		case VehPosition, VehSpeed, VehAngle, VehRoadID, VehLaneID, VehLaneIndex, VehLanePosition,
			VehRouteID, VehRouteIndex, VehEdges, VehTypeID, VehDistance, VehWaitingTime:
		default:
			return unknownVar("vehicle.subscribe", cmdSubscribeVehicle, id, byte(v))
		}
		b[i] = byte(v)
	}
	return c.subscribe(cmdSubscribeVehicle, id, "vehicle.subscribe", b)
}

// UnsubscribeVehicle ends a vehicle subscription.
func (c *Client) UnsubscribeVehicle(id string) error {
	return c.subscribe(cmdSubscribeVehicle, id, "vehicle.unsubscribe", nil)
}

// SubscribeTrafficLight asks for a traffic light's variables with every
// step (StepResult.TrafficLights); no variables means TLState and TLPhase.
func (c *Client) SubscribeTrafficLight(id string, vars ...TLVar) error {
	if len(vars) == 0 {
		vars = []TLVar{TLState, TLPhase}
	}
	b := make([]byte, len(vars))
	for i, v := range vars {
		switch v {
		case TLState, TLPhase, TLProgram, TLNextSwitch, TLPhaseDuration:
		default:
			return unknownVar("trafficlight.subscribe", cmdSubscribeTL, id, byte(v))
		}
		b[i] = byte(v)
	}
	return c.subscribe(cmdSubscribeTL, id, "trafficlight.subscribe", b)
}

// unknownVar refuses a subscription to a variable this client cannot
// decode, before anything is sent.
func unknownVar(name string, cmd byte, object string, v byte) error {
	return &CommandError{Cmd: cmd, Var: v, Name: name, Object: object, Status: rtypeErr,
		Msg: "variable not supported by this client (refused before sending)"}
}
