package sumo

import (
	"bufio"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Net is what greenwave reads of a SUMO network file (.net.xml, optionally
// gzipped): the projection, the edges with their lanes, the junctions,
// the traffic-light programs and the connections. Internal edges (inside
// junctions), their connections and everything else in the file are
// skipped.
type Net struct {
	Location    Location
	Edges       []Edge
	Junctions   []Junction
	TLLogics    []TLLogic
	Connections []Connection

	edgeIndex     map[string]int
	junctionIndex map[string]int
	otherEdges    map[string]bool // edges of another function than "normal" (connectors, crossings, ...)
}

// Location is the network's geo-reference: network coordinates are the
// projected coordinates plus NetOffset.
type Location struct {
	NetOffset     XY
	ProjParameter string // a PROJ string, e.g. "+proj=utm +zone=32 +ellps=WGS84 +datum=WGS84 +units=m +no_defs"; "!" when not geo-referenced
}

// XY is a point in network coordinates, metres.
type XY struct{ X, Y float64 }

// Edge is a road edge: one direction of travel between two junctions.
type Edge struct {
	ID, From, To string
	Name         string // street name (netconvert --output.street-names)
	Type         string // e.g. "highway.primary" for an OSM import
	SpreadType   string // "" (right), "center" or "roadCenter": where the lanes lie relative to Shape
	Shape        []XY   // the edge's geometry when the file gives one; else the straight line between its junctions
	Lanes        []Lane
}

// Lane is one lane of an edge; index 0 is the rightmost.
type Lane struct {
	ID       string
	Index    int
	Speed    float64 // m/s
	Length   float64 // m
	Width    float64 // m; 0 when the file gives none (SUMO's default 3.2)
	Allow    string  // vehicle classes allowed, space-separated ("" unless given)
	Disallow string  // vehicle classes not allowed
	Shape    []XY    // the lane's centre line, from its start to its stop line
}

// Junction is a node of the network.
type Junction struct {
	ID, Type string // type: "traffic_light", "priority", ...
	X, Y     float64
}

// TLLogic is a traffic-light program.
type TLLogic struct {
	ID, Type, ProgramID string
	Offset              float64
	Phases              []TLPhase
}

// TLPhase is one phase of a program.
type TLPhase struct {
	Duration float64 // s
	MinDur   float64 // s; 0 when not given
	MaxDur   float64 // s; 0 when not given
	State    string  // one character per link index
	Name     string
}

// Connection is a connection between lanes of two edges at a junction;
// TL and LinkIndex say which traffic light controls it and which character
// of its state strings is its signal (-1 when uncontrolled).
type Connection struct {
	From, To         string // edges
	FromLane, ToLane int
	Via              string // the internal lane it crosses the junction on
	TL               string
	LinkIndex        int
	Dir              string // s straight, l left, r right, t turn, L/R partial left/right
	State            string
}

// EdgeByID returns the edge with the given id.
func (n *Net) EdgeByID(id string) (*Edge, bool) {
	i, ok := n.edgeIndex[id]
	if !ok {
		return nil, false
	}
	return &n.Edges[i], true
}

// JunctionByID returns the junction with the given id.
func (n *Net) JunctionByID(id string) (*Junction, bool) {
	i, ok := n.junctionIndex[id]
	if !ok {
		return nil, false
	}
	return &n.Junctions[i], true
}

// MaxNetBytes bounds the (uncompressed) network file ReadNet reads: a
// large region's network is a few hundred MiB.
const MaxNetBytes = 2 << 30

// ReadNetFile reads a network file, gzipped or not. Errors name the path.
func ReadNetFile(path string) (*Net, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := ReadNet(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// ReadNet reads a network (gzipped or not) and checks what greenwave uses:
// numbers are finite, shapes have at least two points, ids are unique, and
// every edge's junctions and every connection's edges exist. Errors give
// the line and the element at fault.
func ReadNet(r io.Reader) (*Net, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var src io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	lr := &io.LimitedReader{R: src, N: MaxNetBytes + 1}
	p := &netParser{dec: xml.NewDecoder(lr), net: &Net{edgeIndex: map[string]int{}, junctionIndex: map[string]int{}, otherEdges: map[string]bool{}}}
	if err := p.parse(); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("larger than %d MiB uncompressed", MaxNetBytes>>20)
		}
		return nil, err
	}
	if err := p.net.check(); err != nil {
		return nil, err
	}
	return p.net, nil
}

type netParser struct {
	dec    *xml.Decoder
	net    *Net
	sawNet bool
	edge   *Edge    // the edge whose lanes are being read, or nil
	tl     *TLLogic // the program whose phases are being read, or nil
}

// errorf reports a problem at the decoder's current line.
func (p *netParser) errorf(format string, args ...any) error {
	line, _ := p.dec.InputPos()
	return fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...))
}

