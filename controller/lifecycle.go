package controller

import (
	"maps"
	"slices"
	"time"
)

// LiveRequestIDs appends to dst the request ids of the preempts the engine
// keeps alive (requested or granted), in intersection order.
func (e *Engine) LiveRequestIDs(dst []string) []string {
	for i := range e.inters {
		for _, p := range e.inters[i].passages {
			if p.state.live() {
				dst = append(dst, p.requestID)
			}
		}
	}
	return dst
}

// Reassert re-issues every live preempt at now with a fresh expires_at (a
// lease from now, never past its hold deadline). A driver calls it after
// reconnecting to the broker: meanwhile the broker may have published this
// controller's Last Will, and the roadside units then ended its preempts;
// a preempt with the same request_id is served again as a new request.
func (e *Engine) Reassert(now time.Time) {
	if !e.advance(now, "reassert") {
		return
	}
	for i := range e.inters {
		// sendPreempt may release (and so unlist) a passage at its hold
		// deadline: iterate over a copy.
		e.scratch = append(e.scratch[:0], e.inters[i].passages...)
		for _, p := range e.scratch {
			if p.state.live() {
				e.sendPreempt(p, DecisionRefresh)
			}
		}
	}
	clear(e.scratch[:cap(e.scratch)]) // drop references to passages
	e.scratch = e.scratch[:0]
	e.finish()
}

// ReleaseAll releases every preempt the engine holds or has requested, at
// now, with reason (ReasonShutdown when the controller stops). Passages
// waiting their turn are released too, so that freeing an intersection
// does not request it for someone else. The engine stays usable: a later
// fix requests again what its policy wants.
func (e *Engine) ReleaseAll(now time.Time, reason Reason) {
	if !e.advance(now, "release all") {
		return
	}
	for i := range e.inters {
		is := &e.inters[i]
		for len(is.passages) > 0 {
			e.release(is.passages[0], reason) // unlists it
		}
	}
	e.toServe = e.toServe[:0]
	e.finish()
}

// advance starts a driver-initiated operation at now; false (with a reject
// decision) when now is before the engine's time.
func (e *Engine) advance(now time.Time, what string) bool {
	e.begin()
	if now.Before(e.now) {
		_ = e.reject(now, "", ReasonTimeBackwards, "", what+" at "+formatTime(now)+" is before the engine's last time "+formatTime(e.now))
		return false
	}
	e.setNow(now, e.instantAt(now))
	return true
}

// SetPriorities replaces Config.Priorities at now, between inputs: a
// driver calls it when its vehicle registry is reloaded, without
// restarting the engine. priorities is copied; vehicles not in it have
// DefaultPriority. Every tracked vehicle takes its new priority at once:
// its next commands carry it, and the intersections where it has a
// passage are arbitrated again (in vehicle id order), so a vehicle now
// outranking a conflicting holder takes the intersection and one now
// outranked loses it. An invalid map, or a now before the engine's time
// (recorded as a reject decision), changes nothing and is returned as an
// error.
func (e *Engine) SetPriorities(now time.Time, priorities map[string]int) error {
	if err := checkPriorities(priorities); err != nil {
		return err
	}
	if !e.advance(now, "set priorities") {
		return &RejectError{Reason: ReasonTimeBackwards, Detail: "set priorities at " + formatTime(now) + " is before the engine's last time " + formatTime(e.now)}
	}
	e.cfg.Priorities = maps.Clone(priorities)
	var changed []string
	for id, v := range e.vehicles {
		if e.priorityOf(id) != v.priority {
			changed = append(changed, id)
		}
	}
	slices.Sort(changed) // map order is random; what follows must not be
	for _, id := range changed {
		v := e.vehicles[id]
		v.priority = e.priorityOf(id)
		e.touch(v)
		for _, p := range v.passages {
			if p.state.live() || p.state == stateDenied {
				e.markServe(p.inter)
			}
		}
	}
	e.finish()
	return nil
}

// priorityOf is vehicle id's priority under the current configuration.
func (e *Engine) priorityOf(id string) int {
	if p, ok := e.cfg.Priorities[id]; ok {
		return p
	}
	return e.cfg.DefaultPriority
}
