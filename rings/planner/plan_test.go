package planner

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/golden"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// briefPlan renders a plan in one line per action and wait, without the
// free-text details, for table assertions.
func briefPlan(p Plan) string {
	var b strings.Builder
	for _, a := range p.Actions {
		fmt.Fprintf(&b, "%s %s", a.Kind, a.ReleaseID)
		if a.Ring != "" {
			fmt.Fprintf(&b, " %s", a.Ring)
		}
		if len(a.Regions) > 0 {
			fmt.Fprintf(&b, " %v", a.Regions)
		}
		switch a.Kind {
		case ActPromote, ActRollback:
			fmt.Fprintf(&b, " %s %s", a.Version, a.PromotionID)
		case ActSetReleaseState:
			fmt.Fprintf(&b, " %s", a.State)
		case ActPlaceHalt:
			fmt.Fprintf(&b, " %+v", *a.Halt)
		}
		b.WriteString("; ")
	}
	for _, w := range p.Waits {
		fmt.Fprintf(&b, "wait %s %s", w.Reason, w.ReleaseID)
		if w.Ring != "" {
			fmt.Fprintf(&b, " %s", w.Ring)
		}
		if len(w.Regions) > 0 {
			fmt.Fprintf(&b, " %v", w.Regions)
		}
		if !w.Until.IsZero() {
			fmt.Fprintf(&b, " until %s", stamp(w.Until))
		}
		b.WriteString("; ")
	}
	if !p.NextCheck.IsZero() {
		fmt.Fprintf(&b, "next %s", stamp(p.NextCheck))
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// waitDetails lists the Detail of every wait of p for reason, in order:
// the free text briefPlan leaves out, for the tests that assert it.
func waitDetails(p Plan, reason WaitReason) []string {
	var out []string
	for _, w := range p.Waits {
		if w.Reason == reason {
			out = append(out, w.Detail)
		}
	}
	return out
}

// planAfter is the brief plan at now (RFC 3339) of a state built by prep
// on top, every budget measured whole.
func planAfter(t *testing.T, top *topology.Topology, prep []ringstest.Step, now string) string {
	t.Helper()
	s := &rings.State{}
	fxMeasureBudgets(top, s, 100)
	ringstest.Apply(t, top, s, prep...)
	return briefPlan(PlanNext(top, s, ringstest.Time(t, now)))
}

func mtCreateFull(id, app, priority, train string, startAt time.Time) ringstest.Step {
	return func(t *topology.Topology, s *rings.State) error {
		_, err := s.CreateRelease(t, id, app, "2.0", priority, train, startAt, ringstest.T0, "alice", "1.0")
		return err
	}
}

func mtApprove(id, ring string) ringstest.Step {
	return ringstest.On(func(s *rings.State) error {
		return s.Approve(id, ring, "bob", "ok", ringstest.T0)
	})
}

func mtHalt(id string, scope rings.HaltScope) ringstest.Step {
	return ringstest.On(func(s *rings.State) error {
		return s.PlaceHalt(rings.Halt{ID: id, Scope: scope, Author: "ic", Reason: "incident", CreatedAt: ringstest.T0})
	})
}

func mtResume(id string) ringstest.Step {
	return ringstest.On(func(s *rings.State) error { return s.ResumeHalt(id, "ic", "fixed", ringstest.T0) })
}

func mtObserve(id, ring, region string, synced, healthy bool, reason string) ringstest.Step {
	return ringstest.On(func(s *rings.State) error {
		return s.Observe(id, ring, region, synced, healthy, reason, nil, ringstest.T0.Add(2*time.Minute))
	})
}

func mtBudget(region string, pct float64) ringstest.Step { return mtAppBudget("checkout", region, pct) }

func mtAppBudget(app, region string, pct float64) ringstest.Step {
	return ringstest.On(func(s *rings.State) error {
		s.RecordBudget(rings.Budget{App: app, Region: region, RemainingPercent: pct, At: ringstest.T0})
		return nil
	})
}

// fxMeasureBudgets records a budget of pct for every app of t in every
// region with a Prometheus, as the leader does once Prometheus answers.
func fxMeasureBudgets(t *topology.Topology, s *rings.State, pct float64) {
	for _, a := range t.Spec.Apps {
		for _, g := range t.Spec.Regions {
			if g.Prometheus != nil {
				s.RecordBudget(rings.Budget{App: a.Name, Region: g.Name, RemainingPercent: pct, At: ringstest.T0})
			}
		}
	}
}

func mtState(id string, st rings.ReleaseState) ringstest.Step {
	return ringstest.On(func(s *rings.State) error { return s.SetReleaseState(id, st, "", ringstest.T0) })
}

func mtChecksFailed(id, ring string, n int) ringstest.Step {
	return ringstest.On(func(s *rings.State) error {
		for i := 0; i < n; i++ {
			o := &rings.Observation{Region: "us-east-1", Check: "success-rate", Value: 97, Threshold: ">= 99", At: ringstest.T0}
			if err := s.Observe(id, ring, "us-east-1", true, false, "low success rate", o, ringstest.T0.Add(3*time.Minute)); err != nil {
				return err
			}
		}
		return nil
	})
}

var (
	friday  = "2026-12-04T15:00:00Z" // Friday afternoon: windows shut until Monday
	monday  = "2026-12-07T10:00:00Z" // Monday 10:00 Dublin: early's window open, Tokyo's and LA's not
	mondayT = "2026-12-07T01:00:00Z" // Monday 10:00 Tokyo, Sunday 17:00 LA
	inXmas  = "2026-12-22T10:00:00Z" // Tuesday inside the year-end freeze

	mtEarlyDone     = ringstest.After(ringstest.CanaryDone, mtApprove("r1", "early"), ringstest.Promote("r1", "early", "eu-west-1"), ringstest.Soak("r1", "early"), ringstest.Done("r1", "early"))
	mtCanarySyncing = ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"))
	mtCanarySoaking = ringstest.After(mtCanarySyncing, mtObserve("r1", "canary", "us-east-1", true, true, ""), ringstest.Soak("r1", "canary"))
	mtCanaryFailed  = ringstest.After(mtCanarySyncing, ringstest.Fail("r1", "canary"))
)

// planCase is one table case of PlanNext: the brief plan (briefPlan) at now
// of a state built by prep on the fixture topology, its policy changed by
// policy when set.
type planCase struct {
	name   string
	prep   []ringstest.Step
	now    string
	policy func(p *topology.Policy)
	want   string
}

// runPlanCases runs each case as a parallel subtest.
func runPlanCases(t *testing.T, cases []planCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := ringstest.Topology(t)
			if tc.policy != nil {
				tc.policy(&top.Spec.Policy)
			}
			if got := planAfter(t, top, tc.prep, tc.now); got != tc.want {
				t.Fatalf("plan:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestPlanNext(t *testing.T) {
	t.Parallel()
	cases := []planCase{
		// scheduled releases
		{"start time in the future", []ringstest.Step{mtCreateFull("r1", "checkout", "", "", ringstest.Time(t, "2026-12-05T00:00:00Z"))}, friday, nil,
			"wait schedule r1 until 2026-12-05T00:00:00Z; next 2026-12-05T00:00:00Z"},
		{"start time passed", []ringstest.Step{mtCreateFull("r1", "checkout", "", "", ringstest.Time(t, "2026-12-02T00:00:00Z"))}, friday, nil,
			"start-release r1"},
		{"train not yet departed", []ringstest.Step{func(t *topology.Topology, s *rings.State) error {
			_, err := s.CreateRelease(t, "r1", "checkout", "2.0", "", "tuesday", time.Time{}, ringstest.T0.Add(time.Minute), "alice", "")
			return err
		}}, friday, nil,
			"wait schedule r1 until 2026-12-08T10:00:00Z; next 2026-12-08T10:00:00Z"},
		{"train departed", []ringstest.Step{func(t *topology.Topology, s *rings.State) error {
			_, err := s.CreateRelease(t, "r1", "checkout", "2.0", "", "tuesday", time.Time{}, ringstest.T0.Add(time.Minute), "alice", "")
			return err
		}}, "2026-12-08T10:00:00Z", nil,
			"start-release r1"},
		{"train departure at creation counts", []ringstest.Step{mtCreateFull("r1", "checkout", "", "tuesday", time.Time{})}, "2026-12-01T10:00:00Z", nil,
			"start-release r1"},
		{"queued behind a running release of the app", ringstest.After(ringstest.Running, mtCreateFull("r2", "checkout", "", "", time.Time{}), mtCreateFull("r3", "ledger", "", "", time.Time{})), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1; start-release r3; wait queue r2"},
		{"two ready releases of one app start one at a time", []ringstest.Step{mtCreateFull("r1", "checkout", "", "", time.Time{}), mtCreateFull("r2", "checkout", "", "", time.Time{})}, friday, nil,
			"start-release r1; wait queue r2"},
		{"terminal releases skipped", ringstest.After(ringstest.Running, ringstest.On(func(s *rings.State) error { return s.Abort("r1", "bob", "no", ringstest.T0) })), friday, nil,
			""},
		// halts, each scope dimension
		{"no halt promotes canary", ringstest.Running, friday, nil, "promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"global halt", ringstest.After(ringstest.Running, mtHalt("h1", rings.HaltScope{Global: true})), friday, nil,
			"set-release-state r1 halted; wait halt r1 canary [us-east-1]"},
		{"region halt covering", ringstest.After(ringstest.Running, mtHalt("h1", rings.HaltScope{Regions: []string{"us-east-1"}})), friday, nil,
			"set-release-state r1 halted; wait halt r1 canary [us-east-1]"},
		{"region halt elsewhere", ringstest.After(ringstest.Running, mtHalt("h1", rings.HaltScope{Regions: []string{"eu-west-1"}})), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"ring halt covering", ringstest.After(ringstest.Running, mtHalt("h1", rings.HaltScope{Rings: []string{"canary"}})), friday, nil,
			"set-release-state r1 halted; wait halt r1 canary [us-east-1]"},
		{"ring halt elsewhere", ringstest.After(ringstest.Running, mtHalt("h1", rings.HaltScope{Rings: []string{"early"}})), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"app halt covering", ringstest.After(ringstest.Running, mtHalt("h1", rings.HaltScope{Apps: []string{"checkout"}})), friday, nil,
			"set-release-state r1 halted; wait halt r1 canary [us-east-1]"},
		{"app halt elsewhere", ringstest.After(ringstest.Running, mtHalt("h1", rings.HaltScope{Apps: []string{"ledger"}})), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"release halt covering", ringstest.After(ringstest.Running, mtHalt("h1", rings.HaltScope{Releases: []string{"r1"}})), friday, nil,
			"set-release-state r1 halted; wait halt r1 canary [us-east-1]"},
		{"release halt elsewhere", ringstest.After(ringstest.Running, mtHalt("h1", rings.HaltScope{Releases: []string{"r9"}})), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"already shown halted stays quiet", ringstest.After(ringstest.Running, mtHalt("h1", rings.HaltScope{Global: true}),
			ringstest.On(func(s *rings.State) error {
				return s.SetReleaseState("r1", rings.ReleaseHalted, "halt h1 by ic: incident; resume with ringctl resume", ringstest.T0)
			})), friday, nil,
			"wait halt r1 canary [us-east-1]"},
		{"resumed halt lets a halted release run again", ringstest.After(ringstest.Running, mtHalt("h1", rings.HaltScope{Global: true}), mtState("r1", rings.ReleaseHalted), mtResume("h1")), friday, nil,
			"set-release-state r1 running; promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"halt on one region of a ring promotes the other", ringstest.After(mtEarlyDone, mtHalt("h1", rings.HaltScope{Regions: []string{"us-west-2"}})), "2026-12-07T01:00:00Z", nil,
			"promote r1 global [ap-northeast-1] 2.0 r1/global/ap-northeast-1; wait halt r1 global [us-west-2]"},
		// soak
		{"soak not over", mtCanarySoaking, "2026-12-01T11:02:00Z", nil,
			"wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T14:02:00Z"},
		{"soak over", mtCanarySoaking, "2026-12-01T14:02:00Z", nil, "complete-ring r1 canary"},
		{"halt does not stop the soak clock", ringstest.After(mtCanarySoaking, mtHalt("h1", rings.HaltScope{Global: true})), "2026-12-01T14:02:00Z", nil,
			"complete-ring r1 canary"},
		{"failed checks below threshold", ringstest.After(mtCanarySoaking, mtChecksFailed("r1", "canary", 4)), "2026-12-01T11:02:00Z", nil,
			"wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T14:02:00Z"},
		{"failure threshold reached", ringstest.After(mtCanarySoaking, mtChecksFailed("r1", "canary", 5)), "2026-12-01T11:02:00Z", nil,
			"fail-ring r1 canary [us-east-1]"},
		{"soak over but the last check failed", ringstest.After(mtCanarySoaking, mtChecksFailed("r1", "canary", 2)), "2026-12-01T14:02:00Z", nil,
			"wait evidence r1 canary"},
		{"soak over but the region was last seen unhealthy", ringstest.After(mtCanarySoaking, mtObserve("r1", "canary", "us-east-1", true, false, "argocd unreachable")), "2026-12-01T14:02:00Z", nil,
			"wait evidence r1 canary"},
		// windows and approval
		{"window closed on friday, approval missing", ringstest.CanaryDone, friday, nil,
			"set-release-state r1 awaiting-approval; wait window r1 early [eu-west-1] until 2026-12-07T09:00:00Z; wait approval r1 early [eu-west-1]; next 2026-12-07T09:00:00Z"},
		{"window closed on friday, approved", ringstest.After(ringstest.CanaryDone, mtApprove("r1", "early")), friday, nil,
			"wait window r1 early [eu-west-1] until 2026-12-07T09:00:00Z; next 2026-12-07T09:00:00Z"},
		{"window open, approval missing", ringstest.CanaryDone, monday, nil,
			"set-release-state r1 awaiting-approval; wait approval r1 early [eu-west-1]"},
		{"window open, approved", ringstest.After(ringstest.CanaryDone, mtApprove("r1", "early")), monday, nil,
			"promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1"},
		{"approval arrives for an awaiting release", ringstest.After(ringstest.CanaryDone, mtState("r1", rings.ReleaseAwaitingApproval), mtApprove("r1", "early")), monday, nil,
			"set-release-state r1 running; promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1"},
		{"regions follow the sun", mtEarlyDone, mondayT, nil,
			"promote r1 global [ap-northeast-1] 2.0 r1/global/ap-northeast-1; wait window r1 global [us-west-2] until 2026-12-07T17:00:00Z; next 2026-12-07T17:00:00Z"},
		{"rest of a promoting ring", ringstest.After(mtEarlyDone, ringstest.Promote("r1", "global", "ap-northeast-1")), "2026-12-07T17:00:00Z", nil,
			"promote r1 global [us-west-2] 2.0 r1/global/us-west-2"},
		// freezes
		{"freeze blocks normal", ringstest.Running, inXmas, nil,
			"wait freeze r1 canary [us-east-1] until 2027-01-03T00:00:00Z; next 2027-01-03T00:00:00Z"},
		{"freeze allows P0", []ringstest.Step{mtCreateFull("r1", "checkout", topology.PriorityP0, "", time.Time{}), ringstest.Start("r1"), ringstest.Baseline("r1", "1.0")}, inXmas, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"freeze and closed window both reported", ringstest.After(ringstest.CanaryDone, mtApprove("r1", "early")), "2026-12-26T10:00:00Z", nil,
			"wait freeze r1 early [eu-west-1] until 2027-01-03T00:00:00Z; wait window r1 early [eu-west-1] until 2026-12-28T09:00:00Z; next 2026-12-28T09:00:00Z"},
		// error budget
		{"budget plenty", ringstest.After(ringstest.Running, mtBudget("us-east-1", 60)), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"budget low needs approval", ringstest.After(ringstest.Running, mtBudget("us-east-1", 40)), friday, nil,
			"set-release-state r1 awaiting-approval; wait error-budget r1 canary [us-east-1]"},
		{"budget low approved", ringstest.After(ringstest.Running, mtBudget("us-east-1", 40), mtApprove("r1", "canary")), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"budget exhausted", ringstest.After(ringstest.Running, mtBudget("us-east-1", 10), mtApprove("r1", "canary")), friday, nil,
			"wait error-budget r1 canary [us-east-1]"},
		{"budget exhausted allows reliability", []ringstest.Step{mtCreateFull("r1", "checkout", topology.PriorityReliability, "", time.Time{}), ringstest.Start("r1"), ringstest.Baseline("r1", "1.0"), mtBudget("us-east-1", 10)}, friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		// sync
		{"no evidence yet", mtCanarySyncing, "2026-12-01T10:10:00Z", nil,
			"wait evidence r1 canary [us-east-1] until 2026-12-01T10:31:00Z; next 2026-12-01T10:31:00Z"},
		{"not yet synced", ringstest.After(mtCanarySyncing, mtObserve("r1", "canary", "us-east-1", false, true, "OutOfSync")), "2026-12-01T10:10:00Z", nil,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:31:00Z; next 2026-12-01T10:31:00Z"},
		{"synced and healthy", ringstest.After(mtCanarySyncing, mtObserve("r1", "canary", "us-east-1", true, true, "")), "2026-12-01T10:10:00Z", nil,
			"start-soak r1 canary"},
		{"degraded fails at once", ringstest.After(mtCanarySyncing, mtObserve("r1", "canary", "us-east-1", true, false, "Degraded: crashloop")), "2026-12-01T10:10:00Z", nil,
			"fail-ring r1 canary [us-east-1]"},
		// Soaking, Argo CD's Degraded fails the ring at once too, even while
		// the region's analysis checks pass (the pods that serve are fine).
		{"degraded while soaking fails at once", ringstest.After(mtCanarySoaking, ringstest.On(func(s *rings.State) error {
			return s.Observe("r1", "canary", "us-east-1", true, false, "Degraded: crashloop",
				&rings.Observation{Check: "error-rate", Value: 0.001, Threshold: "<= 0.05", Pass: true, At: ringstest.T0.Add(9 * time.Minute)}, ringstest.T0.Add(9*time.Minute))
		})), "2026-12-01T10:10:00Z", nil,
			"fail-ring r1 canary [us-east-1]"},
		{"sync timeout", mtCanarySyncing, "2026-12-01T10:31:00Z", nil,
			"fail-ring r1 canary [us-east-1]"},
		{"region without health sources soaks on time alone", ringstest.After(ringstest.CanaryDone, ringstest.Promote("r1", "early", "eu-west-1")), "2026-12-01T10:10:00Z", nil,
			"start-soak r1 early"},
		// failure policy
		{"failed ring halts later rings and rolls back", mtCanaryFailed, "2026-12-01T10:10:00Z", nil,
			"place-halt r1 canary {Global:false Regions:[] Rings:[early global] Apps:[] Releases:[r1]}; rollback r1 canary [us-east-1] 1.0 r1/canary/us-east-1/rollback"},
		{"automatic halt placed once", ringstest.After(mtCanaryFailed, ringstest.On(func(s *rings.State) error {
			return s.PlaceHalt(rings.Halt{ID: "a1", Auto: true, Scope: rings.HaltScope{Releases: []string{"r1"}, Rings: []string{"early", "global"}}, Reason: "x", CreatedAt: ringstest.T0.Add(5 * time.Minute)})
		}), mtResume("a1")), "2026-12-01T10:10:00Z", nil,
			"rollback r1 canary [us-east-1] 1.0 r1/canary/us-east-1/rollback"},
		{"failed ring halts its regions, rollback manual", mtCanaryFailed, "2026-12-01T10:10:00Z", func(p *topology.Policy) {
			p.OnFailure, p.Rollback.Mode = topology.OnFailureHaltRegion, topology.RollbackManual
		},
			"place-halt r1 canary {Global:false Regions:[us-east-1] Rings:[] Apps:[] Releases:[]}; set-release-state r1 halted"},
		{"failed without previous version", []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", ""), ringstest.Start("r1"), ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Fail("r1", "canary")}, "2026-12-01T10:10:00Z", nil,
			"place-halt r1 canary {Global:false Regions:[] Rings:[early global] Apps:[] Releases:[r1]}; set-release-state r1 halted"},
		// end and rollback
		{"every ring done", ringstest.After(mtEarlyDone, ringstest.Promote("r1", "global", "ap-northeast-1", "us-west-2"), ringstest.Soak("r1", "global"), ringstest.Done("r1", "global")), friday, nil,
			"complete-release r1"},
		{"rollback requested", ringstest.After(ringstest.CanaryDone, mtApprove("r1", "early"), ringstest.Promote("r1", "early", "eu-west-1"), ringstest.On(func(s *rings.State) error {
			return s.RequestRollback("r1", "bob", "errors", ringstest.T0)
		})), friday, nil,
			"rollback r1 canary [us-east-1] 1.0 r1/canary/us-east-1/rollback; rollback r1 early [eu-west-1] 1.0 r1/early/eu-west-1/rollback"},
		{"rollback groups regions by previous version", ringstest.After(mtEarlyDone, ringstest.Promote("r1", "global", "ap-northeast-1", "us-west-2"),
			ringstest.On(func(s *rings.State) error {
				s.Releases[0].PreviousVersions["us-west-2"] = "0.9"
				return s.RequestRollback("r1", "bob", "errors", ringstest.T0)
			}),
			ringstest.Rollback("r1", "canary", "us-east-1"), ringstest.Rollback("r1", "early", "eu-west-1")), friday, nil,
			// canary's rollback landed days ago and was never seen healthy:
			// it fails; early has no health source: the commit verifies it.
			"rollback r1 global [ap-northeast-1] 1.0 r1/global/ap-northeast-1/rollback; rollback r1 global [us-west-2] 0.9 r1/global/us-west-2/rollback; fail-rollback r1 canary [us-east-1]; verify-rollback r1 early [eu-west-1]"},
		{"rollback of a completed release", ringstest.After(mtEarlyDone, ringstest.Promote("r1", "global", "ap-northeast-1", "us-west-2"), ringstest.Soak("r1", "global"), ringstest.Done("r1", "global"),
			ringstest.On(func(s *rings.State) error { return s.CompleteRelease("r1", ringstest.T0) }),
			ringstest.On(func(s *rings.State) error {
				return s.RequestRollback("r1", "bob", "errors", ringstest.T0)
			}),
			ringstest.Rollback("r1", "canary", "us-east-1")), friday, nil,
			"rollback r1 early [eu-west-1] 1.0 r1/early/eu-west-1/rollback; rollback r1 global [ap-northeast-1 us-west-2] 1.0 r1/global/ap-northeast-1+us-west-2/rollback; fail-rollback r1 canary [us-east-1]"},
	}
	runPlanCases(t, cases)
}

func TestPlanNextWithoutTopology(t *testing.T) {
	t.Parallel()
	s := &rings.State{}
	if _, err := s.CreateRelease(ringstest.Topology(t), "r1", "checkout", "2.0", "", "", time.Time{}, ringstest.T0, "alice", ""); err != nil {
		t.Fatal(err)
	}
	if got := briefPlan(PlanNext(nil, s, ringstest.T0)); got != "" {
		t.Fatalf("plan without a topology = %q, want nothing", got)
	}
}

// TestPlanNextDoesNotMutate checks the planner leaves the state alone.
func TestPlanNextDoesNotMutate(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	s := &rings.State{}
	for _, step := range ringstest.After(mtCanaryFailed, mtCreateFull("r2", "checkout", "", "", time.Time{}), mtHalt("h1", rings.HaltScope{Regions: []string{"eu-west-1"}})) {
		if err := step(top, s); err != nil {
			t.Fatal(err)
		}
	}
	before := s.Clone()
	_ = PlanNext(top, s, ringstest.Time(t, friday))
	if !reflect.DeepEqual(before, s) {
		t.Fatal("PlanNext changed the state")
	}
}

// simEvent is something the world does at a time: a region reports, a
// person approves or halts.
type simEvent struct {
	at   time.Time
	what string
	do   func(s *rings.State, at time.Time) error
}

// sim drives PlanNext the way the coordinator's leader loop does: carry out
// every action through the transitions, plan again at once, and when there
// is nothing to do move the clock to the next check or the next event.
type sim struct {
	t      *testing.T
	top    *topology.Topology
	s      *rings.State
	now    time.Time
	events []simEvent
	out    strings.Builder
	// failing names app/ring pairs whose analysis checks fail.
	failing map[string]bool
}

func (m *sim) at(at time.Time, what string, do func(s *rings.State, at time.Time) error) {
	m.events = append(m.events, simEvent{at: at, what: what, do: do})
	slices.SortStableFunc(m.events, func(a, b simEvent) int { return a.at.Compare(b.at) })
}

func (m *sim) logf(format string, args ...any) {
	fmt.Fprintf(&m.out, "%s  %s\n", m.now.Format("Mon 2006-01-02 15:04Z"), fmt.Sprintf(format, args...))
}

// apply carries out one action and schedules the world's answer to it.
func (m *sim) apply(a Action) error {
	switch a.Kind {
	case ActPromote:
		if err := m.s.MarkPromoted(a.ReleaseID, a.Ring, a.Regions, a.PromotionID, "c-"+a.PromotionID, m.now); err != nil {
			return err
		}
		m.reportHealthy(a, []time.Duration{3 * time.Minute}, "%s reports %s synced and healthy", false)
		return nil
	case ActStartSoak:
		if err := m.s.StartSoak(a.ReleaseID, a.Ring, m.now); err != nil {
			return err
		}
		r := m.s.ReleaseByID(a.ReleaseID)
		if m.failing[r.App+"/"+a.Ring] {
			id, ring := a.ReleaseID, a.Ring
			region := r.Ring(ring).Regions[0].Name
			for i := 1; i <= 5; i++ {
				m.at(m.now.Add(time.Duration(i)*time.Minute), fmt.Sprintf("analysis of %s in %s fails", id, region), func(s *rings.State, at time.Time) error {
					o := &rings.Observation{Region: region, Check: "success-rate", Value: 97.5, Threshold: ">= 99", At: at}
					return s.Observe(id, ring, region, true, true, "Healthy", o, at)
				})
			}
		}
		return nil
	case ActRollback:
		if err := m.s.MarkRolledBack(a.ReleaseID, a.Ring, a.Regions, a.PromotionID, "c-"+a.PromotionID, m.now); err != nil {
			return err
		}
		// The regions sync the rollback and report good evidence every
		// minute until it is verified.
		m.reportHealthy(a, []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute}, "%s reports the rollback of %s synced and healthy", true)
		return nil
	}
	return simulate(m.s, a, m.now)
}

// reportHealthy schedules, after each of delays, a synced and healthy
// report from every region of a that has a health source, carrying a
// passing analysis check when check is set. what is the event's text over
// the region and the release.
func (m *sim) reportHealthy(a Action, delays []time.Duration, what string, check bool) {
	id, ring := a.ReleaseID, a.Ring
	for _, name := range a.Regions {
		if region, _ := m.top.RegionByName(name); !region.HasHealthSources() {
			continue
		}
		for _, d := range delays {
			m.at(m.now.Add(d), fmt.Sprintf(what, name, id), func(s *rings.State, at time.Time) error {
				var o *rings.Observation
				if check {
					o = &rings.Observation{Region: name, Check: "success-rate", Value: 99.9, Threshold: ">= 99", Pass: true, At: at}
				}
				return s.Observe(id, ring, name, true, true, "Healthy", o, at)
			})
		}
	}
}

func (m *sim) run(until time.Time) {
	m.t.Helper()
	for step := 0; step < 5000; step++ {
		plan := PlanNext(m.top, m.s, m.now)
		if len(plan.Actions) > 0 {
			for _, a := range plan.Actions {
				m.logf("%s", describeAction(a))
				if err := m.apply(a); err != nil {
					m.t.Fatalf("apply %s at %s: %v", a.Kind, stamp(m.now), err)
				}
			}
			continue
		}
		for _, w := range plan.Waits {
			m.logf("    wait %s", describeWait(w))
		}
		next := plan.NextCheck
		if len(m.events) > 0 && (next.IsZero() || !m.events[0].at.After(next)) {
			next = m.events[0].at
		}
		if next.IsZero() || next.After(until) {
			m.logf("end")
			return
		}
		if !next.After(m.now) && (len(m.events) == 0 || m.events[0].at.After(m.now)) {
			m.t.Fatalf("the clock would not move at %s", stamp(m.now))
		}
		m.now = next
		for len(m.events) > 0 && !m.events[0].at.After(m.now) {
			e := m.events[0]
			m.events = m.events[1:]
			m.logf("event: %s", e.what)
			if err := e.do(m.s, m.now); err != nil {
				m.t.Fatalf("event %q at %s: %v", e.what, stamp(m.now), err)
			}
		}
	}
	m.t.Fatal("the simulation did not end within 5000 steps")
}

// describeSubject starts a trace line: "<what> <release> ring=<ring>
// regions=<a,b>", leaving out an empty ring and regions.
func describeSubject(b *strings.Builder, what any, release, ring string, regions []string) {
	fmt.Fprintf(b, "%s %s", what, release)
	if ring != "" {
		fmt.Fprintf(b, " ring=%s", ring)
	}
	if len(regions) > 0 {
		fmt.Fprintf(b, " regions=%s", strings.Join(regions, ","))
	}
}

func describeAction(a Action) string {
	var b strings.Builder
	describeSubject(&b, a.Kind, a.ReleaseID, a.Ring, a.Regions)
	if a.Version != "" {
		fmt.Fprintf(&b, " version=%s", a.Version)
	}
	if a.PromotionID != "" {
		fmt.Fprintf(&b, " id=%s", a.PromotionID)
	}
	if a.State != "" {
		fmt.Fprintf(&b, " state=%s", a.State)
	}
	if a.Halt != nil {
		fmt.Fprintf(&b, " scope=%+v", *a.Halt)
	}
	if a.Reason != "" {
		fmt.Fprintf(&b, " (%s)", a.Reason)
	}
	return b.String()
}

func describeWait(w Wait) string {
	var b strings.Builder
	describeSubject(&b, w.Reason, w.ReleaseID, w.Ring, w.Regions)
	if !w.Until.IsZero() {
		fmt.Fprintf(&b, " until=%s", stamp(w.Until))
	}
	return b.String() + ": " + w.Detail
}

// TestSimulatedRollout rolls three releases through the example topology
// with an incident halt, approvals, a queued release and a failing canary,
// and compares the trace with testdata/plan/rollout.golden.
func TestSimulatedRollout(t *testing.T) {
	t.Parallel()
	top := exampleTopology(t)
	start := ringstest.Time(t, "2026-12-03T20:00:00Z") // Thursday evening
	m := &sim{t: t, top: top, s: &rings.State{}, now: start, failing: map[string]bool{"ledger/canary": true}}
	fxMeasureBudgets(top, m.s, 100)
	create := func(id, app, version, prev string) {
		if _, err := m.s.CreateRelease(top, id, app, version, "", "", time.Time{}, m.now, "alice", prev); err != nil {
			t.Fatal(err)
		}
	}
	create("r1", "checkout", "2.0", "1.0")
	create("r2", "checkout", "2.1", "")
	create("r3", "ledger", "5.0", "4.9")
	m.at(ringstest.Time(t, "2026-12-04T09:00:00Z"), "bob approves ring early of r1", func(s *rings.State, at time.Time) error {
		return s.Approve("r1", "early", "bob", "canary looks fine", at)
	})
	m.at(ringstest.Time(t, "2026-12-07T08:00:00Z"), "incident commander halts everything", func(s *rings.State, at time.Time) error {
		return s.PlaceHalt(rings.Halt{ID: "h-incident", Scope: rings.HaltScope{Global: true}, Author: "ic", Reason: "INC-42 payment errors", CreatedAt: at})
	})
	m.at(ringstest.Time(t, "2026-12-07T09:30:00Z"), "incident commander resumes", func(s *rings.State, at time.Time) error {
		return s.ResumeHalt("h-incident", "ic", "INC-42 mitigated", at)
	})
	m.at(ringstest.Time(t, "2026-12-08T00:30:00Z"), "carol approves ring early of r2", func(s *rings.State, at time.Time) error {
		return s.Approve("r2", "early", "carol", "ok", at)
	})
	m.logf("start")
	m.run(ringstest.Time(t, "2026-12-31T00:00:00Z"))

	for _, want := range []struct{ id, state string }{{"r1", "completed"}, {"r2", "completed"}, {"r3", "rolled-back"}} {
		if got := string(m.s.ReleaseByID(want.id).State); got != want.state {
			t.Errorf("release %s ended %s, want %s", want.id, got, want.state)
		}
	}
	golden.Check(t, filepath.Join("testdata", "plan", "rollout.golden"), []byte(m.out.String()))
}

// BenchmarkPlanNext plans 1000 running releases of 1000 apps, a third each
// pending on a windowed ring, syncing and soaking, plus 1000 queued ones.
func BenchmarkPlanNext(b *testing.B) {
	top := ringstest.Topology(b)
	s := &rings.State{}
	at := ringstest.T0
	for i := 0; i < 1000; i++ {
		app := fmt.Sprintf("app-%d", i)
		top.Spec.Apps = append(top.Spec.Apps, topology.App{Name: app})
	}
	fxMeasureBudgets(top, s, 100)
	for i := 0; i < 1000; i++ {
		app, id := fmt.Sprintf("app-%d", i), fmt.Sprintf("r%d", i)
		if _, err := s.CreateRelease(top, id, app, "2.0", "", "", time.Time{}, at, "bench", "1.0"); err != nil {
			b.Fatal(err)
		}
		must := ringstest.Must(b)
		must(s.StartRelease(id, at))
		must(s.MarkPromoted(id, "canary", []string{"us-east-1"}, id+"/c", "c", at))
		switch i % 3 {
		case 0:
			must(s.StartSoak(id, "canary", at))
			must(s.CompleteRing(id, "canary", at))
		case 1:
			must(s.StartSoak(id, "canary", at))
		}
	}
	for i := 0; i < 1000; i++ {
		if _, err := s.CreateRelease(top, fmt.Sprintf("q%d", i), fmt.Sprintf("app-%d", i), "2.1", "", "", time.Time{}, at, "bench", ""); err != nil {
			b.Fatal(err)
		}
	}
	now := ringstest.Time(b, "2026-12-04T15:00:00Z")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = PlanNext(top, s, now)
	}
}
