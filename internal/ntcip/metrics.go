package ntcip

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is the gateway's instrumentation, in its own registry (served
// on --http like serve's). All fields are safe for concurrent use.
type Metrics struct {
	Registry *prometheus.Registry

	// Requests counts SNMP requests by operation (get, set).
	Requests *prometheus.CounterVec
	// Errors counts failed SNMP exchanges by intersection, operation and
	// reason (the Fail* kinds: timeout, refused, wrong_auth_key,
	// wrong_priv_key, unknown_user, no_such_object, refused_value, ...).
	Errors *prometheus.CounterVec
	// Latency is an SNMP request's round trip, by operation.
	Latency *prometheus.HistogramVec
	// CommandLatency is from a command's arrival to the SET that carries
	// it out being acknowledged, by command type.
	CommandLatency *prometheus.HistogramVec
	// Commands counts commands by type and outcome (applied, refused,
	// invalid, not_mine).
	Commands *prometheus.CounterVec
	// Up is 1 while the intersection's last poll succeeded.
	Up *prometheus.GaugeVec
	// Fault is 1 while the intersection is published as fault.
	Fault *prometheus.GaugeVec
	// InputOn is 1 while the gateway holds the preempt input on.
	InputOn *prometheus.GaugeVec
	// InputClears counts inputs cleared, by why (release, expired,
	// controller_offline, max_hold, orphan, shutdown).
	InputClears *prometheus.CounterVec
	// Rejected counts MQTT messages refused, by kind and field.
	Rejected *prometheus.CounterVec
	// Connected is 1 while the broker connection is up.
	Connected prometheus.Gauge
}

// NewMetrics creates the gateway's metrics in a fresh registry (with the
// Go runtime and process collectors).
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenwave_ntcip_snmp_requests_total", Help: "SNMP requests sent to signal controllers, by operation.",
		}, []string{"op"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenwave_ntcip_snmp_errors_total", Help: "Failed SNMP exchanges, by intersection, operation and reason.",
		}, []string{"intersection_id", "op", "reason"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "greenwave_ntcip_snmp_seconds", Help: "SNMP request round trip, by operation.",
			Buckets: prometheus.ExponentialBuckets(100e-6, 2, 16), // 0.1 ms .. 3.3 s
		}, []string{"op"}),
		CommandLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "greenwave_ntcip_command_to_set_seconds", Help: "From a command's arrival to its SNMP SET being acknowledged, by command type.",
			Buckets: prometheus.ExponentialBuckets(100e-6, 2, 16),
		}, []string{"type"}),
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenwave_ntcip_commands_total", Help: "Commands received, by type and outcome.",
		}, []string{"type", "outcome"}),
		Up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "greenwave_ntcip_controller_up", Help: "1 while the intersection's controller answered its last poll.",
		}, []string{"intersection_id"}),
		Fault: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "greenwave_ntcip_fault", Help: "1 while the intersection is published as fault.",
		}, []string{"intersection_id"}),
		InputOn: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "greenwave_ntcip_input_on", Help: "1 while the gateway holds the preempt input (or phase hold) on.",
		}, []string{"intersection_id", "input"}),
		InputClears: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenwave_ntcip_input_clears_total", Help: "Preempt inputs cleared, by why.",
		}, []string{"why"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenwave_ntcip_messages_rejected_total", Help: "MQTT messages refused, by kind and offending field.",
		}, []string{"kind", "field"}),
		Connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenwave_ntcip_mqtt_connected", Help: "1 while the broker connection is up.",
		}),
	}
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.Requests, m.Errors, m.Latency, m.CommandLatency, m.Commands, m.Up, m.Fault, m.InputOn, m.InputClears, m.Rejected, m.Connected)
	return m
}
