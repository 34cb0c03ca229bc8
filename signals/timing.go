package signals

import (
	"time"

	"github.com/greenwave-project/greenwave/wire"
)

// Timing is one intersection's signal timing as far as preemption is
// concerned (map-format.md, "timing").
type Timing struct {
	MinGreen     time.Duration // a green, once started, lasts at least this long
	PedClearance time.Duration // flashing don't-walk after min green, before yellow
	Yellow       time.Duration // change interval after every green
	AllRed       time.Duration // red clearance after every yellow
	MaxPreempt   time.Duration // longest hold granted to one request
}

// DefaultTiming returns the defaults of map-format.md's example, used where
// an inventory leaves timing out: 7 s min green (the common floor for a
// through phase, giving queued drivers time to react), 12 s pedestrian
// clearance (a ~14 m crossing at 1.2 m/s walking speed, the MUTCD design
// speed), 4 s yellow (ITE change interval for ~50 km/h approaches), 2 s all
// red (clears a ~20 m wide junction at that speed), 90 s max preempt (long
// enough for a slow vehicle through heavy traffic, short enough that a
// stuck request does not starve the cross street for more than a cycle).
func DefaultTiming() Timing {
	return Timing{
		MinGreen:     7 * time.Second,
		PedClearance: 12 * time.Second,
		Yellow:       4 * time.Second,
		AllRed:       2 * time.Second,
		MaxPreempt:   90 * time.Second,
	}
}

// WorstCaseEntry is the longest a preempt can take to bring up its phase
// from the moment the unit receives it: the running green just started, so
// it completes min green and pedestrian clearance, then yellow, then all
// red (map-format.md's formula). The controller adds it to its lead time.
func (t Timing) WorstCaseEntry() time.Duration {
	return t.MinGreen + t.PedClearance + t.Yellow + t.AllRed
}

// Clearance is the change interval between two greens: yellow then all red.
func (t Timing) Clearance() time.Duration {
	return t.Yellow + t.AllRed
}

// Validate reports timing a real controller would refuse, as a *wire.FieldError
// named after the map-format.md field. Yellow and min
// green must be positive (a zero yellow is green-to-red with no warning);
// pedestrian clearance and all red may be zero (no crosswalk, or a city
// that runs none); a max preempt shorter than min green could not hold a
// green it brought up.
func (t Timing) Validate() error {
	switch {
	case t.MinGreen <= 0:
		return wire.Invalid("min_green_s", "must be positive, got "+t.MinGreen.String())
	case t.PedClearance < 0:
		return wire.Invalid("ped_clearance_s", "must not be negative, got "+t.PedClearance.String())
	case t.Yellow <= 0:
		return wire.Invalid("yellow_s", "must be positive, got "+t.Yellow.String())
	case t.AllRed < 0:
		return wire.Invalid("all_red_s", "must not be negative, got "+t.AllRed.String())
	case t.MaxPreempt < t.MinGreen:
		return wire.Invalid("max_preempt_s", "must be at least min green ("+t.MinGreen.String()+"), got "+t.MaxPreempt.String())
	}
	return nil
}
