package traci

// Phase is one phase of a traffic-light program.
type Phase struct {
	Duration float64 // s
	State    string  // one character per link index: rRyYgGsuoO
	MinDur   float64 // actuated programs' minimum, s (SUMO reports the duration otherwise)
	MaxDur   float64 // actuated programs' maximum, s
	Next     []int   // explicit successor phases, if any
	Name     string
}

// Logic is a traffic-light program.
type Logic struct {
	ProgramID    string
	Type         int // 0 static, 2 actuated, 3 NEMA, 4 delay-based, ...
	CurrentPhase int
	Phases       []Phase
	Params       map[string]string
}

// Link is one controlled connection of a traffic light: from an incoming
// lane, through an internal ("via") lane, to an outgoing lane.
type Link struct {
	From, Via, To string
}

// TrafficLightIDs returns the ids of all traffic lights.
func (c *Client) TrafficLightIDs() ([]string, error) {
	return c.getStringList(cmdGetTL, varIDList, "", "trafficlight.getIDList")
}

// RedYellowGreenState returns a traffic light's current state, one
// character per link index.
func (c *Client) RedYellowGreenState(tlsID string) (string, error) {
	return c.getString(cmdGetTL, tlState, tlsID, "trafficlight.getRedYellowGreenState")
}

// SetRedYellowGreenState sets a traffic light's state, one character per
// link index. The light keeps it until the program is set again
// (SetProgram) or another state is set.
func (c *Client) SetRedYellowGreenState(tlsID, state string) error {
	return c.setString(cmdSetTL, tlState, tlsID, "trafficlight.setRedYellowGreenState", state)
}

// Program returns the id of a traffic light's running program.
func (c *Client) Program(tlsID string) (string, error) {
	return c.getString(cmdGetTL, tlCurrentProgram, tlsID, "trafficlight.getProgram")
}

// SetProgram switches a traffic light to a loaded program ("off" switches
// it off). Setting the running program again ends a state set with
// SetRedYellowGreenState.
func (c *Client) SetProgram(tlsID, programID string) error {
	return c.setString(cmdSetTL, tlProgram, tlsID, "trafficlight.setProgram", programID)
}

// Phase returns the index of a traffic light's current phase.
func (c *Client) Phase(tlsID string) (int, error) {
	return c.getInt(cmdGetTL, tlCurrentPhase, tlsID, "trafficlight.getPhase")
}

// SetPhase switches a traffic light to a phase of its program at once.
func (c *Client) SetPhase(tlsID string, index int) error {
	const name = "trafficlight.setPhase"
	if err := c.usable(name); err != nil {
		return err
	}
	c.beginCmd(cmdSetTL, tlPhaseIndex, tlsID)
	c.enc.typedInt(int32(index))
	return c.set(pendingCmd{cmd: cmdSetTL, varID: tlPhaseIndex, object: tlsID, name: name})
}

// PhaseDuration returns the total duration of a traffic light's current
// phase, s.
func (c *Client) PhaseDuration(tlsID string) (float64, error) {
	return c.getDouble(cmdGetTL, tlPhaseDuration, tlsID, "trafficlight.getPhaseDuration")
}

// SetPhaseDuration sets the remaining duration of the current phase, s.
func (c *Client) SetPhaseDuration(tlsID string, remaining float64) error {
	const name = "trafficlight.setPhaseDuration"
	if err := c.usable(name); err != nil {
		return err
	}
	c.beginCmd(cmdSetTL, tlPhaseDuration, tlsID)
	c.enc.typedDouble(remaining)
	return c.set(pendingCmd{cmd: cmdSetTL, varID: tlPhaseDuration, object: tlsID, name: name})
}

// NextSwitch returns the absolute time a traffic light is next due to
// change phase, s.
func (c *Client) NextSwitch(tlsID string) (float64, error) {
	return c.getDouble(cmdGetTL, tlNextSwitch, tlsID, "trafficlight.getNextSwitch")
}

// ControlledLanes returns the incoming lane of each link index (a lane
// appears once per link it has).
func (c *Client) ControlledLanes(tlsID string) ([]string, error) {
	return c.getStringList(cmdGetTL, tlControlledLanes, tlsID, "trafficlight.getControlledLanes")
}

// ControlledLinks returns, for each link index, the connections it
// controls (usually one; more where a net shares an index).
func (c *Client) ControlledLinks(tlsID string) ([][]Link, error) {
	const name = "trafficlight.getControlledLinks"
	if err := c.usable(name); err != nil {
		return nil, err
	}
	c.beginCmd(cmdGetTL, tlControlledLinks, tlsID)
	var links [][]Link
	err := c.get(pendingCmd{cmd: cmdGetTL, varID: tlControlledLinks, object: tlsID, name: name, get: true},
		func(d *decoder) { links = decodeControlledLinks(d) })
	return links, err
}

