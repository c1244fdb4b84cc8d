package notify

import "github.com/prometheus/client_golang/prometheus"

// MetricNames are the metrics Collector exports, as README.md documents
// them.
var MetricNames = []string{
	"ringleader_notifications_enqueued_total",
	"ringleader_notifications_sent_total",
	"ringleader_notifications_retries_total",
	"ringleader_notifications_failed_total",
	"ringleader_notifications_dropped_total",
	"ringleader_notifications_queued",
}

// collector reads a Dispatcher's Stats at scrape time.
type collector struct {
	d     *Dispatcher
	descs []*prometheus.Desc
}

// Collector exports the dispatcher's delivery counters (summed over the
// destinations) for Prometheus: what was queued, sent, retried, given up
// after the last retry, dropped because a queue was full, and what waits.
func (d *Dispatcher) Collector() prometheus.Collector {
	help := []string{
		"Notifications queued for delivery, one per event and destination.",
		"Notifications a destination accepted.",
		"Delivery attempts beyond the first.",
		"Notifications given up after the last retry.",
		"Notifications dropped because a destination's queue was full.",
		"Notifications waiting to be sent now.",
	}
	c := &collector{d: d}
	for i, name := range MetricNames {
		c.descs = append(c.descs, prometheus.NewDesc(name, help[i], nil, nil))
	}
	return c
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.d.Stats()
	counters := []int64{s.Enqueued, s.Sent, s.Retries, s.Failed, s.Dropped}
	for i, v := range counters {
		ch <- prometheus.MustNewConstMetric(c.descs[i], prometheus.CounterValue, float64(v))
	}
	ch <- prometheus.MustNewConstMetric(c.descs[len(counters)], prometheus.GaugeValue, float64(s.Queued))
}
