package planner

import (
	"testing"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// exposureTopology is the example topology without windows or a required
// approval, with traffic shares 10/30/30/30: a release reaches 10 % after
// canary, 40 % after early and 100 % after global. maxExposure is set on
// the named ring.
func exposureTopology(t *testing.T, ring string, maxExposure float64, approval string) *topology.Topology {
	top := ringstest.Topology(t)
	for i := range top.Spec.Regions {
		share := 30.0
		if i == 0 {
			share = 10
		}
		top.Spec.Regions[i].TrafficShare = &share
	}
	for i := range top.Spec.Rings {
		r := &top.Spec.Rings[i]
		r.Windows, r.Approval = nil, ""
		if r.Name == ring {
			r.MaxExposure, r.Approval = &maxExposure, approval
		}
	}
	return top
}

func TestMaxExposureGate(t *testing.T) {
	t.Parallel()
	budget := ringstest.On(func(s *rings.State) error {
		s.RecordBudget(rings.Budget{App: "checkout", Region: "us-east-1", RemainingPercent: 100, RemainingSeconds: 2592, At: ringstest.T0})
		return nil
	})
	approve := ringstest.On(func(s *rings.State) error {
		return s.Approve("r1", "early", "bob", "40 % is fine for this one", ringstest.T0)
	})
	now := ringstest.Time(t, "2026-12-01T15:00:00Z") // T0 + 5h
	cases := []struct {
		name     string
		ring     string
		max      float64
		approval string
		steps    []ringstest.Step
		promote  string // the ring promoted, or ""
		state    rings.ReleaseState
		wait     string // the approval wait's detail starts so, or ""
	}{
		{name: "canary above its maxExposure waits", ring: "canary", max: 5, steps: ringstest.After(ringstest.Running, budget),
			state: rings.ReleaseAwaitingApproval, wait: "ring canary would take checkout 2.0 to 10 % of its traffic, above the ring's maxExposure of 5 %; a person approves going further: ringctl release approve r1 --ring canary"},
		{name: "exactly at maxExposure promotes", ring: "canary", max: 10, steps: ringstest.After(ringstest.Running, budget),
			promote: "canary", state: rings.ReleaseRunning},
		{name: "early would reach 40 % above 25 %", ring: "early", max: 25, steps: ringstest.CanaryDone,
			state: rings.ReleaseAwaitingApproval, wait: "ring early would take checkout 2.0 to 40 % of its traffic, above the ring's maxExposure of 25 %; a person approves going further: ringctl release approve r1 --ring early"},
		{name: "an approval lets it through", ring: "early", max: 25, steps: ringstest.After(ringstest.CanaryDone, approve),
			promote: "early", state: rings.ReleaseRunning},
		{name: "a ring that requires approval asks once", ring: "early", max: 25, approval: "required", steps: ringstest.CanaryDone,
			state: rings.ReleaseAwaitingApproval, wait: "ring early needs an approval: ringctl release approve r1 --ring early"},
		{name: "below maxExposure promotes", ring: "early", max: 40.5, steps: ringstest.CanaryDone,
			promote: "early", state: rings.ReleaseRunning},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := exposureTopology(t, tc.ring, tc.max, tc.approval)
			s := ringstest.NewState(t, top, tc.steps...)
			plan := PlanNext(top, s, now)
			var promoted string
			state := s.ReleaseByID("r1").State
			for _, a := range plan.Actions {
				switch a.Kind {
				case ActPromote:
					promoted = a.Ring
				case ActSetReleaseState:
					state = a.State
				}
			}
			approvals := waitDetails(plan, WaitApproval)
			if promoted != tc.promote {
				t.Fatalf("promoted %q, want %q (waits %v)", promoted, tc.promote, plan.Waits)
			}
			if state != tc.state {
				t.Fatalf("release %s, want %s", state, tc.state)
			}
			switch {
			case tc.wait == "" && len(approvals) > 0:
				t.Fatalf("approval waits %q, want none", approvals)
			case tc.wait != "" && (len(approvals) != 1 || approvals[0] != tc.wait):
				t.Fatalf("approval waits %q, want %q", approvals, tc.wait)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{60: "60 %", 12.5: "12.5 %", 0.05: "0.05 %", 100: "100 %", 33.333333: "33.33 %", 0: "0 %"} {
		if got := Percent(v); got != want {
			t.Errorf("Percent(%v) = %q, want %q", v, got, want)
		}
	}
}