func (p *netParser) parse() error {
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			if !p.sawNet {
				return errors.New("not a SUMO network: no <net> element")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := p.start(t); err != nil {
				return err
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "edge":
				p.edge = nil
			case "tlLogic":
				p.tl = nil
			}
		}
	}
}

func attr(e xml.StartElement, name string) (string, bool) {
	for _, a := range e.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

func (p *netParser) str(e xml.StartElement, name string) string {
	v, _ := attr(e, name)
	return v
}

// reqStr is a required, non-empty attribute.
func (p *netParser) reqStr(e xml.StartElement, name, what string) (string, error) {
	v, ok := attr(e, name)
	if !ok || v == "" {
		return "", p.errorf("%s: missing attribute %q", what, name)
	}
	return v, nil
}

// num is an optional finite number attribute (def when absent).
func (p *netParser) num(e xml.StartElement, name, what string, def float64) (float64, error) {
	v, ok := attr(e, name)
	if !ok || v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, p.errorf("%s: attribute %q: not a finite number: %q", what, name, v)
	}
	return f, nil
}

// integer is an optional integer attribute (def when absent).
func (p *netParser) integer(e xml.StartElement, name, what string, def int) (int, error) {
	v, ok := attr(e, name)
	if !ok || v == "" {
		return def, nil
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, p.errorf("%s: attribute %q: not an integer: %q", what, name, v)
	}
	return i, nil
}

// shape parses "x,y x,y ..." (a third coordinate, the elevation, is
// ignored).
func (p *netParser) shape(v, what string) ([]XY, error) {
	fields := strings.Fields(v)
	if len(fields) < 2 {
		return nil, p.errorf("%s: shape needs at least two points, got %q", what, truncate(v, 60))
	}
	pts := make([]XY, 0, len(fields))
	for _, f := range fields {
		parts := strings.Split(f, ",")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, p.errorf("%s: shape point %q is not x,y", what, truncate(f, 40))
		}
		x, err1 := strconv.ParseFloat(parts[0], 64)
		y, err2 := strconv.ParseFloat(parts[1], 64)
		if err1 != nil || err2 != nil || math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			return nil, p.errorf("%s: shape point %q is not two finite numbers", what, truncate(f, 40))
		}
		pts = append(pts, XY{x, y})
	}
	return pts, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (p *netParser) start(e xml.StartElement) error {
	switch e.Name.Local {
	case "net":
		p.sawNet = true
	case "location":
		return p.location(e)
	case "edge":
		return p.edgeStart(e)
	case "lane":
		if p.edge != nil {
			return p.lane(e)
		}
	case "junction":
		return p.junction(e)
	case "tlLogic":
		return p.tlLogic(e)
	case "phase":
		if p.tl != nil {
			return p.phase(e)
		}
	case "connection":
		return p.connection(e)
	}
	return nil
}

func (p *netParser) location(e xml.StartElement) error {
	if off, ok := attr(e, "netOffset"); ok {
		parts := strings.Split(off, ",")
		if len(parts) != 2 {
			return p.errorf("location: netOffset %q is not x,y", truncate(off, 60))
		}
		x, err1 := strconv.ParseFloat(parts[0], 64)
		y, err2 := strconv.ParseFloat(parts[1], 64)
		if err1 != nil || err2 != nil || math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			return p.errorf("location: netOffset %q is not two finite numbers", truncate(off, 60))
		}
		p.net.Location.NetOffset = XY{x, y}
	}
	p.net.Location.ProjParameter = p.str(e, "projParameter")
	return nil
}

