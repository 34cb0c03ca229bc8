package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/greenwave-project/greenwave/controller"
	"github.com/greenwave-project/greenwave/internal/brokertest"
	"github.com/greenwave-project/greenwave/internal/metrics"
	"github.com/greenwave-project/greenwave/internal/mqttx"
	"github.com/greenwave-project/greenwave/wire"
)

// A vehicle on an emergency run along the corridor gets a preempt for
// each junction in turn, on the eastbound approach and its phase, early
// enough that the roadside unit holds the green before the vehicle gets
// there, and each is released once the vehicle is through.
func TestCorridorPreemptsInOrderAndReleases(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		s := newStack(t, b, stackOptions{})
		var seq uint64
		tr := s.drive("amb-1", &seq, 150, 1700, 20, true)

		// Every request gets its release; wait for the last one.
		s.waitFor("release of I3", func() bool {
			_, rel := firstByIntersection(s.obs.commands(t), wire.CommandRelease)
			_, ok := rel["I3"]
			return ok
		})
		cmds := s.obs.commands(t)
		order, first := firstByIntersection(cmds, wire.CommandPreempt)
		require.Equal(t, corridor, order, "preempted in corridor order")
		_, releases := firstByIntersection(cmds, wire.CommandRelease)
		for i, id := range corridor {
			c := first[id]
			assert.Equal(t, "amb-1", c.VehicleID)
			assert.Equal(t, "cc-1", c.ControllerID)
			assert.Equal(t, "EB", c.Approach, id)
			assert.Equal(t, 2, c.Phase, id)
			assert.True(t, c.ExpiresAt.After(c.IssuedAt))

			arrive := tr.at(corridorX[i])
			require.False(t, arrive.IsZero())
			assert.True(t, c.IssuedAt.Before(arrive), "%s requested at %v, vehicle there at %v", id, c.IssuedAt, arrive)
			// The unit held the requested phase green before the vehicle arrived.
			hold := s.waitStatus(id, "hold", func(st seenStatus) bool {
				return st.State == wire.StateHold && st.RequestID == c.RequestID
			})
			assert.Contains(t, hold.GreenPhases, 2)
			assert.True(t, hold.TS.Before(arrive), "%s held at %v, vehicle there at %v", id, hold.TS, arrive)

			rel, ok := releases[id]
			require.True(t, ok, "release of %s", id)
			assert.Equal(t, c.RequestID, rel.RequestID)
			assert.True(t, rel.IssuedAt.After(arrive), "%s released at %v, before the vehicle got there at %v", id, rel.IssuedAt, arrive)
		}
		// Released, every unit goes back to its plan.
		for _, id := range corridor {
			s.waitStatus(id, "back to normal after the hold", func(st seenStatus) bool {
				return st.State == wire.StateNormal && st.TS.After(releases[id].IssuedAt)
			})
		}
		assert.Greater(t, metrics.Value(s.met.CommandsPublished.WithLabelValues("release")), 0.0)
		assert.Zero(t, metrics.Value(s.met.CommandPublishRetries))
	})
}

// Without lights and sirens a vehicle is tracked but never preempts.
func TestNoPreemptWithoutEmergency(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		s := newStack(t, b, stackOptions{})
		var seq uint64
		s.drive("car-1", &seq, 150, 1100, 20, false) // through I1 and I2
		// The service has consumed every fix before we look: ask the
		// engine goroutine, which handles inputs in order.
		s.waitFor("all fixes consumed", func() bool {
			return metrics.Value(s.met.MessagesReceived.WithLabelValues("position")) >= float64(seq)
		})
		ctx, cancel := context.WithTimeout(context.Background(), realWait)
		defer cancel()
		live, err := s.svc.LivePreempts(ctx)
		require.NoError(t, err)
		assert.Empty(t, live)
		assert.Empty(t, s.obs.commands(t), "no command for a vehicle with emergency: false")
	})
}

