package ntcip

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/greenwave-project/greenwave/internal/clock"
	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// virtualControllerID is the controller id the virtual controller gives
// the signals.Roadside requests it makes from SNMP writes.
const virtualControllerID = "snmp"

// noBackupExpiry is how far ahead a request made through SNMP expires
// when unitBackupTime is 0 (disabled): the input then stays on until it is
// written 0, and the unit's max preempt is what bounds the hold.
const noBackupExpiry = 24 * time.Hour

// VirtualOptions configures a Virtual controller.
type VirtualOptions struct {
	Clock  clock.Clock // default: the wall clock
	Logger *zap.Logger // default: no logging
	// PreemptInputs maps each preempt input number (1..255) to the phase
	// its preempt dwells on (preemptDwellPhase). Required.
	PreemptInputs map[int]int
	// BackupTime is unitBackupTime's initial value (whole seconds; 0
	// disables backup mode).
	BackupTime time.Duration
	// WithoutPreemptState leaves out preemptState, which NTCIP 1202 makes
	// optional: a controller that does not report its preempt state.
	WithoutPreemptState bool
	// OnChange, when set, is called (with the controller's lock held: do
	// not call back into it) at every change of a preempt input or phase
	// hold: what benchmarks time the gateway by.
	OnChange func(InputChange)
}

// InputChange is one change of a control object's value, with the time the
// virtual controller saw it: what tests check the gateway against.
type InputChange struct {
	At     time.Time
	Input  int  // preempt input number; 0 for a phase hold change
	On     bool // the new value
	Reason string
}

// Virtual is a virtual NTCIP 1202 signal controller: the objects of mib.go
// backed by a signals.Roadside running the intersection's normal plan, so
// a preempt written over SNMP enters, dwells and exits under the same
// safe rules as everywhere else in greenwave. It answers the net-snmp
// pass_persist protocol (PassPersist); Agent puts a real snmpd in front
// of it. Safe for concurrent use.
type Virtual struct {
	mu      sync.Mutex
	clk     clock.Clock
	log     *zap.Logger
	unit    *signals.Roadside
	plan    signals.Plan
	id      string
	objects []object // sorted by OID, for GETNEXT

	inputs       []int       // preempt input numbers, ascending
	dwell        map[int]int // input → dwell phase
	maxPreempts  int
	control      map[int]bool // preemptControlState
	capped       map[int]bool // input whose request reached max preempt
	lastServed   int          // the input last seen in entry or dwell
	hold         [PhaseGroups]uint8
	forceOff     [PhaseGroups]uint8
	vehCall      [PhaseGroups]uint8
	omit         [PhaseGroups]uint8
	pedOmit      [PhaseGroups]uint8
	pedCall      [PhaseGroups]uint8
	backupTime   int // seconds
	lastControl  time.Time
	backup       bool
	fault        bool
	history      []InputChange
	requestPhase map[string]int // Roadside request id → phase
	onChange     func(InputChange)
	requests     uint64 // pass_persist requests answered
	noState      bool
}

// Requests counts the SNMP requests (one per object) the controller has
// answered through pass_persist.
func (v *Virtual) Requests() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.requests
}

// NewVirtual builds the virtual controller of intersection id running plan
// with timing t.
func NewVirtual(id string, plan signals.Plan, t signals.Timing, opts VirtualOptions) (*Virtual, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Wall{}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	unit, err := signals.NewRoadside(id, plan, t)
	if err != nil {
		return nil, err
	}
	unit.SetRecordChanges(false)
	if len(opts.PreemptInputs) == 0 {
		return nil, errors.New("ntcip: virtual controller " + id + ": no preempt inputs")
	}
	if opts.BackupTime < 0 || opts.BackupTime > 65535*time.Second {
		return nil, fmt.Errorf("ntcip: virtual controller %s: backup time must be in 0..65535 s, got %v", id, opts.BackupTime)
	}
	v := &Virtual{
		clk: opts.Clock, log: opts.Logger, unit: unit, plan: unit.Plan(), id: id,
		dwell: map[int]int{}, control: map[int]bool{}, capped: map[int]bool{},
		backupTime: int(opts.BackupTime / time.Second), requestPhase: map[string]int{}, onChange: opts.OnChange,
		noState: opts.WithoutPreemptState,
	}
	for n, phase := range opts.PreemptInputs {
		if n < 1 || n > 255 {
			return nil, fmt.Errorf("ntcip: virtual controller %s: preempt input must be in 1..255, got %d", id, n)
		}
		if v.plan.StageOf(phase) < 0 {
			return nil, fmt.Errorf("ntcip: virtual controller %s: preempt input %d dwells on phase %d, which the plan does not serve", id, n, phase)
		}
		v.inputs = append(v.inputs, n)
		v.dwell[n] = phase
		v.maxPreempts = max(v.maxPreempts, n)
	}
	sort.Ints(v.inputs)
	unit.Advance(v.clk.Now())
	v.objects = v.buildObjects()
	return v, nil
}

