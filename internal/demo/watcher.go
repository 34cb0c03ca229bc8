package demo

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/wire"
)

// watcher follows what the roadside units show and what the controller
// commands, for the ambulances (which stop at red) and the progress lines.
type watcher struct {
	topics mqttx.Topics
	p      *printer

	mu          sync.Mutex
	status      map[string]wire.Status
	requests    map[string]*request // by request_id
	controllers map[string]string   // controller id → online/offline
}

type request struct {
	vehicle, intersection string
	granted, released     bool
}

func newWatcher(topics mqttx.Topics, p *printer) *watcher {
	return &watcher{topics: topics, p: p, status: map[string]wire.Status{},
		requests: map[string]*request{}, controllers: map[string]string{}}
}

func (w *watcher) subscriptions() []mqttx.Subscription {
	return []mqttx.Subscription{
		{Filter: w.topics.Filter(mqttx.KindSignalStatus), QoS: 1, Handler: w.onStatus},
		{Filter: w.topics.Filter(mqttx.KindCommand), QoS: 1, Handler: w.onCommand},
		{Filter: w.topics.Filter(mqttx.KindControllerStatus), QoS: 1, Handler: w.onController},
	}
}

func (w *watcher) onStatus(_ string, payload []byte) {
	st, err := wire.ParseStatus("", payload)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status[st.IntersectionID] = st
	if st.State == wire.StateHold {
		if r := w.requests[st.RequestID]; r != nil && !r.granted {
			r.granted = true
			w.p.event("%-6s %s holds the green for it", r.vehicle, st.IntersectionID)
		}
	}
}

func (w *watcher) onCommand(_ string, payload []byte) {
	c, err := wire.ParseCommand("", payload)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.requests[c.RequestID]
	switch c.Type {
	case wire.CommandPreempt:
		if r == nil {
			w.requests[c.RequestID] = &request{vehicle: c.VehicleID, intersection: c.IntersectionID}
			w.p.event("%-6s preempt requested at %s (approach %s, phase %d, arriving in %.0f s)",
				c.VehicleID, c.IntersectionID, c.Approach, c.Phase, c.EtaS)
		}
	case wire.CommandRelease:
		if r != nil && !r.released {
			r.released = true
			w.p.event("%-6s %s released", r.vehicle, c.IntersectionID)
		}
	}
}

func (w *watcher) onController(_ string, payload []byte) {
	var s wire.ControllerStatus
	if json.Unmarshal(payload, &s) != nil {
		return
	}
	w.mu.Lock()
	w.controllers[s.ControllerID] = s.State
	w.mu.Unlock()
}

// green reports whether phase shows green at intersection id, as last
// reported.
func (w *watcher) green(id string, phase int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Contains(w.status[id].GreenPhases, phase)
}

// preemptsFor counts vehicle's requests and those a unit held for.
func (w *watcher) preemptsFor(vehicle string) (requested, granted int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.requests {
		if r.vehicle == vehicle {
			requested++
			if r.granted {
				granted++
			}
		}
	}
	return requested, granted
}

// waitReady waits until the controller is online and every signal on the
// trips has reported its status, or a component fails.
func (w *watcher) waitReady(ctx context.Context, errs <-chan error, controllerID string, trips []trip) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errs:
			if err == nil {
				err = context.Canceled
			}
			return err
		case <-tick.C:
		}
		if w.ready(controllerID, trips) {
			return nil
		}
	}
}

func (w *watcher) ready(controllerID string, trips []trip) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.controllers[controllerID] != wire.ControllerOnline {
		return false
	}
	for _, tr := range trips {
		for _, s := range tr.path.Signals() {
			if _, ok := w.status[s.ID]; !ok {
				return false
			}
		}
	}
	return true
}