// Malformed payloads are refused, logged and counted by reason, and change
// nothing: a vehicle whose bad fix carried a huge seq is still accepted at
// seq 1 afterwards, and gets its preempt.
func TestMalformedPayloadsAreSurvived(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		s := newStack(t, b, stackOptions{})
		ll := lonLat(150, 0)
		latlon := func() string {
			return `"lat":` + ftoa(ll[1]) + `,"lon":` + ftoa(ll[0])
		}
		ts := `"ts":"` + wire.FormatTime(s.clk.Now()) + `"`
		bad := []struct {
			topic, payload, reason, field string
		}{
			{s.topics.Position("amb-2"), `not json`, "malformed", "payload"},
			{s.topics.Position("amb-2"), `[1,2,3]`, "malformed", "payload"},
			{s.topics.Position("amb-2"), `{"vehicle_id":"amb-2","seq":"many",` + ts + `,` + latlon() + `,"emergency":true}`, "invalid", "seq"},
			{s.topics.Position("amb-2"), `{"vehicle_id":"amb-9","seq":1000000,` + ts + `,` + latlon() + `,"emergency":true}`, "id_mismatch", "vehicle_id"},
			{s.topics.Position("amb-2"), `{"vehicle_id":"amb-2","seq":1000000,` + ts + `,"lat":200,"lon":6.1,"emergency":true}`, "invalid", "lat"},
			{s.topics.Position("amb-2"), `{"vehicle_id":"amb-2","seq":1000000,` + ts + `,` + latlon() + `,"speed_mps":-3,"emergency":true}`, "invalid", "speed_mps"},
			{s.topics.Position("amb-2"), `{"vehicle_id":"amb-2","seq":1000000,` + ts + `,` + latlon() + `,"emergency":true,"pad":"` + strings.Repeat("x", 70<<10) + `"}`, "too_large", "payload"},
			{s.topics.Route("amb-2"), `{"vehicle_id":"amb-2",` + ts + `,"path":[[6.1]]}`, "invalid", "path[0]"},
			{s.topics.SignalStatus("I1"), `{"intersection_id":"I2",` + ts + `,"state":"hold","green_phases":[2]}`, "id_mismatch", "intersection_id"},
			{s.topics.SignalStatus("I1"), `{"intersection_id":"I1",` + ts + `,"state":"party","green_phases":[2]}`, "invalid", "state"},
			{s.topics.Position("bad id!"), `{}`, "bad_topic", "topic"},
		}
		for _, m := range bad {
			require.NoError(t, s.vehicle.Publish(context.Background(), mqttx.Message{Topic: m.topic, Payload: []byte(m.payload), QoS: 1}))
		}
		for _, m := range bad {
			kind, _, _ := s.topics.Parse(m.topic)
			s.waitFor("rejection "+m.reason+"/"+m.field, func() bool {
				return metrics.Value(s.met.MessagesRejected.WithLabelValues(kind.String(), m.reason, metricsField(m.field))) > 0
			})
		}
		assert.Empty(t, s.obs.commands(t))

		// The service is alive and its state untouched: seq 1 is accepted.
		var seq uint64
		s.drive("amb-2", &seq, 150, 520, 20, true)
		s.waitFor("a preempt for amb-2 at I1", func() bool {
			return len(preemptsFor(s.obs.commands(t), "amb-2")) > 0
		})
		assert.Zero(t, metrics.Value(s.met.MessagesRejected.WithLabelValues("position", controller.ReasonStaleSeq.String(), "seq")))
	})
}

// The broker goes away and comes back (forgetting every session and
// retained message): the service reconnects, subscribes again, announces
// itself online again, and keeps preempting.
func TestRecoversFromBrokerRestart(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		s := newStack(t, b, stackOptions{})
		var seq uint64
		s.drive("amb-3", &seq, 150, 650, 20, true) // through I1
		s.waitFor("release of I1", func() bool {
			_, rel := firstByIntersection(s.obs.commands(t), wire.CommandRelease)
			_, ok := rel["I1"]
			return ok
		})
		before := len(s.obs.controllerStates("cc-1"))

		b.Stop(t)
		s.waitFor("service sees the broker gone", func() bool { return s.svc.Healthy() != nil })
		b.Start(t)
		s.waitFor("service reconnected", func() bool {
			return s.svc.Healthy() == nil && metrics.Value(s.met.Connections) >= 2
		})
		s.waitFor("vehicle reconnected", s.vehicle.Connected)
		// online is announced again (the restarted broker lost the retained one).
		s.waitFor("online again", func() bool {
			st := s.obs.controllerStates("cc-1")
			return len(st) > before && st[len(st)-1] == wire.ControllerOnline
		})

		tr := s.drive("amb-3", &seq, 650, 1550, 20, true)
		s.waitFor("release of I3 after the restart", func() bool {
			_, rel := firstByIntersection(s.obs.commands(t), wire.CommandRelease)
			_, ok := rel["I3"]
			return ok
		})
		order, first := firstByIntersection(s.obs.commands(t), wire.CommandPreempt)
		assert.Equal(t, corridor, order)
		for i, id := range corridor[1:] {
			assert.True(t, first[id].IssuedAt.Before(tr.at(corridorX[i+1])), id)
			assert.Equal(t, "EB", first[id].Approach)
		}
	})
}

