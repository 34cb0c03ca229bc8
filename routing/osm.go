package routing

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"
)

// OSM input formats ImportOSM reads.
const (
	FormatOSMXML   = "osm"    // OSM XML
	FormatOSMXMLGz = "osm.gz" // gzip-compressed OSM XML
	FormatOSMPBF   = "pbf"    // OSM protobuf (.osm.pbf)
)

// DefaultMaxOSMBytes caps how many (decompressed) bytes ImportOSM reads, so
// a gzip bomb or a mistaken planet file fails with a clear error instead of
// exhausting memory. 2 GiB is several times a large city's XML extract.
const DefaultMaxOSMBytes = 2 << 30

// DefaultSignalMergeM is how far (along the roads) a traffic-signal node
// that is not itself a junction may lie from the junction it controls and
// still be part of it. OSM maps often tag each direction's signal at its
// stop line, and a signalised pedestrian crossing on each arm, a few
// metres to about 25 m from the junction; 30 m takes those in while two
// junctions of a city grid (rarely closer than 40 m) stay apart. A signal
// with no junction that near is a junction of its own: a mid-block
// pedestrian crossing, a one-lane section.
const DefaultSignalMergeM = 30.0

// DefaultJunctionJoinM is how far apart, along the roads, two signalised
// junction nodes may be and still be one physical junction: the nodes
// where a divided road's carriageways cross another road (7–25 m apart
// across the median), a T junction whose side road is divided, a
// junction's nodes on both sides of a short connecting link. It is the
// length of the shortest road link between them (either direction of
// travel), not the straight line: two junctions 20 m apart that no short
// road joins (one above the other, or on two parallel streets) stay apart.
// The one exception is two signals facing each other across a divided
// road's median (a pedestrian crossing over both carriageways), joined at
// up to this distance in a straight line. A joined junction's nodes span
// at most twice this distance.
const DefaultJunctionJoinM = 30.0

// NearIntersectionsM is the distance under which two intersections are
// suspicious: two signal controllers that near are almost always one. The
// import report names every such pair and why it was not joined, and
// Network.Check lists them.
const NearIntersectionsM = 25.0

// ImportOptions tunes ImportOSM; the zero value gives the documented
// defaults.
type ImportOptions struct {
	// SignalMergeM: see DefaultSignalMergeM (used when 0).
	SignalMergeM float64
	// JunctionJoinM: see DefaultJunctionJoinM (used when 0).
	JunctionJoinM float64
	// Timing given to every imported intersection; a zero Timing means
	// DefaultTiming().
	Timing Timing
	// MaxBytes caps the decompressed input; 0 means DefaultMaxOSMBytes.
	MaxBytes int64
}

// OSMFormatFromPath picks the input format from a file name: .osm (and
// .xml) is XML, .osm.gz (.gz) gzip-compressed XML, .pbf protobuf.
func OSMFormatFromPath(path string) (string, error) {
	p := strings.ToLower(path)
	switch {
	case strings.HasSuffix(p, ".pbf"):
		return FormatOSMPBF, nil
	case strings.HasSuffix(p, ".gz"):
		return FormatOSMXMLGz, nil
	case strings.HasSuffix(p, ".osm"), strings.HasSuffix(p, ".xml"):
		return FormatOSMXML, nil
	}
	return "", fmt.Errorf("%s: unknown OSM format (want .osm, .osm.gz or .osm.pbf)", path)
}

