package signals

// Queue is the traffic of one approach as a deterministic fluid queue (a vertical queue at the stop line, the
// textbook model of signalised-intersection delay):
//
//   - vehicles arrive at a constant rate λ (veh/s), whatever the signal;
//   - while the approach's phase is red nothing leaves and the queue grows
//     at λ;
//   - when the phase turns green, the first StartupLostS seconds are lost
//     (drivers react and accelerate), then the queue discharges at the
//     saturation flow s (veh/s) until empty, after which arrivals pass
//     straight through (departures at λ);
//   - yellow is used like green: the effective green is green + yellow −
//     start-up lost time, the HCM convention with the all-red interval
//     as the clearance lost time.
//
// The state is the cumulative arrivals A(t) and departures D(t); the queue
// is A − D, and the delay (vehicle-seconds spent queued) is the area
// between the two curves, integrated exactly between state changes. The
// model has no randomness, so every strategy sees exactly the same
// arrivals (the strongest form of common random numbers). An emergency
// vehicle joining the queue records A at that moment; it may go once D has
// reached it, i.e. once the vehicles ahead of it have discharged.
type Queue struct {
	arrivalRate  float64 // λ, veh/s
	satFlow      float64 // s, veh/s over all lanes of the approach
	startupLostS float64

	t          float64 // seconds since the run's epoch the state is valid at
	served     bool    // the approach's phase shows green or yellow
	dischargeT float64 // when discharge may start (the green's start + lost time)
	arrived    float64 // A(t)
	departed   float64 // D(t)
	delayVehS  float64 // ∫ (A − D) dt so far
}

// NewQueue returns an empty approach queue, red, at time 0: arrivals at
// arrivalVehH, saturation flow satFlowVehH (all lanes), and startupLostS
// lost at the start of every green. Times are seconds from any origin the
// caller keeps.
func NewQueue(arrivalVehH, satFlowVehH, startupLostS float64) Queue {
	return Queue{arrivalRate: arrivalVehH / 3600, satFlow: satFlowVehH / 3600, startupLostS: startupLostS}
}

// At returns an empty queue starting at time t0 instead of 0.
func (q Queue) At(t0 float64) Queue {
	q.t = t0
	return q
}

// Delay is the vehicle-seconds spent queued so far.
func (q *Queue) Delay() float64 { return q.delayVehS }

// Arrived is the cumulative arrivals A(t) at the last update.
func (q *Queue) Arrived() float64 { return q.arrived }

// Departed is the cumulative departures D(t) at the last update.
func (q *Queue) Departed() float64 { return q.departed }

// Served reports whether the approach shows green or yellow.
func (q *Queue) Served() bool { return q.served }

// DischargeStart is when the current green starts discharging (its start
// plus the start-up lost time).
func (q *Queue) DischargeStart() float64 { return q.dischargeT }

// SatFlow is the saturation flow in vehicles a second.
func (q *Queue) SatFlow() float64 { return q.satFlow }

// Length is the number of vehicles queued at the last update.
func (q *Queue) Length() float64 { return q.arrived - q.departed }

// Advance brings the state to time t (seconds since the epoch). Times
// before the state's are ignored: the queue, like the clock, never goes
// back.
func (q *Queue) Advance(t float64) {
	if t <= q.t {
		return
	}
	if q.served && q.t < q.dischargeT {
		// Start-up lost time: the green has begun but nothing moves yet.
		q.accumulate(min(t, q.dischargeT))
	}
	if q.t < t {
		if q.served {
			q.discharge(t)
		} else {
			q.accumulate(t)
		}
	}
}

// accumulate lets the queue grow to time t with nothing leaving.
func (q *Queue) accumulate(t float64) {
	dt := t - q.t
	n := q.Length()
	q.delayVehS += n*dt + q.arrivalRate*dt*dt/2
	q.arrived += q.arrivalRate * dt
	q.t = t
}

// discharge runs a served approach to time t: the queue shrinks at s − λ
// until empty, then stays empty with departures matching arrivals. With
// λ ≥ s (oversaturation) it never empties and grows at λ − s.
func (q *Queue) discharge(t float64) {
	dt := t - q.t
	n := q.Length()
	net := q.satFlow - q.arrivalRate // rate at which the queue shrinks
	if n > 0 || net < 0 {
		clear := dt
		if net > 0 && n/net < dt {
			clear = n / net
		}
		q.delayVehS += n*clear - net*clear*clear/2
		q.arrived += q.arrivalRate * clear
		q.departed += q.satFlow * clear
		if q.departed > q.arrived || (net > 0 && clear < dt) {
			q.departed = q.arrived // exactly empty, not a rounding error below zero
		}
		dt -= clear
	}
	// What is left of the interval runs with an empty queue (zero when
	// oversaturated: then the queue never emptied).
	q.arrived += q.arrivalRate * dt
	q.departed += q.arrivalRate * dt
	q.t = t
}

// SetServed advances to t and switches the approach's indication. A new
// green (from red) starts the start-up lost time.
func (q *Queue) SetServed(t float64, served bool) {
	q.Advance(t)
	q.t = max(q.t, t)
	if served && !q.served {
		q.dischargeT = t + q.startupLostS
	}
	q.served = served
}