// The service dies mid-hold, its connection dropped without a word: the
// broker publishes its Last Will (retained offline) and the roadside unit
// ends the hold at once, long before the preempt would expire.
func TestKilledMidHoldLastWillEndsTheHold(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		proxy := brokertest.NewProxy(t, strings.TrimPrefix(b.URL(), "tcp://"))
		// A long lease, so that only the Last Will can end the hold soon.
		s := newStack(t, b, stackOptions{serviceURL: proxy.URL(),
			engine: controller.Config{Lease: 80 * time.Second, RefreshPeriod: 5 * time.Second}})
		lastPreempt := s.driveUntilHold(t, "amb-4")

		proxy.Cut() // the process is gone: no release, no offline of its own
		s.waitFor("Last Will offline", func() bool {
			st := s.obs.controllerStates("cc-1")
			return len(st) > 0 && st[len(st)-1] == wire.ControllerOffline
		})
		back := s.waitStatus("I1", "hold ended", func(st seenStatus) bool {
			return st.TS.After(lastPreempt.IssuedAt) && st.State != wire.StateHold && st.State != wire.StateEntry
		})
		assert.True(t, back.TS.Before(lastPreempt.ExpiresAt), "hold ended at %v, only by expiry at %v", back.TS, lastPreempt.ExpiresAt)
		s.waitStatus("I1", "back to normal", func(st seenStatus) bool {
			return st.TS.After(lastPreempt.IssuedAt) && st.State == wire.StateNormal
		})
	})
}

// The service is cut off without the broker noticing (a partition: its
// Last Will cannot fire for 1.5 keep-alives): the roadside unit ends the
// hold on its own when the last preempt expires.
func TestKilledMidHoldExpiryEndsTheHold(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		proxy := brokertest.NewProxy(t, strings.TrimPrefix(b.URL(), "tcp://"))
		s := newStack(t, b, stackOptions{serviceURL: proxy.URL(), keepAlive: time.Minute,
			engine: controller.Config{Lease: 10 * time.Second, RefreshPeriod: 2 * time.Second}})
		lastPreempt := s.driveUntilHold(t, "amb-5")

		proxy.Freeze()
		ended := s.waitStatus("I1", "hold ended by expiry", func(st seenStatus) bool {
			return st.TS.After(lastPreempt.IssuedAt) && st.State != wire.StateHold && st.State != wire.StateEntry
		})
		// No Last Will was published: expiry alone ended it.
		st := s.obs.controllerStates("cc-1")
		assert.Equal(t, wire.ControllerOnline, st[len(st)-1])
		// Not before the expiry of a preempt the unit may have received
		// after the one we saw last (the freeze can catch one in flight).
		assert.False(t, ended.TS.Before(lastPreempt.ExpiresAt), "ended at %v before expiry %v", ended.TS, lastPreempt.ExpiresAt)
		s.waitStatus("I1", "back to normal", func(st seenStatus) bool {
			return st.TS.After(lastPreempt.ExpiresAt) && st.State == wire.StateNormal
		})
	})
}

// driveUntilHold drives vehicle towards I1 until its unit holds the
// green for it, stops the vehicle short of the junction (so nothing is
// released for having passed), and returns the last preempt seen.
func (s *stack) driveUntilHold(t *testing.T, vehicle string) wire.Command {
	t.Helper()
	var seq uint64
	s.drive(vehicle, &seq, 150, 420, 20, true)
	var req wire.Command
	s.waitFor("a preempt for I1", func() bool {
		p := preemptsFor(s.obs.commands(t), vehicle)
		if len(p) == 0 {
			return false
		}
		req = p[0]
		return true
	})
	// Keep the vehicle alive (standing short of the stop line) until held.
	held := false
	for !held {
		s.drive(vehicle, &seq, 420, 420, 0, true)
		for _, st := range s.obs.statuses(t, "I1") {
			if st.State == wire.StateHold && st.RequestID == req.RequestID {
				held = true
			}
		}
	}
	p := preemptsFor(s.obs.commands(t), vehicle)
	return p[len(p)-1]
}