// IntersectionID is the intersection the controller runs.
func (v *Virtual) IntersectionID() string { return v.id }

// Inputs returns the preempt inputs and the phase each dwells on.
func (v *Virtual) Inputs() map[int]int {
	out := make(map[int]int, len(v.dwell))
	for n, p := range v.dwell {
		out[n] = p
	}
	return out
}

// History returns every change of a preempt input or phase hold so far.
func (v *Virtual) History() []InputChange {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.history)
}

// Status is what the unit reports now, in wire form.
func (v *Virtual) Status() wire.Status {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	return v.unit.Status(now)
}

// SetFault puts the unit in or out of fault (a unit refusing preemption:
// manual control, a failed preempt input). While in fault, writing 1 to
// preemptControlState or a hold bit is refused with inconsistentValue.
func (v *Virtual) SetFault(on bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	v.fault = on
	v.unit.SetFault(now, on)
	if on {
		for _, n := range v.inputs {
			if v.control[n] {
				v.setControl(now, n, false, "fault")
			}
		}
		v.setHold(now, [PhaseGroups]uint8{}, "fault")
	}
}

// now advances the unit and applies backup mode; the caller holds mu.
func (v *Virtual) now() time.Time {
	now := v.clk.Now()
	if v.backupTime > 0 && !v.backup && !v.lastControl.IsZero() &&
		!now.Before(v.lastControl.Add(time.Duration(v.backupTime)*time.Second)) {
		at := v.lastControl.Add(time.Duration(v.backupTime) * time.Second)
		v.backup = true
		for _, n := range v.inputs {
			if v.control[n] {
				v.setControl(at, n, false, "backup mode")
			}
		}
		v.setHold(at, [PhaseGroups]uint8{}, "backup mode")
		v.forceOff, v.vehCall, v.omit, v.pedOmit, v.pedCall = [PhaseGroups]uint8{}, [PhaseGroups]uint8{}, [PhaseGroups]uint8{}, [PhaseGroups]uint8{}, [PhaseGroups]uint8{}
		v.log.Info("vcontroller: no control write for unitBackupTime: backup mode, control objects reset",
			zap.String("intersection_id", v.id), zap.Int("backup_time_s", v.backupTime))
	}
	v.unit.Advance(now)
	return now
}

func inputRequestID(n int) string { return "preempt-" + strconv.Itoa(n) }
func holdRequestID(p int) string  { return "hold-" + strconv.Itoa(p) }

// expiry is when a request written now lapses by itself.
func (v *Virtual) expiry(now time.Time) time.Time {
	if v.backupTime > 0 {
		return now.Add(time.Duration(v.backupTime) * time.Second)
	}
	return now.Add(noBackupExpiry)
}

// controlWritten notes a write to a control object at now: it resets the
// backup timer, so every live request's expiry moves.
func (v *Virtual) controlWritten(now time.Time) {
	v.lastControl = now
	v.backup = false
	for _, n := range v.inputs {
		if v.control[n] && !v.capped[n] {
			v.applyRequest(now, inputRequestID(n), v.dwell[n], n)
		}
	}
	for g := range v.hold {
		for _, p := range GroupPhases(nil, g+1, v.hold[g]) {
			v.applyRequest(now, holdRequestID(p), p, 100)
		}
	}
}

// applyRequest makes or refreshes a Roadside request.
func (v *Virtual) applyRequest(now time.Time, id string, phase, priority int) error {
	v.requestPhase[id] = phase
	err := v.unit.Apply(now, wire.Command{
		Type: wire.CommandPreempt, RequestID: id, ControllerID: virtualControllerID,
		IntersectionID: v.id, VehicleID: "snmp", Approach: "snmp", Phase: phase,
		Priority: max(1, min(priority, wire.LowestPriority)), IssuedAt: now, ExpiresAt: v.expiry(now),
	})
	var fe *wire.FieldError
	if errors.As(err, &fe) && fe.Field == "request_id" {
		// Held for max preempt already: the unit ignores the input until
		// it drops, as a controller past preemptMaximumPresence does.
		if n, ok := inputOf(id); ok {
			v.capped[n] = true
		}
		return nil
	}
	return err
}

