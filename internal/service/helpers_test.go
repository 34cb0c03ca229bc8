package service_test

import (
	"os"

	"strconv"

	"go.uber.org/zap/zapcore"

	"github.com/greenwave-project/greenwave/internal/metrics"
)

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 7, 64) }

func metricsField(f string) string { return metrics.FieldLabel(f) }

// testLogLevel is warn: info would log every decision of every test.
// Set GREENWAVE_TEST_LOG=debug (or info) to watch a failing test.
var testLogLevel = func() zapcore.Level {
	if l, err := zapcore.ParseLevel(os.Getenv("GREENWAVE_TEST_LOG")); err == nil && os.Getenv("GREENWAVE_TEST_LOG") != "" {
		return l
	}
	return zapcore.WarnLevel
}()
