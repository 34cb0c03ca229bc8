package routing

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/paulmach/orb"
)

// MaxMapBytes caps the size of a map file LoadGeoJSON reads. A large
// city's inventory is a few tens of MiB; 512 MiB leaves room for a whole
// region while refusing a wrong file before it exhausts memory.
const MaxMapBytes = 512 << 20

// LoadMapFile reads a map file (map-format.md) and builds its network: the
// one call the live service, the simulator and the CLI make. Errors are
// prefixed with the path.
func LoadMapFile(path string) (*Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	inv, err := LoadGeoJSON(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	n, err := Build(inv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// LoadGeoJSON parses a map inventory (map-format.md) and validates it
// (Inventory.Validate). It checks the type of every field it reads and
// reports each problem as a *wire.FieldError naming the feature (its id, or
// "feature #i" by position in the file when it has none) and the field,
// at most 50 of them, joined.
//
// Every feature must have a "kind" of "intersection" (a Point), "road"
// (a LineString) or "restriction" (a Point: a turn restriction, see
// TurnRestriction and docs/osm-import.md): a feature without one, or with
// another, is an error
// rather than silently skipped, because a misspelt kind would otherwise drop
// a signal from the map without a word. Other properties are accepted and
// ignored (they are not kept: WriteGeoJSON writes only what greenwave
// uses). A null optional property counts as absent. Timing fields left out
// take DefaultTiming's values one by one; a road's speed_mps defaults to
// ClassSpeedMps of its "highway" property when it has one, else to
// DefaultSpeedMps; oneway defaults to false. Positions may carry a third
// (altitude) value, which is ignored.
func LoadGeoJSON(r io.Reader) (*Inventory, error) { return loadGeoJSON(r, MaxMapBytes) }

func loadGeoJSON(r io.Reader, maxBytes int64) (*Inventory, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("map larger than %d bytes (%d MiB)", maxBytes, maxBytes>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty input: expected a GeoJSON FeatureCollection")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a GeoJSON FeatureCollection: %v", jsonErr(err, data))
	}
	var typ string
	if err := json.Unmarshal(top["type"], &typ); err != nil || typ != "FeatureCollection" {
		return nil, fmt.Errorf(`not a GeoJSON FeatureCollection: "type" is %s, want "FeatureCollection"`, describeJSON(top["type"]))
	}
	var features []json.RawMessage
	if err := json.Unmarshal(top["features"], &features); err != nil || top["features"] == nil {
		return nil, fmt.Errorf(`"features": must be an array, got %s`, describeJSON(top["features"]))
	}

	p := &mapLoader{inv: &Inventory{}}
	for i, raw := range features {
		if len(p.errs) >= maxReportedErrors {
			break
		}
		p.feature(i, raw)
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	if err := p.inv.Validate(); err != nil {
		return nil, err
	}
	return p.inv, nil
}

// jsonErr adds the line and column to a syntax error.
func jsonErr(err error, data []byte) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := int(se.Offset)
		if off > len(data) {
			off = len(data)
		}
		line := 1 + bytes.Count(data[:off], []byte("\n"))
		col := off - bytes.LastIndexByte(data[:off], '\n')
		return fmt.Errorf("line %d, column %d: %v", line, col, err)
	}
	return err
}

// describe names a raw JSON value's type for an error message.
func describeJSON(raw json.RawMessage) string {
	v := bytes.TrimSpace(raw)
	if len(v) == 0 {
		return "missing"
	}
	switch v[0] {
	case '"':
		if len(v) > 40 {
			return "a string"
		}
		return "the string " + string(v)
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	if len(v) > 40 {
		return "a number"
	}
	return "the number " + string(v)
}

// mapLoader accumulates the inventory and the errors of one file.
type mapLoader struct {
	inv  *Inventory
	errs []error
	name string // the current feature, for errors
}

func (p *mapLoader) fail(field, format string, args ...any) {
	if len(p.errs) < maxReportedErrors {
		p.errs = append(p.errs, &wire.FieldError{Where: p.name, Field: field, Reason: fmt.Sprintf(format, args...)})
	}
}

// object decodes raw as a JSON object, or records why not.
func (p *mapLoader) object(field string, raw json.RawMessage) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if raw == nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) || json.Unmarshal(raw, &m) != nil {
		p.fail(field, "must be an object, got %s", describeJSON(raw))
		return nil, false
	}
	return m, true
}

