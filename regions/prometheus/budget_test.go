package prometheus

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/regions/promtest"
	"github.com/ringleader-dev/ringleader/rings"
)

// TestBudgetsFromRealData measures availability with the default query over
// a short window: a region without errors keeps its whole budget, one at 50 %
// errors has none left, one at 0.5 % errors against a 99 % SLO has half.
func TestBudgetsFromRealData(t *testing.T) {
	t.Parallel()
	const app = "budget"
	ratios := map[string]float64{"clean-1": 0, "burning-1": 0.5, "half-1": 0.005}
	for r, ratio := range ratios {
		exporter.SetErrorRatio(promtest.Series{Region: r, App: app, Version: "v2"}, ratio)
	}
	topo := topology([]rings.Region{region("clean-1"), region("burning-1"), region("half-1"), {Name: "bare-1"}})
	topo.Spec.Policy.ErrorBudget = rings.ErrorBudgetPolicy{SLO: 0.99, Window: rings.Duration(720 * time.Hour)}
	a := newAnalyzer(t, Config{})
	const window = 10 * time.Second
	want := map[string]float64{"clean-1": 100, "burning-1": 0, "half-1": 50}
	var last []rings.Budget
	eventually(t, 30*time.Second, func() (bool, string) {
		at := time.Now()
		budgets, err := a.Budgets(context.Background(), topo, app, window, at)
		last = budgets
		if err != nil {
			return false, err.Error()
		}
		if len(budgets) != len(want) {
			return false, "wrong number of budgets"
		}
		for _, b := range budgets {
			allowed := rings.AllowedDowntime(0.99, window).Seconds()
			if !near(b.RemainingPercent, want[b.Region], 1) || !near(b.RemainingSeconds, allowed*want[b.Region]/100, allowed/100) || !b.At.Equal(at) {
				return false, "not settled"
			}
		}
		return true, ""
	})
	for _, b := range last {
		t.Logf("%s: %.1f%% (%.3fs) of the budget left", b.Region, b.RemainingPercent, b.RemainingSeconds)
	}
}

// TestBudgetFailures: a region whose availability cannot be measured gives
// an error naming it, and the others still get their figure.
func TestBudgetFailures(t *testing.T) {
	t.Parallel()
	exporter.SetErrorRatio(promtest.Series{Region: "ok-1", App: "budget-fail", Version: "v2"}, 0)
	topo := topology([]rings.Region{region("ok-1"), region("silent-1")})
	topo.Spec.Policy.ErrorBudget = rings.ErrorBudgetPolicy{SLO: 0.999, Window: rings.Duration(time.Hour)}
	a := newAnalyzer(t, Config{})
	eventually(t, 30*time.Second, func() (bool, string) {
		budgets, err := a.Budgets(context.Background(), topo, "budget-fail", 10*time.Second, time.Now())
		ok := len(budgets) == 1 && budgets[0].Region == "ok-1" && errors.Is(err, ErrEmptyResult)
		return ok, ""
	})
}

func TestBudgetPolicy(t *testing.T) {
	t.Parallel()
	a := newAnalyzer(t, Config{})
	cases := []struct {
		name    string
		policy  rings.ErrorBudgetPolicy
		wantErr bool
	}{
		{"no policy measures nothing", rings.ErrorBudgetPolicy{}, false},
		{"slo of 1 has no budget", rings.ErrorBudgetPolicy{SLO: 1, Window: rings.Duration(time.Hour)}, true},
		{"no window", rings.ErrorBudgetPolicy{SLO: 0.99}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			topo := topology([]rings.Region{region("x-1")})
			topo.Spec.Policy.ErrorBudget = tc.policy
			budgets, err := a.Budgets(context.Background(), topo, "none", 0, time.Now())
			if (err != nil) != tc.wantErr || len(budgets) != 0 {
				t.Fatalf("Budgets = %v, %v; want no budgets and error=%v", budgets, err, tc.wantErr)
			}
		})
	}
}

func TestPromDuration(t *testing.T) {
	t.Parallel()
	cases := map[time.Duration]string{
		720 * time.Hour:         "720h",
		90 * time.Minute:        "90m",
		10 * time.Second:        "10s",
		1500 * time.Millisecond: "2s",
	}
	for d, want := range cases {
		if got := PromDuration(d); got != want {
			t.Errorf("PromDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
