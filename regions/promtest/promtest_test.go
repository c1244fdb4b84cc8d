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
	"github.com/ringleader-dev/ringleader/internal/poll"
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
	srv, err := promserver.Start(promserver.Config{Dir: t.TempDir(), Targets: []string{e.Addr()}})
	if err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(srv.Stop)
	t.Logf("prometheus ready in %s", time.Since(start).Round(time.Millisecond))
	c, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	papi := v1.NewAPI(c)
	const q = `sum(rate(http_requests_total{code="500"}[5s])) / sum(rate(http_requests_total[5s]))`
	var v model.Value
	err = poll.For(30*time.Second, "the error ratio 0.1 in Prometheus", func() bool {
		var qerr error
		v, _, _, qerr = papi.Query(context.Background(), q, time.Now())
		vec, ok := v.(model.Vector)
		return qerr == nil && ok && len(vec) == 1 && vec[0].Value == 0.1
	})
	if err != nil {
		t.Fatalf("%v (last answer %v)\n%s", err, v, srv.Logs())
	}
	t.Logf("data queryable %s after start", time.Since(start).Round(time.Millisecond))
}
