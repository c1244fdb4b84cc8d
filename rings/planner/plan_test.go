package planner

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

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

func steps(groups ...[]ringstest.Step) []ringstest.Step {
	var out []ringstest.Step
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

var (
	friday  = "2026-12-04T15:00:00Z" // Friday afternoon: windows shut until Monday
	monday  = "2026-12-07T10:00:00Z" // Monday 10:00 Dublin: early's window open, Tokyo's and LA's not
	mondayT = "2026-12-07T01:00:00Z" // Monday 10:00 Tokyo, Sunday 17:00 LA
	inXmas  = "2026-12-22T10:00:00Z" // Tuesday inside the year-end freeze

	mtEarlyDone     = steps(ringstest.CanaryDone, []ringstest.Step{mtApprove("r1", "early"), ringstest.Promote("r1", "early", "eu-west-1"), ringstest.Soak("r1", "early"), ringstest.Done("r1", "early")})
	mtCanarySyncing = steps(ringstest.Running, []ringstest.Step{ringstest.Promote("r1", "canary", "us-east-1")})
	mtCanarySoaking = steps(mtCanarySyncing, []ringstest.Step{mtObserve("r1", "canary", "us-east-1", true, true, ""), ringstest.Soak("r1", "canary")})
	mtCanaryFailed  = steps(mtCanarySyncing, []ringstest.Step{ringstest.Fail("r1", "canary")})
)

func TestPlanNext(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		prep   []ringstest.Step
		now    string
		policy func(p *topology.Policy)
		want   string
	}{
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
		{"queued behind a running release of the app", steps(ringstest.Running, []ringstest.Step{mtCreateFull("r2", "checkout", "", "", time.Time{}), mtCreateFull("r3", "ledger", "", "", time.Time{})}), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1; start-release r3; wait queue r2"},
		{"two ready releases of one app start one at a time", []ringstest.Step{mtCreateFull("r1", "checkout", "", "", time.Time{}), mtCreateFull("r2", "checkout", "", "", time.Time{})}, friday, nil,
			"start-release r1; wait queue r2"},
		{"terminal releases skipped", steps(ringstest.Running, []ringstest.Step{ringstest.On(func(s *rings.State) error { return s.Abort("r1", "bob", "no", ringstest.T0) })}), friday, nil,
			""},
		// halts, each scope dimension
		{"no halt promotes canary", ringstest.Running, friday, nil, "promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"global halt", steps(ringstest.Running, []ringstest.Step{mtHalt("h1", rings.HaltScope{Global: true})}), friday, nil,
			"set-release-state r1 halted; wait halt r1 canary [us-east-1]"},
		{"region halt covering", steps(ringstest.Running, []ringstest.Step{mtHalt("h1", rings.HaltScope{Regions: []string{"us-east-1"}})}), friday, nil,
			"set-release-state r1 halted; wait halt r1 canary [us-east-1]"},
		{"region halt elsewhere", steps(ringstest.Running, []ringstest.Step{mtHalt("h1", rings.HaltScope{Regions: []string{"eu-west-1"}})}), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"ring halt covering", steps(ringstest.Running, []ringstest.Step{mtHalt("h1", rings.HaltScope{Rings: []string{"canary"}})}), friday, nil,
			"set-release-state r1 halted; wait halt r1 canary [us-east-1]"},
		{"ring halt elsewhere", steps(ringstest.Running, []ringstest.Step{mtHalt("h1", rings.HaltScope{Rings: []string{"early"}})}), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"app halt covering", steps(ringstest.Running, []ringstest.Step{mtHalt("h1", rings.HaltScope{Apps: []string{"checkout"}})}), friday, nil,
			"set-release-state r1 halted; wait halt r1 canary [us-east-1]"},
		{"app halt elsewhere", steps(ringstest.Running, []ringstest.Step{mtHalt("h1", rings.HaltScope{Apps: []string{"ledger"}})}), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"release halt covering", steps(ringstest.Running, []ringstest.Step{mtHalt("h1", rings.HaltScope{Releases: []string{"r1"}})}), friday, nil,
			"set-release-state r1 halted; wait halt r1 canary [us-east-1]"},
		{"release halt elsewhere", steps(ringstest.Running, []ringstest.Step{mtHalt("h1", rings.HaltScope{Releases: []string{"r9"}})}), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"already shown halted stays quiet", steps(ringstest.Running, []ringstest.Step{mtHalt("h1", rings.HaltScope{Global: true}),
			ringstest.On(func(s *rings.State) error {
				return s.SetReleaseState("r1", rings.ReleaseHalted, "halt h1 by ic: incident; resume with ringctl resume", ringstest.T0)
			})}), friday, nil,
			"wait halt r1 canary [us-east-1]"},
		{"resumed halt lets a halted release run again", steps(ringstest.Running, []ringstest.Step{mtHalt("h1", rings.HaltScope{Global: true}), mtState("r1", rings.ReleaseHalted), mtResume("h1")}), friday, nil,
			"set-release-state r1 running; promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"halt on one region of a ring promotes the other", steps(mtEarlyDone, []ringstest.Step{mtHalt("h1", rings.HaltScope{Regions: []string{"us-west-2"}})}), "2026-12-07T01:00:00Z", nil,
			"promote r1 global [ap-northeast-1] 2.0 r1/global/ap-northeast-1; wait halt r1 global [us-west-2]"},
		// soak
		{"soak not over", mtCanarySoaking, "2026-12-01T11:02:00Z", nil,
			"wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T14:02:00Z"},
		{"soak over", mtCanarySoaking, "2026-12-01T14:02:00Z", nil, "complete-ring r1 canary"},
		{"halt does not stop the soak clock", steps(mtCanarySoaking, []ringstest.Step{mtHalt("h1", rings.HaltScope{Global: true})}), "2026-12-01T14:02:00Z", nil,
			"complete-ring r1 canary"},
		{"failed checks below threshold", steps(mtCanarySoaking, []ringstest.Step{mtChecksFailed("r1", "canary", 4)}), "2026-12-01T11:02:00Z", nil,
			"wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T14:02:00Z"},
		{"failure threshold reached", steps(mtCanarySoaking, []ringstest.Step{mtChecksFailed("r1", "canary", 5)}), "2026-12-01T11:02:00Z", nil,
			"fail-ring r1 canary [us-east-1]"},
		{"soak over but the last check failed", steps(mtCanarySoaking, []ringstest.Step{mtChecksFailed("r1", "canary", 2)}), "2026-12-01T14:02:00Z", nil,
			"wait evidence r1 canary"},
		{"soak over but the region was last seen unhealthy", steps(mtCanarySoaking, []ringstest.Step{mtObserve("r1", "canary", "us-east-1", true, false, "argocd unreachable")}), "2026-12-01T14:02:00Z", nil,
			"wait evidence r1 canary"},
		// windows and approval
		{"window closed on friday, approval missing", ringstest.CanaryDone, friday, nil,
			"set-release-state r1 awaiting-approval; wait window r1 early [eu-west-1] until 2026-12-07T09:00:00Z; wait approval r1 early [eu-west-1]; next 2026-12-07T09:00:00Z"},
		{"window closed on friday, approved", steps(ringstest.CanaryDone, []ringstest.Step{mtApprove("r1", "early")}), friday, nil,
			"wait window r1 early [eu-west-1] until 2026-12-07T09:00:00Z; next 2026-12-07T09:00:00Z"},
		{"window open, approval missing", ringstest.CanaryDone, monday, nil,
			"set-release-state r1 awaiting-approval; wait approval r1 early [eu-west-1]"},
		{"window open, approved", steps(ringstest.CanaryDone, []ringstest.Step{mtApprove("r1", "early")}), monday, nil,
			"promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1"},
		{"approval arrives for an awaiting release", steps(ringstest.CanaryDone, []ringstest.Step{mtState("r1", rings.ReleaseAwaitingApproval), mtApprove("r1", "early")}), monday, nil,
			"set-release-state r1 running; promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1"},
		{"regions follow the sun", mtEarlyDone, mondayT, nil,
			"promote r1 global [ap-northeast-1] 2.0 r1/global/ap-northeast-1; wait window r1 global [us-west-2] until 2026-12-07T17:00:00Z; next 2026-12-07T17:00:00Z"},
		{"rest of a promoting ring", steps(mtEarlyDone, []ringstest.Step{ringstest.Promote("r1", "global", "ap-northeast-1")}), "2026-12-07T17:00:00Z", nil,
			"promote r1 global [us-west-2] 2.0 r1/global/us-west-2"},
		// freezes
		{"freeze blocks normal", ringstest.Running, inXmas, nil,
			"wait freeze r1 canary [us-east-1] until 2027-01-03T00:00:00Z; next 2027-01-03T00:00:00Z"},
		{"freeze allows P0", []ringstest.Step{mtCreateFull("r1", "checkout", topology.PriorityP0, "", time.Time{}), ringstest.Start("r1"), ringstest.Baseline("r1", "1.0")}, inXmas, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"freeze and closed window both reported", steps(ringstest.CanaryDone, []ringstest.Step{mtApprove("r1", "early")}), "2026-12-26T10:00:00Z", nil,
			"wait freeze r1 early [eu-west-1] until 2027-01-03T00:00:00Z; wait window r1 early [eu-west-1] until 2026-12-28T09:00:00Z; next 2026-12-28T09:00:00Z"},
		// error budget
		{"budget plenty", steps(ringstest.Running, []ringstest.Step{mtBudget("us-east-1", 60)}), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"budget low needs approval", steps(ringstest.Running, []ringstest.Step{mtBudget("us-east-1", 40)}), friday, nil,
			"set-release-state r1 awaiting-approval; wait error-budget r1 canary [us-east-1]"},
		{"budget low approved", steps(ringstest.Running, []ringstest.Step{mtBudget("us-east-1", 40), mtApprove("r1", "canary")}), friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		{"budget exhausted", steps(ringstest.Running, []ringstest.Step{mtBudget("us-east-1", 10), mtApprove("r1", "canary")}), friday, nil,
			"wait error-budget r1 canary [us-east-1]"},
		{"budget exhausted allows reliability", []ringstest.Step{mtCreateFull("r1", "checkout", topology.PriorityReliability, "", time.Time{}), ringstest.Start("r1"), ringstest.Baseline("r1", "1.0"), mtBudget("us-east-1", 10)}, friday, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"},
		// sync
		{"no evidence yet", mtCanarySyncing, "2026-12-01T10:10:00Z", nil,
			"wait evidence r1 canary [us-east-1] until 2026-12-01T10:31:00Z; next 2026-12-01T10:31:00Z"},
		{"not yet synced", steps(mtCanarySyncing, []ringstest.Step{mtObserve("r1", "canary", "us-east-1", false, true, "OutOfSync")}), "2026-12-01T10:10:00Z", nil,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:31:00Z; next 2026-12-01T10:31:00Z"},
		{"synced and healthy", steps(mtCanarySyncing, []ringstest.Step{mtObserve("r1", "canary", "us-east-1", true, true, "")}), "2026-12-01T10:10:00Z", nil,
			"start-soak r1 canary"},
		{"degraded fails at once", steps(mtCanarySyncing, []ringstest.Step{mtObserve("r1", "canary", "us-east-1", true, false, "Degraded: crashloop")}), "2026-12-01T10:10:00Z", nil,
			"fail-ring r1 canary [us-east-1]"},
		{"sync timeout", mtCanarySyncing, "2026-12-01T10:31:00Z", nil,
			"fail-ring r1 canary [us-east-1]"},
		{"region without health sources soaks on time alone", steps(ringstest.CanaryDone, []ringstest.Step{ringstest.Promote("r1", "early", "eu-west-1")}), "2026-12-01T10:10:00Z", nil,
			"start-soak r1 early"},
		// failure policy
		{"failed ring halts later rings and rolls back", mtCanaryFailed, "2026-12-01T10:10:00Z", nil,
			"place-halt r1 canary {Global:false Regions:[] Rings:[early global] Apps:[] Releases:[r1]}; rollback r1 canary [us-east-1] 1.0 r1/canary/us-east-1/rollback"},
		{"automatic halt placed once", steps(mtCanaryFailed, []ringstest.Step{ringstest.On(func(s *rings.State) error {
			return s.PlaceHalt(rings.Halt{ID: "a1", Auto: true, Scope: rings.HaltScope{Releases: []string{"r1"}, Rings: []string{"early", "global"}}, Reason: "x", CreatedAt: ringstest.T0.Add(5 * time.Minute)})
		}), mtResume("a1")}), "2026-12-01T10:10:00Z", nil,
			"rollback r1 canary [us-east-1] 1.0 r1/canary/us-east-1/rollback"},
		{"failed ring halts its regions, rollback manual", mtCanaryFailed, "2026-12-01T10:10:00Z", func(p *topology.Policy) {
			p.OnFailure, p.Rollback.Mode = topology.OnFailureHaltRegion, topology.RollbackManual
		},
			"place-halt r1 canary {Global:false Regions:[us-east-1] Rings:[] Apps:[] Releases:[]}; set-release-state r1 halted"},
		{"failed without previous version", []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", ""), ringstest.Start("r1"), ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Fail("r1", "canary")}, "2026-12-01T10:10:00Z", nil,
			"place-halt r1 canary {Global:false Regions:[] Rings:[early global] Apps:[] Releases:[r1]}; set-release-state r1 halted"},
		// end and rollback
		{"every ring done", steps(mtEarlyDone, []ringstest.Step{ringstest.Promote("r1", "global", "ap-northeast-1", "us-west-2"), ringstest.Soak("r1", "global"), ringstest.Done("r1", "global")}), friday, nil,
			"complete-release r1"},
		{"rollback requested", steps(ringstest.CanaryDone, []ringstest.Step{mtApprove("r1", "early"), ringstest.Promote("r1", "early", "eu-west-1"), ringstest.On(func(s *rings.State) error {
			return s.RequestRollback("r1", "bob", "errors", ringstest.T0)
		})}), friday, nil,
			"rollback r1 canary [us-east-1] 1.0 r1/canary/us-east-1/rollback; rollback r1 early [eu-west-1] 1.0 r1/early/eu-west-1/rollback"},
		{"rollback groups regions by previous version", steps(mtEarlyDone, []ringstest.Step{ringstest.Promote("r1", "global", "ap-northeast-1", "us-west-2"),
			ringstest.On(func(s *rings.State) error {
				s.Releases[0].PreviousVersions["us-west-2"] = "0.9"
				return s.RequestRollback("r1", "bob", "errors", ringstest.T0)
			}),
			ringstest.Rollback("r1", "canary", "us-east-1"), ringstest.Rollback("r1", "early", "eu-west-1")}), friday, nil,
			// canary's rollback landed days ago and was never seen healthy:
			// it fails; early has no health source: the commit verifies it.
			"rollback r1 global [ap-northeast-1] 1.0 r1/global/ap-northeast-1/rollback; rollback r1 global [us-west-2] 0.9 r1/global/us-west-2/rollback; fail-rollback r1 canary [us-east-1]; verify-rollback r1 early [eu-west-1]"},
		{"rollback of a completed release", steps(mtEarlyDone, []ringstest.Step{ringstest.Promote("r1", "global", "ap-northeast-1", "us-west-2"), ringstest.Soak("r1", "global"), ringstest.Done("r1", "global"),
			ringstest.On(func(s *rings.State) error { return s.CompleteRelease("r1", ringstest.T0) }),
			ringstest.On(func(s *rings.State) error {
				return s.RequestRollback("r1", "bob", "errors", ringstest.T0)
			}),
			ringstest.Rollback("r1", "canary", "us-east-1")}), friday, nil,
			"rollback r1 early [eu-west-1] 1.0 r1/early/eu-west-1/rollback; rollback r1 global [ap-northeast-1 us-west-2] 1.0 r1/global/ap-northeast-1+us-west-2/rollback; fail-rollback r1 canary [us-east-1]"},
	}
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
	for _, step := range steps(mtCanaryFailed, []ringstest.Step{mtCreateFull("r2", "checkout", "", "", time.Time{}), mtHalt("h1", rings.HaltScope{Regions: []string{"eu-west-1"}})}) {
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
