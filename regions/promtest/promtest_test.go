package promtest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
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
	srv := New(t, Options{Targets: []string{e.Addr()}})
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

// TestMissingBinaryFails: no prometheus on PATH is an error naming the fix,
// never a skip.
func TestMissingBinaryFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(Options{})
	if !errors.Is(err, ErrNoBinary) || !strings.Contains(err.Error(), "apt-get install prometheus") {
		t.Fatalf("Start = %v, want ErrNoBinary with the install hint", err)
	}
}

// TestBinaryThatExitsIsReported: a process that dies before /-/ready is an
// error carrying its output, not a hang until the deadline.
func TestBinaryThatExitsIsReported(t *testing.T) {
	t.Parallel()
	script := t.TempDir() + "/fake-prometheus"
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'boom: bad flag' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Start(Options{Binary: script, ReadyTimeout: 20 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "boom: bad flag") || time.Since(start) > 10*time.Second {
		t.Fatalf("Start = %v after %s, want a quick error with the process output", err, time.Since(start))
	}
}

// TestPortTakenIsRetried: a fake binary that reports the port as taken is
// started again with a new port, startAttempts times in all.
func TestPortTakenIsRetried(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := dir + "/fake-prometheus"
	body := "#!/bin/sh\necho x >> " + dir + "/runs\necho 'listen tcp: address already in use' >&2\nexit 1\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Start(Options{Binary: script})
	runs, _ := os.ReadFile(dir + "/runs")
	if !errors.Is(err, errPortTaken) || strings.Count(string(runs), "x") != startAttempts {
		t.Fatalf("Start = %v after %d runs, want errPortTaken after %d", err, strings.Count(string(runs), "x"), startAttempts)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	got := config(Options{Targets: []string{"127.0.0.1:1", "127.0.0.1:2"}, ScrapeInterval: time.Second})
	want := "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: promtest\n    honor_labels: true\n    static_configs:\n      - targets: [\"127.0.0.1:1\", \"127.0.0.1:2\"]\n"
	if got != want {
		t.Fatalf("config:\n%s\nwant:\n%s", got, want)
	}
}
