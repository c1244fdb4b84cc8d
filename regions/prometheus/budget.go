package prometheus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// DefaultAvailabilityQuery is the error-budget SLI when the topology gives
// no policy.errorBudget.sli: the fraction of the app's requests in the
// region that did not answer 5xx over the policy window.
const DefaultAvailabilityQuery = `sum(increase(http_requests_total{region="{{region}}",app="{{app}}",code!~"5.."}[{{window}}]))` +
	` / sum(increase(http_requests_total{region="{{region}}",app="{{app}}"}[{{window}}]))`

// ErrBadAvailability: the SLI cannot be an availability: the
// availability query returned a value outside 0..1 (it must return a
// fraction, not a percentage), or the sli's good and total counts do not
// make one (negative, or good above total).
var ErrBadAvailability = errors.New("availability is not a fraction between 0 and 1")

// Budgets measures app's availability over the error-budget policy window
// in every region of the topology that has a Prometheus, and turns it into
// the app's remaining budget there through topology.RemainingBudget. The SLI
// is the policy's (sli.good ÷ sli.total), or the configured
// AvailabilityQuery when the topology gives none. It returns the budgets it
// could compute (in topology order, each carrying app and region) and,
// joined, an error per region it could not; regions without a Prometheus
// are skipped silently (they have no SLI), and an app without an
// error-budget policy (spec.policy's or its own) gives nothing. Window is the PromQL range for the
// queries; zero means the policy's window.
func (a *Analyzer) Budgets(ctx context.Context, topo *ringtopology.Topology, app string, window time.Duration, at time.Time) ([]rings.Budget, error) {
	if topo == nil {
		return nil, errors.New("error budget: no topology: load one before measuring")
	}
	policy := topo.EffectivePolicy(app).ErrorBudget // the app's own, when it overrides spec.policy's
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
		b, err := a.Budget(ctx, r, app, policy, window, at)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		budgets = append(budgets, b)
	}
	return budgets, errors.Join(errs...)
}

// Budget measures app's availability in one region over window with the
// policy's SLI and returns its remaining error budget for the policy's SLO.
func (a *Analyzer) Budget(ctx context.Context, r ringtopology.Region, app string, policy ringtopology.ErrorBudgetPolicy, window time.Duration, at time.Time) (rings.Budget, error) {
	if r.Prometheus == nil || r.Prometheus.URL == "" {
		return rings.Budget{}, fmt.Errorf("error budget of app %q in region %q: %s", app, r.Name, ReasonNoPrometheus)
	}
	vars := Vars{Region: r.Name, App: app, Window: PromDuration(window)}
	avail, err := a.availability(ctx, r.Prometheus.URL, policy.SLI, vars, at)
	if err != nil {
		return rings.Budget{}, fmt.Errorf("error budget of app %q in region %q: %w", app, r.Name, err)
	}
	remaining, percent := ringtopology.RemainingBudget(policy.SLO, window, avail)
	return rings.Budget{App: app, Region: r.Name, RemainingSeconds: remaining.Seconds(), RemainingPercent: percent, At: at}, nil
}

// availability evaluates the SLI: good ÷ total with the topology's queries,
// or the configured AvailabilityQuery (a fraction already) without them. A
// total of zero (series present, no request in the window) spent nothing:
// availability 1. Counts below zero, good above total, or a fraction
// outside 0..1 are ErrBadAvailability: the queries are wrong.
func (a *Analyzer) availability(ctx context.Context, server string, sli *ringtopology.BudgetSLI, v Vars, at time.Time) (float64, error) {
	if sli == nil {
		avail, err := a.eval(ctx, server, a.cfg.AvailabilityQuery, v, at)
		if err != nil {
			return 0, err
		}
		if avail < 0 || avail > 1 {
			return 0, fmt.Errorf("%w (got %v)", ErrBadAvailability, avail)
		}
		return avail, nil
	}
	good, err := a.eval(ctx, server, sli.Good, v, at)
	if err != nil {
		return 0, fmt.Errorf("sli good: %w", err)
	}
	total, err := a.eval(ctx, server, sli.Total, v, at)
	if err != nil {
		return 0, fmt.Errorf("sli total: %w", err)
	}
	switch {
	case good < 0 || total < 0:
		return 0, fmt.Errorf("%w: sli good %v and total %v must not be negative: fix policy.errorBudget.sli", ErrBadAvailability, good, total)
	case total == 0 && good == 0:
		return 1, nil
	case good > total*(1+1e-9):
		return 0, fmt.Errorf("%w: sli good %v exceeds total %v: fix policy.errorBudget.sli so good counts a part of total", ErrBadAvailability, good, total)
	}
	return math.Min(good/total, 1), nil
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
