package registry

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/greenwave-project/greenwave/wire"
)

// MaxVehicles bounds a registry's size, so that a file gone wrong cannot
// exhaust memory (a city's whole fleet is a few thousand).
const MaxVehicles = 100000

// maxFileBytes bounds the file read: 100,000 vehicles of 200 bytes.
const maxFileBytes = 20 << 20

// Vehicle is one registered vehicle.
type Vehicle struct {
	ID       string `yaml:"vehicle_id"`
	Agency   string `yaml:"agency"`
	Class    string `yaml:"class"`    // ambulance, fire, police, ...
	Priority int    `yaml:"priority"` // 1 (highest) .. 255; 0 in a file means DefaultPriority
	// Identity is the broker identity the vehicle connects as: its MQTT
	// user name, or its client certificate's common name when the broker
	// takes that as the user name. Empty in a file means the vehicle_id.
	Identity string `yaml:"identity"`
}

// DefaultPriority is the priority of a vehicle whose entry gives none:
// the highest, as the engine's default.
const DefaultPriority = wire.HighestPriority

// Registry is a loaded, validated vehicle list. It is immutable: a reload
// builds a new one.
type Registry struct {
	byID map[string]Vehicle
	ids  []string // sorted
}

// Lookup returns the vehicle registered as id.
func (r *Registry) Lookup(id string) (Vehicle, bool) {
	v, ok := r.byID[id]
	return v, ok
}

// Len is how many vehicles are registered.
func (r *Registry) Len() int { return len(r.ids) }

// Vehicles returns every vehicle, by id.
func (r *Registry) Vehicles() []Vehicle {
	out := make([]Vehicle, len(r.ids))
	for i, id := range r.ids {
		out[i] = r.byID[id]
	}
	return out
}

// Priorities returns each vehicle's priority by id: the engine's
// Config.Priorities (controller.Engine.SetPriorities on a reload).
func (r *Registry) Priorities() map[string]int {
	out := make(map[string]int, len(r.byID))
	for id, v := range r.byID {
		out[id] = v.Priority
	}
	return out
}

// Load reads a registry file: CSV when its name ends in .csv, YAML when
// in .yaml or .yml.
func Load(path string) (*Registry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vehicle registry: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("vehicle registry %s: %w", path, err)
	}
	if len(b) > maxFileBytes {
		return nil, fmt.Errorf("vehicle registry %s: larger than %d MiB", path, maxFileBytes>>20)
	}
	var r *Registry
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		r, err = ParseCSV(b)
	case ".yaml", ".yml":
		r, err = ParseYAML(b)
	default:
		return nil, fmt.Errorf("vehicle registry %s: the file name must end in .csv, .yaml or .yml", path)
	}
	if err != nil {
		return nil, fmt.Errorf("vehicle registry %s: %w", path, err)
	}
	return r, nil
}

// csvColumns are the columns a CSV registry may have, in any order; the
// header row names them. vehicle_id is required.
var csvColumns = []string{"vehicle_id", "agency", "class", "priority", "identity"}

// ParseCSV reads a CSV registry: a header row naming its columns (of
// vehicle_id, agency, class, priority, identity; vehicle_id required),
// then one vehicle a row. Lines starting with # are comments.
func ParseCSV(b []byte) (*Registry, error) {
	cr := csv.NewReader(bytes.NewReader(b))
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty: a header row (vehicle_id,agency,class,priority,identity) is required")
	}
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(csvColumns, h) {
			return nil, fmt.Errorf("header: unknown column %q (the columns are %s)", h, strings.Join(csvColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("header: column %q twice", h)
		}
		col[h] = i
	}
	if _, ok := col["vehicle_id"]; !ok {
		return nil, errors.New("header: no vehicle_id column")
	}
	cr.FieldsPerRecord = len(header)
	var vs []Vehicle
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		v := Vehicle{ID: get("vehicle_id"), Agency: get("agency"), Class: get("class"), Identity: get("identity")}
		if p := get("priority"); p != "" {
			if v.Priority, err = strconv.Atoi(p); err != nil {
				return nil, fmt.Errorf("line %d: priority: %q is not a number", line, p)
			}
		}
		vs, lines = append(vs, v), append(lines, line)
		if len(vs) > MaxVehicles {
			return nil, fmt.Errorf("more than %d vehicles", MaxVehicles)
		}
	}
	return build(vs, func(i int) string { return "line " + strconv.Itoa(lines[i]) })
}

