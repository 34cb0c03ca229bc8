package controller

import "time"

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
