package prometheus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/ringleader-dev/ringleader/internal/redact"
)

// Errors a query can end in. Each is wrapped with the query and server, and
// each one makes the check fail (fail closed).
var (
	// ErrEmptyResult: the query matched no series. Check the labels in the
	// template and that the region's Prometheus scrapes the app.
	ErrEmptyResult = errors.New("query returned no data")
	// ErrManySeries: the query returned more than one series; aggregate it to
	// one value (sum, avg, max … without "by").
	ErrManySeries = errors.New("query returned more than one series")
	// ErrNotANumber: the value is NaN or infinite, usually a division by
	// zero because the region served no requests in the window.
	ErrNotANumber = errors.New("query value is not a finite number")
	// ErrUnreachable: Prometheus did not answer (connection refused, timeout,
	// bad status). Retry later; evidence counts as failing meanwhile.
	ErrUnreachable = errors.New("prometheus unreachable")
)

// Defaults for Config.
const (
	// DefaultQueryTimeout bounds one instant query.
	DefaultQueryTimeout = 10 * time.Second
	// DefaultConcurrency is how many queries one Analyze runs at once.
	DefaultConcurrency = 8
)

// Config configures an Analyzer. Validate normalises it; NewAnalyzer calls it.
type Config struct {
	// QueryTimeout bounds each query (HTTP round trip and server-side
	// evaluation). Default DefaultQueryTimeout.
	QueryTimeout time.Duration
	// AvailabilityQuery is the error-budget SLI template over {{region}},
	// {{app}} and {{window}}: the fraction (0..1) of good requests over the
	// window, used when the topology gives no policy.errorBudget.sli.
	// Default DefaultAvailabilityQuery.
	AvailabilityQuery string
	// Concurrency bounds the queries one Analyze call runs at once, so a
	// ring of many regions is not observed one timeout after another.
	// Default DefaultConcurrency.
	Concurrency int
	// RoundTripper carries the HTTP requests (default
	// api.DefaultRoundTripper); set it for TLS or authentication.
	RoundTripper http.RoundTripper
}

// Validate fills defaults and rejects a configuration that cannot work.
func (c *Config) Validate() error {
	if c.QueryTimeout < 0 {
		return fmt.Errorf("prometheus query timeout %s is negative: use 0 for the default %s", c.QueryTimeout, DefaultQueryTimeout)
	}
	if c.QueryTimeout == 0 {
		c.QueryTimeout = DefaultQueryTimeout
	}
	if c.Concurrency < 0 {
		return fmt.Errorf("prometheus concurrency %d is negative: use 0 for the default %d", c.Concurrency, DefaultConcurrency)
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if strings.TrimSpace(c.AvailabilityQuery) == "" {
		c.AvailabilityQuery = DefaultAvailabilityQuery
	}
	if _, err := Render(c.AvailabilityQuery, Vars{Region: "r", App: "a", Window: "1h"}); err != nil {
		return fmt.Errorf("availability query: %w", err)
	}
	if c.RoundTripper == nil {
		c.RoundTripper = api.DefaultRoundTripper
	}
	return nil
}

// servers keeps one API client per Prometheus URL.
type servers struct {
	rt http.RoundTripper

	mu   sync.Mutex
	apis map[string]v1.API
}

func (s *servers) api(rawURL string) (v1.API, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.apis[rawURL]; ok {
		return a, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus url %q is not an http(s) URL: fix the region's prometheus.url", redact.URL(rawURL))
	}
	c, err := api.NewClient(api.Config{Address: rawURL, RoundTripper: s.rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", redact.URL(rawURL), err)
	}
	a := v1.NewAPI(c)
	if s.apis == nil {
		s.apis = map[string]v1.API{}
	}
	s.apis[rawURL] = a
	return a, nil
}

// scalar runs one instant query at time at and returns its single value.
func (s *servers) scalar(ctx context.Context, server, query string, at time.Time, timeout time.Duration) (float64, error) {
	a, err := s.api(server)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	val, _, _, err := a.Query(ctx, query, at, v1.WithTimeout(timeout))
	if err != nil {
		var perr *v1.Error
		if errors.As(err, &perr) && (perr.Type == v1.ErrBadData || perr.Type == v1.ErrExec) {
			// The server answered and refused or failed the query: the
			// template is wrong, not the network.
			return 0, fmt.Errorf("query %s on %s: prometheus refused it: %s", query, redact.URL(server), perr.Msg)
		}
		// url.Error repeats the URL; keep only what went wrong.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, fmt.Errorf("query %s: %w: no answer within %s (%w)", redact.URL(server), ErrUnreachable, timeout, err)
		}
		return 0, fmt.Errorf("query %s: %w: %w", redact.URL(server), ErrUnreachable, err)
	}
	var v float64
	switch r := val.(type) {
	case *model.Scalar:
		v = float64(r.Value)
	case model.Vector:
		switch len(r) {
		case 0:
			return 0, fmt.Errorf("%s on %s: %w: check the labels and that this Prometheus scrapes the app", query, redact.URL(server), ErrEmptyResult)
		case 1:
			v = float64(r[0].Value)
		default:
			return 0, fmt.Errorf("%s on %s: %w (%d); aggregate it to one value", query, redact.URL(server), ErrManySeries, len(r))
		}
	default:
		return 0, fmt.Errorf("%s on %s: result is a %s, want a scalar or an instant vector", query, redact.URL(server), val.Type())
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		// Report 0, not the value: observations are JSON in the Raft log,
		// and JSON has no NaN or Inf.
		return 0, fmt.Errorf("%s on %s: %w (%v)", query, redact.URL(server), ErrNotANumber, v)
	}
	return v, nil
}
