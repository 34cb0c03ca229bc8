package signals

import (
	"fmt"
	"time"

	"github.com/greenwave-project/greenwave/wire"
)

// episode is a stretch of time the unit spent in one reported state.
type episode struct {
	state      wire.State
	start, end time.Time
}

// checker replays a unit's change log and verifies the safety rules that
// must hold whatever the unit was told: indications only go red → green →
// yellow → red; a phase turns green only when every other phase is red (or
// turns green at the same instant, same stage) and all red has lasted
// Timing.AllRed; yellow lasts exactly Timing.Yellow; a green lasts at least
// Timing.MinGreen; a hold lasts at most Timing.MaxPreempt; an entry reaches
// its hold (or gives up) within Timing.WorstCaseEntry.
type checker struct {
	tm         Timing
	started    bool
	first      time.Time
	last       time.Time
	ind        [wire.MaxPhase + 1]Indication
	since      [wire.MaxPhase + 1]time.Time
	lastAllRed time.Time
	state      wire.State
	stateSince time.Time
	episodes   []episode // completed
}

func newChecker(tm Timing) *checker { return &checker{tm: tm} }

func (c *checker) feed(changes []Change) error {
	for _, ch := range changes {
		if err := c.one(ch); err != nil {
			return fmt.Errorf("at %v phase %d %v→%v (%s): %w", ch.At.Format("15:04:05.000"), ch.Phase, ch.From, ch.To, ch.State, err)
		}
	}
	return nil
}

func (c *checker) one(ch Change) error {
	if !c.started {
		c.started, c.first, c.last = true, ch.At, ch.At
		c.state, c.stateSince = ch.State, ch.At
	}
	if ch.At.Before(c.last) {
		return fmt.Errorf("time went backwards from %v", c.last)
	}
	c.last = ch.At
	if ch.Phase == 0 {
		if ch.State != c.state {
			c.episodes = append(c.episodes, episode{c.state, c.stateSince, ch.At})
			if err := c.checkEpisode(c.episodes[len(c.episodes)-1]); err != nil {
				return err
			}
			c.state, c.stateSince = ch.State, ch.At
		}
		return nil
	}
	p := ch.Phase
	if ch.From != c.ind[p] {
		return fmt.Errorf("from %v but the phase showed %v", ch.From, c.ind[p])
	}
	initial := ch.At.Equal(c.first)
	switch {
	case ch.From == Red && ch.To == Green:
		for q := wire.MinPhase; q <= wire.MaxPhase; q++ {
			if q == p {
				continue
			}
			if c.ind[q] == Yellow {
				return fmt.Errorf("green while phase %d is yellow", q)
			}
			if c.ind[q] == Green && !c.since[q].Equal(ch.At) {
				return fmt.Errorf("green to green: phase %d green since %v", q, c.since[q].Format("15:04:05.000"))
			}
		}
		if !c.lastAllRed.IsZero() && ch.At.Sub(c.lastAllRed) < c.tm.AllRed {
			return fmt.Errorf("all red lasted only %v", ch.At.Sub(c.lastAllRed))
		}
	case ch.From == Green && ch.To == Yellow:
		if !c.since[p].Equal(c.first) && ch.At.Sub(c.since[p]) < c.tm.MinGreen {
			return fmt.Errorf("green lasted only %v", ch.At.Sub(c.since[p]))
		}
	case ch.From == Yellow && ch.To == Red:
		if !c.since[p].Equal(c.first) && ch.At.Sub(c.since[p]) != c.tm.Yellow {
			return fmt.Errorf("yellow lasted %v", ch.At.Sub(c.since[p]))
		}
		c.lastAllRed = ch.At
	case initial && ch.From == Red && ch.To == Yellow:
	default:
		return fmt.Errorf("illegal transition")
	}
	c.ind[p], c.since[p] = ch.To, ch.At
	return nil
}

func (c *checker) checkEpisode(e episode) error {
	d := e.end.Sub(e.start)
	switch e.state {
	case wire.StateHold:
		if d > c.tm.MaxPreempt {
			return fmt.Errorf("hold lasted %v, more than max preempt %v", d, c.tm.MaxPreempt)
		}
	case wire.StateEntry:
		if d > c.tm.WorstCaseEntry() {
			return fmt.Errorf("entry lasted %v, more than the worst case %v", d, c.tm.WorstCaseEntry())
		}
	}
	return nil
}

// episodesOf returns the completed episodes in state.
func (c *checker) episodesOf(state wire.State) []episode {
	var out []episode
	for _, e := range c.episodes {
		if e.state == state {
			out = append(out, e)
		}
	}
	return out
}

// heldWithin is the time the change log shows in hold within (now-window,
// now], the hold under way included.
func (c *checker) heldWithin(now time.Time, window time.Duration) time.Duration {
	from := now.Add(-window)
	var d time.Duration
	add := func(start, end time.Time) {
		if start.Before(from) {
			start = from
		}
		if end.After(start) {
			d += end.Sub(start)
		}
	}
	for _, e := range c.episodes {
		if e.state == wire.StateHold {
			add(e.start, e.end)
		}
	}
	if c.state == wire.StateHold {
		add(c.stateSince, now)
	}
	return d
}
