package planner

import (
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// trainCreate creates a release of app at created, for train (may be "").
func trainCreate(id, app, train, created string) ringstest.Step {
	return func(tp *topology.Topology, s *rings.State) error {
		at, err := time.Parse(time.RFC3339, created)
		if err != nil {
			return err
		}
		_, err = s.CreateRelease(tp, id, app, "2.0", "", train, time.Time{}, at, "alice", "1.0")
		return err
	}
}

func trainAbort(id string) ringstest.Step {
	return ringstest.On(func(s *rings.State) error {
		return s.Abort(id, "bob", "superseded", ringstest.T0)
	})
}

// TestTrainPlans covers releases queued for a train and the one-release-
// per-app rule, through PlanNext.
func TestTrainPlans(t *testing.T) {
	t.Parallel()
	monday := "2026-11-30T12:00:00Z"
	departure := "2026-12-01T10:00:00Z"
	tests := []struct {
		name string
		prep []ringstest.Step
		now  string
		want string
	}{
		{"queued on Monday, the train has not left",
			[]ringstest.Step{trainCreate("r1", "checkout", "tuesday", monday)}, monday,
			"wait schedule r1 until 2026-12-01T10:00:00Z; next 2026-12-01T10:00:00Z"},
		{"the train leaves with the oldest release of the app; the next queues",
			[]ringstest.Step{trainCreate("r1", "checkout", "tuesday", monday), trainCreate("r2", "checkout", "tuesday", monday)}, departure,
			"start-release r1; wait queue r2"},
		{"the queued release starts once the first one ends, the train having left",
			[]ringstest.Step{trainCreate("r1", "checkout", "tuesday", monday), trainCreate("r2", "checkout", "tuesday", monday), ringstest.Start("r1"), trainAbort("r1")}, "2026-12-01T15:00:00Z",
			"start-release r2"},
		{"an app on a train is released at once when no train is named (no implicit train)",
			[]ringstest.Step{trainCreate("r1", "checkout", "", monday)}, monday,
			"start-release r1"},
		{"another app does not wait for the train",
			[]ringstest.Step{trainCreate("r1", "checkout", "tuesday", monday), trainCreate("r2", "ledger", "", monday)}, monday,
			"start-release r2; wait schedule r1 until 2026-12-01T10:00:00Z; next 2026-12-01T10:00:00Z"},
		{"a running release of the app holds a train release at the departure",
			[]ringstest.Step{trainCreate("r1", "checkout", "", monday), ringstest.Start("r1"), ringstest.Baseline("r1", "1.0"), trainCreate("r2", "checkout", "tuesday", monday)}, departure,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1; wait queue r2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := planAfter(t, ringstest.Topology(t), tc.prep, tc.now); got != tc.want {
				t.Fatalf("plan:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestFreezeIsCheckedAtEveryRingBoundary: the canary ring finished before
// the year-end freeze (20 Dec 00:00 UTC for 14 days); the early ring,
// approved, is planned at several moments. Windows are Monday–Thursday
// 09:00–16:00 in Dublin.
func TestFreezeIsCheckedAtEveryRingBoundary(t *testing.T) {
	t.Parallel()
	normal := steps(ringstest.CanaryDone, []ringstest.Step{mtApprove("r1", "early")})
	p0 := []ringstest.Step{mtCreateFull("r1", "checkout", topology.PriorityP0, "", time.Time{}), ringstest.Start("r1"),
		ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Soak("r1", "canary"), ringstest.Done("r1", "canary"), mtApprove("r1", "early")}
	tests := []struct {
		name string
		prep []ringstest.Step
		now  string
		want string
	}{
		{"before the freeze the next ring goes", normal, "2026-12-17T10:00:00Z",
			"promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1"},
		{"the freeze that opened since ring 0 holds ring 1", normal, "2026-12-21T10:00:00Z",
			"wait freeze r1 early [eu-west-1] until 2027-01-03T00:00:00Z; next 2027-01-03T00:00:00Z"},
		{"an allowed priority passes the freeze", p0, "2026-12-21T10:00:00Z",
			"promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1"},
		{"after the freeze the next ring goes in its window", normal, "2027-01-04T10:00:00Z",
			"promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := planAfter(t, ringstest.Topology(t), tc.prep, tc.now); got != tc.want {
				t.Fatalf("plan:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
