// Package signals is the signal side of greenwave: what a preempt command
// does to a real intersection. It holds an intersection's Timing, its
// fixed-time normal Plan and which of its phases may be green together
// (Compatibility), and Roadside, the state machine a roadside signal
// controller runs for emergency-vehicle preemption (NTCIP 1202 preempt
// semantics), which takes wire.Command and reports wire.Status. The
// simulator runs thousands of Roadside units against the controller; the
// roadside-unit simulator of the live service runs one per intersection
// behind MQTT. Both therefore see exactly the same behaviour.
//
// The package imports only package wire from the rest of greenwave, and
// nothing outside the standard library.
//
// # Normal operation
//
// A Plan is a fixed-time cycle of stages; every green is followed by
// yellow and all red. The cycle is referenced to the Unix epoch plus the
// plan's Offset, so every unit knows where its plan is from the time alone,
// and units on a corridor with offsets set to the travel time between them
// give ordinary traffic a background green wave without talking to each
// other. Preemption disturbs that; the exit recovery restores it.
//
// # Preemption
//
//	           preempt, phase not green           yellow + all red done
//	┌────────┐ ───────────────────────▶ ┌───────┐ ──────────────────▶ ┌──────┐
//	│ normal │                          │ entry │                     │ hold │
//	└────────┘ ──────────────────────────────────────────────────────▶└──────┘
//	   ▲  ▲       preempt, phase already green (no clearance needed)     │
//	   │  │                                                              │ release, expires_at,
//	   │  └──── plan would green the held stage next: keep it green ─────┤ controller offline,
//	   │                                                                 │ max preempt
//	   │   ┌──────┐  min green, yellow, all red; re-enter the plan       │
//	   └── │ exit │ ◀─────────────────────────────────────────────────────┘
//	       └──────┘
//	entry ──(its requests end, none waiting)──▶ exit, or normal if the plan greens that stage next
//	exit  ──(preempt)──▶ entry or hold, exactly as from normal
//	fault (any time): preempts end as above and new ones are refused until it clears
//
// Entry: the running green first completes its minimum green and the
// pedestrian clearance (counted from that green's start; never cut short,
// but never stretched past the plan's own end of that green either), then
// yellow, then all red; the stage containing the requested phase then goes
// green and the unit reports hold. Never green to green. From the moment a
// request is served, hold comes within Timing.WorstCaseEntry.
//
// Hold ends at the first of: the release of the last request sharing it;
// the expires_at of the last one (no command needed: NextChange schedules
// it); its controller going offline (ControllerOffline); Timing.MaxPreempt
// after the hold began. A request whose hold hit MaxPreempt is done: the
// unit refuses refreshes of it, so a controller that never lets go cannot
// re-hold the junction. During a preempt the held green's pedestrians stay
// dark, so on exit only its minimum green binds.
//
// A hold budget (HoldBudget; DefaultHoldBudget is 4 minutes of hold in any
// 10) caps the time held within a sliding window whatever the request
// ids, so that a fresh request_id every max preempt cannot hold the
// junction for ever: a hold ends where the budget runs out, and new
// preempts are refused (ErrHoldBudget) until the window has slid past
// enough of it.
//
// One preempt is served at a time. A request for a phase that the stage
// being brought up or held also greens shares it; Status.RequestID is the
// highest-priority, then earliest, request being served. A request for a
// conflicting phase waits; waiting requests are served in priority order
// (1 first), then arrival order, when the current one ends, unless they
// expired meanwhile.
//
// Exit recovery, chosen to restore coordination at once: once the held
// green has had its minimum, the unit clears it (yellow, all red) and
// greens the stage the plan is in at that instant, until the plan ends it;
// if less than a minimum green of that stage is left (or the plan is in a
// clearance), it greens the plan's next stage early instead, again until
// the plan ends it. From the end of that green on, the unit is exactly in
// step with its offset — no cycle is stretched or skipped to get there.
// When the stage the plan would give next is the held stage itself, the
// green simply continues into it rather than clearing and coming back.
// Normal operation uses the same rule at every stage change, so in step it
// just yields the next stage.
//
// Fault models a unit that refuses preemption (preempt input failed,
// manual control): it keeps cycling its plan's indications, reports
// "fault", and Apply refuses preempts with ErrFault. Flash is not modelled
// as indications; a simulator wanting flash can treat "fault" so.
//
// # Time
//
// Roadside owns no clock and no goroutine: every call carries now, and
// Advance runs each transition at its own exact instant however far it
// jumps (a discrete-event simulator can Advance to NextChange; the live
// roadside simulator can Advance on a ticker). A now earlier than one
// already seen acts at the latest time seen. The unit starts its plan at
// the first time it is given. Indication, IsGreen and GreenPhases give the
// indications now; DrainChanges/AppendChanges give every indication and
// state change with its exact time. Advance does not allocate in steady
// state (once the change buffer has grown, or with SetRecordChanges(false)).
package signals
