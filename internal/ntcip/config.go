package ntcip

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Modes of an intersection's control.
const (
	// ModePreempt drives a preempt input (preemptControlState): the
	// controller runs its own preemption sequence, as for a siren or an
	// optical emitter at the cabinet.
	ModePreempt = "preempt"
	// ModePriority asks for priority instead: the requested phase is
	// held (phaseControlGroupHold) and called, and the conflicting phases
	// green now are forced off (phaseControlGroupForceOff). The controller
	// stays in coordination; it is gentler than preemption and slower.
	ModePriority = "priority"
)

// SNMP versions of the configuration.
const (
	VersionV1  = "v1"
	VersionV2c = "v2c"
	VersionV3  = "v3"
)

// Defaults of an intersection's settings.
const (
	DefaultPort    = 161
	DefaultPoll    = time.Second
	DefaultTimeout = 400 * time.Millisecond
	DefaultRetries = 1
	// DefaultRefresh re-writes a live preempt input this often: each write
	// resets the controller's backup timer (unitBackupTime), so a gateway
	// that dies lets the controller end the preempt by itself.
	DefaultRefresh = 2 * time.Second
	// DefaultMaxHold is the gateway's own backstop on how long one input
	// stays on without a break, whatever the commands say. The engine's
	// limit (the map's max_preempt_s, 90 s by default) is normally lower.
	DefaultMaxHold = 5 * time.Minute
	// DefaultRetryAfterRefusal is how long an intersection whose
	// controller refused a write stays in fault before it is offered again.
	DefaultRetryAfterRefusal = 10 * time.Second
)

// Duration is a time.Duration written as in Go ("500ms", "2s") in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 500ms or 2s", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// SNMPConfig is how to talk to one controller.
type SNMPConfig struct {
	Version        string `yaml:"version"`         // v1, v2c or v3
	Community      string `yaml:"community"`       // v1, v2c: the read-write community
	User           string `yaml:"user"`            // v3 (authPriv only)
	Auth           string `yaml:"auth"`            // v3: MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512
	AuthPassphrase string `yaml:"auth_passphrase"` // v3
	Priv           string `yaml:"priv"`            // v3: DES or AES
	PrivPassphrase string `yaml:"priv_passphrase"` // v3
}

// PreemptInputs maps what a command carries to the controller's preempt
// input: its approach first, else its phase.
type PreemptInputs struct {
	ByApproach map[string]int `yaml:"by_approach"`
	ByPhase    map[int]int    `yaml:"by_phase"`
}

// IntersectionConfig is one intersection's controller.
type IntersectionConfig struct {
	Address string        `yaml:"address"` // host or host:port (default port 161)
	SNMP    SNMPConfig    `yaml:"snmp"`
	Mode    string        `yaml:"mode"` // preempt (default) or priority
	Preempt PreemptInputs `yaml:"preempt"`
	Poll    Duration      `yaml:"poll"`    // status poll period
	Timeout Duration      `yaml:"timeout"` // one SNMP request
	Retries *int          `yaml:"retries"` // resends after a timeout
	Refresh Duration      `yaml:"refresh"` // re-write period of a live input
	MaxHold Duration      `yaml:"max_hold"`
	// RetryAfterRefusal: how long a refused write keeps the intersection
	// in fault before it is offered again.
	RetryAfterRefusal Duration `yaml:"retry_after_refusal"`
}

// Config is the gateway's controllers file.
type Config struct {
	// Defaults apply to every intersection that leaves a setting out.
	Defaults      IntersectionConfig            `yaml:"defaults"`
	Intersections map[string]IntersectionConfig `yaml:"intersections"`
}

