package ntcip

import (
	"strconv"
	"strings"
)

// The NTCIP 1202 (actuated signal controller, "ASC") objects greenwave
// uses, by OID. Every one sits under asc = 1.3.6.1.4.1.1206.4.2.1
// (nema.transportation.devices.asc). Columns of a table are followed by the
// row index; scalars by ".0". docs/ntcip.md says what each value means and
// where the numbers were read.
const (
	// OIDASC is the root of the NTCIP 1202 ASC subtree: the virtual
	// controller answers everything under it.
	OIDASC = "1.3.6.1.4.1.1206.4.2.1"

	// OIDMaxPhases (scalar): how many phases the controller has.
	OIDMaxPhases = OIDASC + ".1.1.0"
	// OIDMaxPhaseGroups (scalar): rows of the phase status and control
	// group tables; group g covers phases 8g-7..8g.
	OIDMaxPhaseGroups = OIDASC + ".1.3.0"

	// phaseStatusGroupTable (asc.1.4) columns, index: group number.
	oidPhaseStatusGroupNumber  = OIDASC + ".1.4.1.1"
	oidPhaseStatusGroupReds    = OIDASC + ".1.4.1.2"
	oidPhaseStatusGroupYellows = OIDASC + ".1.4.1.3"
	oidPhaseStatusGroupGreens  = OIDASC + ".1.4.1.4"

	// phaseControlGroupTable (asc.1.5) columns, index: group number.
	oidPhaseControlGroupNumber   = OIDASC + ".1.5.1.1"
	oidPhaseControlGroupPhaseOmt = OIDASC + ".1.5.1.2"
	oidPhaseControlGroupPedOmit  = OIDASC + ".1.5.1.3"
	oidPhaseControlGroupHold     = OIDASC + ".1.5.1.4"
	oidPhaseControlGroupForceOff = OIDASC + ".1.5.1.5"
	oidPhaseControlGroupVehCall  = OIDASC + ".1.5.1.6"
	oidPhaseControlGroupPedCall  = OIDASC + ".1.5.1.7"

	// OIDUnitBackupTime (scalar, seconds): with no write to a control
	// object for this long the controller enters backup mode and resets
	// every control object (preemptControlState included) to 0. 0 disables.
	OIDUnitBackupTime = OIDASC + ".3.3.0"
	// OIDUnitControlStatus (scalar): who controls the unit.
	OIDUnitControlStatus = OIDASC + ".3.5.0"
	// OIDUnitFlashStatus (scalar): whether, and why, the unit is in flash.
	OIDUnitFlashStatus = OIDASC + ".3.6.0"

	// OIDMaxPreempts (scalar): rows of the preempt tables.
	OIDMaxPreempts = OIDASC + ".6.1.0"

	// preemptTable (asc.6.2) columns, index: preempt input number.
	oidPreemptNumber     = OIDASC + ".6.2.1.1"
	oidPreemptDwellPhase = OIDASC + ".6.2.1.13"
	oidPreemptState      = OIDASC + ".6.2.1.16"

	// preemptControlTable (asc.6.3) columns, index: preempt input number.
	oidPreemptControlNumber = OIDASC + ".6.3.1.1"
	oidPreemptControlState  = OIDASC + ".6.3.1.2"
)

// PreemptControlState is the OID of preemptControlState.n: write 1 to
// activate preempt input n remotely, 0 to hand it back to the physical
// input. This is the object USDOT V2X-Hub's PreemptionPlugin sets (its
// BasePreemptionOid, .1.3.6.1.4.1.1206.4.2.1.6.3.1.2.).
func PreemptControlState(n int) string { return index(oidPreemptControlState, n) }

// PreemptState is the OID of preemptState.n, the state of preempt n
// (PreemptStateValue).
func PreemptState(n int) string { return index(oidPreemptState, n) }

// PreemptDwellPhase is the OID of preemptDwellPhase.n: an octet string,
// one phase number per octet, the phases green while preempt n dwells.
func PreemptDwellPhase(n int) string { return index(oidPreemptDwellPhase, n) }

// PhaseStatusGroupGreens is the OID of phaseStatusGroupGreens.g: a bit per
// phase of group g (PhaseGroupBit), set while that phase is green.
func PhaseStatusGroupGreens(g int) string { return index(oidPhaseStatusGroupGreens, g) }

// PhaseStatusGroupYellows is the OID of phaseStatusGroupYellows.g.
func PhaseStatusGroupYellows(g int) string { return index(oidPhaseStatusGroupYellows, g) }

// PhaseStatusGroupReds is the OID of phaseStatusGroupReds.g.
func PhaseStatusGroupReds(g int) string { return index(oidPhaseStatusGroupReds, g) }

