package regionsim

import (
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// requestMetrics are the simulated regions' request counters,
// http_requests_total{region,app,version,code}, on their own registry.
type requestMetrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec

	mu    sync.Mutex
	carry map[[3]string][2]float64 // (region, app, version) → fractional ok, 5xx
}

func newRequestMetrics(reg *prometheus.Registry) *requestMetrics {
	m := &requestMetrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "Requests served by the simulated regions, by region, app, running version and status code.",
		}, []string{"region", "app", "version", "code"}),
		carry: map[[3]string][2]float64{},
	}
	reg.MustRegister(m.requests)
	return m
}

// add counts dt worth of traffic at rps requests per second, ratio of them
// 5xx. Both code series exist from the first call, so sums over the codes
// never miss one; fractions carry over to the next call.
func (m *requestMetrics) add(region, app, version string, rps, ratio float64, dt time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [3]string{region, app, version}
	c := m.carry[k]
	total := rps * dt.Seconds()
	c[0] += total * (1 - ratio)
	c[1] += total * ratio
	ok, bad := math.Floor(c[0]), math.Floor(c[1])
	c[0] -= ok
	c[1] -= bad
	m.carry[k] = c
	m.requests.WithLabelValues(region, app, version, "200").Add(ok)
	m.requests.WithLabelValues(region, app, version, "500").Add(bad)
}

func (m *requestMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// serveTraffic counts dt of requests for every Application at the version
// it runs. A bad version in ModeMetrics answers BadErrorRatio of them with
// 5xx; a region's forced error ratio wins over both.
func (s *Simulator) serveTraffic(dt time.Duration) {
	if dt <= 0 {
		return
	}
	type flow struct {
		region, app, version string
		ratio                float64
	}
	s.mu.Lock()
	flows := make([]flow, 0, len(s.apps))
	for _, a := range s.apps {
		ratio := 0.0
		if s.cfg.Mode == ModeMetrics && IsBad(a.version) {
			ratio = s.cfg.BadErrorRatio
		}
		if r := s.regions[a.region].errorRatio; r >= 0 {
			ratio = r
		}
		flows = append(flows, flow{a.region, a.app, a.version, ratio})
	}
	s.mu.Unlock()
	for _, f := range flows {
		s.metrics.add(f.region, f.app, f.version, s.cfg.RequestsPerSecond, f.ratio, dt)
	}
}
