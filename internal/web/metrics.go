package web

import "github.com/prometheus/client_golang/prometheus"

// Metrics is the operator page's instrumentation.
type Metrics struct {
	// Pages is how many pages are connected to the event stream.
	Pages prometheus.Gauge
	// PagesRefused counts pages refused because MaxClients were connected.
	PagesRefused prometheus.Counter
	// Batches counts batches built (one per BatchInterval).
	Batches prometheus.Counter
	// BatchBytes is the size of each batch's JSON.
	BatchBytes prometheus.Histogram
	// BatchesSent counts batches queued for a page, over all pages.
	BatchesSent prometheus.Counter
	// BatchesDropped counts batches a page was not sent because its
	// buffer was full (it did not keep up); it gets a fresh snapshot
	// instead, which shows the count.
	BatchesDropped prometheus.Counter
	// Resyncs counts snapshots sent to pages that had fallen behind.
	Resyncs prometheus.Counter
	// DecisionsSkipped counts decisions left out of batches beyond
	// Options.MaxDecisions.
	DecisionsSkipped prometheus.Counter
}

// NewMetrics creates the metrics, unregistered.
func NewMetrics() *Metrics {
	return &Metrics{
		Pages: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenwave_web_pages", Help: "Operator pages connected to the event stream.",
		}),
		PagesRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenwave_web_pages_refused_total", Help: "Operator pages refused: too many connected.",
		}),
		Batches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenwave_web_batches_total", Help: "Event-stream batches built.",
		}),
		BatchBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "greenwave_web_batch_bytes", Help: "Size of each event-stream batch.",
			Buckets: prometheus.ExponentialBuckets(64, 4, 9), // 64 B .. 4 MiB
		}),
		BatchesSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenwave_web_batches_sent_total", Help: "Batches queued for a page, over all pages.",
		}),
		BatchesDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenwave_web_batches_dropped_total", Help: "Batches not sent to a page that did not keep up (it is resynchronised with a snapshot).",
		}),
		Resyncs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenwave_web_resyncs_total", Help: "Snapshots sent to pages that had fallen behind.",
		}),
		DecisionsSkipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenwave_web_decisions_skipped_total", Help: "Decisions left out of batches beyond the per-batch limit.",
		}),
	}
}

// Register adds the metrics to r.
func (m *Metrics) Register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.Pages, m.PagesRefused, m.Batches, m.BatchBytes, m.BatchesSent,
		m.BatchesDropped, m.Resyncs, m.DecisionsSkipped} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
