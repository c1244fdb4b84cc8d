package planner

import (
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
)

// mtEarlyPending is r1 with canary done and early pending (approved, so
// only the window gates it; ringstest.T0 is a Tuesday 10:00 UTC, inside it).
var mtEarlyPending = ringstest.After(ringstest.CanaryDone, ringstest.On(func(s *rings.State) error {
	return s.Approve("r1", "early", "bob", "ok", ringstest.T0)
}))

func TestFailPromotion(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	at := ringstest.T0.Add(time.Hour)
	reason := "file apps/checkout/eu-west-1/values.yaml (region eu-west-1, yamlPath image.tag): key \"tag\" not found"
	cases := []struct {
		name   string
		steps  []ringstest.Step
		ring   string
		pid    string
		reason string
		want   error // nil: the ring fails
	}{
		{"pending ring", mtEarlyPending, "early", "p-early", reason, nil},
		{"first ring pending", ringstest.Running, "canary", "p-canary", reason, nil},
		{"later ring while an earlier is not done", ringstest.Running, "early", "p-early", reason, rings.ErrTransition},
		{"syncing ring", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1")), "canary", "p-x", reason, rings.ErrTransition},
		{"empty promotion id", ringstest.Running, "canary", "", reason, rings.ErrTransition},
		{"no reason", mtEarlyPending, "early", "p-early", " ", rings.ErrTransition},
		{"unknown ring", mtEarlyPending, "nope", "p", reason, rings.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := ringstest.NewState(t, top, c.steps...)
			fail := func() error { return s.FailPromotion("r1", c.ring, c.pid, c.reason, at) }
			if c.want != nil {
				ringstest.Refused(t, s, c.want, fail)
				return
			}
			if err := fail(); err != nil {
				t.Fatal(err)
			}
			rp := s.ReleaseByID("r1").Ring(c.ring)
			if rp.State != rings.RingFailed || rp.Reason != c.reason || !rp.FailedAt.Equal(at) {
				t.Fatalf("ring %+v; want failed at %s with the reason", rp, at)
			}
		})
	}
}

func TestFailPromotionRefusesALandedPromotion(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	// global has two regions: one landed, the ring is promoting.
	s := ringstest.NewState(t, top, ringstest.After(mtEarlyPending,
		ringstest.Promote("r1", "early", "eu-west-1"), ringstest.Soak("r1", "early"), ringstest.Done("r1", "early"),
		ringstest.Promote("r1", "global", "us-west-2"))...)
	ringstest.Refused(t, s, rings.ErrConflict, func() error {
		return s.FailPromotion("r1", "global", rings.PromotionID("r1", "global", []string{"us-west-2"}), "x", ringstest.T0.Add(time.Hour))
	})
	if err := s.FailPromotion("r1", "global", rings.PromotionID("r1", "global", []string{"ap-northeast-1"}), "x", ringstest.T0.Add(time.Hour)); err != nil {
		t.Fatalf("promoting ring: %v", err)
	}
}

// A promotion that failed permanently is a failed ring like any other: the
// planner places the automatic halt with the reason and applies the
// rollback policy (automatic here: canary, done on the same version, is
// written back; early has nothing promoted).
func TestPlannerTreatsAFailedPromotionAsAFailedRing(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	s := ringstest.NewState(t, top, mtEarlyPending...)
	at := ringstest.T0.Add(time.Hour)
	reason := "cannot write the promotion: file apps/checkout/eu-west-1/values.yaml (region eu-west-1, yamlPath image.tag): path image.tag: key \"tag\" not found"
	if err := s.FailPromotion("r1", "early", rings.PromotionID("r1", "early", []string{"eu-west-1"}), reason, at); err != nil {
		t.Fatal(err)
	}
	plan := PlanNext(top, s, at)
	var halt, rollback *Action
	for i, a := range plan.Actions {
		switch a.Kind {
		case ActPlaceHalt:
			halt = &plan.Actions[i]
		case ActRollback:
			rollback = &plan.Actions[i]
		case ActPromote:
			t.Fatalf("planner promotes after a permanent failure: %+v", a)
		}
	}
	if halt == nil || !strings.Contains(halt.Reason, reason) || halt.Halt.Covers("r1", "checkout", "global", []string{"us-west-2"}) == false {
		t.Fatalf("halt %+v; want an automatic halt of the later rings with the reason", halt)
	}
	if rollback == nil || rollback.Ring != "canary" || rollback.Version != "1.0" {
		t.Fatalf("rollback %+v; want canary written back to 1.0", rollback)
	}
}

