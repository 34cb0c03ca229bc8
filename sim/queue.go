package sim

// approachQueue is the background traffic of one approach as a
// deterministic fluid queue (a vertical queue at the stop line, the
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
type approachQueue struct {
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

func newApproachQueue(arrivalVehH, satFlowVehH, startupLostS float64) approachQueue {
	return approachQueue{arrivalRate: arrivalVehH / 3600, satFlow: satFlowVehH / 3600, startupLostS: startupLostS}
}

// length is the number of vehicles queued at the last update.
func (q *approachQueue) length() float64 { return q.arrived - q.departed }

// advance brings the state to time t (seconds since the epoch). Times
// before the state's are ignored: the queue, like the clock, never goes
// back.
func (q *approachQueue) advance(t float64) {
	if t <= q.t {
		return
	}
	if q.served && q.t < q.dischargeT {
		// Start-up lost time: the green has begun but nothing moves yet.
		q.accumulate(minF(t, q.dischargeT))
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
func (q *approachQueue) accumulate(t float64) {
	dt := t - q.t
	n := q.length()
	q.delayVehS += n*dt + q.arrivalRate*dt*dt/2
	q.arrived += q.arrivalRate * dt
	q.t = t
}

// discharge runs a served approach to time t: the queue shrinks at s − λ
// until empty, then stays empty with departures matching arrivals. With
// λ ≥ s (oversaturation) it never empties and grows at λ − s.
func (q *approachQueue) discharge(t float64) {
	dt := t - q.t
	n := q.length()
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

// setServed advances to t and switches the approach's indication. A new
// green (from red) starts the start-up lost time.
func (q *approachQueue) setServed(t float64, served bool) {
	q.advance(t)
	q.t = maxF(q.t, t)
	if served && !q.served {
		q.dischargeT = t + q.startupLostS
	}
	q.served = served
}

func minF(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

func maxF(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}
