package planner

import (
	"fmt"
	"strings"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// budget is the error-budget gate of one region for release r: the budget
// of r's own app in that region decides, so one app's outage never holds
// another app. It reports whether the region may be promoted and, when not,
// whether an approval would let it through (and waits with the reason).
//
// The gate is off without a policy and for a region without a Prometheus
// (nothing measures its budget). A budget never measured fails closed,
// as does one the planner cannot classify; a priority in
// AllowWhenExhausted passes both.
func (p *planner) budget(r *rings.Release, rp *rings.RingProgress, region topology.Region) (pass, approval bool) {
	policy := p.policyOf(r).ErrorBudget
	if !policy.Enabled() || region.Prometheus == nil || region.Prometheus.URL == "" {
		return true, false
	}
	wait := func(detail string) {
		p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: []string{region.Name}, Reason: WaitErrorBudget, Detail: detail})
	}
	b, ok := p.s.BudgetOf(r.App, region.Name)
	if !ok {
		if policy.AllowsExhausted(r.Priority) {
			return true, false
		}
		wait(fmt.Sprintf("error budget of app %s in region %s has not been measured yet (is Prometheus reachable?): only %s releases may promote until it is",
			r.App, region.Name, allowedList(policy.AllowWhenExhausted)))
		return false, false
	}
	switch topology.GateBudget(policy, b.RemainingPercent, r.Priority) {
	case topology.BudgetAuto:
		return true, false
	case topology.BudgetApproval:
		if rp.Approval != nil {
			return true, false
		}
		wait(fmt.Sprintf("%.1f%% of the error budget of app %s in region %s remains: promotion needs an approval: ringctl release approve %s --ring %s",
			b.RemainingPercent, r.App, region.Name, r.ID, rp.Name))
		return false, true
	default: // "frozen", or anything this planner does not know: fail closed
		wait(fmt.Sprintf("the error budget of app %s in region %s is exhausted (%.1f%% remains): only %s releases may promote",
			r.App, region.Name, b.RemainingPercent, allowedList(policy.AllowWhenExhausted)))
		return false, false
	}
}

// allowedList names the priorities allowed through, or says there are none.
func allowedList(priorities []string) string {
	if len(priorities) == 0 {
		return "no"
	}
	return strings.Join(priorities, ", ")
}
