package metrics

import (
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is the service's instrumentation. All fields are safe for
// concurrent use.
type Metrics struct {
	Registry *prometheus.Registry

	// MessagesReceived counts MQTT messages by kind (position, route,
	// signal_status, ...).
	MessagesReceived *prometheus.CounterVec
	// MessagesRejected counts refused messages by kind, reason and the
	// offending field (array indexes folded, "path[]"), so a vendor's
	// broken unit shows up as one growing series.
	MessagesRejected *prometheus.CounterVec
	// InputsProcessed counts inputs the engine has stepped, by kind.
	InputsProcessed *prometheus.CounterVec
	// InputsDropped counts inputs dropped because the engine's queue was
	// full (positions only: a newer fix supersedes them).
	InputsDropped *prometheus.CounterVec
	// CommandsPublished counts commands acknowledged by the broker, by type.
	CommandsPublished *prometheus.CounterVec
	// CommandPublishRetries counts failed command publishes that were retried.
	CommandPublishRetries prometheus.Counter
	// CommandQueue is how many commands wait to be published.
	CommandQueue prometheus.Gauge
	// AdvisoriesPublished and AdvisoriesDropped: advisories are QoS 0 and
	// dropped (and counted) when their queue is full or the broker is away.
	AdvisoriesPublished prometheus.Counter
	AdvisoriesDropped   prometheus.Counter
	// Decisions counts the engine's decisions by kind and reason.
	Decisions *prometheus.CounterVec
	// Connected is 1 while the broker connection is up.
	Connected prometheus.Gauge
	// Connections counts (re)connections to the broker.
	Connections prometheus.Counter
	// StepSeconds is how long the engine takes per input or tick.
	StepSeconds prometheus.Histogram
}

// New creates the metrics and a registry holding them plus the Go runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		MessagesReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenwave_messages_received_total", Help: "MQTT messages received, by kind.",
		}, []string{"kind"}),
		MessagesRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenwave_messages_rejected_total", Help: "Messages refused, by kind, reason and offending field.",
		}, []string{"kind", "reason", "field"}),
		InputsProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenwave_inputs_processed_total", Help: "Inputs stepped through the engine (accepted or refused by it), by kind.",
		}, []string{"kind"}),
		InputsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenwave_inputs_dropped_total", Help: "Inputs dropped because the engine queue was full, by kind.",
		}, []string{"kind"}),
		CommandsPublished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenwave_commands_published_total", Help: "Commands acknowledged by the broker, by type.",
		}, []string{"type"}),
		CommandPublishRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenwave_command_publish_retries_total", Help: "Command publishes that failed and were retried.",
		}),
		CommandQueue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenwave_command_queue_length", Help: "Commands waiting to be published.",
		}),
		AdvisoriesPublished: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenwave_advisories_published_total", Help: "Advisories handed to the broker connection.",
		}),
		AdvisoriesDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenwave_advisories_dropped_total", Help: "Advisories dropped (queue full or broker away).",
		}),
		Decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenwave_decisions_total", Help: "Engine decisions, by kind and reason.",
		}, []string{"kind", "reason"}),
		Connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenwave_mqtt_connected", Help: "1 while the broker connection is up.",
		}),
		Connections: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenwave_mqtt_connections_total", Help: "Connections made to the broker (first one and reconnects).",
		}),
		StepSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "greenwave_engine_step_seconds", Help: "Engine time per input or tick.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10), // 1 µs .. 0.26 s
		}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.MessagesReceived, m.MessagesRejected, m.InputsProcessed, m.InputsDropped,
		m.CommandsPublished, m.CommandPublishRetries, m.CommandQueue,
		m.AdvisoriesPublished, m.AdvisoriesDropped, m.Decisions,
		m.Connected, m.Connections, m.StepSeconds,
	)
	return m
}

var arrayIndex = regexp.MustCompile(`\[[0-9]+\]`)

// FieldLabel folds array indexes out of a field name ("path[17][0]" →
// "path[][]") so that the label's values stay few.
func FieldLabel(field string) string {
	if len(field) > 64 {
		field = field[:64]
	}
	return arrayIndex.ReplaceAllString(field, "[]")
}

// Rejected counts one refused message.
func (m *Metrics) Rejected(kind, reason, field string) {
	m.MessagesRejected.WithLabelValues(kind, reason, FieldLabel(field)).Inc()
}
