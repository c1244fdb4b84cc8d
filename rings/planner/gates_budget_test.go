package planner

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// TestBudgetGatePerApp: the release's own app's budget in the region
// decides; a budget never measured fails closed unless the priority is
// allowed when exhausted; a region without a Prometheus is not gated; an
// old figure recorded without an app gates nothing. Nothing is measured
// unless a case says so (us-east-1 is the fixture's only region with a
// Prometheus).
func TestBudgetGatePerApp(t *testing.T) {
	t.Parallel()
	const promote = "promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"
	const neverMeasured = "error budget of app checkout in region us-east-1 has not been measured yet (is Prometheus reachable?): only P0, security, reliability releases may promote until it is"
	legacy := func(pct float64) ringstest.Step {
		return ringstest.On(func(s *rings.State) error {
			s.RecordBudget(rings.Budget{Region: "us-east-1", RemainingPercent: pct, At: ringstest.T0})
			return nil
		})
	}
	cases := []struct {
		name       string
		prep       []ringstest.Step
		now        string
		allow      []string // nil: the fixture's P0, security, reliability
		want       string
		wantDetail string // the budget wait's detail, when there is one
	}{
		{"own budget plenty", steps(ringstest.Running, []ringstest.Step{mtAppBudget("checkout", "us-east-1", 80)}), friday, nil, promote, ""},
		{"another app's exhausted budget does not block", steps(ringstest.Running, []ringstest.Step{mtAppBudget("checkout", "us-east-1", 80), mtAppBudget("ledger", "us-east-1", 0)}), friday, nil, promote, ""},
		{"own budget exhausted, another app's plenty", steps(ringstest.Running, []ringstest.Step{mtAppBudget("checkout", "us-east-1", 10), mtAppBudget("ledger", "us-east-1", 100)}), friday, nil,
			"wait error-budget r1 canary [us-east-1]",
			"the error budget of app checkout in region us-east-1 is exhausted (10.0% remains): only P0, security, reliability releases may promote"},
		{"own budget low asks for approval", steps(ringstest.Running, []ringstest.Step{mtAppBudget("checkout", "us-east-1", 40), mtAppBudget("ledger", "us-east-1", 100)}), friday, nil,
			"set-release-state r1 awaiting-approval; wait error-budget r1 canary [us-east-1]",
			"40.0% of the error budget of app checkout in region us-east-1 remains: promotion needs an approval: ringctl release approve r1 --ring canary"},
		{"never measured fails closed", ringstest.Running, friday, nil, "wait error-budget r1 canary [us-east-1]", neverMeasured},
		{"only another app measured fails closed", steps(ringstest.Running, []ringstest.Step{mtAppBudget("ledger", "us-east-1", 100)}), friday, nil, "wait error-budget r1 canary [us-east-1]", neverMeasured},
		{"never measured, approval does not help", steps(ringstest.Running, []ringstest.Step{mtApprove("r1", "canary")}), friday, nil, "wait error-budget r1 canary [us-east-1]", neverMeasured},
		{"never measured, reliability passes", []ringstest.Step{mtCreateFull("r1", "checkout", topology.PriorityReliability, "", time.Time{}), ringstest.Start("r1"), ringstest.Baseline("r1", "1.0")}, friday, nil, promote, ""},
		{"never measured, none allowed", ringstest.Running, friday, []string{}, "wait error-budget r1 canary [us-east-1]",
			"error budget of app checkout in region us-east-1 has not been measured yet (is Prometheus reachable?): only no releases may promote until it is"},
		{"an old figure without an app gates nothing", steps(ringstest.Running, []ringstest.Step{legacy(100)}), friday, nil, "wait error-budget r1 canary [us-east-1]", neverMeasured},
		{"an old exhausted figure does not hold a measured app", steps(ringstest.Running, []ringstest.Step{legacy(0), mtAppBudget("checkout", "us-east-1", 90)}), friday, nil, promote, ""},
		{"a region without a Prometheus is not gated", steps(ringstest.CanaryDone, []ringstest.Step{mtApprove("r1", "early")}), monday, nil,
			"promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := ringstest.Topology(t)
			if tc.allow != nil {
				top.Spec.Policy.ErrorBudget.AllowWhenExhausted = tc.allow
			}
			s := &rings.State{}
			ringstest.Apply(t, top, s, tc.prep...)
			plan := PlanNext(top, s, ringstest.Time(t, tc.now))
			if got := briefPlan(plan); got != tc.want {
				t.Fatalf("plan:\n got %s\nwant %s", got, tc.want)
			}
			var detail string
			for _, w := range plan.Waits {
				if w.Reason == WaitErrorBudget {
					detail = w.Detail
				}
			}
			if detail != tc.wantDetail {
				t.Fatalf("budget wait detail:\n got %q\nwant %q", detail, tc.wantDetail)
			}
		})
	}
}

