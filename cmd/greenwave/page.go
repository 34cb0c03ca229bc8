package main

import (
	"fmt"
	"net/http"

	"github.com/greenwave-project/greenwave/internal/metrics"
)

// listenPage serves h (the operator page, with or without /metrics and
// /healthz) on addr.
func listenPage(addr string, h http.Handler) (*metrics.Server, error) {
	s, err := metrics.Listen(addr, h)
	if err != nil {
		return nil, fmt.Errorf("--http %s: %w", addr, err)
	}
	return s, nil
}
