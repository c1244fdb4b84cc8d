package prometheus

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/promserver"
	"github.com/ringleader-dev/ringleader/regions/promtest"
	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// One real Prometheus and one exporter serve every test of the package. Tests
// keep out of each other's way by using their own app label.
var (
	exporter *promtest.Exporter
	server   *promserver.Server
)

func TestMain(m *testing.M) {
	flag.Parse()
	exporter = promtest.NewExporter()
	start := time.Now()
	dir, err := os.MkdirTemp("", "ringleader-prometheus-test-")
	if err == nil {
		server, err = promserver.Start(promserver.Config{Dir: dir, Targets: []string{exporter.Addr()}, ScrapeInterval: time.Second})
	}
	if err != nil {
		exporter.Close()
		os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "regions/prometheus tests need a real Prometheus: %v\n", err)
		os.Exit(1)
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "prometheus %s ready in %s\n", server.URL, time.Since(start).Round(time.Millisecond))
	}
	code := m.Run()
	server.Stop()
	exporter.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Test metrics read short windows so a change of error ratio shows within a
// few 1s scrapes.
const (
	errorRateQuery = `sum(rate(http_requests_total{region="{{region}}",app="{{app}}",version="{{version}}",code=~"5.."}[5s]))` +
		` / sum(rate(http_requests_total{region="{{region}}",app="{{app}}",version="{{version}}"}[5s])) * 100`
	successRateQuery = `100 - ` + errorRateQuery
)

func ptr(f float64) *float64 { return &f }

// region returns a region reading the shared Prometheus.
func region(name string) ringtopology.Region {
	return ringtopology.Region{Name: name, Timezone: "UTC", Prometheus: &ringtopology.PrometheusSource{URL: server.URL}}
}

// topology returns a topology with the given regions and metrics.
func topology(regs []ringtopology.Region, metrics ...ringtopology.Metric) *ringtopology.Topology {
	t := &ringtopology.Topology{Metadata: ringtopology.Metadata{Name: "test"}}
	t.Spec.Regions = regs
	t.Spec.Policy.Analysis.Metrics = metrics
	return t
}

// eventually waits up to timeout for cond and fails with cond's last
// message.
func eventually(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	var msg string
	err := poll.For(timeout, "the condition", func() bool {
		var ok bool
		ok, msg = cond()
		return ok
	})
	if err != nil {
		t.Fatalf("%v: %s", err, msg)
	}
}

// hangingServer accepts every request and never answers: each query to it
// ends at the caller's timeout.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs first: frees the handlers
	return hang
}

// describe renders observations for failure messages.
func describe(obs []rings.Observation) string {
	var b strings.Builder
	for _, o := range obs {
		fmt.Fprintf(&b, "[%s %s pass=%v value=%g threshold=%q reason=%q] ", o.Region, o.Check, o.Pass, o.Value, o.Threshold, o.Reason)
	}
	return b.String()
}

func near(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }
