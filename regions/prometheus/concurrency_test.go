package prometheus

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/regions/promtest"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// TestAnalyzeRunsQueriesConcurrently: ten regions behind a Prometheus that
// never answers cost about one query timeout, not ten.
func TestAnalyzeRunsQueriesConcurrently(t *testing.T) {
	t.Parallel()
	hang := hangingServer(t)
	const timeout = 300 * time.Millisecond
	var regs []ringtopology.Region
	var names []string
	for i := range 10 {
		name := fmt.Sprintf("slow-%d", i)
		regs = append(regs, ringtopology.Region{Name: name, Prometheus: &ringtopology.PrometheusSource{URL: hang.URL}})
		names = append(names, name)
	}
	a := newAnalyzer(t, Config{QueryTimeout: timeout, Concurrency: 10})
	topo := topology(regs, ringtopology.Metric{Name: "m", Query: errorRateQuery, Max: ptr(5)})
	start := time.Now()
	res, err := a.Analyze(context.Background(), topo, query("slow", "v2", names), time.Now())
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	for _, ra := range res {
		if len(ra.Checks) != 1 || ra.Checks[0].Pass || !strings.Contains(ra.Checks[0].Reason, "deadline exceeded") {
			t.Fatalf("%s: %s", ra.Region, describe(ra.Checks))
		}
	}
	if elapsed > 5*timeout {
		t.Fatalf("10 hanging queries took %s; serial would be %s, concurrent about %s", elapsed, 10*timeout, timeout)
	}
}

// BenchmarkAnalyze measures one observation of a canary region against the
// real server: two metrics, one with a baseline comparison (four queries).
func BenchmarkAnalyze(b *testing.B) {
	const app = "bench"
	exporter.SetErrorRatio(promtest.Series{Region: "b-canary", App: app, Version: "v2"}, 0.01)
	exporter.SetErrorRatio(promtest.Series{Region: "b-base", App: app, Version: "v1"}, 0.01)
	a, err := NewAnalyzer(Config{})
	if err != nil {
		b.Fatal(err)
	}
	topo := topology([]ringtopology.Region{region("b-canary"), region("b-base")},
		ringtopology.Metric{Name: "error-rate", Query: errorRateQuery, Max: ptr(5), MaxDegradation: ptr(1)},
		ringtopology.Metric{Name: "success-rate", Query: successRateQuery, Min: ptr(95)})
	q := query(app, "v2", []string{"b-canary"}, "b-base")
	b.ResetTimer()
	for b.Loop() {
		if _, err := a.Analyze(context.Background(), topo, q, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