// str reads an optional string property; present reports whether it was
// there (and not null).
func (p *mapLoader) str(m map[string]json.RawMessage, key, field string) (s string, present bool) {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return "", false
	}
	if json.Unmarshal(raw, &s) != nil {
		p.fail(field, "must be a string, got %s", describeJSON(raw))
		return "", false
	}
	return s, true
}

// num reads an optional finite number property.
func (p *mapLoader) num(m map[string]json.RawMessage, key, field string) (v float64, present bool) {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return 0, false
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || !(t[0] == '-' || t[0] >= '0' && t[0] <= '9') {
		p.fail(field, "must be a number, got %s", describeJSON(raw))
		return 0, false
	}
	if err := json.Unmarshal(raw, &v); err != nil || math.IsInf(v, 0) {
		p.fail(field, "must be a finite number, got %s", describeJSON(raw))
		return 0, false
	}
	return v, true
}

// reqStr reads a required string property: missing, null or of another
// type is one error.
func (p *mapLoader) reqStr(m map[string]json.RawMessage, key, field string) (string, bool) {
	if raw, ok := m[key]; !ok || isNull(raw) {
		p.fail(field, "missing")
		return "", false
	}
	return p.str(m, key, field)
}

// reqNum reads a required finite number property.
func (p *mapLoader) reqNum(m map[string]json.RawMessage, key, field, why string) (float64, bool) {
	if raw, ok := m[key]; !ok || isNull(raw) {
		p.fail(field, "missing%s", why)
		return 0, false
	}
	return p.num(m, key, field)
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func (p *mapLoader) feature(i int, raw json.RawMessage) {
	p.name = fmt.Sprintf("feature #%d", i)
	f, ok := p.object("", raw)
	if !ok {
		return
	}
	if typ, _ := p.str(f, "type", "type"); typ != "Feature" {
		p.fail("type", `must be "Feature", got %s`, describeJSON(f["type"]))
		return
	}
	props, ok := p.object("properties", f["properties"])
	if !ok {
		return
	}
	kind, ok := p.reqStr(props, "kind", "kind")
	if !ok {
		return
	}
	var id string
	if json.Unmarshal(props["id"], &id) == nil && id != "" && (kind == "intersection" || kind == "road" || kind == "restriction") {
		p.name = featureName(kind, i, id)
	}
	switch kind {
	case "intersection":
		p.intersection(f, props)
	case "road":
		p.road(f, props)
	case "restriction":
		p.restriction(f, props)
	default:
		p.fail("kind", `unknown kind %q: want "intersection", "road" or "restriction"`, kind)
	}
}

// geometry returns the coordinates of a geometry of the given type.
func (p *mapLoader) geometry(f map[string]json.RawMessage, want string) (json.RawMessage, bool) {
	g, ok := p.object("geometry", f["geometry"])
	if !ok {
		return nil, false
	}
	if typ, _ := p.str(g, "type", "geometry.type"); typ != want {
		p.fail("geometry.type", "must be %q, got %s", want, describeJSON(g["type"]))
		return nil, false
	}
	c, ok := g["coordinates"]
	if !ok || isNull(c) {
		p.fail("geometry.coordinates", "missing")
		return nil, false
	}
	return c, true
}

// position decodes a GeoJSON position [lon, lat(, alt)].
func (p *mapLoader) position(raw json.RawMessage, field string) (orb.Point, bool) {
	var xs []json.RawMessage
	if json.Unmarshal(raw, &xs) != nil || len(xs) < 2 || len(xs) > 3 {
		p.fail(field, "must be a position [lon, lat], got %s", describeJSON(raw))
		return orb.Point{}, false
	}
	var pt orb.Point
	for k := 0; k < 2; k++ {
		if json.Unmarshal(xs[k], &pt[k]) != nil {
			p.fail(fmt.Sprintf("%s[%d]", field, k), "must be a number, got %s", describeJSON(xs[k]))
			return orb.Point{}, false
		}
	}
	if !validLonLat(pt) {
		p.fail(field, "not a valid [lon, lat] (lon in [-180, 180], lat in [-90, 90]): %v", pt)
		return orb.Point{}, false
	}
	return pt, true
}

func (p *mapLoader) intersection(f, props map[string]json.RawMessage) {
	in := Intersection{Timing: DefaultTiming()}
	ok := true
	if c, good := p.geometry(f, "Point"); good {
		in.LonLat, good = p.position(c, "geometry.coordinates")
		ok = good
	} else {
		ok = false
	}
	var good bool
	if in.ID, good = p.reqStr(props, "id", "id"); !good {
		ok = false
	}
	in.Name, _ = p.str(props, "name", "name")

	var approaches []json.RawMessage
	if raw, has := props["approaches"]; !has || isNull(raw) {
		p.fail("approaches", "missing: an intersection needs at least one approach")
		ok = false
	} else if json.Unmarshal(raw, &approaches) != nil {
		p.fail("approaches", "must be an array, got %s", describeJSON(raw))
		ok = false
	}
	for j, raw := range approaches {
		field := fmt.Sprintf("approaches[%d]", j)
		m, good := p.object(field, raw)
		if !good {
			ok = false
			continue
		}
		var a Approach
		if a.ID, good = p.reqStr(m, "id", field+".id"); !good {
			ok = false
		}
		if a.BearingDeg, good = p.reqNum(m, "bearing_deg", field+".bearing_deg", ""); !good {
			ok = false
		}
		if ph, has := p.reqNum(m, "phase", field+".phase", ": every approach needs the phase that gives it green"); has {
			if ph != math.Trunc(ph) || ph < 1 || ph > 16 {
				p.fail(field+".phase", "must be a signal phase 1..16, got %v", ph)
				ok = false
			}
			a.Phase = int(ph)
		} else {
			ok = false
		}
		if v, has := p.num(m, "queue_flush_s", field+".queue_flush_s"); has {
			a.QueueFlushS = v
		}
		if v, has := p.num(m, "flow_veh_h", field+".flow_veh_h"); has {
			a.FlowVehH = v
		}
		if v, has := p.num(m, "sat_flow_veh_h", field+".sat_flow_veh_h"); has {
			a.SatFlowVehH = v
		}
		if a.StopLines, good = p.positions(m, "stop_lines", field+".stop_lines"); !good {
			ok = false
		}
		in.Approaches = append(in.Approaches, a)
	}
	if in.Nodes, good = p.positions(props, "nodes", "nodes"); !good {
		ok = false
	}
	if raw, has := props["timing"]; has && !isNull(raw) {
		if t, good := p.object("timing", raw); good {
			for _, tf := range []struct {
				key string
				dst *float64
			}{{"min_green_s", &in.Timing.MinGreenS}, {"yellow_s", &in.Timing.YellowS},
				{"all_red_s", &in.Timing.AllRedS}, {"ped_clearance_s", &in.Timing.PedClearanceS},
				{"max_preempt_s", &in.Timing.MaxPreemptS}} {
				if v, has := p.num(t, tf.key, "timing."+tf.key); has {
					*tf.dst = v
				}
			}
		} else {
			ok = false
		}
	}
	if ok {
		p.inv.Intersections = append(p.inv.Intersections, in)
	}
}

// positions reads an optional array of positions; ok is false when it is
// there and malformed (each error recorded).
func (p *mapLoader) positions(m map[string]json.RawMessage, key, field string) ([]orb.Point, bool) {
	raw, has := m[key]
	if !has || isNull(raw) {
		return nil, true
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		p.fail(field, "must be an array of positions, got %s", describeJSON(raw))
		return nil, false
	}
	out := make([]orb.Point, 0, len(items))
	ok := true
	for k, it := range items {
		pt, good := p.position(it, fmt.Sprintf("%s[%d]", field, k))
		ok = ok && good
		out = append(out, pt)
	}
	return out, ok
}

// restriction reads a turn restriction: a Point at the via node with the
// OSM restriction value and the ids of the roads from and to.
func (p *mapLoader) restriction(f, props map[string]json.RawMessage) {
	var r TurnRestriction
	ok := true
	if c, good := p.geometry(f, "Point"); good {
		r.Via, good = p.position(c, "geometry.coordinates")
		ok = good
	} else {
		ok = false
	}
	for _, fld := range []struct {
		key string
		dst *string
	}{{"id", &r.ID}, {"restriction", &r.Kind}, {"from", &r.From}, {"to", &r.To}} {
		v, good := p.reqStr(props, fld.key, fld.key)
		ok = ok && good
		*fld.dst = v
	}
	if ok {
		p.inv.Restrictions = append(p.inv.Restrictions, r)
	}
}

func (p *mapLoader) road(f, props map[string]json.RawMessage) {
	r := Road{SpeedMps: DefaultSpeedMps}
	ok := true
	if c, good := p.geometry(f, "LineString"); !good {
		ok = false
	} else if coords, fast := fastLineString(c); fast {
		r.Coords = coords
	} else {
		var pts []json.RawMessage
		if json.Unmarshal(c, &pts) != nil {
			p.fail("geometry.coordinates", "must be an array of positions, got %s", describeJSON(c))
			ok = false
		}
		if pts != nil && len(pts) < 2 {
			p.fail("geometry.coordinates", "a road needs at least two points, got %d", len(pts))
			ok = false
		}
		r.Coords = make([]orb.Point, 0, len(pts))
		for k, raw := range pts {
			pt, good := p.position(raw, fmt.Sprintf("geometry.coordinates[%d]", k))
			ok = ok && good
			r.Coords = append(r.Coords, pt)
		}
	}
	var good bool
	if r.ID, good = p.reqStr(props, "id", "id"); !good {
		ok = false
	}
	r.Name, _ = p.str(props, "name", "name")
	if class, has := p.str(props, "highway", "highway"); has {
		r.Class = class
		if s, known := ClassSpeedMps[class]; known {
			r.SpeedMps = s
		}
	}
	if raw, has := props["oneway"]; has && !isNull(raw) {
		if json.Unmarshal(raw, &r.Oneway) != nil {
			p.fail("oneway", "must be a boolean, got %s", describeJSON(raw))
			ok = false
		}
	}
	if v, has := p.num(props, "speed_mps", "speed_mps"); has {
		r.SpeedMps = v
	}
	if ok {
		p.inv.Roads = append(p.inv.Roads, r)
	}
}

// fastLineString decodes a well-formed array of at least two valid
// [lon, lat(, alt)] positions in one go; anything else (ok=false) takes the
// careful path that names the faulty element. Most of a map's bytes are
// road coordinates, so this is most of the load time.
func fastLineString(raw json.RawMessage) ([]orb.Point, bool) {
	var fast [][]float64
	if json.Unmarshal(raw, &fast) != nil || len(fast) < 2 {
		return nil, false
	}
	coords := make([]orb.Point, len(fast))
	for i, pos := range fast {
		if len(pos) < 2 || len(pos) > 3 {
			return nil, false
		}
		coords[i] = orb.Point{pos[0], pos[1]}
		if !validLonLat(coords[i]) {
			return nil, false
		}
	}
	return coords, true
}
