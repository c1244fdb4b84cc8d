package prometheus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// DefaultAvailabilityQuery is the error-budget SLI: the fraction of the app's
// requests in the region that did not answer 5xx over the policy window.
const DefaultAvailabilityQuery = `sum(increase(http_requests_total{region="{{region}}",app="{{app}}",code!~"5.."}[{{window}}]))` +
	` / sum(increase(http_requests_total{region="{{region}}",app="{{app}}"}[{{window}}]))`

// ErrBadAvailability: the availability query returned a value outside 0..1.
// The query must return a fraction, not a percentage.
var ErrBadAvailability = errors.New("availability is not a fraction between 0 and 1")

// Budgets measures availability over the error-budget policy window for
// every region of the topology that has a Prometheus, and turns it into the
// remaining budget through rings.RemainingBudget. It returns the budgets it
// could compute (in topology order) and, joined, an error per region it could
// not; regions without a Prometheus are skipped silently (they have no SLI),
// and a topology without an error-budget policy gives nothing.
// Window is the PromQL range for the query; zero means the policy's window.
func (a *Analyzer) Budgets(ctx context.Context, topo *rings.Topology, app string, window time.Duration, at time.Time) ([]rings.Budget, error) {
	if topo == nil {
		return nil, errors.New("error budget: no topology: load one before measuring")
	}
	policy := topo.Spec.Policy.ErrorBudget
	if !policy.Enabled() {
		return nil, nil
	}
	if policy.SLO >= 1 {
		return nil, fmt.Errorf("error budget: slo %v must be a fraction between 0 and 1 (e.g. 0.999): fix policy.errorBudget.slo", policy.SLO)
	}
	if window == 0 {
		window = policy.Window.D()
	}
	if window <= 0 {
		return nil, errors.New("error budget: no window: set policy.errorBudget.window")
	}
	var budgets []rings.Budget
	var errs []error
	for _, r := range topo.Spec.Regions {
		if r.Prometheus == nil || r.Prometheus.URL == "" {
			continue
		}
		b, err := a.Budget(ctx, r, app, policy.SLO, window, at)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		budgets = append(budgets, b)
	}
	return budgets, errors.Join(errs...)
}

// Budget measures one region's availability over window and returns its
// remaining error budget for the given SLO.
func (a *Analyzer) Budget(ctx context.Context, r rings.Region, app string, slo float64, window time.Duration, at time.Time) (rings.Budget, error) {
	if r.Prometheus == nil || r.Prometheus.URL == "" {
		return rings.Budget{}, fmt.Errorf("error budget of region %q: %s", r.Name, ReasonNoPrometheus)
	}
	vars := Vars{Region: r.Name, App: app, Window: PromDuration(window)}
	avail, err := a.eval(ctx, r.Prometheus.URL, a.cfg.AvailabilityQuery, vars, at)
	if err != nil {
		return rings.Budget{}, fmt.Errorf("error budget of region %q: %w", r.Name, err)
	}
	if avail < 0 || avail > 1 {
		return rings.Budget{}, fmt.Errorf("error budget of region %q: %w (got %v)", r.Name, ErrBadAvailability, avail)
	}
	remaining, percent := rings.RemainingBudget(slo, window, avail)
	return rings.Budget{Region: r.Name, RemainingSeconds: remaining.Seconds(), RemainingPercent: percent, At: at}, nil
}

// PromDuration renders d as a PromQL duration in whole seconds or larger
// units ("720h", "90s"); sub-second parts are rounded up to a second.
func PromDuration(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	switch {
	case s%3600 == 0:
		return fmt.Sprintf("%dh", s/3600)
	case s%60 == 0:
		return fmt.Sprintf("%dm", s/60)
	default:
		return fmt.Sprintf("%ds", s)
	}
}