// ImportOSMFile opens path and imports it with ImportOSM, choosing the
// format from the file name; errors are prefixed with the path.
func ImportOSMFile(path string, opt ImportOptions) (*Inventory, ImportReport, error) {
	format, err := OSMFormatFromPath(path)
	if err != nil {
		return nil, ImportReport{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, ImportReport{}, err
	}
	defer f.Close()
	inv, rep, err := ImportOSM(bufio.NewReaderSize(f, 1<<16), format, opt)
	if err != nil {
		return nil, rep, fmt.Errorf("%s: %w", path, err)
	}
	return inv, rep, nil
}

// drivableClass reports whether an OSM highway class carries motor traffic
// an emergency vehicle drives on: motorway, trunk, primary, secondary,
// tertiary (and their _link ramps), unclassified, residential,
// living_street and service — exactly the classes of ClassSpeedMps. Left
// out: footway, cycleway, path, steps, pedestrian, bridleway, track (farm
// and forest tracks), bus_guideway, raceway, construction, proposed,
// abandoned, platform and every other value.
func drivableClass(highway string) bool {
	_, ok := ClassSpeedMps[highway]
	return ok
}

// classRank orders highway classes by importance, for naming and for the
// phase convention (major road = highest rank).
func classRank(highway string) int {
	switch strings.TrimSuffix(highway, "_link") {
	case "motorway":
		return 9
	case "trunk":
		return 8
	case "primary":
		return 7
	case "secondary":
		return 6
	case "tertiary":
		return 5
	case "unclassified":
		return 4
	case "residential":
		return 3
	case "living_street":
		return 2
	case "service":
		return 1
	}
	return 0
}

// excludedWay reports whether a way of a drivable class is still not part
// of the road graph: access=no/private without a motor_vehicle, motorcar
// or emergency permission (emergency vehicles may use roads closed to the
// public, so an explicit emergency=yes keeps the road), area=yes (a
// square's outline, not a road), and service=parking_aisle/drive-through
// (car-park lanes that would only clutter the graph).
func excludedWay(tags osm.Tags) bool {
	if tags.Find("area") == "yes" {
		return true
	}
	switch tags.Find("service") {
	case "parking_aisle", "drive-through":
		return true
	}
	closed := func(v string) bool { return v == "no" || v == "private" }
	open := func(v string) bool {
		return v == "yes" || v == "designated" || v == "permissive" || v == "destination"
	}
	for _, k := range []string{"emergency", "motorcar", "motor_vehicle"} {
		if v := tags.Find(k); v != "" {
			return closed(v) && !open(tags.Find("emergency"))
		}
	}
	return closed(tags.Find("access")) || closed(tags.Find("vehicle"))
}

// direction is a way's traffic direction relative to its node order.
type direction int8

const (
	twoWay direction = iota
	forward
	backward
)

// wayDirection reads oneway: yes/true/1 forward, -1/reverse backward,
// no/false/0 two-way; reversible and alternating (direction changes with
// the time of day) are two-way, since an emergency vehicle may need either.
// Without an explicit tag, junction=roundabout/circular and
// highway=motorway/motorway_link imply forward (the OSM convention; OSRM
// and GraphHopper do the same). oneway:emergency=no makes any way two-way.
func wayDirection(tags osm.Tags) direction {
	if v := strings.ToLower(strings.TrimSpace(tags.Find("oneway:emergency"))); v == "no" || v == "false" || v == "0" {
		return twoWay // an emergency vehicle may drive it against the one-way flow
	}
	switch strings.ToLower(strings.TrimSpace(tags.Find("oneway"))) {
	case "yes", "true", "1":
		return forward
	case "-1", "reverse":
		return backward
	case "no", "false", "0", "reversible", "alternating":
		return twoWay
	}
	switch tags.Find("junction") {
	case "roundabout", "circular":
		return forward
	}
	switch tags.Find("highway") {
	case "motorway", "motorway_link":
		return forward
	}
	return twoWay
}

// maxspeedFallbackKmh gives the speed of the implicit limits of OSM's
// "CC:zone" values (e.g. FR:urban, DE:rural, zone:30): the common
// European values. Anything unparsable falls back to the class speed.
var maxspeedFallbackKmh = map[string]float64{
	"urban": 50, "rural": 90, "trunk": 110, "motorway": 130, "living_street": 10,
	"walk": 7, "zone20": 20, "zone30": 30, "bicycle_road": 30, "school": 30,
}

// speedFromMaxspeed parses an OSM maxspeed: a number in km/h ("50"),
// with a unit ("30 mph", "50 km/h", "10 knots"), a list ("50;30", the first
// is taken), or an implicit limit ("FR:urban", "DE:zone30", "zone:30", see
// maxspeedFallbackKmh). "none" (no limit), "signals", "variable" and
// anything else unparsable return ok=false so the caller uses the class
// speed.
func speedFromMaxspeed(v string) (mps float64, ok bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(v, ";|"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	if v == "" {
		return 0, false
	}
	if i := strings.IndexByte(v, ':'); i >= 0 {
		zone := strings.ReplaceAll(v[i+1:], ":", "")
		if kmh, ok := maxspeedFallbackKmh[zone]; ok {
			return kmh / 3.6, true
		}
		if n, rest := leadingNumber(strings.TrimPrefix(zone, "zone")); rest == "" && n > 0 {
			return n / 3.6, true
		}
		return 0, false
	}
	n, rest := leadingNumber(v)
	if n <= 0 || math.IsNaN(n) {
		return 0, false
	}
	factor := 1 / 3.6
	switch strings.TrimSpace(rest) {
	case "", "km/h", "kmh", "kph", "km":
	case "mph":
		factor = 1609.344 / 3600
	case "knots", "kn":
		factor = 1852.0 / 3600
	default:
		return 0, false
	}
	mps = n * factor
	if mps > 100 {
		return 0, false
	}
	return mps, true
}

// leadingNumber splits a decimal number (digits and at most one point) off
// the start of s.
func leadingNumber(s string) (float64, string) {
	i, dot := 0, false
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' && !dot) {
		dot = dot || s[i] == '.'
		i++
	}
	if i == 0 || s[:i] == "." {
		return 0, s
	}
	var n float64
	if _, err := fmt.Sscanf(s[:i], "%g", &n); err != nil {
		return 0, s
	}
	return n, s[i:]
}

// osmWay is what the importer keeps of a drivable way.
type osmWay struct {
	id       osm.WayID
	nodes    []osm.NodeID // in the direction of travel when oneway
	class    string
	name     string
	oneway   bool
	reversed bool // nodes are in the reverse of the OSM way's order (oneway=-1)
	ring     bool // a roundabout's ring (junction=roundabout/circular)
	speedMps float64
}

// osmNode is what the importer keeps of a node.
type osmNode struct {
	ll     orb.Point
	signal bool
	// sigDir is the direction of travel (relative to the way's order) a
	// signal controls, from traffic_signals:direction (or direction):
	// forward, backward, or twoWay for both or untagged.
	sigDir direction
}

// limitReader fails once more than n bytes have been read, unlike
// io.LimitReader, which would silently truncate the input.
type limitReader struct {
	r io.Reader
	n int64
}

var errTooLarge = errors.New("input too large")

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// ImportOSM reads an OpenStreetMap extract (format FormatOSMXML,
// FormatOSMXMLGz or FormatOSMPBF) and derives a greenwave inventory from it:
//
// Roads: every way of a drivable class (see drivableClass, excludedWay) is
// split into roads at each junction node (a node used by more than one
// drivable way, or twice by one way), at each traffic-signal node and at
// each turn restriction's via node, so that road end points are the road
// graph's nodes. Road ids are "w<way id>.<k>" with k counting the pieces
// from the way's first node (e.g. "w-123.0"). Speed from maxspeed
// (speedFromMaxspeed), else ClassSpeedMps. oneway=-1 ways are written
// reversed and one-way. Coordinates are rounded to 7 decimals (about
// 1 cm), as WriteGeoJSON writes them, so the inventory and its file are
// the same.
//
// Intersections: see consolidate for how traffic-signal nodes and the
// junction nodes around them become one intersection per physical
// junction, approaches for which roads are its approaches and where their
// stop lines are, and assignPhases for the phase convention.
//
// Turn restrictions: see restrictions.
//
// Bad input is reported, not fatal: a way referencing nodes the extract
// lacks is cut where they are missing, a restriction with a missing
// member is skipped, a signal on a footway is dropped, each counted and
// named in the report. Only unreadable input (or invalid coordinates) is
// an error.
//
// The result is deterministic: the same input gives the same inventory, in
// id order, whatever the order of elements in the file.
func ImportOSM(r io.Reader, format string, opt ImportOptions) (*Inventory, ImportReport, error) {
	var rep ImportReport
	if opt.SignalMergeM == 0 {
		opt.SignalMergeM = DefaultSignalMergeM
	}
	if opt.JunctionJoinM == 0 {
		opt.JunctionJoinM = DefaultJunctionJoinM
	}
	rep.mergeM, rep.joinM = opt.SignalMergeM, opt.JunctionJoinM
	if math.IsNaN(opt.SignalMergeM) || opt.SignalMergeM < 0 || opt.SignalMergeM > 500 {
		return nil, rep, fmt.Errorf("SignalMergeM must be in [0, 500] metres, got %v", opt.SignalMergeM)
	}
	if math.IsNaN(opt.JunctionJoinM) || opt.JunctionJoinM < 0 || opt.JunctionJoinM > 200 {
		return nil, rep, fmt.Errorf("JunctionJoinM must be in [0, 200] metres, got %v", opt.JunctionJoinM)
	}
	if opt.Timing == (Timing{}) {
		opt.Timing = DefaultTiming()
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxOSMBytes
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var scanner osm.Scanner
	switch format {
	case FormatOSMXML, "xml":
		scanner = osmxml.New(ctx, &limitReader{r: r, n: opt.MaxBytes})
	case FormatOSMXMLGz, "gz":
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, rep, fmt.Errorf("not gzip-compressed: %w", err)
		}
		defer gz.Close()
		scanner = osmxml.New(ctx, &limitReader{r: gz, n: opt.MaxBytes})
	case FormatOSMPBF:
		scanner = osmpbf.New(ctx, &limitReader{r: r, n: opt.MaxBytes}, 1)
	default:
		return nil, rep, fmt.Errorf("unknown OSM format %q (want %q, %q or %q)", format, FormatOSMXML, FormatOSMXMLGz, FormatOSMPBF)
	}
	defer scanner.Close()

	nodes := make(map[osm.NodeID]osmNode)
	var ways []osmWay
	var restrictions []osmRestriction
	// offRoad: why a node is on a way that is not a drivable road (the
	// first such way seen), for signals no drivable road uses.
	offRoad := make(map[osm.NodeID]string)
	noteOffRoad := func(w *osm.Way, why string) {
		for _, wn := range w.Nodes {
			if _, seen := offRoad[wn.ID]; !seen {
				offRoad[wn.ID] = why
			}
		}
	}
	for scanner.Scan() {
		switch o := scanner.Object().(type) {
		case *osm.Node:
			rep.NodesRead++
			ll := orb.Point{round7(o.Lon), round7(o.Lat)}
			if !validLonLat(ll) {
				return nil, rep, fmt.Errorf("node %d: not a valid lon/lat: %v", o.ID, orb.Point{o.Lon, o.Lat})
			}
			nodes[o.ID] = osmNode{ll: ll, signal: isSignalNode(o.Tags), sigDir: signalDirection(o.Tags)}
		case *osm.Way:
			rep.WaysRead++
			class := o.Tags.Find("highway")
			if !drivableClass(class) {
				if class != "" {
					noteOffRoad(o, fmt.Sprintf("on a highway=%s (way %d), no drivable road", class, o.ID))
				}
				continue
			}
			if excludedWay(o.Tags) {
				rep.ExcludedByAccess++
				noteOffRoad(o, fmt.Sprintf("on way %d, closed to motor vehicles (or an area or car-park aisle), no other drivable road", o.ID))
				continue
			}
			rep.DrivableWays++
			w := osmWay{id: o.ID, class: class, name: strings.TrimSpace(o.Tags.Find("name")), speedMps: ClassSpeedMps[class]}
			if s, ok := speedFromMaxspeed(o.Tags.Find("maxspeed")); ok {
				w.speedMps = s
			}
			switch o.Tags.Find("junction") {
			case "roundabout", "circular":
				w.ring = true
			}
			w.nodes = make([]osm.NodeID, len(o.Nodes))
			for i, wn := range o.Nodes {
				w.nodes[i] = wn.ID
			}
			switch wayDirection(o.Tags) {
			case forward:
				w.oneway = true
			case backward:
				w.oneway, w.reversed = true, true
				slices.Reverse(w.nodes)
			}
			ways = append(ways, w)
		case *osm.Relation:
			rep.RelationsRead++
			if r, ok := parseRestriction(o); ok {
				restrictions = append(restrictions, r)
			}
		}
	}
	if err := scanner.Err(); err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, rep, fmt.Errorf("input larger than %d bytes (decompressed)", opt.MaxBytes)
		}
		return nil, rep, fmt.Errorf("reading OSM %s: %w", format, err)
	}
	sort.Slice(ways, func(i, j int) bool { return ways[i].id < ways[j].id })
	sort.Slice(restrictions, func(i, j int) bool { return restrictions[i].id < restrictions[j].id })
	rep.Restrictions = len(restrictions)

	// Nodes at the same (rounded) position are one graph node, as Build
	// will join them: the smallest id stands for all.
	canon := make(map[orb.Point]osm.NodeID, len(nodes))
	for id, n := range nodes {
		if c, ok := canon[n.ll]; !ok || id < c {
			canon[n.ll] = id
		}
	}
	for id, n := range nodes {
		if c := canon[n.ll]; c != id && n.signal {
			cn := nodes[c]
			cn.signal = true
			if cn.sigDir == twoWay {
				cn.sigDir = n.sigDir
			}
			nodes[c] = cn
		}
	}
	canonical := func(id osm.NodeID) (osm.NodeID, bool) {
		n, ok := nodes[id]
		if !ok {
			return 0, false
		}
		return canon[n.ll], true
	}

	// Drop references to nodes the extract does not hold (ways clipped at
	// its edge) and repeated consecutive nodes; a way whose nodes are then
	// not contiguous is split where they went missing.
	var pieces []osmWay
	for _, w := range ways {
		run := make([]osm.NodeID, 0, len(w.nodes))
		flush := func() {
			if len(run) >= 2 {
				p := w
				p.nodes = run
				pieces = append(pieces, p)
			}
			run = make([]osm.NodeID, 0, len(w.nodes))
		}
		cut := false
		for _, id := range w.nodes {
			id, ok := canonical(id)
			if !ok {
				rep.MissingNodeRefs++
				cut = true
				flush()
				continue
			}
			if len(run) > 0 && run[len(run)-1] == id {
				continue
			}
			run = append(run, id)
		}
		flush()
		if cut {
			rep.WaysCut++
		}
	}

	// Restrictions' via nodes split their ways, so that the turn is from
	// the end of one road onto the start of another.
	vias := make(map[osm.NodeID]bool)
	for _, r := range restrictions {
		if c, ok := canonical(r.via); ok && r.via != 0 {
			vias[c] = true
		}
	}
	g := buildOSMGraph(pieces, nodes, vias)
	rep.Roads = len(g.roads)
	inv := &Inventory{Roads: make([]Road, len(g.roads))}
	for i, r := range g.roads {
		inv.Roads[i] = r.road
	}
	inv.Intersections = g.consolidate(opt, &rep)
	for id, n := range nodes {
		if n.signal && canon[n.ll] == id && g.uses[id] == 0 {
			why, ok := offRoad[id]
			if !ok {
				why = "on no road of the extract"
			}
			rep.SignalsOffRoad++
			rep.Dropped = append(rep.Dropped, DroppedSignal{Node: int64(id), LonLat: n.ll, Reason: why})
		}
	}
	sort.Slice(rep.Dropped, func(i, j int) bool { return rep.Dropped[i].Node < rep.Dropped[j].Node })
	rep.Intersections = len(inv.Intersections)
	inv.Restrictions = g.restrictions(restrictions, canonical, &rep)
	rep.RestrictionsApplied = len(inv.Restrictions)
	return inv, rep, nil
}

// isSignalNode reports whether a node's tags make it a traffic signal a
// vehicle meets: highway=traffic_signals, or a signalised pedestrian
// crossing tagged highway=crossing with crossing=traffic_signals (or
// crossing:signals=yes).
func isSignalNode(tags osm.Tags) bool {
	switch tags.Find("highway") {
	case "traffic_signals":
		return true
	case "crossing":
		return tags.Find("crossing") == "traffic_signals" || tags.Find("crossing:signals") == "yes"
	}
	return false
}

// signalDirection reads which direction of travel along its way a signal
// node controls: traffic_signals:direction (or, the older tag, direction)
// forward or backward; anything else, or nothing, is both.
func signalDirection(tags osm.Tags) direction {
	v := tags.Find("traffic_signals:direction")
	if v == "" {
		v = tags.Find("direction")
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "forward":
		return forward
	case "backward":
		return backward
	}
	return twoWay
}

// round7 rounds a coordinate to 7 decimals, OSM's own precision (about
// 1 cm), so output is stable and identical to the inventory it came from.
func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }
