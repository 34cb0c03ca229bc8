// Package sim is greenwave's discrete-event simulator: it drives the real
// controller.Engine and the real signals.Roadside state machines under a
// virtual clock, with emergency vehicles, background traffic queues and a
// lossy GPS uplink, and compares strategies on the same scenario and seed.
// Nothing of the policy or of the signal logic is re-implemented here.
//
// # Event engine
//
// A binary heap of plain-data events (time, insertion sequence, kind,
// entity, payload slot) ordered by time then insertion, so simultaneous
// events run first-in first-out. The virtual clock is the time of the event
// being run; it never goes back: scheduling before it is refused
// (errPastEvent), and the driver only ever schedules now plus a
// non-negative delay. Payloads in flight (fixes, commands, statuses) live
// in slot pools, so steady state allocates nothing per event. Virtual time
// zero is the scenario's start (an RFC 3339 instant, 2026-11-23T08:00:00Z
// by default): signal plans are referenced to the Unix epoch, so the start
// fixes where in their cycles the signals are.
//
// Randomness comes from PCG streams seeded by the scenario's seed and a
// stream name: one per vehicle's GPS ("gps/ID"), one for the command link
// ("network/commands"), one for random trips ("trips"). Each component
// draws a fixed count of numbers per use whatever happens, so strategies
// see the same noise, losses and delays (common random numbers), and the
// same seed gives the same run, byte for byte.
//
// # The driver loop
//
//   - Vehicles depart at their time, announce their route (path,
//     destination or none) over the uplink, and take a GPS fix every
//     period: Gaussian noise (σ = gps.noise_m on each axis, independent per
//     fix or, with gps.noise_correlation_s, a slowly drifting Gauss-Markov
//     error; heading and speed noise likewise), lost with probability gps.loss, delivered
//     after gps.latency_s plus a uniform jitter in [0, gps.jitter_s) —
//     hence out of order — and duplicated with probability gps.duplicate.
//     Arrived vehicles send three more fixes with emergency off.
//   - Fixes, routes and statuses go to Engine.Step at their arrival times;
//     Engine.Tick runs at Ready().NextWakeup (a wakeup already due runs 1 ms
//     later, so an engine cannot stall the clock).
//   - Commands travel to their intersection's roadside unit after
//     network.command_latency_s plus a uniform jitter; a unit's link keeps
//     order (MQTT QoS 1 on one connection). Each unit is advanced at its
//     NextChange and whenever a command arrives or a vehicle looks at it;
//     a status whose state, request id or green phases changed goes back
//     to the engine after network.status_latency_s (what internal/rsu
//     publishes).
//
// # Vehicles
//
// Emergency vehicles follow the kinematics documented on Kinematics: fixed
// step ev.step_s (0.1 s), acceleration ev.accel_mps2 (2.5), comfortable
// deceleration ev.decel_mps2 (3.5), desired speed the road's free-flow
// speed × ev.speed_factor (1.2). At the next signal on its path a vehicle
// stops at the stop line — behind the queue standing there — on red, and
// on yellow when it can stop comfortably (otherwise it clears the yellow);
// on green it waits until the queue it joined has discharged. It joins an
// approach's queue once within its stopping distance plus the queue's
// length of the line; the vehicles ahead of it are those that arrived
// before (vertical queue), laid out traffic.jam_spacing_m (7 m) apart.
//
// # Background traffic
//
// Every approach of every intersection is a deterministic fluid queue (see
// signals.Queue): arrivals at traffic.main_veh_h (phases 1, 2, 5, 6) or
// traffic.side_veh_h (others) — each capped at traffic.max_saturation (0.9)
// of the approach's capacity under its plan — or a per-approach override
// taken as given; discharge at
// traffic.sat_flow_veh_h_lane × traffic.lanes while the approach's phase
// shows green or yellow, after traffic.startup_lost_s of each green.
// Delay is integrated exactly; the cost of a strategy to ordinary traffic
// is its delay minus the none run's.
//
// # Scenario format
//
// YAML (gopkg.in/yaml.v3; unknown fields are errors). Every field but
// name, duration_s, map and vehicles (or random_trips) has a default;
// every field is validated, and an error names the field by its path and
// line ("corridor.yaml:12: vehicles[0].depart_s: must be in [0, 900]").
//
//	name: corridor               # an identifier; names the report and the SVG files
//	seed: 1                      # uint64; greenwave sim --seed overrides it
//	duration_s: 900              # simulated time; every figure covers [0, duration_s)
//	start: 2026-11-23T08:00:00Z  # virtual epoch
//	map:
//	  file: ../../testdata/luxembourg.geojson  # map-format.md inventory, relative to this file
//	  # or a generator:
//	  generator: corridor        # corridor (signals) or grid (rows, cols)
//	  signals: 12                # corridor: C01..C12 west to east, anchors W, E, Cnn-N, Cnn-S
//	  rows: 3                    # grid: G-r-c, anchors W-r, E-r, S-c, N-c
//	  cols: 3
//	  spacing_m: 300             # between signals (default 300)
//	  speed_mps: 13.89           # east-west (main) roads (default 50 km/h)
//	  side_speed_mps: 8.33       # north-south (side) roads (default 30 km/h)
//	  side_length_m: 200         # side-street stubs and grid exits (default 200)
//	  timing: {min_green_s: 7, yellow_s: 4, all_red_s: 2, ped_clearance_s: 12, max_preempt_s: 90}
//	plans:                       # every intersection: its NormalPlan (signals.DefaultPlan of its phases)
//	  cycle_s: 90                # (longer, in 10 s steps, where the stages do not fit)
//	  main_share: 0.6            # of the green, to the main street (phases 1, 2, 5, 6)
//	  progression_mps: 13.89     # offset = eastward distance / this: a background green
//	                             # wave eastbound; 0 = no coordination
//	  intersections:             # per-intersection exceptions (zero fields keep the rule)
//	    - {intersection: C05, cycle_s: 120, main_share: 0.7, offset_s: 12}
//	traffic:
//	  main_veh_h: 600            # arrivals per approach served by phases 1, 2, 5, 6
//	  side_veh_h: 300            # arrivals per other approach
//	  sat_flow_veh_h_lane: 1800
//	  lanes: 1
//	  startup_lost_s: 2
//	  jam_spacing_m: 7
//	  max_saturation: 0.9        # main/side rates capped at this share of the approach's capacity
//	  approaches: [{intersection: C03, approach: NB, veh_h: 500}]
//	ev: {accel_mps2: 2.5, decel_mps2: 3.5, speed_factor: 1.2, step_s: 0.1}
//	vehicles:
//	  - id: amb-east             # wire identifier
//	    from: W                  # an anchor, an intersection id, or [lon, lat]
//	    to: E                    # fastest free-flow route (routing.Network.Route)
//	    # or via: [W, C05, E]    # drive this polyline (routing PathFromPolyline)
//	    depart_s: 60
//	    priority: 1              # 1 highest
//	    announce: path           # path (default), destination, or none
//	random_trips:                # trips between midpoints of random roads, drawn from the seed
//	  count: 24
//	  first_depart_s: 60
//	  every_s: 60
//	  min_length_m: 1500         # straight-line distance between the ends
//	  announce: destination
//	gps: {period_s: 1, noise_m: 3, noise_correlation_s: 0, heading_noise_deg: 5,
//	      speed_noise_mps: 0.3, loss: 0, latency_s: 0, jitter_s: 0, duplicate: 0}
//	network: {command_latency_s: 0.1, command_jitter_s: 0, status_latency_s: 0.1}
//	controller:                  # controller.Config overrides for range and greenwave (0 = engine default)
//	  range_m: 300
//	  margin_s: 3
//	  default_queue_flush_s: 6
//	  lease_s: 20
//	  refresh_s: 5
//	  silence_grace_s: 6
//	  off_path_tolerance_m: 30
//	  passed_margin_m: 5
//	  price: 400                 # greenwave's price, vehicle-seconds per second (.inf allowed; docs/planner.md)
//
// testdata/ holds corridor.yaml (12 coordinated signals, one ambulance each
// way), grid-crossing.yaml (two ambulances meeting at G-1-1 on conflicting
// phases), luxembourg.yaml (24 trips on the imported city map), chaos.yaml
// (the corridor through 30% loss, 25 m noise, 2 s jitter and duplicates)
// and luxembourg-24h.yaml (the benchmark: 24 h, 200 trips).
//
// # Report
//
// Simulate runs the none strategy (every signal on its plan) and then
// range and greenwave (the real engine with each policy) on one world;
// Report.WriteJSON prints the object `greenwave sim --json` documents,
// Report.WriteTable the human table, Report.WriteSVGs one time-space
// diagram per trip and strategy. Every figure is defined on VehicleReport
// and Totals.
//
// # Performance
//
//	go test -run=^$ -bench=EventLoop ./sim                                 # raw queue, events/s
//	GOMAXPROCS=1 go test -run=^$ -bench='Luxembourg24h$' -benchtime=1x ./sim       # 24 h, 200 trips, greenwave
//	GOMAXPROCS=1 go test -run=^$ -bench=Luxembourg24hAll -benchtime=1x ./sim       # world + none + range + greenwave
package sim