// LoadConfig reads and validates a controllers file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("controllers file: %w", err)
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("controllers file %s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig parses and validates a controllers file's text: unknown
// keys, wrong types and every invalid value are errors naming the
// setting (intersections.I-204.snmp.auth ...). Defaults are filled in.
func ParseConfig(b []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var cfg Config
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(cfg.Intersections) == 0 {
		return nil, errors.New("intersections: at least one is required")
	}
	for _, id := range cfg.IDs() {
		c := cfg.Intersections[id]
		c.inherit(cfg.Defaults)
		c.fillDefaults()
		if err := c.validate(id); err != nil {
			return nil, err
		}
		cfg.Intersections[id] = c
	}
	return &cfg, nil
}

// IDs lists the intersections, sorted.
func (c *Config) IDs() []string {
	ids := make([]string, 0, len(c.Intersections))
	for id := range c.Intersections {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// inherit fills what c leaves out from d.
func (c *IntersectionConfig) inherit(d IntersectionConfig) {
	if c.Address == "" {
		c.Address = d.Address
	}
	if c.SNMP == (SNMPConfig{}) {
		c.SNMP = d.SNMP
	}
	if c.Mode == "" {
		c.Mode = d.Mode
	}
	if len(c.Preempt.ByApproach) == 0 && len(c.Preempt.ByPhase) == 0 {
		c.Preempt = d.Preempt
	}
	for _, f := range []struct{ dst, src *Duration }{{&c.Poll, &d.Poll}, {&c.Timeout, &d.Timeout}, {&c.Refresh, &d.Refresh},
		{&c.MaxHold, &d.MaxHold}, {&c.RetryAfterRefusal, &d.RetryAfterRefusal}} {
		if *f.dst == 0 {
			*f.dst = *f.src
		}
	}
	if c.Retries == nil {
		c.Retries = d.Retries
	}
}

func (c *IntersectionConfig) fillDefaults() {
	if c.SNMP.Version == "" {
		c.SNMP.Version = VersionV2c
	}
	if c.Mode == "" {
		c.Mode = ModePreempt
	}
	for _, f := range []struct {
		dst *Duration
		def time.Duration
	}{{&c.Poll, DefaultPoll}, {&c.Timeout, DefaultTimeout}, {&c.Refresh, DefaultRefresh}, {&c.MaxHold, DefaultMaxHold},
		{&c.RetryAfterRefusal, DefaultRetryAfterRefusal}} {
		if *f.dst == 0 {
			*f.dst = Duration(f.def)
		}
	}
	if c.Retries == nil {
		r := DefaultRetries
		c.Retries = &r
	}
	if c.Address != "" {
		if _, _, err := net.SplitHostPort(c.Address); err != nil {
			c.Address = net.JoinHostPort(c.Address, strconv.Itoa(DefaultPort))
		}
	}
}

func (c *IntersectionConfig) validate(id string) error {
	at := "intersections." + id + "."
	fail := func(field, format string, args ...any) error {
		return fmt.Errorf("%s%s: %s", at, field, fmt.Sprintf(format, args...))
	}
	if !validID(id) {
		return fmt.Errorf("intersections.%s: the id must match ^[A-Za-z0-9._-]{1,64}$", id)
	}
	if c.Address == "" {
		return fail("address", "required (host or host:port)")
	}
	host, port, err := net.SplitHostPort(c.Address)
	if err != nil || host == "" {
		return fail("address", "%q is not host or host:port", c.Address)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fail("address", "port %q is not in 1..65535", port)
	}
	s := c.SNMP
	switch s.Version {
	case VersionV1, VersionV2c:
		if s.Community == "" {
			return fail("snmp.community", "required for SNMP %s", s.Version)
		}
		if s.User != "" || s.AuthPassphrase != "" || s.PrivPassphrase != "" {
			return fail("snmp.user", "v3 credentials given with version %s", s.Version)
		}
	case VersionV3:
		if s.Community != "" {
			return fail("snmp.community", "not used by SNMPv3 (give user, auth, auth_passphrase, priv, priv_passphrase)")
		}
		if err := (V3User{Name: s.User, Auth: s.Auth, AuthPassphrase: s.AuthPassphrase, Priv: s.Priv, PrivPassphrase: s.PrivPassphrase}).Validate(at + "snmp."); err != nil {
			return err
		}
	default:
		return fail("snmp.version", "must be v1, v2c or v3, got %q", s.Version)
	}
	switch c.Mode {
	case ModePreempt:
		if len(c.Preempt.ByApproach) == 0 && len(c.Preempt.ByPhase) == 0 {
			return fail("preempt", "give by_approach or by_phase: which preempt input serves which approach or phase")
		}
	case ModePriority:
	default:
		return fail("mode", "must be preempt or priority, got %q", c.Mode)
	}
	for _, a := range sortedKeys(c.Preempt.ByApproach) {
		if !validID(a) {
			return fail("preempt.by_approach", "approach %q must match ^[A-Za-z0-9._-]{1,64}$", a)
		}
		if n := c.Preempt.ByApproach[a]; n < 1 || n > 255 {
			return fail("preempt.by_approach."+a, "preempt input must be in 1..255, got %d", n)
		}
	}
	for _, p := range sortedKeys(c.Preempt.ByPhase) {
		if p < minPhase || p > maxPhase {
			return fail("preempt.by_phase", "phase must be in 1..16, got %d", p)
		}
		if n := c.Preempt.ByPhase[p]; n < 1 || n > 255 {
			return fail("preempt.by_phase."+strconv.Itoa(p), "preempt input must be in 1..255, got %d", n)
		}
	}
	poll, timeout := time.Duration(c.Poll), time.Duration(c.Timeout)
	switch {
	case poll < 10*time.Millisecond || poll > time.Minute:
		return fail("poll", "must be in 10ms..1m, got %v", poll)
	case timeout < time.Millisecond || timeout > 10*time.Second:
		return fail("timeout", "must be in 1ms..10s, got %v", timeout)
	case *c.Retries < 0 || *c.Retries > 5:
		return fail("retries", "must be in 0..5, got %d", *c.Retries)
	case timeout*time.Duration(*c.Retries+1) > poll:
		// A poll's tries must fit in the poll period, or a controller that
		// dies mid-poll is reported fault later than two periods.
		return fail("timeout", "timeout × (retries+1) = %v exceeds the poll period %v", timeout*time.Duration(*c.Retries+1), poll)
	case time.Duration(c.Refresh) < 10*time.Millisecond || time.Duration(c.Refresh) > 10*time.Minute:
		return fail("refresh", "must be in 10ms..10m, got %v", time.Duration(c.Refresh))
	case time.Duration(c.MaxHold) < time.Second:
		return fail("max_hold", "must be at least 1s, got %v", time.Duration(c.MaxHold))
	case time.Duration(c.RetryAfterRefusal) < 0:
		return fail("retry_after_refusal", "must not be negative")
	}
	return nil
}

// Inputs returns every preempt input the intersection uses, ascending.
func (c *IntersectionConfig) Inputs() []int {
	set := map[int]bool{}
	for _, n := range c.Preempt.ByApproach {
		set[n] = true
	}
	for _, n := range c.Preempt.ByPhase {
		set[n] = true
	}
	return sortedKeys(set)
}

// InputFor is the preempt input serving a command's approach (first) or
// phase.
func (c *IntersectionConfig) InputFor(approach string, phase int) (int, bool) {
	if n, ok := c.Preempt.ByApproach[approach]; ok {
		return n, true
	}
	n, ok := c.Preempt.ByPhase[phase]
	return n, ok
}

type ordered interface{ ~int | ~string }

func sortedKeys[K ordered, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