// SIGINT/SIGTERM mid-hold: the service releases what it holds, says
// offline itself (a clean disconnect sends no Last Will), and the unit
// returns to its plan.
func TestGracefulShutdownReleasesAndSaysOffline(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		s := newStack(t, b, stackOptions{engine: controller.Config{Lease: 80 * time.Second, RefreshPeriod: 5 * time.Second}})
		held := s.driveUntilHold(t, "amb-6")

		s.stopSvc() // what the signal handler's context cancellation does
		select {
		case err := <-s.svcDone:
			require.NoError(t, err)
			s.svcDone <- nil // for the cleanup
		case <-time.After(realWait):
			t.Fatal("service did not stop")
		}
		s.waitFor("release on shutdown", func() bool {
			for _, c := range s.obs.commands(t) {
				if c.Type == wire.CommandRelease && c.RequestID == held.RequestID {
					return true
				}
			}
			return false
		})
		s.waitFor("offline", func() bool {
			st := s.obs.controllerStates("cc-1")
			return st[len(st)-1] == wire.ControllerOffline
		})
		back := s.waitStatus("I1", "back to normal", func(st seenStatus) bool {
			return st.TS.After(held.IssuedAt) && st.State == wire.StateNormal
		})
		assert.True(t, back.TS.Before(held.ExpiresAt), "ended by the release, not by expiry")
	})
}

// With roadside units that report their planned green times (SPaT), the
// engine leaves alone a green the plan shows anyway while the vehicle can
// get through on it. Whatever the plan's phase when the vehicle comes,
// every junction is either preempted in time (held before the vehicle
// gets there, released after it passed) or showed the vehicle's phase
// green as it arrived — and nothing is requested out of order.
func TestCorridorWithPlannedGreenTimes(t *testing.T) {
	brokertest.Each(t, func(t *testing.T, b brokertest.Broker) {
		s := newStack(t, b, stackOptions{spat: true, speedup: 8})
		var seq uint64
		tr := s.drive("amb-7", &seq, 150, 1700, 20, true)
		s.waitFor("every fix consumed", func() bool {
			return metrics.Value(s.met.InputsProcessed.WithLabelValues("position")) >= float64(len(tr.fixes))
		})
		// Let any release of the last junction come through.
		s.waitFor("nothing live", func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), realWait)
			defer cancel()
			live, err := s.svc.LivePreempts(ctx)
			return err == nil && len(live) == 0
		})
		cmds := s.obs.commands(t)
		order, first := firstByIntersection(cmds, wire.CommandPreempt)
		_, releases := firstByIntersection(cmds, wire.CommandRelease)
		prev := -1
		for _, id := range order {
			i := indexOf(corridor, id)
			require.Greater(t, i, prev, "requested out of order: %v", order)
			prev = i
		}
		for i, id := range corridor {
			arrive := tr.at(corridorX[i])
			if c, ok := first[id]; ok {
				assert.Equal(t, "EB", c.Approach)
				assert.Equal(t, 2, c.Phase)
				assert.True(t, c.IssuedAt.Before(arrive), "%s requested at %v, vehicle there at %v", id, c.IssuedAt, arrive)
				hold := s.waitStatus(id, "hold", func(st seenStatus) bool {
					return st.State == wire.StateHold && st.RequestID == c.RequestID
				})
				assert.True(t, hold.TS.Before(arrive), "%s held at %v, vehicle there at %v", id, hold.TS, arrive)
				rel, ok := releases[id]
				require.True(t, ok, "release of %s", id)
				assert.True(t, rel.IssuedAt.After(arrive))
				t.Logf("%s: preempted %.1f s ahead", id, arrive.Sub(c.IssuedAt).Seconds())
				continue
			}
			// Not preempted: the plan's green carried it.
			var last seenStatus
			for _, st := range s.obs.statuses(t, id) {
				if !st.TS.After(arrive) {
					last = st
				}
			}
			t.Logf("%s: through on the plan's green", id)
			assert.Contains(t, last.GreenPhases, 2, "%s neither preempted nor green when the vehicle arrived at %v (last status %+v)", id, arrive, last.Status)
		}
	})
}

func indexOf(ids []string, id string) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}
