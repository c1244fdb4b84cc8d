package notify

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/readmetest"
	"github.com/ringleader-dev/ringleader/internal/signature"
)

// The collector reports the dispatcher's counters: a delivery that fails
// twice and then lands, and one the receiver refuses for good.
func TestCollectorExportsTheDeliveryCounters(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, false, 500, 500, http.StatusOK, 404)
	d := startDispatcher(t, Config{WebhookURL: r.srv.URL, WebhookSecret: signature.Secret("k"), MaxAttempts: 3})
	reg := prometheus.NewRegistry()
	reg.MustRegister(d.Collector())
	d.Enqueue(failedEvent)
	poll.Until(t, 10*time.Second, "the first delivery", func() bool { return d.Stats().Sent == 1 })
	second := failedEvent
	second.ID = "second"
	d.Enqueue(second)
	poll.Until(t, 10*time.Second, "the second delivery to end", func() bool { return d.Stats().Failed == 1 })
	want := `
# HELP ringleader_notifications_enqueued_total Notifications queued for delivery, one per event and destination.
# TYPE ringleader_notifications_enqueued_total counter
ringleader_notifications_enqueued_total 2
# HELP ringleader_notifications_failed_total Notifications given up after the last retry.
# TYPE ringleader_notifications_failed_total counter
ringleader_notifications_failed_total 1
# HELP ringleader_notifications_queued Notifications waiting to be sent now.
# TYPE ringleader_notifications_queued gauge
ringleader_notifications_queued 0
# HELP ringleader_notifications_retries_total Delivery attempts beyond the first.
# TYPE ringleader_notifications_retries_total counter
ringleader_notifications_retries_total 2
# HELP ringleader_notifications_sent_total Notifications a destination accepted.
# TYPE ringleader_notifications_sent_total counter
ringleader_notifications_sent_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"ringleader_notifications_enqueued_total", "ringleader_notifications_failed_total", "ringleader_notifications_queued",
		"ringleader_notifications_retries_total", "ringleader_notifications_sent_total"); err != nil {
		t.Fatal(err)
	}
	n, err := testutil.GatherAndCount(reg)
	if err != nil || n != len(MetricNames) {
		t.Fatalf("gathered %d metrics (%v); want %d", n, err, len(MetricNames))
	}
}

// README.md's Metrics section names every notification metric.
func TestNotificationMetricsAreDocumented(t *testing.T) {
	t.Parallel()
	section := readmetest.Section(t, "Metrics")
	for _, name := range MetricNames {
		if !strings.Contains(section, "| `"+name+"` |") {
			t.Errorf("README.md's Metrics table does not document %s", name)
		}
	}
}
