package promtest

import (
	"math"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// RequestsPerScrape is how many requests every configured series gains at
// each scrape. Rates are therefore RequestsPerScrape / scrape interval.
const RequestsPerScrape = 1000

// Series names one request stream of the exporter.
type Series struct {
	Region  string
	App     string
	Version string
}

// Exporter is an HTTP server exposing http_requests_total counters whose
// error ratio per series the test sets.
type Exporter struct {
	srv      *httptest.Server
	requests *prometheus.CounterVec

	mu     sync.Mutex
	ratios map[Series]float64
	// carry keeps the fractional error requests between scrapes so a ratio
	// such as 0.0005 still shows up over a window of several scrapes.
	carry map[Series]float64
}

// NewExporter starts an exporter on a free loopback port. Close it when done.
func NewExporter() *Exporter {
	e := &Exporter{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "Requests served, by region, app, version and status code (synthetic).",
		}, []string{"region", "app", "version", "code"}),
		ratios: map[Series]float64{},
		carry:  map[Series]float64{},
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.requests)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		e.advance()
		metrics.ServeHTTP(w, r)
	}))
	return e
}

// Addr is the exporter's host:port, the scrape target.
func (e *Exporter) Addr() string { return e.srv.Listener.Addr().String() }

// URL is the exporter's base URL.
func (e *Exporter) URL() string { return e.srv.URL }

// Close stops the exporter.
func (e *Exporter) Close() { e.srv.Close() }

// SetErrorRatio makes series s serve the given fraction (0..1) of its
// requests with code 500 from the next scrape on. Both code series exist from
// the first call, so sum() over the codes never misses one.
func (e *Exporter) SetErrorRatio(s Series, ratio float64) {
	ratio = math.Min(math.Max(ratio, 0), 1)
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.ratios[s]; !ok {
		e.requests.WithLabelValues(s.Region, s.App, s.Version, "200")
		e.requests.WithLabelValues(s.Region, s.App, s.Version, "500")
	}
	e.ratios[s] = ratio
}

// Remove stops exposing series s (both codes).
func (e *Exporter) Remove(s Series) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.ratios, s)
	delete(e.carry, s)
	e.requests.DeleteLabelValues(s.Region, s.App, s.Version, "200")
	e.requests.DeleteLabelValues(s.Region, s.App, s.Version, "500")
}

// advance adds one scrape's worth of requests to every series.
func (e *Exporter) advance() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for s, ratio := range e.ratios {
		exact := RequestsPerScrape*ratio + e.carry[s]
		errs := math.Floor(exact)
		e.carry[s] = exact - errs
		e.requests.WithLabelValues(s.Region, s.App, s.Version, "500").Add(errs)
		e.requests.WithLabelValues(s.Region, s.App, s.Version, "200").Add(RequestsPerScrape - errs)
	}
}
