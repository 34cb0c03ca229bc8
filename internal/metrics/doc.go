// Package metrics holds the Prometheus metrics of the live service and the
// small HTTP server that exposes them (/metrics) with a health check
// (/healthz) for load balancers and orchestrators.
//
// Each Metrics has its own registry rather than the global one, so tests
// and the demo can run several services in one process without their
// counters colliding.
package metrics
