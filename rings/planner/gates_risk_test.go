package planner

import (
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// A release's risk tier adds an approval before every ring or drops the
// rings' own; an unscored release follows the rings.
func TestRiskTierApprovals(t *testing.T) {
	t.Parallel()
	score := func(d *topology.DREAD) ringstest.Step {
		return ringstest.On(func(s *rings.State) error { return s.SetRisk("r1", d, "alice", "scored", ringstest.T0) })
	}
	high := &topology.DREAD{Damage: 8, Reproducibility: 7, Exploitability: 9, Affected: 10, Discoverability: 10}
	low := &topology.DREAD{Damage: 3, Reproducibility: 3, Exploitability: 3, Affected: 3, Discoverability: 3}
	budget := mtAppBudget("checkout", "us-east-1", 80)
	cases := []struct {
		name, now, want, wantDetail string
		prep                        []ringstest.Step
	}{
		{"unscored: canary needs no approval", friday, "promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1", "",
			ringstest.After(ringstest.Running, budget)},
		{"high risk: canary waits for a person", friday, "set-release-state r1 awaiting-approval; wait approval r1 canary [us-east-1]",
			"ring canary needs an approval (risk DREAD 44/50: tier high (scores 40–50): approval before every ring, soaks × 2): ringctl release approve r1 --ring canary",
			ringstest.After(ringstest.Running, budget, score(high))},
		{"high risk, approved: canary goes", friday, "promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1", "",
			ringstest.After(ringstest.Running, budget, score(high), mtApprove("r1", "canary"))},
		{"unscored: early waits for its own approval", monday, "set-release-state r1 awaiting-approval; wait approval r1 early [eu-west-1]",
			"ring early needs an approval: ringctl release approve r1 --ring early", ringstest.CanaryDone},
		{"low risk: early's own approval is dropped", monday, "promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1", "",
			ringstest.After(ringstest.CanaryDone, score(low))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := ringstest.Topology(t)
			top.Spec.Policy.RiskTiers = []topology.RiskTier{
				{Name: "high", Min: 40, Approval: topology.TierApprovalEveryRing, SoakMultiplier: 2},
				{Name: "low", Max: 15, Approval: topology.TierApprovalNone},
			}
			plan := PlanNext(top, ringstest.NewState(t, top, tc.prep...), ringstest.Time(t, tc.now))
			if got := briefPlan(plan); got != tc.want {
				t.Fatalf("plan:\n got %s\nwant %s", got, tc.want)
			}
			if detail := strings.Join(waitDetails(plan, WaitApproval), "\n"); detail != tc.wantDetail {
				t.Fatalf("approval wait detail:\n got %q\nwant %q", detail, tc.wantDetail)
			}
		})
	}
}