// ParseYAML reads a YAML registry: a mapping with one key, vehicles, a
// list of {vehicle_id, agency, class, priority, identity}. Unknown keys
// are errors (a misspelt key must not silently leave a field empty).
func ParseYAML(b []byte) (*Registry, error) {
	var doc struct {
		Vehicles []Vehicle `yaml:"vehicles"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, errors.New("empty: a list under \"vehicles\" is required")
		}
		return nil, err
	}
	if len(doc.Vehicles) > MaxVehicles {
		return nil, fmt.Errorf("more than %d vehicles", MaxVehicles)
	}
	return build(doc.Vehicles, func(i int) string { return "vehicles[" + strconv.Itoa(i) + "]" })
}

// New validates vs and builds a registry from them.
func New(vs []Vehicle) (*Registry, error) {
	return build(vs, func(i int) string { return "vehicle " + strconv.Itoa(i) })
}

func build(vs []Vehicle, where func(int) string) (*Registry, error) {
	r := &Registry{byID: make(map[string]Vehicle, len(vs))}
	identities := map[string]string{}
	for i, v := range vs {
		if v.Priority == 0 {
			v.Priority = DefaultPriority
		}
		if v.Identity == "" {
			v.Identity = v.ID
		}
		if err := v.validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", where(i), err)
		}
		if _, dup := r.byID[v.ID]; dup {
			return nil, fmt.Errorf("%s: vehicle_id %q listed twice", where(i), v.ID)
		}
		if other, dup := identities[v.Identity]; dup {
			return nil, fmt.Errorf("%s: identity %q is already %s's: one broker identity speaks for one vehicle", where(i), v.Identity, other)
		}
		identities[v.Identity] = v.ID
		r.byID[v.ID] = v
	}
	r.ids = slices.Sorted(maps.Keys(r.byID))
	return r, nil
}

func (v Vehicle) validate() error {
	if err := wire.CheckID("vehicle_id", v.ID, true); err != nil {
		return err
	}
	if v.Priority < wire.HighestPriority || v.Priority > wire.LowestPriority {
		return fmt.Errorf("priority: must be in 1..255, got %d", v.Priority)
	}
	if v.Class != "" && !wire.ValidID(v.Class) {
		return fmt.Errorf("class: must match %s, got %q", wire.IDPattern, v.Class)
	}
	if len(v.Agency) > 128 || strings.ContainsFunc(v.Agency, unicode.IsControl) {
		return errors.New("agency: at most 128 characters, no control characters")
	}
	// An identity goes into the broker's ACL file and topic patterns:
	// no white space (the ACL file's separator), no wildcards.
	if len(v.Identity) > 128 || strings.ContainsFunc(v.Identity, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '+' || r == '#' || r == '/'
	}) {
		return fmt.Errorf("identity: at most 128 characters, no white space, '+', '#' or '/', got %q", v.Identity)
	}
	return nil
}

// CheckNames refuses a registry where a vehicle_id or identity is also
// the name of something else the broker's ACL patterns key on: an
// intersection id or a controller id. Under the shipped ACL, a broker
// user named like an intersection could write that intersection's status.
func (r *Registry) CheckNames(others map[string]string) error {
	for _, id := range r.ids {
		v := r.byID[id]
		for _, name := range []string{v.ID, v.Identity} {
			if what, taken := others[name]; taken {
				return fmt.Errorf("vehicle registry: vehicle %q: %q is also %s: give vehicles, intersections and controllers distinct names (docs/security.md)", v.ID, name, what)
			}
		}
	}
	return nil
}

// MosquittoACL writes the Mosquitto ACL rules (acl_file syntax) that let
// each vehicle whose identity is not its vehicle_id write its own topics
// under topicRoot (and read its advisories): the shipped ACL's patterns
// cover the vehicles whose identity is their id. Append its output to
// the broker's ACL file.
func (r *Registry) MosquittoACL(w io.Writer, topicRoot string) error {
	var b strings.Builder
	b.WriteString("# Generated by greenwave acl from the vehicle registry: vehicles whose\n" +
		"# broker identity is not their vehicle_id. Append to the broker's acl_file.\n")
	n := 0
	for _, id := range r.ids {
		v := r.byID[id]
		if v.Identity == v.ID {
			continue
		}
		n++
		prefix := topicRoot + "/v1/vehicles/" + v.ID + "/"
		fmt.Fprintf(&b, "\nuser %s\ntopic write %sposition\ntopic write %sroute\ntopic read %sadvisory\n", v.Identity, prefix, prefix, prefix)
	}
	if n == 0 {
		b.WriteString("# (none: every vehicle's identity is its vehicle_id, which the shipped patterns cover)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
