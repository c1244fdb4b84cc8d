package promtest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/ringleader-dev/ringleader/internal/promserver"
)

// TestExporterAdvancesPerScrape: each scrape adds RequestsPerScrape requests
// split by the error ratio.
func TestExporterAdvancesPerScrape(t *testing.T) {
	t.Parallel()
	e := NewExporter()
	t.Cleanup(e.Close)
	e.SetErrorRatio(Series{Region: "r1", App: "a", Version: "v1"}, 0.25)
	scrape := func() string {
		resp, err := http.Get(e.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	scrape()
	body := scrape()
	for _, want := range []string{
		`http_requests_total{app="a",code="200",region="r1",version="v1"} 1500`,
		`http_requests_total{app="a",code="500",region="r1",version="v1"} 500`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("after two scrapes the exposition lacks %q:\n%s", want, body)
		}
	}
}

// TestPrometheusScrapesExporter starts the real server and waits until a
// query over the exporter's series gives the ratio the test set.
func TestPrometheusScrapesExporter(t *testing.T) {
	t.Parallel()
	e := NewExporter()
	t.Cleanup(e.Close)
	e.SetErrorRatio(Series{Region: "r1", App: "a", Version: "v1"}, 0.1)
	start := time.Now()
	srv := promserver.New(t, promserver.Options{Targets: []string{e.Addr()}})
	t.Logf("prometheus ready in %s", time.Since(start).Round(time.Millisecond))
	c, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	papi := v1.NewAPI(c)
	const q = `sum(rate(http_requests_total{code="500"}[5s])) / sum(rate(http_requests_total[5s]))`
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, _, _, err := papi.Query(context.Background(), q, time.Now())
		if vec, ok := v.(model.Vector); err == nil && ok && len(vec) == 1 && vec[0].Value == 0.1 {
			t.Logf("data queryable %s after start", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ratio not 0.1 after 30s: %v %v\n%s", v, err, srv.Logs())
		}
		time.Sleep(100 * time.Millisecond) // poll interval
	}
}