// PhaseControlGroupHold is the OID of phaseControlGroupHold.g: a set bit
// holds that phase's green (System Phase Hold).
func PhaseControlGroupHold(g int) string { return index(oidPhaseControlGroupHold, g) }

// PhaseControlGroupForceOff is the OID of phaseControlGroupForceOff.g: a
// set bit terminates that phase's green; the controller clears the bit
// when the green ends.
func PhaseControlGroupForceOff(g int) string { return index(oidPhaseControlGroupForceOff, g) }

// PhaseControlGroupVehCall is the OID of phaseControlGroupVehCall.g: a set
// bit places a vehicle call on that phase.
func PhaseControlGroupVehCall(g int) string { return index(oidPhaseControlGroupVehCall, g) }

// PhaseControlGroupPhaseOmit is the OID of phaseControlGroupPhaseOmit.g.
func PhaseControlGroupPhaseOmit(g int) string { return index(oidPhaseControlGroupPhaseOmt, g) }

func index(column string, n int) string { return column + "." + strconv.Itoa(n) }

// PreemptStateValue is preemptState's enumeration (NTCIP 1202 preemptEntry
// column 16).
type PreemptStateValue int

// The values of preemptState.
const (
	PreemptOther             PreemptStateValue = 1 // none of the others
	PreemptNotActive         PreemptStateValue = 2 // input off, preempt not timing
	PreemptNotActiveWithCall PreemptStateValue = 3 // input on, preempt delay still timing
	PreemptEntryStarted      PreemptStateValue = 4 // entry: terminating the running phases safely
	PreemptTrackService      PreemptStateValue = 5 // track clearance green (railroad preempts)
	PreemptDwell             PreemptStateValue = 6 // dwell: the preempt's phases are green
	PreemptLinkActive        PreemptStateValue = 7 // handing over to a linked preempt
	PreemptExitStarted       PreemptStateValue = 8 // exit: returning to normal operation
	PreemptMaxPresence       PreemptStateValue = 9 // the input stayed on past its maximum presence; it is ignored until it drops
)

var preemptStateNames = [...]string{"", "other", "notActive", "notActiveWithCall", "entryStarted", "trackService", "dwell", "linkActive", "exitStarted", "maxPresence"}

// String is the MIB's name of the value.
func (v PreemptStateValue) String() string {
	if v >= 1 && int(v) < len(preemptStateNames) {
		return preemptStateNames[v]
	}
	return "preemptState(" + strconv.Itoa(int(v)) + ")"
}

// Valid reports whether v is one of the enumeration's values.
func (v PreemptStateValue) Valid() bool { return v >= PreemptOther && v <= PreemptMaxPresence }

// Unit control status values (unitControlStatus).
const (
	UnitControlOther         = 1
	UnitControlSystem        = 2 // a central system (or gateway) is writing control objects
	UnitControlSystemStandby = 3
	UnitControlBackupMode    = 4 // no control write for unitBackupTime: control objects were reset
	UnitControlManual        = 5 // a technician has the unit on manual control
	UnitControlTimebase      = 6
)

// Unit flash status values (unitFlashStatus).
const (
	UnitFlashOther        = 1
	UnitFlashNotFlash     = 2
	UnitFlashAutomatic    = 3
	UnitFlashLocalManual  = 4
	UnitFlashFaultMonitor = 5
	UnitFlashMMU          = 6
	UnitFlashStartup      = 7
	UnitFlashPreempt      = 8
)

// PhaseGroups is how many eight-phase groups cover phases 1..16, all
// that the wire protocol carries.
const PhaseGroups = 2

// PhaseGroup returns the group (1-based) of phase and the bit that stands
// for it in that group's byte: bit 0 is phase 8g-7, bit 7 phase 8g
// (NTCIP 1202 phaseStatusGroup and phaseControlGroup descriptions).
func PhaseGroup(phase int) (group int, bit uint8) {
	return (phase-1)/8 + 1, 1 << uint((phase-1)%8)
}

// GroupPhases appends the phases whose bits are set in mask, group g's
// byte, in ascending order.
func GroupPhases(dst []int, g int, mask uint8) []int {
	for b := 0; b < 8; b++ {
		if mask&(1<<uint(b)) != 0 {
			dst = append(dst, 8*(g-1)+b+1)
		}
	}
	return dst
}

// trimDot returns oid without a leading dot: gosnmp writes ".1.3…",
// net-snmp and the constants here "1.3…" or ".1.3…".
func trimDot(oid string) string { return strings.TrimPrefix(oid, ".") }
