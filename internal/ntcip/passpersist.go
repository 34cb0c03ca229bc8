package ntcip

import (
	"bufio"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// The answers of net-snmp's pass_persist protocol to a refused SET
// (snmpd.conf(5), "pass_persist"); snmpd turns them into the PDU's
// error-status (wrongValue, notWritable, ... in v2c and v3; badValue or
// readOnly in v1).
var (
	errNotWritable       = errors.New("not-writable")
	errWrongType         = errors.New("wrong-type")
	errWrongValue        = errors.New("wrong-value")
	errInconsistentValue = errors.New("inconsistent-value")
)

type valueKind uint8

const (
	kindInteger valueKind = iota
	kindOctets
)

type value struct {
	kind valueKind
	i    int
	b    []byte
}

// object is one instance the virtual controller serves. get runs with the
// controller's lock held and the unit advanced to now; so does set, which
// is nil for a read-only object.
type object struct {
	oid  []uint32
	name string
	get  func(v *Virtual) value
	set  func(v *Virtual, now time.Time, i int) error
}

func intValue(i int) value { return value{kind: kindInteger, i: i} }

// buildObjects lists every instance, sorted by OID (for GETNEXT and walks).
func (v *Virtual) buildObjects() []object {
	var objs []object
	add := func(oid, name string, get func(*Virtual) value, set func(*Virtual, time.Time, int) error) {
		parsed, err := parseOID(oid)
		if err != nil {
			panic("ntcip: bad built-in OID " + oid) // a bug in the table, caught by every test
		}
		objs = append(objs, object{oid: parsed, name: name, get: get, set: set})
	}
	add(OIDMaxPhases, "maxPhases.0", func(v *Virtual) value { return intValue(v.maxPhases()) }, nil)
	add(OIDMaxPhaseGroups, "maxPhaseGroups.0", func(*Virtual) value { return intValue(PhaseGroups) }, nil)
	for g := 1; g <= PhaseGroups; g++ {
		gs := "." + strconv.Itoa(g)
		add(index(oidPhaseStatusGroupNumber, g), "phaseStatusGroupNumber"+gs, func(*Virtual) value { return intValue(g) }, nil)
		add(PhaseStatusGroupReds(g), "phaseStatusGroupReds"+gs, func(v *Virtual) value {
			return intValue(int(groupMask(g, func(p int) bool { return v.plan.StageOf(p) >= 0 && v.unit.Indication(p) == signals.Red })))
		}, nil)
		add(PhaseStatusGroupYellows(g), "phaseStatusGroupYellows"+gs, func(v *Virtual) value {
			return intValue(int(groupMask(g, func(p int) bool { return v.unit.Indication(p) == signals.Yellow })))
		}, nil)
		add(PhaseStatusGroupGreens(g), "phaseStatusGroupGreens"+gs, func(v *Virtual) value {
			return intValue(int(groupMask(g, v.unit.IsGreen)))
		}, nil)
		add(index(oidPhaseControlGroupNumber, g), "phaseControlGroupNumber"+gs, func(*Virtual) value { return intValue(g) }, nil)
		add(PhaseControlGroupPhaseOmit(g), "phaseControlGroupPhaseOmit"+gs, func(v *Virtual) value { return intValue(int(v.omit[g-1])) },
			maskSetter(func(v *Virtual) *uint8 { return &v.omit[g-1] }))
		add(index(oidPhaseControlGroupPedOmit, g), "phaseControlGroupPedOmit"+gs, func(v *Virtual) value { return intValue(int(v.pedOmit[g-1])) },
			maskSetter(func(v *Virtual) *uint8 { return &v.pedOmit[g-1] }))
		add(PhaseControlGroupHold(g), "phaseControlGroupHold"+gs, func(v *Virtual) value { return intValue(int(v.hold[g-1])) },
			func(v *Virtual, now time.Time, i int) error {
				if i < 0 || i > 255 {
					return errWrongValue
				}
				if v.fault && uint8(i)&^v.hold[g-1] != 0 {
					return errInconsistentValue
				}
				hold := v.hold
				hold[g-1] = uint8(i)
				if err := v.setHold(now, hold, "phaseControlGroupHold"); err != nil {
					return errWrongValue
				}
				v.controlWritten(now)
				return nil
			})
		add(PhaseControlGroupForceOff(g), "phaseControlGroupForceOff"+gs, func(v *Virtual) value {
			// The controller clears a force-off bit when that phase's green
			// ends (NTCIP 1202); a bit for a phase not green has done its job.
			v.forceOff[g-1] &= groupMask(g, v.unit.IsGreen)
			return intValue(int(v.forceOff[g-1]))
		}, maskSetter(func(v *Virtual) *uint8 { return &v.forceOff[g-1] }))
		add(PhaseControlGroupVehCall(g), "phaseControlGroupVehCall"+gs, func(v *Virtual) value { return intValue(int(v.vehCall[g-1])) },
			maskSetter(func(v *Virtual) *uint8 { return &v.vehCall[g-1] }))
		add(index(oidPhaseControlGroupPedCall, g), "phaseControlGroupPedCall"+gs, func(v *Virtual) value { return intValue(int(v.pedCall[g-1])) },
			maskSetter(func(v *Virtual) *uint8 { return &v.pedCall[g-1] }))
	}
	add(OIDUnitBackupTime, "unitBackupTime.0", func(v *Virtual) value { return intValue(v.backupTime) },
		func(v *Virtual, now time.Time, i int) error {
			if i < 0 || i > 65535 {
				return errWrongValue
			}
			v.backupTime = i
			v.controlWritten(now)
			return nil
		})
	add(OIDUnitControlStatus, "unitControlStatus.0", func(v *Virtual) value {
		switch {
		case v.fault:
			return intValue(UnitControlManual)
		case v.backup:
			return intValue(UnitControlBackupMode)
		case !v.lastControl.IsZero():
			return intValue(UnitControlSystem)
		}
		return intValue(UnitControlTimebase)
	}, nil)
	add(OIDUnitFlashStatus, "unitFlashStatus.0", func(*Virtual) value { return intValue(UnitFlashNotFlash) }, nil)
	add(OIDMaxPreempts, "maxPreempts.0", func(v *Virtual) value { return intValue(v.maxPreempts) }, nil)
	for _, n := range v.inputs {
		ns := "." + strconv.Itoa(n)
		add(index(oidPreemptNumber, n), "preemptNumber"+ns, func(*Virtual) value { return intValue(n) }, nil)
		add(PreemptDwellPhase(n), "preemptDwellPhase"+ns, func(v *Virtual) value {
			return value{kind: kindOctets, b: []byte{byte(v.dwell[n])}}
		}, nil)
		if !v.noState {
			add(PreemptState(n), "preemptState"+ns, func(v *Virtual) value { return intValue(int(v.preemptState(n))) }, nil)
		}
		add(index(oidPreemptControlNumber, n), "preemptControlNumber"+ns, func(*Virtual) value { return intValue(n) }, nil)
		add(PreemptControlState(n), "preemptControlState"+ns, func(v *Virtual) value { return intValue(boolInt(v.control[n])) },
			func(v *Virtual, now time.Time, i int) error {
				if i != 0 && i != 1 {
					return errWrongValue // SYNTAX INTEGER (0..1)
				}
				if i == 1 && v.fault {
					return errInconsistentValue
				}
				if err := v.setControl(now, n, i == 1, "preemptControlState"); err != nil {
					if errors.Is(err, signals.ErrFault) || errors.Is(err, signals.ErrTooManyRequests) {
						return errInconsistentValue
					}
					return errWrongValue
				}
				v.controlWritten(now)
				return nil
			})
	}
	slices.SortFunc(objs, func(a, b object) int { return compareOID(a.oid, b.oid) })
	return objs
}

// maskSetter is the SET of a phase control bit mask with no effect on the
// unit beyond being stored (and resetting the backup timer).
func maskSetter(field func(*Virtual) *uint8) func(*Virtual, time.Time, int) error {
	return func(v *Virtual, now time.Time, i int) error {
		if i < 0 || i > 255 {
			return errWrongValue
		}
		*field(v) = uint8(i)
		v.controlWritten(now)
		return nil
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseOID parses a dotted OID, with or without the leading dot.
func parseOID(s string) ([]uint32, error) {
	s = trimDot(strings.TrimSpace(s))
	if s == "" {
		return nil, errors.New("empty OID")
	}
	parts := strings.Split(s, ".")
	out := make([]uint32, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, errors.New("not an OID: " + wire.Quote(s, 80))
		}
		out[i] = uint32(n)
	}
	return out, nil
}

func formatOID(oid []uint32) string {
	var b strings.Builder
	for _, n := range oid {
		b.WriteByte('.')
		b.WriteString(strconv.FormatUint(uint64(n), 10))
	}
	return b.String()
}

func compareOID(a, b []uint32) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// find returns the index of the object with exactly oid, or -1.
func (v *Virtual) find(oid []uint32) int {
	i, ok := slices.BinarySearchFunc(v.objects, oid, func(o object, t []uint32) int { return compareOID(o.oid, t) })
	if !ok {
		return -1
	}
	return i
}

// next returns the index of the first object after oid, or -1.
func (v *Virtual) next(oid []uint32) int {
	i, found := slices.BinarySearchFunc(v.objects, oid, func(o object, t []uint32) int { return compareOID(o.oid, t) })
	if found {
		i++
	}
	if i >= len(v.objects) {
		return -1
	}
	return i
}

// Get returns the value of the instance oid as net-snmp's pass_persist
// writes it (type line, value line), or ok false when there is none.
func (v *Virtual) Get(oid string) (typ, val string, ok bool) {
	parsed, err := parseOID(oid)
	if err != nil {
		return "", "", false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.now()
	i := v.find(parsed)
	if i < 0 {
		return "", "", false
	}
	typ, val = v.objects[i].get(v).passPersist()
	return typ, val, true
}

func (x value) passPersist() (typ, val string) {
	if x.kind == kindOctets {
		return "octet", strings.ToUpper(hex.EncodeToString(x.b))
	}
	return "integer", strconv.Itoa(x.i)
}

// Set writes an integer to the instance oid. The error is one of the
// pass_persist refusals.
func (v *Virtual) Set(oid string, i int) error {
	parsed, err := parseOID(oid)
	if err != nil {
		return errNotWritable
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	idx := v.find(parsed)
	if idx < 0 || v.objects[idx].set == nil {
		return errNotWritable
	}
	return v.objects[idx].set(v, now, i)
}

// ServePassPersist answers net-snmp's pass_persist protocol on r and w
// until r ends: PING, get, getnext and set, each a few lines
// (snmpd.conf(5)). snmpd sends an empty line after each set's value; empty
// lines and unknown commands get no answer, so the two sides never fall
// out of step.
func (v *Virtual) ServePassPersist(r io.Reader, w io.Writer) error {
	in := bufio.NewScanner(r)
	in.Buffer(make([]byte, 4096), 64<<10)
	out := bufio.NewWriter(w)
	line := func() (string, bool) {
		if !in.Scan() {
			return "", false
		}
		return strings.TrimRight(in.Text(), "\r"), true
	}
	for {
		cmd, ok := line()
		if !ok {
			return in.Err()
		}
		switch strings.ToLower(cmd) {
		case "":
			continue
		case "ping":
			out.WriteString("PONG\n")
		case "get", "getnext":
			oid, ok := line()
			if !ok {
				return in.Err()
			}
			v.answer(out, strings.ToLower(cmd) == "getnext", oid)
		case "set":
			oid, ok := line()
			if !ok {
				return in.Err()
			}
			val, ok := line()
			if !ok {
				return in.Err()
			}
			if err := v.setPassPersist(oid, val); err != nil {
				out.WriteString(err.Error() + "\n")
			} else {
				out.WriteString("DONE\n")
			}
		default:
			v.log.Warn("vcontroller: unknown pass_persist command ignored", zap.String("command", truncate(cmd, 40)))
			continue
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
}

func (v *Virtual) answer(out *bufio.Writer, next bool, oid string) {
	parsed, err := parseOID(oid)
	if err != nil {
		out.WriteString("NONE\n")
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.requests++
	v.now()
	var i int
	if next {
		i = v.next(parsed)
	} else {
		i = v.find(parsed)
	}
	if i < 0 {
		out.WriteString("NONE\n")
		return
	}
	typ, val := v.objects[i].get(v).passPersist()
	out.WriteString(formatOID(v.objects[i].oid) + "\n" + typ + "\n" + val + "\n")
}

// setPassPersist parses a set's value line ("integer 1", "string \"x\"",
// ...) and writes it.
func (v *Virtual) setPassPersist(oid, val string) error {
	typ, raw, _ := strings.Cut(strings.TrimSpace(val), " ")
	if !strings.EqualFold(typ, "integer") {
		if _, err := parseOID(oid); err == nil {
			v.mu.Lock()
			idx := v.find(mustOID(oid))
			v.mu.Unlock()
			if idx < 0 || v.objects[idx].set == nil {
				return errNotWritable
			}
		}
		return errWrongType
	}
	i, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil {
		return errWrongValue
	}
	return v.Set(oid, i)
}

func mustOID(s string) []uint32 {
	o, _ := parseOID(s)
	return o
}
