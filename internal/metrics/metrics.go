package metrics

import (
	"regexp"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
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
	// ConnectFailures counts failed connection attempts by cause
	// (mqttx.ConnectCause: tls_verify, bad_credentials, refused, ...).
	ConnectFailures *prometheus.CounterVec
	// StepSeconds is how long the engine takes per input or tick.
	StepSeconds prometheus.Histogram

	// counters caches the children of MessagesReceived and
	// MessagesRejected by label values: a flood of refused messages
	// then costs a map lookup each, not a label hash and an allocation.
	counters sync.Map // counterKey → prometheus.Counter
}

type counterKey struct {
	vec                 *prometheus.CounterVec
	kind, reason, field string
}

func (m *Metrics) counter(k counterKey, labels ...string) prometheus.Counter {
	if c, ok := m.counters.Load(k); ok {
		return c.(prometheus.Counter)
	}
	c := k.vec.WithLabelValues(labels...)
	m.counters.Store(k, c)
	return c
}

// Received counts one message received of kind.
func (m *Metrics) Received(kind string) {
	m.counter(counterKey{vec: m.MessagesReceived, kind: kind}, kind).Inc()
}

// New creates the metrics and a registry holding them plus the Go runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry:              prometheus.NewRegistry(),
		MessagesReceived:      counterVec("greenwave_messages_received_total", "MQTT messages received, by kind.", "kind"),
		MessagesRejected:      counterVec("greenwave_messages_rejected_total", "Messages refused, by kind, reason and offending field.", "kind", "reason", "field"),
		InputsProcessed:       counterVec("greenwave_inputs_processed_total", "Inputs stepped through the engine (accepted or refused by it), by kind.", "kind"),
		InputsDropped:         counterVec("greenwave_inputs_dropped_total", "Inputs dropped because the engine queue was full, by kind.", "kind"),
		CommandsPublished:     counterVec("greenwave_commands_published_total", "Commands acknowledged by the broker, by type.", "type"),
		CommandPublishRetries: counter("greenwave_command_publish_retries_total", "Command publishes that failed and were retried."),
		CommandQueue:          gauge("greenwave_command_queue_length", "Commands waiting to be published."),
		AdvisoriesPublished:   counter("greenwave_advisories_published_total", "Advisories handed to the broker connection."),
		AdvisoriesDropped:     counter("greenwave_advisories_dropped_total", "Advisories dropped (queue full or broker away)."),
		Decisions:             counterVec("greenwave_decisions_total", "Engine decisions, by kind and reason.", "kind", "reason"),
		Connected:             gauge("greenwave_mqtt_connected", "1 while the broker connection is up."),
		Connections:           counter("greenwave_mqtt_connections_total", "Connections made to the broker (first one and reconnects)."),
		ConnectFailures:       counterVec("greenwave_mqtt_connect_failures_total", "Failed connection attempts, by cause.", "cause"),
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
		m.Connected, m.Connections, m.ConnectFailures, m.StepSeconds,
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
	if !strings.Contains(field, "[") {
		return field
	}
	return arrayIndex.ReplaceAllString(field, "[]")
}

// Rejected counts one refused message.
func (m *Metrics) Rejected(kind, reason, field string) {
	field = FieldLabel(field)
	m.counter(counterKey{vec: m.MessagesRejected, kind: kind, reason: reason, field: field}, kind, reason, field).Inc()
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}

// Value reads a counter's or gauge's current value, or −1 for any other
// kind of metric. Tests and tools check what the service counted with it.
func Value(m prometheus.Metric) float64 {
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
