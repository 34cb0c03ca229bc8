package sim

import (
	"errors"
	"time"
)

// eventKind says what an event does when it fires. Kinds are a small enum
// rather than closures so that scheduling an event allocates nothing and a
// run's event log is plain data.
type eventKind uint8

const (
	evNone          eventKind = iota
	evVehicleStep             // integrate vehicle a's kinematics one step
	evVehicleDepart           // vehicle a leaves its origin
	evGPSFix                  // vehicle a's receiver takes a fix
	evFixArrive               // fix b (index into the fix pool) reaches the controller
	evRouteArrive             // vehicle a's route message reaches the controller
	evEngineTick              // the controller's wake-up time came
	evCommandArrive           // command b (index into the command pool) reaches its roadside unit
	evSignalChange            // roadside a's next scheduled change
	evStatusArrive            // status b (index into the status pool) reaches the controller
	evEnd                     // the scenario's duration is over
	evBench                   // used by the event loop benchmark only
)

// event is one entry of the queue. It is 32 bytes of plain data: the heap
// holds values, never pointers, so the garbage collector does not scan it
// and a pop copies one cache line.
type event struct {
	at   time.Duration // since the run's epoch
	seq  uint64        // insertion order, breaks ties so equal times run first-in first-out
	kind eventKind
	a, b int32 // the entity the event is for and its payload slot, by kind
}

// errPastEvent is returned when an event is scheduled before the current
// virtual time. The queue refuses it instead of clamping, because every
// event time the simulator computes is now plus a non-negative delay: one
// in the past is a bug that clamping would hide.
var errPastEvent = errors.New("sim: event scheduled in the past")

// eventQueue is a binary min-heap of events ordered by (at, seq), with the
// virtual clock it drives. The clock is the time of the last event popped;
// it never goes back.
type eventQueue struct {
	heap []event
	now  time.Duration
	seq  uint64
}

// newEventQueue returns a queue whose heap is preallocated for capacity
// pending events, so a steady-state run never grows it.
func newEventQueue(capacity int) *eventQueue {
	return &eventQueue{heap: make([]event, 0, capacity)}
}

// Now is the virtual time of the event being processed.
func (q *eventQueue) Now() time.Duration { return q.now }

// Len is the number of pending events.
func (q *eventQueue) Len() int { return len(q.heap) }

// schedule adds an event at time at. An event at the current time is
// allowed (it runs after every event already pending at that time); one
// before it is refused with errPastEvent.
func (q *eventQueue) schedule(at time.Duration, kind eventKind, a, b int32) error {
	if at < q.now {
		return errPastEvent
	}
	q.seq++
	q.heap = append(q.heap, event{at: at, seq: q.seq, kind: kind, a: a, b: b})
	q.up(len(q.heap) - 1)
	return nil
}

// pop removes the earliest event and advances the clock to its time.
func (q *eventQueue) pop() (event, bool) {
	n := len(q.heap)
	if n == 0 {
		return event{}, false
	}
	top := q.heap[0]
	last := n - 1
	q.heap[0] = q.heap[last]
	q.heap = q.heap[:last]
	if last > 0 {
		q.down(0)
	}
	q.now = top.at
	return top, true
}

func (e *event) before(o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.seq < o.seq
}

func (q *eventQueue) up(i int) {
	h := q.heap
	ev := h[i]
	for i > 0 {
		parent := (i - 1) / 2
		if !ev.before(&h[parent]) {
			break
		}
		h[i] = h[parent]
		i = parent
	}
	h[i] = ev
}

func (q *eventQueue) down(i int) {
	h := q.heap
	n := len(h)
	ev := h[i]
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if r := child + 1; r < n && h[r].before(&h[child]) {
			child = r
		}
		if !h[child].before(&ev) {
			break
		}
		h[i] = h[child]
		i = child
	}
	h[i] = ev
}
