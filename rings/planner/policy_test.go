package planner

import (
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// TestProjectionFollowsAppPolicy: an app's own soaks and approvals change
// its timeline and nobody else's.
func TestProjectionFollowsAppPolicy(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	top.Spec.Apps[0].Policy = &topology.AppPolicy{ // checkout
		Soak:     map[string]topology.Duration{"canary": topology.Duration(time.Hour)},
		Approval: map[string]string{"early": "none", "global": "required"},
	}
	from := ringstest.Time(t, "2026-03-03T09:00:00Z") // a Tuesday
	cases := []struct {
		app        string
		canarySoak time.Duration
		approvals  []string // canary, early, global
	}{
		{"checkout", time.Hour, []string{TimelineApprovalNone, TimelineApprovalNone, TimelineApprovalRequired}},
		{"ledger", 4 * time.Hour, []string{TimelineApprovalNone, TimelineApprovalRequired, TimelineApprovalNone}},
	}
	for _, c := range cases {
		tl, err := Project(top, c.app, "2.0", topology.PriorityNormal, nil, from)
		if err != nil {
			t.Fatalf("%s: %v", c.app, err)
		}
		canary := tl.Rings[0]
		if got := canary.SoakedAt.Sub(canary.Start); got != c.canarySoak {
			t.Errorf("%s canary soaked %s after it started, want %s", c.app, got, c.canarySoak)
		}
		for i, want := range c.approvals {
			if tl.Rings[i].Approval != want {
				t.Errorf("%s ring %s approval = %q, want %q", c.app, tl.Rings[i].Name, tl.Rings[i].Approval, want)
			}
		}
	}
}

// TestFailureThresholdIsTheApps: the same failed checks fail the ring of an
// app with a stricter threshold and not the other's.
func TestFailureThresholdIsTheApps(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		threshold *int
		want      string
	}{
		{nil, "wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T14:02:00Z"}, // the fixture's 5
		{ptr(2), "fail-ring r1 canary [us-east-1]"},
	} {
		top := ringstest.Topology(t)
		top.Spec.Apps[0].Policy = &topology.AppPolicy{Analysis: &topology.AnalysisOverride{FailureThreshold: c.threshold}}
		s := ringstest.NewState(t, top, ringstest.After(mtCanarySoaking, mtChecksFailed("r1", "canary", 2))...)
		if got := briefPlan(PlanNext(top, s, ringstest.Time(t, "2026-12-01T11:02:00Z"))); got != c.want {
			t.Errorf("threshold %v: plan %s, want %s", c.threshold, got, c.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