func inputOf(requestID string) (int, bool) {
	s, ok := strings.CutPrefix(requestID, "preempt-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func (v *Virtual) release(now time.Time, id string) {
	_ = v.unit.Apply(now, wire.Command{Type: wire.CommandRelease, RequestID: id, ControllerID: virtualControllerID,
		IntersectionID: v.id, IssuedAt: now})
}

// setControl sets preemptControlState.n; the caller holds mu and has
// checked the fault state.
func (v *Virtual) setControl(now time.Time, n int, on bool, reason string) error {
	if on {
		if err := v.applyRequest(now, inputRequestID(n), v.dwell[n], n); err != nil {
			return err
		}
	} else {
		if v.unit.RequestID() == inputRequestID(n) {
			v.lastServed = n
		}
		v.release(now, inputRequestID(n))
		v.capped[n] = false
	}
	if v.control[n] != on {
		v.control[n] = on
		v.changed(InputChange{At: now, Input: n, On: on, Reason: reason})
		v.log.Info("vcontroller: preempt input", zap.String("intersection_id", v.id), zap.Int("input", n),
			zap.Bool("on", on), zap.String("reason", reason))
	}
	return nil
}

// maxHistory bounds the change history a long-running controller keeps.
const maxHistory = 4096

func (v *Virtual) changed(c InputChange) {
	if len(v.history) >= maxHistory {
		v.history = append(v.history[:0], v.history[len(v.history)/2:]...)
	}
	v.history = append(v.history, c)
	if v.onChange != nil {
		v.onChange(c)
	}
}

// setHold sets the phase hold bits; the caller holds mu.
func (v *Virtual) setHold(now time.Time, hold [PhaseGroups]uint8, reason string) error {
	for g := range hold {
		for _, p := range GroupPhases(nil, g+1, hold[g]&^v.hold[g]) {
			if v.plan.StageOf(p) < 0 {
				return fmt.Errorf("phase %d is not served", p)
			}
		}
	}
	for g := range hold {
		for _, p := range GroupPhases(nil, g+1, v.hold[g]&^hold[g]) {
			v.release(now, holdRequestID(p))
			v.changed(InputChange{At: now, Input: 0, On: false, Reason: reason + ": hold phase " + strconv.Itoa(p)})
		}
		for _, p := range GroupPhases(nil, g+1, hold[g]&^v.hold[g]) {
			if err := v.applyRequest(now, holdRequestID(p), p, 100); err != nil {
				return err
			}
			v.changed(InputChange{At: now, Input: 0, On: true, Reason: reason + ": hold phase " + strconv.Itoa(p)})
		}
	}
	v.hold = hold
	return nil
}

// preemptState is preemptState.n now; the caller holds mu.
func (v *Virtual) preemptState(n int) PreemptStateValue {
	if v.control[n] {
		if v.capped[n] {
			return PreemptMaxPresence
		}
		rid := v.unit.RequestID()
		if phase, ok := v.requestPhase[rid]; ok && rid != "" && v.sameStage(phase, v.dwell[n]) {
			v.lastServed = n
			switch v.unit.State() {
			case wire.StateEntry:
				return PreemptEntryStarted
			case wire.StateHold:
				return PreemptDwell
			}
		}
		return PreemptNotActiveWithCall
	}
	if v.lastServed == n && v.unit.State() == wire.StateExit {
		return PreemptExitStarted
	}
	return PreemptNotActive
}

// sameStage reports whether phase b is green in the stage that serves a,
// which is how the Roadside decides that two requests share a hold.
func (v *Virtual) sameStage(a, b int) bool {
	s := v.plan.StageOf(a)
	return s >= 0 && slices.Contains(v.plan.Stages[s].Phases, b)
}

// groupMask is the byte of group g (1-based) of the phases for which
// pred holds.
func groupMask(g int, pred func(int) bool) uint8 {
	var m uint8
	for b := 0; b < 8; b++ {
		if pred(8*(g-1) + b + 1) {
			m |= 1 << uint(b)
		}
	}
	return m
}

// maxPhases is the highest phase the plan serves.
func (v *Virtual) maxPhases() int {
	ph := v.plan.Phases()
	if len(ph) == 0 {
		return 0
	}
	return ph[len(ph)-1]
}
