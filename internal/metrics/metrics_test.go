package metrics

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestHealthAndMetricsEndpoints(t *testing.T) {
	m := New()
	var down atomic.Bool
	srv, err := Listen("127.0.0.1:0", Handler(m, func() error {
		if down.Load() {
			return errors.New("mqtt: not connected")
		}
		return nil
	}))
	require.NoError(t, err)
	defer srv.Close()
	base := "http://" + srv.Addr()

	code, body := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)

	down.Store(true)
	code, body = get(t, base+"/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "not connected")

	m.Rejected("position", "invalid", "path[12][0]")
	m.Rejected("position", "invalid", "path[3][1]")
	code, body = get(t, base+"/metrics")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `greenwave_messages_rejected_total{field="path[][]",kind="position",reason="invalid"} 2`)
	assert.True(t, strings.Contains(body, "go_goroutines"))
}

func TestFieldLabel(t *testing.T) {
	assert.Equal(t, "green_phases[]", FieldLabel("green_phases[3]"))
	assert.Equal(t, "lat", FieldLabel("lat"))
	assert.Len(t, FieldLabel(strings.Repeat("x", 500)), 64)
}

func TestValueReadsCountersAndGauges(t *testing.T) {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "c"})
	c.Add(3)
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"})
	g.Set(-2.5)
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h"})
	h.Observe(1)
	assert.Equal(t, 3.0, Value(c))
	assert.Equal(t, -2.5, Value(g))
	assert.Equal(t, -1.0, Value(h), "neither a counter nor a gauge")
}
