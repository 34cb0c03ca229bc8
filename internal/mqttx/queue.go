package mqttx

import "sync"

// Queue is an unbounded FIFO of messages between a producer that must
// never block (the engine's goroutine) and the goroutine that publishes.
// Unbounded is deliberate for commands: dropping a release would leave a
// signal held until expiry, and the commands an engine emits are bounded
// by the vehicles and intersections it tracks, so the queue only grows
// while the broker is away.
type Queue struct {
	mu    sync.Mutex
	items []Message
	wake  chan struct{}
}

// NewQueue returns an empty queue.
func NewQueue() *Queue { return &Queue{wake: make(chan struct{}, 1)} }

// Push appends m and wakes the consumer. It never blocks.
func (q *Queue) Push(m Message) {
	q.mu.Lock()
	q.items = append(q.items, m)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Wake is signalled after every Push; the consumer then calls Take.
func (q *Queue) Wake() <-chan struct{} { return q.wake }

// Take removes and returns everything queued, oldest first.
func (q *Queue) Take() []Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

// PushFront puts ms back at the head, in order, for a consumer that could
// not publish them and will retry.
func (q *Queue) PushFront(ms []Message) {
	if len(ms) == 0 {
		return
	}
	q.mu.Lock()
	q.items = append(append(make([]Message, 0, len(ms)+len(q.items)), ms...), q.items...)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Len is the number of queued messages.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
