package wire

// Phase numbers run from MinPhase to MaxPhase. Sixteen is the phase count of
// NEMA TS2 / NTCIP 1202 controllers as deployed (the dual-ring eight plus the
// extra phases and overlaps that bigger intersections use); a larger number
// on the wire is far more likely a bug than a real intersection. The bound
// also lets a set of phases live in one uint16 (see PhaseBit), which keeps
// the engine and the roadside state machine free of allocations.
const (
	MinPhase = 1
	MaxPhase = 16
)

// ValidPhase reports whether p is a phase number of the protocol.
func ValidPhase(p int) bool { return p >= MinPhase && p <= MaxPhase }

// PhaseBit is phase p's bit in a set of phases held in a uint16 (bit p-1).
// p must be a valid phase.
func PhaseBit(p int) uint16 { return 1 << (p - 1) }

// Priority bounds for Command.Priority: 1 is the highest (wire protocol).
// 255 leaves room for any ranking a city uses while still catching garbage.
const (
	HighestPriority = 1
	LowestPriority  = 255
)

// MaxEtaSeconds bounds Command.EtaS. Preempts are requested a minute or so
// ahead; an ETA an hour out is a unit error, not a plan.
const MaxEtaSeconds = 3600
