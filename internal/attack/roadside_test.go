package attack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/internal/rsu"
	"github.com/greenwave-project/greenwave/signals"
	"github.com/greenwave-project/greenwave/wire"
)

// A roadside gateway that dies (its connections cut without a goodbye)
// leaves no unit reporting hold: the broker publishes each unit's Last
// Will, a retained fault status marked offline; the controller releases
// the preempt it held there, and the crew's display no longer says
// granted.
func TestKilledRoadsideTurnsOffline(t *testing.T) {
	// The gateway reaches the broker through a proxy that the test cuts.
	var proxy *brokertest.Proxy
	c := newCityWith(t, func(b *brokertest.Secure, o *cityOptions) {
		proxy = brokertest.NewProxy(t, strings.TrimPrefix(b.CertURL, "ssl://"))
		o.rsuURL = "ssl://" + strings.TrimPrefix(proxy.URL(), "tcp://")
		o.rsu = &rsu.Options{TrustedControllers: []string{controllerID}, UnitConnections: true}
		o.clock = newFastClock(5)
	})
	amb1 := c.device("amb-1")
	var seq uint64
	c.waitFor("amb-1 granted at I1", func() bool {
		seq++
		c.publish(amb1, c.fixAt("amb-1", seq, c.clk.Now(), 250+float64(seq), true))
		time.Sleep(50 * time.Millisecond)
		return c.mon.last("I1").State == wire.StateHold && lastSignalState(c.mon.advisories("amb-1"), "I1") == wire.SignalGranted
	})
	held := c.mon.last("I1").RequestID

	proxy.Cut()
	c.waitFor("every unit's will published", func() bool {
		return c.mon.last("I1").Offline && c.mon.last("I2").Offline && c.mon.last("I3").Offline
	})
	for _, id := range corridor {
		st := c.mon.last(id)
		assert.True(t, st.Offline, id)
		assert.Equal(t, wire.StateFault, st.State, id)
	}
	c.waitFor("the controller let go of I1", func() bool {
		for _, cmd := range c.mon.commands() {
			if cmd.Type == wire.CommandRelease && cmd.RequestID == held {
				return true
			}
		}
		return false
	})
	// The display shows I1 denied at the next fix.
	c.waitFor("the crew told", func() bool {
		seq++
		c.publish(amb1, c.fixAt("amb-1", seq, c.clk.Now(), 250+float64(seq), true))
		time.Sleep(20 * time.Millisecond)
		return lastSignalState(c.mon.advisories("amb-1"), "I1") == wire.SignalDenied
	})
	// Retained: whoever subscribes now sees the units offline.
	late := make(chan wire.Status, 16)
	o := c.passwordOptions(monitorUser, "late-monitor")
	o.Subscriptions = []mqttx.Subscription{{Filter: c.topics.Filter(mqttx.KindSignalStatus), QoS: 1, Handler: func(_ string, p []byte) {
		if st, err := wire.ParseStatus("", p); err == nil {
			late <- st
		}
	}}}
	c.connect(o)
	for range corridor {
		st := <-late
		assert.True(t, st.Offline, "%s's retained status", st.IntersectionID)
	}
}

func lastSignalState(advs []wire.Advisory, id string) string {
	for i := len(advs) - 1; i >= 0; i-- {
		for _, s := range advs[i].Signals {
			if s.IntersectionID == id {
				return s.State
			}
		}
	}
	return ""
}

// A controller that issues a fresh request_id each time the last one
// ends (a compromised control centre: nobody else may write commands)
// holds a junction no longer than its hold budget, 4 minutes in any 10;
// issue 13 held one for ever this way. A command naming a controller the
// roadside does not trust is not obeyed at all. The clock runs 200 times
// fast: 25 minutes in 7.5 s.
func TestRoadsideCapAgainstRotatingRequestIDs(t *testing.T) {
	clk := newFastClock(200)
	c := newCity(t, cityOptions{clock: clk, rsu: &rsu.Options{TrustedControllers: []string{controllerID}}})
	rogue := c.connect(c.passwordOptions(controllerID, "rogue-controller"))
	send := func(controller, req string, phase int) {
		now := clk.Now()
		b, err := json.Marshal(wire.Command{Type: wire.CommandPreempt, RequestID: req, ControllerID: controller, IntersectionID: "I1",
			VehicleID: "x", Approach: "NB", Phase: phase, Priority: 1, EtaS: 5, IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
		require.NoError(t, err)
		c.publish(rogue, mqttx.Message{Topic: c.topics.Command("I1"), Payload: b, QoS: 1})
	}
	send("made-up", "evil.I1.0", 4)
	start := clk.Now()
	n := 0
	for clk.Now().Sub(start) < 25*time.Minute {
		if st := c.mon.last("I1"); st.State != wire.StateHold && st.State != wire.StateEntry {
			n++
			send(controllerID, fmt.Sprintf("rot.I1.%d", n), 4)
		}
		time.Sleep(10 * time.Millisecond)
	}
	sts := c.mon.statuses("I1")
	budget := signals.DefaultHoldBudget()
	// The hold intervals, from the statuses (stamped by the unit).
	type span struct{ from, to time.Time }
	var holds []span
	for i, st := range sts {
		assert.NotEqual(t, "evil.I1.0", st.RequestID, "the untrusted controller's command was obeyed")
		if st.State != wire.StateHold {
			continue
		}
		end := clk.Now()
		if i+1 < len(sts) {
			end = sts[i+1].TS
		}
		holds = append(holds, span{st.TS, end})
	}
	heldIn := func(from, to time.Time) time.Duration {
		var d time.Duration
		for _, h := range holds {
			a, b := maxT(h.from, from), minT(h.to, to)
			if b.After(a) {
				d += b.Sub(a)
			}
		}
		return d
	}
	var most, total time.Duration
	for at := start; !at.After(clk.Now()); at = at.Add(5 * time.Second) {
		most = max(most, heldIn(at.Add(-budget.Window), at))
	}
	total = heldIn(start, clk.Now())
	t.Logf("%d request ids; held %v of 25 min, at most %v in any %v", n, total.Round(time.Second), most.Round(time.Second), budget.Window)
	// A status is stamped when the unit's loop ran, which on a loaded
	// machine can be tens of milliseconds late: at 200x that is seconds of
	// clock time on a hold's end. The cap itself is exact in
	// signals.Roadside (signals' hold-budget tests); here allow 10 s.
	assert.LessOrEqual(t, most, budget.Max+10*time.Second, "held more than the budget in a window")
	assert.Greater(t, most, budget.Max-10*time.Second, "the rotating requests did use the budget")
	assert.Greater(t, n, 5, "the attack rotated its request ids")
	stats, err := c.units.Stats(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, stats.CommandsUntrusted)
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minT(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