// Minimum encoded sizes, to check counts against the bytes left before
// allocating.
const (
	minTypedIntBytes  = 5      // type, int32
	minLinkBytes      = 1 + 16 // type, count, three empty strings
	minPhaseBytes     = 5 + 6*5
	minLogicBytes     = 5 + 5*5
	minParameterBytes = 1 + 12
)

func decodeControlledLinks(d *decoder) [][]Link {
	items := d.compound("controlled links")
	signals := int(d.typedInt("controlled link count"))
	if d.err != nil {
		return nil
	}
	if signals < 0 || signals*minTypedIntBytes > d.remaining() {
		d.fail("controlled links: %d signals do not fit the %d bytes left", signals, d.remaining())
		return nil
	}
	links := make([][]Link, 0, signals)
	counted := 1 // the signal count is an item of the compound
	for i := 0; i < signals && d.err == nil; i++ {
		n := int(d.typedInt("links of a signal"))
		counted++
		if d.err == nil && (n < 0 || n*minLinkBytes > d.remaining()) {
			d.fail("controlled links: signal %d has %d links, which do not fit the %d bytes left", i, n, d.remaining())
			return nil
		}
		sig := make([]Link, 0, n)
		for k := 0; k < n && d.err == nil; k++ {
			var lanes [3]string
			parts := d.typedStringList(lanes[:0], "controlled link")
			counted++
			if d.err == nil && len(parts) != 3 {
				d.fail("controlled link %d/%d: %d lanes, want from, to, via", i, k, len(parts))
				return nil
			}
			if d.err == nil {
				sig = append(sig, Link{From: parts[0], To: parts[1], Via: parts[2]})
			}
		}
		links = append(links, sig)
	}
	if d.err == nil && counted != items {
		d.fail("controlled links: compound says %d items, found %d", items, counted)
	}
	return links
}

// ProgramLogics returns every program loaded for a traffic light
// (getCompleteRedYellowGreenDefinition).
func (c *Client) ProgramLogics(tlsID string) ([]Logic, error) {
	const name = "trafficlight.getAllProgramLogics"
	if err := c.usable(name); err != nil {
		return nil, err
	}
	c.beginCmd(cmdGetTL, tlCompleteDefinition, tlsID)
	var logics []Logic
	err := c.get(pendingCmd{cmd: cmdGetTL, varID: tlCompleteDefinition, object: tlsID, name: name, get: true},
		func(d *decoder) { logics = decodeLogics(d) })
	return logics, err
}

func decodeLogics(d *decoder) []Logic {
	n := d.compound("program logics")
	if d.err == nil && n*minLogicBytes > d.remaining() {
		d.fail("program logics: %d do not fit the %d bytes left", n, d.remaining())
	}
	var logics []Logic
	for i := 0; i < n && d.err == nil; i++ {
		if !d.compoundOf(5, "program logic") {
			break
		}
		l := Logic{
			ProgramID:    d.typedString("program id"),
			Type:         int(d.typedInt("program type")),
			CurrentPhase: int(d.typedInt("current phase")),
		}
		np := d.compound("phases")
		if d.err == nil && np*minPhaseBytes > d.remaining() {
			d.fail("phases: %d do not fit the %d bytes left", np, d.remaining())
		}
		for k := 0; k < np && d.err == nil; k++ {
			if !d.compoundOf(6, "phase") {
				break
			}
			ph := Phase{Duration: d.typedDouble("phase duration"), State: d.typedString("phase state"),
				MinDur: d.typedDouble("phase min duration"), MaxDur: d.typedDouble("phase max duration")}
			nn := d.compound("next phases")
			if d.err == nil && nn*minTypedIntBytes > d.remaining() {
				d.fail("next phases: %d do not fit the %d bytes left", nn, d.remaining())
			}
			for j := 0; j < nn && d.err == nil; j++ {
				ph.Next = append(ph.Next, int(d.typedInt("next phase")))
			}
			ph.Name = d.typedString("phase name")
			l.Phases = append(l.Phases, ph)
		}
		np = d.compound("program parameters")
		if d.err == nil && np*minParameterBytes > d.remaining() {
			d.fail("program parameters: %d do not fit the %d bytes left", np, d.remaining())
		}
		for k := 0; k < np && d.err == nil; k++ {
			var kv [2]string
			pair := d.typedStringList(kv[:0], "program parameter")
			if d.err == nil && len(pair) != 2 {
				d.fail("program parameter: %d strings, want key and value", len(pair))
				break
			}
			if d.err == nil {
				if l.Params == nil {
					l.Params = make(map[string]string)
				}
				l.Params[pair[0]] = pair[1]
			}
		}
		logics = append(logics, l)
	}
	return logics
}
