// Package controller is greenwave's decision engine: it turns vehicles'
// positions and routes and the roadside units' status into preempt and
// release commands for the signals, advisories for the crews, and a record
// of every decision and why it was taken.
//
// # Shape
//
// Engine is a pure state machine in the style of etcd raft's RawNode. Time
// comes in with every call; nothing inside reads a clock, starts a
// goroutine, does I/O or draws a random number, so the same calls give the
// same outputs, byte for byte — what the simulator shows is what the
// street gets.
//
//	e, err := controller.New(cfg, network)
//	e.Step(now, controller.PositionInput(fix))   // or RouteInput, StatusInput
//	e.Tick(now)                                   // at Ready().NextWakeup
//	rd := e.Ready()                               // Commands, Advisories, Decisions, NextWakeup
//
// A driver (the daemon with the wall clock and MQTT, the simulator with
// its event queue) feeds inputs, calls Tick no later than NextWakeup, and
// publishes what Ready returns. Ready's slices are the engine's buffers,
// valid until the next Step or Tick.
//
// Inside, the engine keeps its deadlines as nanoseconds from the first time
// it was given (see instant): the same differences as time.Time's, with
// monotonic readings honoured, at the cost of an integer comparison.
//
// The wire types of the vehicle side (wire.Position, wire.Route, wire.Advisory,
// wire.ControllerStatus) live here with their parsers and validation; the
// signal side's (wire.Command, wire.Status) live in package signals.
//
// # Tracking
//
// Each vehicle has its last accepted seq and ts, a smoothed speed (an
// exponentially weighted average of the reported speeds, or of the speed
// along its path when none is reported) and a path: the polyline it
// announced, the route to the destination it announced (computed at its
// first matched fix, and again whenever it leaves it), or else the road it
// is on, followed ahead (and extended as the vehicle drives). Each fix is
// located on the path by a routing.Cursor; the routing.Matcher, which
// matches a fix to the road graph, runs only when a path has to be found:
// no path yet, or the vehicle left it (more than OffPathToleranceM away,
// widened to three times the fix's accuracy_m up to 100 m so that a poor
// fix is not taken for a departure; or heading against it).
//
// # Policy
//
// Green wave (the default) plans each signal ahead where the roadside
// reports its coordinated plan (the optional status fields plan and
// in_step; planner.go, docs/planner.md). The engine keeps a replica of
// each such unit — its plan, with every command this engine sent it
// applied — and, for the signals within reach of a vehicle, forecasts with
// it every way of serving the vehicle: nothing (the plan's own green),
// extending its green, cutting the conflicting green early, or asking
// later on purpose, each valued by the other traffic's expected extra
// queueing (signals.Queue) plus Config.Price times the vehicle's expected
// delay over its ETA band. A small dynamic programme chooses for the next
// signals jointly (a delay at one moves the arrival at the next); only
// requests due now are sent, each re-planned with the newest estimate
// first. The default price, 400 vehicle-seconds a second, keeps the
// vehicle stop-free and trades a second or two of slowing where it spares
// a cross street a whole stage; an infinite price keeps the worst-case
// rule below and only withholds requests the plan's own green makes
// needless.
//
// Where no plan is known (or the replica disagrees with what the unit
// reports), the worst-case rule serves the signal: it is requested when
// the optimistic end of its ETA band (routing.Path.ETA's MinS) is within
// its lead time: the intersection's worst-case entry (min green +
// pedestrian clearance + yellow + all red) + the approach's queue flush
// (DefaultQueueFlush where the map gives none) + Margin. When the
// roadside's status reports that the vehicle's phase is green with a
// planned end (the optional green_until), no entry is needed while it
// lasts: the request waits until that end is within Margin, and is never
// made if the vehicle gets through first (see greenWave.want).
//
// The driver calls Reassert after reconnecting to the broker (the
// roadside units may have ended our preempts on our Last Will),
// ReleaseAll when it stops, and SetPriorities when its vehicle registry
// changes (between two inputs, without a restart).
//
// Range (the conventional baseline): a signal is requested when the vehicle
// is within RangeM of it along its path, whatever its speed; its hold is
// also capped by RangeTimeout.
//
// A request is one passage of one vehicle through one intersection,
// named "{vehicle_id}.{intersection_id}.{n}" with n counting the passages
// requested at that intersection since the engine started — so a later
// passage always gets a new id, even from a vehicle forgotten in between
// (shortened with a hash when longer than the 64 characters of an
// identifier). It is kept alive by re-sending the same request_id
// every RefreshPeriod with a later expires_at.
//
// # Safety rules
//
//   - Every preempt carries expires_at = issued_at + Lease, cut at the
//     passage's hold deadline: first request + the intersection's
//     max_preempt_s (RangeTimeout too, for the range policy). A preempt
//     therefore never outlives its limit, even if the controller dies; at
//     the deadline the engine releases it (max_hold) and does not request
//     that intersection again before the vehicle has passed it.
//   - A preempt is released as soon as the vehicle is PassedMarginM past the
//     stop line (passed; also when it leaves its path right at the stop
//     line, having turned through the junction); when it leaves its path
//     (left_path); when it has not reported for SilenceGrace (silent —
//     meanwhile it is dead-reckoned along its path, and may be requested on
//     that basis, but never counts as passing a stop line); when it reports
//     emergency: false (emergency_off); when a new route no longer crosses
//     the intersection (route_changed); when a conflicting request outranks
//     it (superseded); when the roadside reports fault (fault).
//   - Only vehicles whose last fix said emergency: true are requested.
//   - Every input is validated; a refused one is a reject Decision and a
//     *RejectError, and changes nothing: an invalid field; a fix whose seq
//     is not above the last accepted one (a duplicate or late fix) —
//     unless its ts is SeqResetGap past the last accepted fix's, when the
//     vehicle's unit rebooted and the fix is accepted; ts or now going
//     backwards; ts more than MaxClockSkew ahead of now (future_ts) or,
//     for a fix, behind it (old_ts: delayed, or replayed after a restart);
//     a fix farther from the last accepted one than MaxSpeedMps allows in
//     the time between their ts, plus JumpSlackM for GPS error
//     (implausible_speed); a fix more than MaxOffRoadM from every road
//     (off_road); an unknown intersection; a route off the map. So a GPS
//     glitch neither moves a vehicle nor releases its preempts, and no
//     forged seq locks a vehicle out for longer than its ts says.
//   - A roadside status marked offline (its unit's Last Will) is a fault,
//     honoured whatever its ts.
//
// # Arbitration
//
// Requests at one intersection for phases that cannot be green together
// (by the NEMA barrier rule, as signals.DefaultPlan groups them: 1, 2, 5,
// 6 together, 3, 4, 7, 8 together, other phases alone) are ranked by
// priority (1 highest; Config.Priorities, else DefaultPriority), then by
// arrival time; between equal priorities a newcomer must arrive
// ArbitrationHysteresis earlier to take the intersection. The loser is
// denied: no command (if it held one, it is released as superseded), shown
// "denied" in its advisory, and requested — with a new request_id — as
// soon as the intersection is freed. Requests for compatible phases (say 2
// eastbound and 6 westbound) each get their own command and their own
// release: the roadside holds the shared green while any of them lives
// (signals.Roadside serves compatible requests together), so the hold
// ends when the last vehicle that needs it is through or its lease runs
// out.
//
// A status of state hold grants the requests whose request_id it names or
// whose phase it shows green; fault denies (and releases) the requests at
// that intersection until the unit reports another state.
//
// # Defaults
//
// See Config: 20 s lease, refreshed every 5 s; 3 s margin; 6 s queue flush;
// 6 s silence grace; 30 m off-path tolerance; 5 m past the stop line; 3 km
// look-ahead; 300 m range and 60 s range timeout; priority 1; 2 s
// arbitration hysteresis; speed smoothing 0.3 per fix; 8 signals per
// advisory; vehicles forgotten after 15 min of silence (by a sweep every
// quarter of that, which NextWakeup asks for while any vehicle is
// tracked, so it needs no other traffic); 30 s clock skew either way;
// 70 m/s top speed with 50 m of GPS slack; 200 m off the roads at most;
// a seq reset accepted 1 s after the last fix; at most 100,000 vehicles
// tracked; a price of 400 vehicle-seconds per second; 300 and 1,800 veh/h
// where the map gives no approach flows.
//
// # Outputs
//
// Advisories are sent to a vehicle on an emergency run when what its
// display shows (the signals ahead and their states) changes, and
// otherwise at most every RefreshPeriod with fresh ETAs; a vehicle whose
// run ends gets one last advisory showing what was released. Decisions
// record every request, refresh, release (with its reason), deny, grant,
// route change and refused input, with a stable JSON form.
//
// # Performance
//
// BenchmarkStep1000Vehicles (1,000 vehicles on emergency runs on the
// Luxembourg map, one fix each per second, Ready drained after every Step)
// is the budget: at most 1 µs and 1 allocation per fix. The computation is
// mostly package routing: locating the fix on the path, ETAs, and deriving
// road-ahead paths; the map matcher runs only when a path has to be found.
// The README's Performance table has today's figures and the commands
// that measure them.
package controller
