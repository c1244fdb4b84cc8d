package prometheus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/regions/promtest"
	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
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
	topo := topology([]ringtopology.Region{region("clean-1"), region("burning-1"), region("half-1"), {Name: "bare-1"}})
	topo.Spec.Policy.ErrorBudget = ringtopology.ErrorBudgetPolicy{SLO: 0.99, Window: ringtopology.Duration(720 * time.Hour)}
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
			allowed := ringtopology.AllowedDowntime(0.99, window).Seconds()
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
	topo := topology([]ringtopology.Region{region("ok-1"), region("silent-1")})
	topo.Spec.Policy.ErrorBudget = ringtopology.ErrorBudgetPolicy{SLO: 0.999, Window: ringtopology.Duration(time.Hour)}
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
		policy  ringtopology.ErrorBudgetPolicy
		wantErr bool
	}{
		{"no policy measures nothing", ringtopology.ErrorBudgetPolicy{}, false},
		{"slo of 1 has no budget", ringtopology.ErrorBudgetPolicy{SLO: 1, Window: ringtopology.Duration(time.Hour)}, true},
		{"no window", ringtopology.ErrorBudgetPolicy{SLO: 0.99}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			topo := topology([]ringtopology.Region{region("x-1")})
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

// TestBudgetsWithTopologySLI measures with the topology's good and total
// queries, one budget per app and region: the SLI counts only version v1
// here, so app sli-a keeps its whole budget although its v2 fails half of
// its requests (the default SLI, over every version, leaves half), and
// app sli-b in the same region has its own figure.
func TestBudgetsWithTopologySLI(t *testing.T) {
	t.Parallel()
	const rg = "sli-1"
	exporter.SetErrorRatio(promtest.Series{Region: rg, App: "sli-a", Version: "v1"}, 0)
	exporter.SetErrorRatio(promtest.Series{Region: rg, App: "sli-a", Version: "v2"}, 0.5)
	exporter.SetErrorRatio(promtest.Series{Region: rg, App: "sli-b", Version: "v1"}, 0.1)
	v1 := &ringtopology.BudgetSLI{
		Good:  `sum(increase(http_requests_total{region="{{region}}",app="{{app}}",version="v1",code!~"5.."}[{{window}}]))`,
		Total: `sum(increase(http_requests_total{region="{{region}}",app="{{app}}",version="v1"}[{{window}}]))`,
	}
	policy := func(sli *ringtopology.BudgetSLI) *ringtopology.Topology {
		topo := topology([]ringtopology.Region{region(rg), {Name: "bare-1"}})
		topo.Spec.Policy.ErrorBudget = ringtopology.ErrorBudgetPolicy{SLO: 0.5, Window: ringtopology.Duration(time.Hour), SLI: sli}
		return topo
	}
	a := newAnalyzer(t, Config{})
	const window = 10 * time.Second
	cases := []struct {
		name string
		sli  *ringtopology.BudgetSLI
		app  string
		want float64
	}{
		{"topology sli counts v1 only", v1, "sli-a", 100},
		{"default sli counts every version", nil, "sli-a", 50},
		{"another app has its own budget", v1, "sli-b", 80},
		{"no request in the window spends nothing", &ringtopology.BudgetSLI{Good: v1.Good + " * 0", Total: v1.Total + " * 0"}, "sli-b", 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			topo := policy(tc.sli)
			eventually(t, 30*time.Second, func() (bool, string) {
				at := time.Now()
				budgets, err := a.Budgets(context.Background(), topo, tc.app, window, at)
				if err != nil {
					return false, err.Error()
				}
				if len(budgets) != 1 {
					return false, fmt.Sprintf("got %d budgets, want one (bare-1 has no Prometheus)", len(budgets))
				}
				b := budgets[0]
				if b.App != tc.app || b.Region != rg || !b.At.Equal(at) {
					return false, fmt.Sprintf("budget %+v is not app %s in %s at %s", b, tc.app, rg, at)
				}
				return near(b.RemainingPercent, tc.want, 2), fmt.Sprintf("%.1f%% left, want %.0f%%", b.RemainingPercent, tc.want)
			})
		})
	}
}

// TestBudgetSLIFailures: an SLI that cannot make an availability records
// nothing for that app and region, with an error naming both.
func TestBudgetSLIFailures(t *testing.T) {
	t.Parallel()
	const rg = "sli-bad-1"
	exporter.SetErrorRatio(promtest.Series{Region: rg, App: "sli-c", Version: "v1"}, 0.2)
	good := `sum(increase(http_requests_total{region="{{region}}",app="{{app}}",code!~"5.."}[{{window}}]))`
	total := `sum(increase(http_requests_total{region="{{region}}",app="{{app}}"}[{{window}}]))`
	cases := []struct {
		name    string
		sli     ringtopology.BudgetSLI
		wantErr error
	}{
		{"good above total", ringtopology.BudgetSLI{Good: total, Total: good}, ErrBadAvailability},
		{"no series", ringtopology.BudgetSLI{Good: `sum(nothing_total{app="{{app}}"})`, Total: total}, ErrEmptyResult},
		{"unquoted placeholder", ringtopology.BudgetSLI{Good: good, Total: `sum(up{region={{region}}})`}, ErrTemplate},
	}
	a := newAnalyzer(t, Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			topo := topology([]ringtopology.Region{region(rg)})
			sli := tc.sli
			topo.Spec.Policy.ErrorBudget = ringtopology.ErrorBudgetPolicy{SLO: 0.5, Window: ringtopology.Duration(time.Hour), SLI: &sli}
			var last error
			eventually(t, 30*time.Second, func() (bool, string) {
				budgets, err := a.Budgets(context.Background(), topo, "sli-c", 10*time.Second, time.Now())
				last = err
				return len(budgets) == 0 && errors.Is(err, tc.wantErr), fmt.Sprintf("budgets %v, error %v", budgets, err)
			})
			if msg := last.Error(); !strings.Contains(msg, `app "sli-c" in region "sli-bad-1"`) {
				t.Fatalf("error %q does not name the app and region", msg)
			}
		})
	}
}
