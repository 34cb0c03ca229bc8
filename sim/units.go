package sim

import (
	"math"
	"time"

	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// syncUnit brings unit i to now: runs its due transitions, applies their
// changes to the queues and the logs, reports a changed status to the
// controller, and (re)schedules its next change.
func (r *run) syncUnit(i int32) {
	u := &r.units[i]
	now := r.q.Now()
	u.rs.Advance(r.at(now))
	r.changeBuf = u.rs.AppendChanges(r.changeBuf[:0])
	for k := range r.changeBuf {
		r.applyChange(u, &r.changeBuf[k])
	}
	if u.holdStart >= 0 && !u.overrun {
		if exp, ok := u.reqExpiry[u.rs.RequestID()]; ok && now > exp+time.Millisecond {
			u.overrun = true
		}
	}
	if r.eng != nil {
		// A status goes out whenever the state, the request served or the
		// green phases change, as the roadside-unit simulator publishes
		// (internal/rsu): the controller's lead time depends on when
		// greens begin and end.
		st, req := u.rs.State(), u.rs.RequestID()
		if st != u.sentSt || req != u.sentReq || u.green != u.sentGreen {
			u.sentSt, u.sentReq, u.sentGreen = st, req, u.green
			status := u.rs.Status(r.at(now))
			u.statLink = max(u.statLink, now+Seconds(r.w.sc.Network.StatusLatencyS))
			r.schedule(u.statLink, evStatusArrive, i, r.statuses.Put(status))
		}
	}
	next := u.rs.NextChange().Sub(r.w.epoch)
	if next != u.scheduled {
		u.gen++
		u.scheduled = next
		r.schedule(max(next, now), evSignalChange, i, u.gen)
	}
}

func (r *run) applyChange(u *unitRun, c *signals.Change) {
	t := c.At.Sub(r.w.epoch)
	ts := t.Seconds()
	if r.record {
		u.changes = append(u.changes, *c)
	}
	if c.Phase > 0 {
		bit := wire.PhaseBit(c.Phase)
		if c.To == signals.Green {
			u.green |= bit
		} else {
			u.green &^= bit
		}
		if n := len(u.greenLog); n > 0 && u.greenLog[n-1].t == t {
			u.greenLog[n-1].mask = u.green
		} else {
			u.greenLog = append(u.greenLog, maskAt{t, u.green})
		}
		for _, j := range u.phaseApps[c.Phase] {
			u.queues[j].SetServed(ts, c.To != signals.Red)
		}
		return
	}
	prev := u.state
	u.state = c.State
	preempting := func(s wire.State) bool { return s == wire.StateEntry || s == wire.StateHold }
	if prev == wire.StateHold && c.State != wire.StateHold {
		r.endHold(u, t)
	}
	if c.State == wire.StateHold && prev != wire.StateHold {
		u.holdStart = t
		u.overrun = false
		u.lastPass = -1
	}
	if preempting(prev) && !preempting(c.State) {
		u.preemptEnds = append(u.preemptEnds, t)
	}
	var ev uint16
	if preempting(c.State) {
		if p, ok := u.reqPhase[u.rs.RequestID()]; ok {
			ev = wire.PhaseBit(p)
		}
	}
	if n := len(u.evLog); n == 0 || u.evLog[n-1].mask != ev {
		u.evLog = append(u.evLog, maskAt{t, ev})
	}
}

func (r *run) endHold(u *unitRun, t time.Duration) {
	d := (t - u.holdStart).Seconds()
	u.holdS += d
	u.maxHol = math.Max(u.maxHol, d)
	if u.overrun {
		u.unreleased++
	}
	if u.lastPass >= 0 {
		r.holdAfterPass = append(r.holdAfterPass, (t - u.lastPass).Seconds())
	}
	u.holdStart, u.lastPass, u.overrun = -1, -1, false
}

// closeUnit ends the run for a unit: a preempt still in entry or hold is
// unreleased.
func (r *run) closeUnit(u *unitRun) {
	if u.state == wire.StateEntry || u.state == wire.StateHold {
		u.unreleased++
	}
	if u.holdStart >= 0 {
		u.overrun = false // already counted as unreleased above
		d := (r.endT - u.holdStart).Seconds()
		u.holdS += d
		u.maxHol = math.Max(u.maxHol, d)
		u.holdStart = -1
	}
	for j := range u.queues {
		u.queues[j].Advance(r.endT.Seconds())
	}
}

func (r *run) deliverCommand(unit int32, c wire.Command) {
	u := &r.units[unit]
	now := r.q.Now()
	if c.Type == wire.CommandPreempt {
		u.reqPhase[c.RequestID] = c.Phase
		u.reqExpiry[c.RequestID] = c.ExpiresAt.Sub(r.w.epoch)
	}
	if err := u.rs.Apply(r.at(now), c); err != nil {
		r.refusedCmds++
	} else if c.Type == wire.CommandPreempt {
		r.requestsSeen[u.rs.IntersectionID()+"\x00"+c.RequestID] = true
	}
	r.syncUnit(unit)
}
