package service_test

import (
	"os"

	"strconv"

	"go.uber.org/zap/zapcore"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/greenwave-project/greenwave/internal/metrics"
)

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 7, 64) }

func metricsField(f string) string { return metrics.FieldLabel(f) }

// value reads a counter or gauge (prometheus' testutil would pull in
// another module for this one call).
func value(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		return -1
	}
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	return -1
}

// testLogLevel is warn: info would log every decision of every test.
// Set GREENWAVE_TEST_LOG=debug (or info) to watch a failing test.
var testLogLevel = func() zapcore.Level {
	if l, err := zapcore.ParseLevel(os.Getenv("GREENWAVE_TEST_LOG")); err == nil && os.Getenv("GREENWAVE_TEST_LOG") != "" {
		return l
	}
	return zapcore.WarnLevel
}()
