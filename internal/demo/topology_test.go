package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// TestTopologyFollowsTheExample keeps the demo topology's regions, rings
// and apps those of manifests/examples/rings.yaml.
func TestTopologyFollowsTheExample(t *testing.T) {
	t.Parallel()
	example := ringstest.ParseFile(t, "../../manifests/examples/rings.yaml")
	_, top, err := Topology(TopologyOptions{RepoURL: "git://127.0.0.1:1/deploy.git", ArgoCDServer: "http://127.0.0.1:1",
		CanarySoak: 20 * time.Second, Approval: true})
	if err != nil {
		t.Fatal(err)
	}
	names := func(t *topology.Topology) (regions, ringsOf, apps []string) {
		for _, r := range t.Spec.Regions {
			regions = append(regions, r.Name)
		}
		for _, r := range t.Spec.Rings {
			ringsOf = append(ringsOf, r.Name+":"+joinNames(r.Regions)+":"+r.Approval)
		}
		for _, a := range t.Spec.Apps {
			apps = append(apps, a.Name+":"+a.Targets[0].File)
		}
		return
	}
	er, eg, ea := names(example)
	dr, dg, da := names(top)
	for _, tc := range []struct {
		what      string
		got, want []string
	}{{"regions", dr, er}, {"rings", dg, eg}, {"apps", da, ea}} {
		if joinNames(tc.got) != joinNames(tc.want) {
			t.Errorf("%s: demo %v, example %v", tc.what, tc.got, tc.want)
		}
	}
	if len(top.Spec.Windows) != 0 || len(top.Spec.Freezes) != 0 {
		t.Errorf("demo topology has windows %v and freezes %v, want none", top.Spec.Windows, top.Spec.Freezes)
	}
}

func joinNames(s []string) string { return strings.Join(s, ",") }

// TestTopologyMeasuresBudgetsWithPrometheus: with a Prometheus the demo
// topology has an error budget policy and every region a traffic share
// (rings exposing 10 %, 30 % and 100 %); without, no budget gate.
func TestTopologyMeasuresBudgetsWithPrometheus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		prometheus string
		budget     bool
	}{{"http://127.0.0.1:1", true}, {"", false}} {
		_, top, err := Topology(TopologyOptions{RepoURL: "git://127.0.0.1:1/deploy.git", ArgoCDServer: "http://127.0.0.1:1", PrometheusURL: tc.prometheus})
		if err != nil {
			t.Fatal(err)
		}
		if got := top.Spec.Policy.ErrorBudget.Enabled(); got != tc.budget {
			t.Errorf("prometheus %q: error budget enabled %t, want %t", tc.prometheus, got, tc.budget)
		}
		if tc.budget && (top.Spec.Policy.ErrorBudget.SLO != BudgetSLO || top.Spec.Policy.ErrorBudget.Window.D() != BudgetWindow) {
			t.Errorf("error budget %+v, want SLO %v over %s", top.Spec.Policy.ErrorBudget, BudgetSLO, BudgetWindow)
		}
		exposure := top.CumulativeExposure(FirstApp)
		for i, want := range []float64{0.1, 0.3, 1} {
			if diff := exposure[i] - want; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("prometheus %q: exposure after ring %d = %v, want %v", tc.prometheus, i, exposure[i], want)
			}
		}
	}
}

// TestTopologyGivesLedgerItsOwnPolicy: ledger soaks its canary longer,
// exposes its rings differently and, with Prometheus, wants a higher
// success rate than checkout; the two-apps scenario's error ratio passes
// checkout's bound and fails ledger's, and the burnt region's passes
// both, so no scenario of checkout alone sees ledger's policy.
func TestTopologyGivesLedgerItsOwnPolicy(t *testing.T) {
	t.Parallel()
	for _, prometheus := range []string{"http://127.0.0.1:1", ""} {
		_, top, err := Topology(TopologyOptions{RepoURL: "git://127.0.0.1:1/deploy.git", ArgoCDServer: "http://127.0.0.1:1",
			PrometheusURL: prometheus, CanarySoak: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			app      string
			canary   time.Duration
			exposure []float64
			min      float64 // 0: no success-rate metric
		}{
			{FirstApp, 10 * time.Second, []float64{0.1, 0.3, 1}, 99},
			{"ledger", LedgerSoakFactor * 10 * time.Second, []float64{0.05, 0.2, 1}, LedgerMinSuccess},
		} {
			if prometheus == "" {
				tc.min = 0
			}
			pol := top.EffectivePolicy(tc.app)
			if got := pol.Rings[0].Soak.D(); got != tc.canary {
				t.Errorf("prometheus %q: %s soaks canary %s, want %s", prometheus, tc.app, got, tc.canary)
			}
			for i, got := range top.CumulativeExposure(tc.app) {
				if diff := got - tc.exposure[i]; diff > 1e-9 || diff < -1e-9 {
					t.Errorf("prometheus %q: %s exposure after ring %d = %v, want %v", prometheus, tc.app, i, got, tc.exposure[i])
				}
			}
			if got := successMin(pol); got != tc.min {
				t.Errorf("prometheus %q: %s success-rate min %v, want %v", prometheus, tc.app, got, tc.min)
			}
		}
	}
	passes := func(ratio, min float64) bool { return (1-ratio)*100 >= min }
	if !passes(TwoAppsErrorRatio, 99) || passes(TwoAppsErrorRatio, LedgerMinSuccess) {
		t.Errorf("error ratio %v must pass checkout's bound (99) and fail ledger's (%v)", TwoAppsErrorRatio, LedgerMinSuccess)
	}
	if !passes(BurntErrorRatio, LedgerMinSuccess) {
		t.Errorf("the burnt region's error ratio %v fails ledger's bound %v: ledger could not pass global", BurntErrorRatio, LedgerMinSuccess)
	}
}

// successMin is the min of pol's success-rate metric, 0 without one.
func successMin(pol topology.EffectivePolicy) float64 {
	for _, m := range pol.Analysis.Metrics {
		if m.Name == "success-rate" && m.Min != nil {
			return *m.Min
		}
	}
	return 0
}