// TestBudgetGateOffWithoutPolicy: without an errorBudget nothing is
// measured and nothing waits for a budget.
func TestBudgetGateOffWithoutPolicy(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	top.Spec.Policy.ErrorBudget = topology.ErrorBudgetPolicy{}
	s := &rings.State{}
	for _, step := range ringstest.Running {
		if err := step(top, s); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := briefPlan(PlanNext(top, s, ringstest.Time(t, friday))), "promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"; got != want {
		t.Fatalf("plan:\n got %s\nwant %s", got, want)
	}
}

// TestRecordBudgetPerApp: budgets are kept per app and region; the first
// per-app figure of a region replaces that region's old figure without an
// app, and leaves other regions' old figures alone.
func TestRecordBudgetPerApp(t *testing.T) {
	t.Parallel()
	s := &rings.State{}
	s.RecordBudget(rings.Budget{Region: "us-east-1", RemainingPercent: 5})
	s.RecordBudget(rings.Budget{Region: "eu-west-1", RemainingPercent: 6})
	s.RecordBudget(rings.Budget{App: "checkout", Region: "us-east-1", RemainingPercent: 70})
	s.RecordBudget(rings.Budget{App: "ledger", Region: "us-east-1", RemainingPercent: 20})
	s.RecordBudget(rings.Budget{App: "checkout", Region: "us-east-1", RemainingPercent: 60})
	if got, want := strings.Join(slices.Sorted(maps.Keys(s.Budgets)), " "), "checkout/us-east-1 eu-west-1 ledger/us-east-1"; got != want {
		t.Fatalf("budget keys = %s, want %s", got, want)
	}
	if b, ok := s.BudgetOf("checkout", "us-east-1"); !ok || b.RemainingPercent != 60 {
		t.Fatalf("BudgetOf(checkout, us-east-1) = %+v, %v; want the latest figure, 60", b, ok)
	}
	if b, ok := s.BudgetOf("ledger", "eu-west-1"); ok {
		t.Fatalf("BudgetOf(ledger, eu-west-1) = %+v; an old figure without an app is no app's", b)
	}
}

// TestOldBudgetsDecode: a state (snapshot) written when budgets were kept
// per region decodes, and its figures stay keyed by region.
func TestOldBudgetsDecode(t *testing.T) {
	t.Parallel()
	old := `{"budgets":{"us-east-1":{"region":"us-east-1","remainingSeconds":1296,"remainingPercent":50,"at":"2026-12-01T10:00:00Z"}}}`
	var s rings.State
	if err := json.Unmarshal([]byte(old), &s); err != nil {
		t.Fatalf("decode an old state: %v", err)
	}
	b, ok := s.Budgets["us-east-1"]
	if !ok || b.App != "" || b.RemainingPercent != 50 || b.Key() != "us-east-1" {
		t.Fatalf("old budget = %+v (present %v); want the region's figure, no app", b, ok)
	}
	s.RecordBudget(rings.Budget{App: "checkout", Region: "us-east-1", RemainingPercent: 90})
	if _, ok := s.Budgets["us-east-1"]; ok || len(s.Budgets) != 1 {
		t.Fatalf("budgets after a per-app figure = %v; want only checkout/us-east-1", s.Budgets)
	}
}