func (p *netParser) edgeStart(e xml.StartElement) error {
	id, err := p.reqStr(e, "id", "edge")
	if err != nil {
		return err
	}
	if fn := p.str(e, "function"); fn != "" && fn != "normal" {
		p.edge = nil // internal, crossing, walkingarea, connector: not a road
		if fn != "internal" {
			p.net.otherEdges[id] = true
		}
		return nil
	}
	what := fmt.Sprintf("edge %q", truncate(id, 80))
	ed := Edge{ID: id, Name: p.str(e, "name"), Type: p.str(e, "type"), SpreadType: p.str(e, "spreadType")}
	if ed.From, err = p.reqStr(e, "from", what); err != nil {
		return err
	}
	if ed.To, err = p.reqStr(e, "to", what); err != nil {
		return err
	}
	if v, ok := attr(e, "shape"); ok && v != "" {
		if ed.Shape, err = p.shape(v, what); err != nil {
			return err
		}
	}
	if _, dup := p.net.edgeIndex[id]; dup {
		return p.errorf("%s: duplicate edge id", what)
	}
	p.net.edgeIndex[id] = len(p.net.Edges)
	p.net.Edges = append(p.net.Edges, ed)
	p.edge = &p.net.Edges[len(p.net.Edges)-1]
	return nil
}

func (p *netParser) lane(e xml.StartElement) error {
	what := fmt.Sprintf("edge %q: lane", truncate(p.edge.ID, 80))
	id, err := p.reqStr(e, "id", what)
	if err != nil {
		return err
	}
	what = fmt.Sprintf("lane %q", truncate(id, 80))
	l := Lane{ID: id, Allow: p.str(e, "allow"), Disallow: p.str(e, "disallow")}
	if l.Index, err = p.integer(e, "index", what, len(p.edge.Lanes)); err != nil {
		return err
	}
	if l.Speed, err = p.num(e, "speed", what, 0); err != nil {
		return err
	}
	if l.Length, err = p.num(e, "length", what, 0); err != nil {
		return err
	}
	if l.Width, err = p.num(e, "width", what, 0); err != nil {
		return err
	}
	if l.Speed <= 0 || l.Speed > 150 {
		return p.errorf("%s: speed must be in (0, 150] m/s, got %v", what, l.Speed)
	}
	if l.Width < 0 || l.Width > 50 {
		return p.errorf("%s: width must be in [0, 50] m, got %v", what, l.Width)
	}
	s, err := p.reqStr(e, "shape", what)
	if err != nil {
		return err
	}
	if l.Shape, err = p.shape(s, what); err != nil {
		return err
	}
	p.edge.Lanes = append(p.edge.Lanes, l)
	return nil
}

func (p *netParser) junction(e xml.StartElement) error {
	id, err := p.reqStr(e, "id", "junction")
	if err != nil {
		return err
	}
	typ := p.str(e, "type")
	if typ == "internal" {
		return nil
	}
	what := fmt.Sprintf("junction %q", truncate(id, 80))
	j := Junction{ID: id, Type: typ}
	if _, ok := attr(e, "x"); !ok {
		return p.errorf("%s: missing attribute \"x\"", what)
	}
	if _, ok := attr(e, "y"); !ok {
		return p.errorf("%s: missing attribute \"y\"", what)
	}
	if j.X, err = p.num(e, "x", what, 0); err != nil {
		return err
	}
	if j.Y, err = p.num(e, "y", what, 0); err != nil {
		return err
	}
	if _, dup := p.net.junctionIndex[id]; dup {
		return p.errorf("%s: duplicate junction id", what)
	}
	p.net.junctionIndex[id] = len(p.net.Junctions)
	p.net.Junctions = append(p.net.Junctions, j)
	return nil
}

func (p *netParser) tlLogic(e xml.StartElement) error {
	id, err := p.reqStr(e, "id", "tlLogic")
	if err != nil {
		return err
	}
	what := fmt.Sprintf("tlLogic %q", truncate(id, 80))
	l := TLLogic{ID: id, Type: p.str(e, "type"), ProgramID: p.str(e, "programID")}
	if l.Offset, err = p.num(e, "offset", what, 0); err != nil {
		return err
	}
	p.net.TLLogics = append(p.net.TLLogics, l)
	p.tl = &p.net.TLLogics[len(p.net.TLLogics)-1]
	return nil
}

