package controller

import (
	"slices"
	"time"
)

// tickVehicle handles a vehicle whose wakeup has come: silence,
// refreshes and max-hold deadlines, and dead-reckoned requests.
func (e *Engine) tickVehicle(v *vehicle) {
	e.touch(v)
	if v.silent {
		return
	}
	if e.nowI >= v.heardAt.add(e.cfg.SilenceGrace) && v.hasFix {
		e.releaseAll(v, ReasonSilent)
		v.silent = true
		return
	}
	e.evaluate(v, e.deadReckon(v), false)
}

// sweep forgets the vehicles not heard from for ForgetAfter. It runs
// from Tick at most every sweepPeriod, and Ready asks for a Tick at the
// next one while any vehicle is tracked: forgetting frees memory and
// the vehicle's seq, so it must not wait for other traffic. (An idle
// vehicle holds nothing: its passages were released at the end of its
// grace period.)
func (e *Engine) sweep() {
	if e.nowI < e.nextSweep {
		return
	}
	e.nextSweep = e.nowI.add(e.sweepPeriod())
	var idle []string
	for id, v := range e.vehicles {
		if e.nowI >= v.heardAt.add(e.cfg.ForgetAfter) {
			idle = append(idle, id)
		}
	}
	slices.Sort(idle) // map order is random; what follows must not be
	for _, id := range idle {
		v := e.vehicles[id]
		e.releaseAll(v, ReasonForgotten) // a no-op unless the grace period outlasts ForgetAfter
		for _, p := range v.passages {
			e.freePassage(p)
		}
		clear(v.passages)
		v.passages = nil
		if v.heapIdx >= 0 {
			e.wake.remove(v)
		}
		v.forgotten = true
		delete(e.vehicles, id)
	}
}

// sweepPeriod is how often the forget sweep runs: a vehicle is
// forgotten between ForgetAfter and ForgetAfter plus this after its last
// fix.
func (e *Engine) sweepPeriod() time.Duration { return e.cfg.ForgetAfter / 4 }

// schedule sets v's wakeup: the earliest of its refreshes, hold
// deadlines, the end of its grace period while it holds anything, and a
// dead-reckoned lead-time crossing within that grace; none when it holds
// nothing and nothing is coming up.
func (e *Engine) schedule(v *vehicle) {
	t := never
	if !v.silent {
		live := false
		for _, p := range v.passages {
			if p.state.live() {
				live = true
				t = min(t, p.refreshAt, p.holdUntil)
			}
		}
		grace := v.heardAt.add(e.cfg.SilenceGrace)
		if live {
			t = min(t, grace)
		}
		if v.nextCross < grace {
			t = min(t, v.nextCross)
		}
	}
	if t < e.nowI {
		t = e.nowI // due now (e.g. grace ran out while nothing woke it)
	}
	if v.heapIdx >= 0 && t == v.wakeAt {
		return // the usual case between refreshes: nothing to move
	}
	e.wake.set(v, t)
}

// isSilent reports whether v has gone without a fix for longer than the
// grace period, even if no Tick has marked it yet.
func (e *Engine) isSilent(v *vehicle) bool {
	return v.silent || (v.hasFix && e.nowI >= v.heardAt.add(e.cfg.SilenceGrace))
}

// wakeHeap is a min-heap of vehicles by wakeAt, each knowing its index, so
// that a vehicle's wakeup can move in O(log n) without allocation.
type wakeHeap []wakeEntry

// wakeEntry keeps its vehicle's key beside the pointer, so that sifting
// compares without reading a thousand vehicles' structs from memory.
type wakeEntry struct {
	at instant // the vehicle's wakeAt
	v  *vehicle
}

func (h wakeHeap) less(i, j int) bool { return h[i].at < h[j].at }

func (h wakeHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].v.heapIdx, h[j].v.heapIdx = i, j
}

func (h wakeHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h wakeHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}

// set puts v in the heap at wakeAt t, or takes it out when t is never.
func (h *wakeHeap) set(v *vehicle, t instant) {
	if t == never {
		if v.heapIdx >= 0 {
			h.remove(v)
		}
		return
	}
	v.wakeAt = t
	if v.heapIdx < 0 {
		v.heapIdx = len(*h)
		*h = append(*h, wakeEntry{t, v})
		h.up(v.heapIdx)
		return
	}
	(*h)[v.heapIdx].at = t
	h.down(v.heapIdx)
	h.up(v.heapIdx)
}

func (h *wakeHeap) remove(v *vehicle) {
	i := v.heapIdx
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = wakeEntry{}
	*h = (*h)[:last]
	v.heapIdx = -1
	v.wakeAt = never
	if i != last {
		h.down(i)
		h.up(i)
	}
}
