package topology

import (
	"math"
	"time"
)

// Error-budget arithmetic, shared by the planner's budget gate and the
// Prometheus adapter that measures availability. An SLO is a fraction (0.999);
// its error budget over a window is the downtime it allows, (1 − SLO) × window.

// BudgetDecision is what the error-budget gate says about a promotion.
type BudgetDecision string

// Budget decisions.
const (
	BudgetAuto     BudgetDecision = "auto"     // enough budget left: promote
	BudgetApproval BudgetDecision = "approval" // budget running low: a person must approve
	BudgetFrozen   BudgetDecision = "frozen"   // budget (nearly) spent: no promotion
)

// Enabled reports whether the topology has an error-budget policy. Parse
// leaves the policy zero (SLO 0) when the topology has no errorBudget.
func (p ErrorBudgetPolicy) Enabled() bool { return p.SLO > 0 }

// AllowedDowntime is the error budget of an SLO over a window:
// SLO 0.999 over 720h allows 2592s. It is rounded to the nanosecond. An SLO
// outside (0, 1) or a non-positive window allows nothing.
func AllowedDowntime(slo float64, window time.Duration) time.Duration {
	if !(slo > 0 && slo < 1) || window <= 0 {
		return 0
	}
	return time.Duration(math.Round((1 - slo) * float64(window)))
}

// RemainingBudget is what is left of the error budget given the availability
// measured over the same window (a fraction, 0..1): with SLO 0.999 over 720h
// and 0.9995 measured, 1296s (50 %) remain. An availability below the SLO
// has overspent the budget; the result is clamped at 0s / 0 %. A measurement
// that is not a number counts as 0 % (fail closed); one above 1 counts as 1.
func RemainingBudget(slo float64, window time.Duration, measured float64) (remaining time.Duration, percent float64) {
	allowed := AllowedDowntime(slo, window)
	if allowed <= 0 || math.IsNaN(measured) {
		return 0, 0
	}
	measured = math.Min(measured, 1)
	// remaining = allowed − used = (1 − slo)·W − (1 − measured)·W = (measured − slo)·W
	remaining = time.Duration(math.Round((measured - slo) * float64(window)))
	if remaining <= 0 {
		return 0, 0
	}
	remaining = min(remaining, allowed)
	// Derive the percentage from the rounded durations so that exact
	// figures (1296s of 2592s) give exact percentages (50).
	return remaining, float64(remaining) / float64(allowed) * 100
}

// GateBudget maps a remaining budget percentage and a release priority to a
// decision: above AutoApproveAbove promote, above ApprovalAbove ask for
// approval, otherwise frozen — unless the priority is in AllowWhenExhausted,
// which promotes anyway. With the thresholds 50/25: exactly 50 needs
// approval, exactly 25 is frozen. A percentage that is not a number is
// treated as spent (fail closed). A policy that is not Enabled never gates.
func GateBudget(p ErrorBudgetPolicy, remainingPercent float64, priority string) BudgetDecision {
	switch {
	case !p.Enabled():
		return BudgetAuto
	case remainingPercent > p.AutoApproveAbove:
		return BudgetAuto
	case remainingPercent > p.ApprovalAbove:
		return BudgetApproval
	}
	for _, allowed := range p.AllowWhenExhausted {
		if priority != "" && priority == allowed {
			return BudgetAuto
		}
	}
	return BudgetFrozen
}

// MarshalYAML writes the policy so that Parse reads back the same policy: a
// disabled policy as null (no errorBudget), and allowWhenExhausted always,
// since an absent list means the default and an empty one means none.
func (p ErrorBudgetPolicy) MarshalYAML() (any, error) {
	if !p.Enabled() {
		return nil, nil
	}
	allow := p.AllowWhenExhausted
	if allow == nil {
		allow = []string{}
	}
	return struct {
		SLO                float64    `yaml:"slo"`
		Window             Duration   `yaml:"window"`
		AutoApproveAbove   float64    `yaml:"autoApproveAbove"`
		ApprovalAbove      float64    `yaml:"approvalAbove"`
		AllowWhenExhausted []string   `yaml:"allowWhenExhausted"`
		SLI                *BudgetSLI `yaml:"sli,omitempty"`
	}{p.SLO, p.Window, p.AutoApproveAbove, p.ApprovalAbove, allow, p.SLI}, nil
}
