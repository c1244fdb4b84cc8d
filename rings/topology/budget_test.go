package topology

import (
	"math"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const btMonth = 720 * time.Hour

func TestAllowedDowntime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		slo    float64
		window time.Duration
		want   time.Duration
	}{
		{0.999, btMonth, 2592 * time.Second},
		{0.99, btMonth, 7*time.Hour + 12*time.Minute},
		{0.9999, btMonth, 259200 * time.Millisecond},
		{0.999, 24 * time.Hour, 86400 * time.Millisecond},
		{0.5, time.Hour, 30 * time.Minute},
		{1, btMonth, 0},
		{0, btMonth, 0},
		{1.5, btMonth, 0},
		{0.999, 0, 0},
		{0.999, -time.Hour, 0},
	}
	for _, tc := range cases {
		if got := AllowedDowntime(tc.slo, tc.window); got != tc.want {
			t.Errorf("AllowedDowntime(%v, %v) = %v, want %v", tc.slo, tc.window, got, tc.want)
		}
	}
}

func TestRemainingBudget(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		slo, measured float64
		window        time.Duration
		wantRemaining time.Duration
		wantPercent   float64
	}{
		{"half spent", 0.999, 0.9995, btMonth, 1296 * time.Second, 50},
		{"untouched", 0.999, 1, btMonth, 2592 * time.Second, 100},
		{"exactly spent", 0.999, 0.999, btMonth, 0, 0},
		// 0.9985 is below the 0.999 objective: 1.5 × the budget was used.
		{"overspent clamps at zero", 0.999, 0.9985, btMonth, 0, 0},
		{"quarter left", 0.99, 0.9925, btMonth, 1*time.Hour + 48*time.Minute, 25},
		{"measured above 1 counts as 1", 0.999, 1.2, btMonth, 2592 * time.Second, 100},
		{"measured below 0", 0.999, -0.5, btMonth, 0, 0},
		{"measured NaN fails closed", 0.999, math.NaN(), btMonth, 0, 0},
		{"no window", 0.999, 0.9995, 0, 0, 0},
	}
	for _, tc := range cases {
		remaining, percent := RemainingBudget(tc.slo, tc.window, tc.measured)
		// Durations are rounded to the nanosecond; percentages come out
		// exact for these figures except where noted by the tolerance.
		if remaining != tc.wantRemaining || math.Abs(percent-tc.wantPercent) > 1e-9 {
			t.Errorf("%s: RemainingBudget(%v, %v, %v) = %v, %v%%; want %v, %v%%", tc.name, tc.slo, tc.window, tc.measured, remaining, percent, tc.wantRemaining, tc.wantPercent)
		}
	}
}

func TestRemainingBudgetClassicPercentIsExact(t *testing.T) {
	t.Parallel()
	if _, percent := RemainingBudget(0.999, btMonth, 0.9995); percent != 50 {
		t.Errorf("percent = %v, want exactly 50", percent)
	}
}

