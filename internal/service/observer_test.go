package service_test

import (
	"context"
	"encoding/json"
	"sync"
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

// recorder is an Observer that keeps copies of what it is shown.
type recorder struct {
	mu         sync.Mutex
	positions  []wire.Position
	views      []controller.VehicleView
	statuses   []wire.Status
	decisions  []controller.Decision
	advisories []wire.Advisory
}

func (r *recorder) ObservePosition(_ time.Time, p wire.Position, v controller.VehicleView) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.positions = append(r.positions, p)
	r.views = append(r.views, v)
}

func (r *recorder) ObserveStatus(_ time.Time, s wire.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, s)
}

func (r *recorder) ObserveReady(_ time.Time, rd controller.Ready) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.decisions = append(r.decisions, rd.Decisions...)
	for _, a := range rd.Advisories {
		a.Signals = append([]wire.AdvisorySignal(nil), a.Signals...)
		r.advisories = append(r.advisories, a)
	}
}

// The observer is shown every fix and status the engine accepted (and not
// a refused one), with the engine's path for the vehicle, and every
// decision and advisory, in the order the engine made them.
func TestObserverSeesWhatTheServiceAccepts(t *testing.T) {
	b := brokertest.Embedded(t)
	rec := &recorder{}
	s := newStack(t, b, stackOptions{observer: rec})
	var seq uint64
	s.drive("amb-1", &seq, 150, 1100, 20, true)
	// A duplicate of the last fix: the engine refuses it as stale.
	ll := lonLat(1100, 0)
	dup := wire.Position{VehicleID: "amb-1", Seq: seq, TS: s.clk.Now(), Lat: ll[1], Lon: ll[0], Emergency: true}
	require.NoError(t, s.vehicle.Publish(context.Background(), mqttx.Message{Topic: s.topics.Position("amb-1"), Payload: mustJSON(t, dup), QoS: 1}))
	s.waitFor("every fix consumed", func() bool {
		return metrics.Value(s.met.InputsProcessed.WithLabelValues("position")) >= float64(seq+1)
	})
	ctx, cancel := context.WithTimeout(context.Background(), realWait)
	defer cancel()
	require.NoError(t, s.svc.Query(ctx, func() {})) // the engine goroutine is past the last input

	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.positions, int(seq), "every accepted fix, not the duplicate")
	for i, p := range rec.positions {
		assert.Equal(t, uint64(i+1), p.Seq)
	}
	last := rec.views[len(rec.views)-1]
	require.NotNil(t, last.Path)
	assert.True(t, last.OnPath)
	assert.True(t, last.Emergency)
	at, _ := last.Path.PointAt(last.AlongM)
	assert.Less(t, at.Dist(s.net.Projection().ToXY(ll)), 30.0, "located at the last fix")

	ids := map[string]bool{}
	for _, st := range rec.statuses {
		ids[st.IntersectionID] = true
	}
	for _, id := range corridor {
		assert.True(t, ids[id], "status of %s", id)
	}
	kinds := map[controller.DecisionKind]int{}
	for _, d := range rec.decisions {
		kinds[d.Kind]++
	}
	assert.Positive(t, kinds[controller.DecisionRequest])
	assert.Positive(t, kinds[controller.DecisionRelease])
	assert.Equal(t, 1, kinds[controller.DecisionReject], "the duplicate fix")
	require.NotEmpty(t, rec.advisories)
	assert.Equal(t, "amb-1", rec.advisories[0].VehicleID)
	assert.NotEmpty(t, rec.advisories[0].Signals)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