func (p *netParser) phase(e xml.StartElement) error {
	what := fmt.Sprintf("tlLogic %q: phase %d", truncate(p.tl.ID, 80), len(p.tl.Phases))
	ph := TLPhase{State: p.str(e, "state"), Name: p.str(e, "name")}
	var err error
	if _, ok := attr(e, "duration"); !ok {
		return p.errorf("%s: missing attribute \"duration\"", what)
	}
	if ph.Duration, err = p.num(e, "duration", what, 0); err != nil {
		return err
	}
	if ph.MinDur, err = p.num(e, "minDur", what, 0); err != nil {
		return err
	}
	if ph.MaxDur, err = p.num(e, "maxDur", what, 0); err != nil {
		return err
	}
	if ph.Duration < 0 || ph.Duration > 86400 || ph.MinDur < 0 || ph.MinDur > 86400 || ph.MaxDur < 0 {
		return p.errorf("%s: durations must be in [0, 86400] s, got duration %v minDur %v maxDur %v", what, ph.Duration, ph.MinDur, ph.MaxDur)
	}
	if ph.State == "" {
		return p.errorf("%s: missing attribute \"state\"", what)
	}
	for i := 0; i < len(ph.State); i++ {
		if !strings.ContainsRune("rRyYgGsuoO", rune(ph.State[i])) {
			return p.errorf("%s: state %q: %q is not a signal (rRyYgGsuoO)", what, truncate(ph.State, 60), ph.State[i])
		}
	}
	if len(p.tl.Phases) > 0 && len(ph.State) != len(p.tl.Phases[0].State) {
		return p.errorf("%s: state has %d signals, the program's first phase %d", what, len(ph.State), len(p.tl.Phases[0].State))
	}
	p.tl.Phases = append(p.tl.Phases, ph)
	return nil
}

func (p *netParser) connection(e xml.StartElement) error {
	from := p.str(e, "from")
	if strings.HasPrefix(from, ":") {
		return nil // inside a junction
	}
	what := fmt.Sprintf("connection from %q", truncate(from, 80))
	c := Connection{From: from, To: p.str(e, "to"), Via: p.str(e, "via"), TL: p.str(e, "tl"), Dir: p.str(e, "dir"),
		State: p.str(e, "state"), LinkIndex: -1}
	if c.From == "" || c.To == "" {
		return p.errorf("connection: missing attribute \"from\" or \"to\"")
	}
	var err error
	if c.FromLane, err = p.integer(e, "fromLane", what, 0); err != nil {
		return err
	}
	if c.ToLane, err = p.integer(e, "toLane", what, 0); err != nil {
		return err
	}
	if c.TL != "" {
		if c.LinkIndex, err = p.integer(e, "linkIndex", what, -1); err != nil {
			return err
		}
		if c.LinkIndex < 0 || c.LinkIndex > 1<<16 {
			return p.errorf("%s: controlled by %q with linkIndex %d outside [0, 65536]", what, c.TL, c.LinkIndex)
		}
	}
	p.net.Connections = append(p.net.Connections, c)
	return nil
}

// check validates the references between elements once the file is read.
func (n *Net) check() error {
	var errs []error
	add := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	for i := range n.Edges {
		e := &n.Edges[i]
		if _, ok := n.junctionIndex[e.From]; !ok {
			add("edge %q: from-junction %q is not in the network", e.ID, e.From)
		}
		if _, ok := n.junctionIndex[e.To]; !ok {
			add("edge %q: to-junction %q is not in the network", e.ID, e.To)
		}
		if len(e.Lanes) == 0 {
			add("edge %q: no lanes", e.ID)
		}
	}
	programs := map[string]bool{}
	for _, l := range n.TLLogics {
		if len(l.Phases) == 0 {
			add("tlLogic %q program %q: no phases", l.ID, l.ProgramID)
		}
		programs[l.ID] = true
	}
	for _, c := range n.Connections {
		if n.otherEdges[c.From] {
			continue // from a connector or pedestrian edge: not a road
		}
		if _, ok := n.edgeIndex[c.From]; !ok {
			add("connection %s→%s: edge %q is not in the network", c.From, c.To, c.From)
		}
		if _, ok := n.edgeIndex[c.To]; !ok && !n.otherEdges[c.To] && !strings.HasPrefix(c.To, ":") {
			add("connection %s→%s: edge %q is not in the network", c.From, c.To, c.To)
		}
		if c.TL != "" {
			if !programs[c.TL] {
				add("connection %s→%s: traffic light %q has no tlLogic", c.From, c.To, c.TL)
			}
		}
	}
	return errors.Join(errs...)
}
