package topology

import (
	"math"
	"testing"
	"time"
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
