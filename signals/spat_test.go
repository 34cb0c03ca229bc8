package signals

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/greenwave-project/greenwave/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The optional green_since/green_until fields must tell the truth: the
// green's actual start and the moment the unit's own timing will end it,
// checked here against the indication changes the unit really makes.
func TestStatusReportsWhenGreenBeganAndWillEnd(t *testing.T) {
	tm := DefaultTiming()
	plan, err := DefaultPlan([]int{2, 4, 6, 8}, 90*time.Second, 0.6, tm)
	require.NoError(t, err)
	rs, err := NewRoadside("I-1", plan, tm)
	require.NoError(t, err)
	epoch := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

	var checked int
	for now := epoch; now.Before(epoch.Add(5 * time.Minute)); now = now.Add(700 * time.Millisecond) {
		st := rs.Status(now)
		rs.DrainChanges()
		if len(st.GreenPhases) == 0 {
			assert.True(t, st.GreenSince.IsZero() && st.GreenUntil.IsZero(), "nothing green at %v, yet %+v", now, st)
			continue
		}
		require.False(t, st.GreenSince.IsZero(), "green at %v without green_since", now)
		require.False(t, st.GreenUntil.IsZero(), "plan green at %v without green_until", now)
		assert.False(t, st.GreenSince.After(now))
		assert.True(t, st.GreenUntil.After(now))
		// Run to the announced end: the phases must still be green just
		// before it and no longer green at it.
		probe, err := NewRoadside("I-1", plan, tm)
		require.NoError(t, err)
		probe.Advance(st.GreenUntil.Add(-time.Millisecond))
		assert.True(t, probe.IsGreen(st.GreenPhases[0]), "announced end %v came early", st.GreenUntil)
		probe.Advance(st.GreenUntil)
		assert.False(t, probe.IsGreen(st.GreenPhases[0]), "announced end %v came late", st.GreenUntil)
		checked++
	}
	require.Greater(t, checked, 100)
}

func TestStatusHoldHasNoPlannedEnd(t *testing.T) {
	tm := DefaultTiming()
	plan, err := DefaultPlan([]int{2, 4, 6, 8}, 90*time.Second, 0.6, tm)
	require.NoError(t, err)
	rs, err := NewRoadside("I-1", plan, tm)
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	rs.Advance(t0)
	phase := rs.GreenPhases()[0]
	require.NoError(t, rs.Apply(t0, wire.Command{Type: wire.CommandPreempt, RequestID: "a", ControllerID: "cc", IntersectionID: "I-1",
		VehicleID: "v", Approach: "EB", Phase: phase, Priority: 1, IssuedAt: t0, ExpiresAt: t0.Add(20 * time.Second)}))
	st := rs.Status(t0.Add(time.Second))
	require.Equal(t, wire.StateHold, st.State)
	assert.False(t, st.GreenSince.IsZero())
	assert.True(t, st.GreenUntil.IsZero(), "a hold has no planned end")
}

func TestStatusGreenTimesOnTheWire(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	st := wire.Status{IntersectionID: "I-1", TS: t0, State: wire.StateNormal, GreenPhases: []int{2, 6},
		GreenSince: t0.Add(-10 * time.Second), GreenUntil: t0.Add(25 * time.Second)}
	b, err := json.Marshal(st)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"green_since":"2026-11-22T07:59:50Z"`)
	got, err := wire.ParseStatus("", b)
	require.NoError(t, err)
	assert.Equal(t, st, got)

	for _, tc := range []struct{ name, payload, field string }{
		{"until before since", `{"intersection_id":"I-1","ts":"2026-11-22T08:00:00Z","state":"normal","green_phases":[2],"green_since":"2026-11-22T08:00:10Z","green_until":"2026-11-22T08:00:00Z"}`, "green_until"},
		{"since without green", `{"intersection_id":"I-1","ts":"2026-11-22T08:00:00Z","state":"normal","green_phases":[],"green_since":"2026-11-22T08:00:00Z"}`, "green_since"},
		{"not a time", `{"intersection_id":"I-1","ts":"2026-11-22T08:00:00Z","state":"normal","green_phases":[2],"green_until":"soon"}`, "green_until"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wire.ParseStatus("", []byte(tc.payload))
			var fe *wire.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.field, fe.Field)
		})
	}
}
