// Package signals is the signal side of greenwave: the Command and Status
// wire types with their validation, phase timing, the fixed-time normal
// plan, and the roadside unit's preemption state machine.
package signals
