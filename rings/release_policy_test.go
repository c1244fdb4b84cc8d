package rings_test

import (
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// A risk tier applies to the app's own soak and approval, not the ring's:
// an app soaking canary 1h under a "soaks × 2" tier soaks 2h, and a ring
// the app asks no approval for needs one only when the tier says so.
func TestRiskTierLayersOnTheAppPolicy(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t) // canary soaks 4h; early needs an approval
	top.Spec.Policy.RiskTiers = []topology.RiskTier{{Name: "high", Min: 40, SoakMultiplier: 2, Approval: topology.TierApprovalEveryRing}}
	top.Spec.Apps[0].Policy = &topology.AppPolicy{ // checkout
		Soak:     map[string]topology.Duration{"canary": topology.Duration(time.Hour)},
		Approval: map[string]string{"early": "none"},
	}
	high := &topology.DREAD{Damage: 8, Reproducibility: 8, Exploitability: 8, Affected: 8, Discoverability: 8}
	cases := []struct {
		app          string
		risk         *topology.DREAD
		canarySoak   time.Duration
		earlyApprove bool
	}{
		{"checkout", nil, time.Hour, false},
		{"checkout", high, 2 * time.Hour, true},
		{"ledger", nil, 4 * time.Hour, true},
		{"ledger", high, 8 * time.Hour, true},
	}
	for _, c := range cases {
		r := &rings.Release{App: c.app, Risk: c.risk}
		if got := rings.RingSoak(top, r, 0); got != c.canarySoak {
			t.Errorf("%s risk %v: canary soak %s, want %s", c.app, c.risk, got, c.canarySoak)
		}
		if got := rings.RingApproval(top, r, 1); got != c.earlyApprove {
			t.Errorf("%s risk %v: early approval %t, want %t", c.app, c.risk, got, c.earlyApprove)
		}
	}
}

// The cost of a release reads the app's own soak, detection time and
// rollback time.
func TestCostReadsTheAppPolicy(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t) // canary 4h; analysis 1m × 5; verify 2m
	interval, threshold := topology.Duration(30*time.Second), 2
	top.Spec.Apps[0].Policy = &topology.AppPolicy{ // checkout
		Soak:     map[string]topology.Duration{"canary": topology.Duration(time.Hour)},
		Analysis: &topology.AnalysisOverride{Interval: &interval, FailureThreshold: &threshold},
	}
	for _, c := range []struct {
		app  string
		want rings.TimeAtRisk
	}{
		{"checkout", rings.TimeAtRisk{Soak: time.Hour, Detection: time.Minute, Rollback: 2 * time.Minute}},
		{"ledger", rings.TimeAtRisk{Soak: 4 * time.Hour, Detection: 5 * time.Minute, Rollback: 2 * time.Minute}},
	} {
		cost := rings.CostOfRelease(top, c.app, nil, rings.FailureRate{Rate: 0.01}, nil)
		if got := cost.Rings[0].TimeAtRisk; got != c.want {
			t.Errorf("%s canary time at risk = %+v, want %+v", c.app, got, c.want)
		}
	}
}