func TestGateBudget(t *testing.T) {
	t.Parallel()
	policy := ErrorBudgetPolicy{SLO: 0.999, Window: Duration(btMonth), AutoApproveAbove: 50, ApprovalAbove: 25,
		AllowWhenExhausted: []string{PriorityP0, PrioritySecurity, PriorityReliability}}
	cases := []struct {
		name     string
		policy   ErrorBudgetPolicy
		percent  float64
		priority string
		want     BudgetDecision
	}{
		{"plenty", policy, 80, PriorityNormal, BudgetAuto},
		{"just above 50", policy, 50.000001, PriorityNormal, BudgetAuto},
		{"exactly 50 needs approval", policy, 50, PriorityNormal, BudgetApproval},
		{"between", policy, 30, PriorityNormal, BudgetApproval},
		{"just above 25", policy, 25.000001, PriorityNormal, BudgetApproval},
		{"exactly 25 is frozen", policy, 25, PriorityNormal, BudgetFrozen},
		{"exhausted", policy, 0, PriorityNormal, BudgetFrozen},
		{"exhausted, no priority", policy, 0, "", BudgetFrozen},
		{"exhausted P0 goes", policy, 0, PriorityP0, BudgetAuto},
		{"exhausted security goes", policy, 10, PrioritySecurity, BudgetAuto},
		{"exhausted reliability goes", policy, 25, PriorityReliability, BudgetAuto},
		{"P0 in the approval band still needs approval", policy, 40, PriorityP0, BudgetApproval},
		{"NaN fails closed", policy, math.NaN(), PriorityNormal, BudgetFrozen},
		{"nothing allowed when exhausted", ErrorBudgetPolicy{SLO: 0.99, AutoApproveAbove: 50, ApprovalAbove: 25}, 5, PriorityP0, BudgetFrozen},
		{"custom thresholds", ErrorBudgetPolicy{SLO: 0.99, AutoApproveAbove: 90, ApprovalAbove: 10}, 60, PriorityNormal, BudgetApproval},
		{"no policy never gates", ErrorBudgetPolicy{}, 0, PriorityNormal, BudgetAuto},
	}
	for _, tc := range cases {
		if got := GateBudget(tc.policy, tc.percent, tc.priority); got != tc.want {
			t.Errorf("%s: GateBudget(%v%%, %q) = %s, want %s", tc.name, tc.percent, tc.priority, got, tc.want)
		}
	}
}

// TestCheckSLITemplate follows the Prometheus adapter's rendering rules.
func TestCheckSLITemplate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, q, wantErr string
	}{
		{"default shape", `sum(increase(http_requests_total{region="{{region}}",app="{{app}}",code!~"5.."}[{{window}}]))`, ""},
		{"single quotes and spaces", `sum(up{region='{{ region }}'})`, ""},
		{"no placeholder", `sum(up)`, ""},
		{"escaped quote before", `sum(up{a="x\"y",region="{{region}}"})`, ""},
		{"empty", "  ", "is empty; write a PromQL query"},
		{"unknown", `sum(up{v="{{version}}"})`, "has an unknown placeholder {{version}}; use {{region}}, {{app}} or {{window}}"},
		{"unquoted app", `sum(up{app={{app}}})`, `has {{app}} outside a quoted string; write it as a label value, e.g. app="{{app}}"`},
		{"quoted window", `sum(up{w="{{window}}"})`, "has {{window}} inside quotes; it is a range: write [{{window}}]"},
		{"backquoted", "sum(up{app=`{{app}}`})", "has {{app}} in a backquoted string, which cannot be escaped; use double quotes"},
		{"comment", "sum(up) # {{app}}", "has {{app}} in a # comment"},
		{"unclosed", `sum(up{app="{{app"})`, `has a placeholder it cannot read at "{{app\"})" (unclosed or not a name); write {{region}}, {{app}} or {{window}}`},
		{"unclosed before a good one", `sum(up{a="{{x-y}}",app="{{app}}"})`, `has a placeholder it cannot read at "{{x-y}}\",app=\"{{app}…" (unclosed or not a name); write {{region}}, {{app}} or {{window}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkSLITemplate(tc.q)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Fatalf("checkSLITemplate(%q) = %q, want %q", tc.q, got, tc.wantErr)
			}
		})
	}
}

// TestBudgetSLIRoundTrip: a policy with an SLI is written so that Parse
// reads the same SLI back.
func TestBudgetSLIRoundTrip(t *testing.T) {
	t.Parallel()
	sli := &BudgetSLI{Good: `sum(ok{app="{{app}}"})`, Total: `sum(all{app="{{app}}"})`}
	top, errs := ptParseString(t, ptMinimal)
	if errs != nil {
		t.Fatal(errs)
	}
	top.Spec.Policy.ErrorBudget = ErrorBudgetPolicy{SLO: 0.99, Window: DefaultBudgetWindow, AutoApproveAbove: 50, ApprovalAbove: 25, SLI: sli}
	out, err := yaml.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	back, errs := ptParseString(t, string(out))
	if errs != nil {
		t.Fatalf("parse the written topology: %v\n%s", errs, out)
	}
	if got := back.Spec.Policy.ErrorBudget.SLI; got == nil || *got != *sli {
		t.Fatalf("sli read back = %+v, want %+v", got, sli)
	}
}
