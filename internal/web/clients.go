package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// writeTimeout bounds one write to a page: a page that takes longer is
// gone (its connection stalled), and is dropped.
const writeTimeout = 10 * time.Second

// client is one page connected to the event stream.
type client struct {
	ch chan []byte // frames to write; never blocks the sender
	// Guarded by the hub's stateMu.
	resync  bool  // batches were dropped: send a snapshot once ch is drained
	dropped int64 // batches dropped so far
	done    chan struct{}
}

// ErrTooManyPages is returned when MaxClients pages are connected.
var ErrTooManyPages = errors.New("web: too many pages connected")

// subscribe registers a page and returns it with the snapshot to send it
// first: under one lock, so that no batch falls between the two.
func (h *Hub) subscribe() (*client, []byte, error) {
	h.stateMu.Lock()
	defer h.stateMu.Unlock()
	if len(h.clients) >= h.opts.MaxClients {
		h.met.PagesRefused.Inc()
		return nil, nil, ErrTooManyPages
	}
	snap, err := json.Marshal(h.snapshotLocked(0))
	if err != nil {
		return nil, nil, err
	}
	c := &client{ch: make(chan []byte, h.opts.ClientBuffer), done: make(chan struct{})}
	h.clients[c] = struct{}{}
	h.met.Pages.Set(float64(len(h.clients)))
	if !h.firstOK {
		h.firstOK = true
		close(h.first)
	}
	return c, frame("snapshot", snap), nil
}

func (h *Hub) unsubscribe(c *client) {
	h.stateMu.Lock()
	defer h.stateMu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		h.met.Pages.Set(float64(len(h.clients)))
	}
}

// broadcast queues a frame for every page, never waiting: a page whose
// buffer is full misses it (counted), and every batch after it until it
// has written what it holds and taken a fresh snapshot. Called with
// stateMu held.
func (h *Hub) broadcast(f []byte) {
	for c := range h.clients {
		if c.resync {
			c.dropped++
			h.met.BatchesDropped.Inc()
			continue
		}
		select {
		case c.ch <- f:
			h.met.BatchesSent.Inc()
		default:
			c.resync = true
			c.dropped++
			h.met.BatchesDropped.Inc()
		}
	}
}

// resyncFrame returns a snapshot frame when c has dropped batches and has
// written every batch queued before the drop; nil otherwise.
func (h *Hub) resyncFrame(c *client) []byte {
	h.stateMu.Lock()
	defer h.stateMu.Unlock()
	if !c.resync || len(c.ch) > 0 {
		return nil
	}
	snap, err := json.Marshal(h.snapshotLocked(c.dropped))
	if err != nil {
		return nil
	}
	c.resync = false
	h.met.Resyncs.Inc()
	return frame("snapshot", snap)
}

// closeClients ends every page's stream (the hub is stopping).
func (h *Hub) closeClients() {
	h.stateMu.Lock()
	defer h.stateMu.Unlock()
	for c := range h.clients {
		close(c.done)
		delete(h.clients, c)
	}
	h.met.Pages.Set(0)
}

// serveEvents streams the state to one page: a snapshot, then a batch
// every BatchInterval, as Server-Sent Events.
func (h *Hub) serveEvents(w http.ResponseWriter, r *http.Request) {
	c, first, err := h.subscribe()
	if errors.Is(err, ErrTooManyPages) {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer h.unsubscribe(c)
	rc := http.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no") // a reverse proxy must not hold events back
	w.WriteHeader(http.StatusOK)
	write := func(f []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, err := w.Write(f)
		return err == nil
	}
	// Tell EventSource to wait 2 s before reconnecting after a failure.
	if !write([]byte("retry: 2000\n\n")) || !write(first) || rc.Flush() != nil {
		return
	}
	ctx := r.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.done:
			return
		case f := <-c.ch:
			if !write(f) {
				return
			}
			// Write what else is queued before flushing once.
			for more := true; more; {
				select {
				case f := <-c.ch:
					if !write(f) {
						return
					}
				default:
					more = false
				}
			}
			if snap := h.resyncFrame(c); snap != nil && !write(snap) {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

// WaitFirstPage waits until a page has connected or ctx is done.
func (h *Hub) WaitFirstPage(ctx context.Context) error {
	select {
	case <-h.first:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