func TestPromotionRetryWaitsThenPromotesAndClears(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	s := ringstest.NewState(t, top, mtEarlyPending...)
	at := ringstest.T0.Add(time.Hour)
	pid := rings.PromotionID("r1", "early", []string{"eu-west-1"})
	next := at.Add(4 * time.Second)
	rt := rings.PromotionRetry{PromotionID: pid, Attempt: 3, Error: "push to git://git/x: dial tcp: connection refused", NextAttemptAt: next}
	if err := s.RecordPromotionRetry("r1", "early", rt, at); err != nil {
		t.Fatal(err)
	}
	// A retry recorded again (or by a deposed leader) is a conflict.
	ringstest.Refused(t, s, rings.ErrConflict, func() error { return s.RecordPromotionRetry("r1", "early", rt, at) })

	plan := PlanNext(top, s, at.Add(time.Second))
	if len(plan.Actions) != 0 {
		t.Fatalf("actions %+v before the next attempt; want none", plan.Actions)
	}
	var w *Wait
	for i := range plan.Waits {
		if plan.Waits[i].Reason == WaitRetry {
			w = &plan.Waits[i]
		}
	}
	if w == nil || w.Ring != "early" || !w.Until.Equal(next) || !strings.Contains(w.Detail, "retrying: push to git://git/x: dial tcp: connection refused (attempt 3)") {
		t.Fatalf("waits %+v; want a retry wait until %s saying retrying … (attempt 3)", plan.Waits, next)
	}
	if !plan.NextCheck.Equal(next) {
		t.Fatalf("next check %s; want %s", plan.NextCheck, next)
	}

	plan = PlanNext(top, s, next)
	if len(plan.Actions) != 1 || plan.Actions[0].Kind != ActPromote || plan.Actions[0].PromotionID != pid {
		t.Fatalf("actions %+v at the next attempt; want the promotion", plan.Actions)
	}
	if err := s.MarkPromoted("r1", "early", []string{"eu-west-1"}, pid, "c", next); err != nil {
		t.Fatal(err)
	}
	if rp := s.ReleaseByID("r1").Ring("early"); rp.Retry != nil {
		t.Fatalf("retry %+v left after the promotion landed", rp.Retry)
	}
}

func TestRecordPromotionRetryRefusesBadInput(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	at := ringstest.T0.Add(time.Hour)
	ok := rings.PromotionRetry{PromotionID: "p", Attempt: 1, Error: "timeout", NextAttemptAt: at.Add(time.Second)}
	mod := func(f func(*rings.PromotionRetry)) rings.PromotionRetry { r := ok; f(&r); return r }
	cases := []struct {
		name  string
		steps []ringstest.Step
		ring  string
		rt    rings.PromotionRetry
		want  error
	}{
		{"no promotion id", mtEarlyPending, "early", mod(func(r *rings.PromotionRetry) { r.PromotionID = "" }), rings.ErrTransition},
		{"attempt zero", mtEarlyPending, "early", mod(func(r *rings.PromotionRetry) { r.Attempt = 0 }), rings.ErrTransition},
		{"no error", mtEarlyPending, "early", mod(func(r *rings.PromotionRetry) { r.Error = "" }), rings.ErrTransition},
		{"next attempt in the past", mtEarlyPending, "early", mod(func(r *rings.PromotionRetry) { r.NextAttemptAt = at.Add(-time.Second) }), rings.ErrTransition},
		{"ring done", mtEarlyPending, "canary", ok, rings.ErrTransition},
		{"rollback not due", mtEarlyPending, "canary", mod(func(r *rings.PromotionRetry) { r.Rollback = true }), rings.ErrTransition},
		{"release scheduled", []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", "1.0")}, "canary", ok, rings.ErrTransition},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := ringstest.NewState(t, top, c.steps...)
			ringstest.Refused(t, s, c.want, func() error { return s.RecordPromotionRetry("r1", c.ring, c.rt, at) })
		})
	}
}

// A rollback that cannot be written halts the release with the reason and
// is not asked for again; the other rings are still rolled back. A
// transient rollback failure waits for its next attempt.
func TestFailedRollbackHaltsAndStopsAsking(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	at := ringstest.T0.Add(time.Hour)
	s := ringstest.NewState(t, top, ringstest.After(mtEarlyPending,
		ringstest.Promote("r1", "early", "eu-west-1"), ringstest.Soak("r1", "early"), ringstest.Fail("r1", "early"))...)
	rollbacks := func(now time.Time) []string {
		var out []string
		for _, a := range PlanNext(top, s, now).Actions {
			if a.Kind == ActRollback {
				out = append(out, a.Ring)
			}
		}
		return out
	}
	if got := rollbacks(at); len(got) != 2 {
		t.Fatalf("rollbacks %v; want early and canary", got)
	}
	rid := rings.RollbackID("r1", "early", []string{"eu-west-1"})
	rt := rings.PromotionRetry{PromotionID: rid, Rollback: true, Attempt: 1, Error: "502 Bad Gateway", NextAttemptAt: at.Add(time.Second)}
	if err := s.RecordPromotionRetry("r1", "early", rt, at); err != nil {
		t.Fatal(err)
	}
	if got := rollbacks(at); len(got) != 1 || got[0] != "canary" {
		t.Fatalf("rollbacks %v while early's rollback backs off; want canary only", got)
	}
	reason := "push to git://git/gitops: the server refused to update refs/heads/main: pre-receive hook declined"
	if err := s.FailRollbackWrite("r1", "early", rid, reason, at); err != nil {
		t.Fatal(err)
	}
	r := s.ReleaseByID("r1")
	if r.State != rings.ReleaseHalted || !strings.Contains(r.Reason, reason) || !strings.Contains(r.Reason, "ringctl release abort r1") {
		t.Fatalf("release %s %q; want halted with the reason and what to do", r.State, r.Reason)
	}
	if r.Ring("early").Retry != nil {
		t.Fatal("the rollback retry was not cleared")
	}
	later := at.Add(time.Hour)
	if got := rollbacks(later); len(got) != 1 || got[0] != "canary" {
		t.Fatalf("rollbacks %v after early's rollback failed; want canary only", got)
	}
	for _, a := range PlanNext(top, s, later).Actions {
		if a.Kind == ActSetReleaseState {
			t.Fatalf("planner changes the release's state again: %+v", a)
		}
	}
	// A second failure of the same rollback is a conflict.
	ringstest.Refused(t, s, rings.ErrConflict, func() error { return s.FailRollbackWrite("r1", "early", rid, reason, later) })
}
