package planner

import (
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
)

// TestAutomaticRollbackCoversEarlierRings: when a later ring fails, the
// earlier rings run the same version, so automatic rollback writes every one
// of them back and the release ends rolled-back only when all have landed.
func TestAutomaticRollbackCoversEarlierRings(t *testing.T) {
	topo := ringstest.Topology(t)
	s := &rings.State{}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) // a Monday, inside the window
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		at = at.Add(time.Minute)
	}
	_, err := s.CreateRelease(topo, "r1", "checkout", "v2-bad", "", "", time.Time{}, at, "tester", "v1")
	step("create", err)
	step("start", s.StartRelease("r1", at))
	step("promote canary", s.MarkPromoted("r1", "canary", []string{"us-east-1"}, "p-canary", "c1", at))
	step("soak canary", s.StartSoak("r1", "canary", at))
	step("canary done", s.CompleteRing("r1", "canary", at))
	step("approve early", s.Approve("r1", "early", "alice", "ok", at))
	step("promote early", s.MarkPromoted("r1", "early", []string{"eu-west-1"}, "p-early", "c2", at))
	step("soak early", s.StartSoak("r1", "early", at))
	step("fail early", s.FailRing("r1", "early", "success-rate below 99", at))

	rollbacks := func() map[string]Action {
		out := map[string]Action{}
		for _, a := range PlanNext(topo, s, at).Actions {
			if a.Kind == ActRollback {
				out[a.Ring] = a
			}
		}
		return out
	}
	got := rollbacks()
	for _, ring := range []string{"early", "canary"} {
		a, ok := got[ring]
		if !ok {
			t.Fatalf("no rollback of ring %s; actions %v", ring, PlanNext(topo, s, at).Actions)
		}
		if a.Version != "v1" {
			t.Errorf("rollback of %s writes %q, want v1", ring, a.Version)
		}
	}
	if len(got) != 2 {
		t.Errorf("rollbacks %v, want early and canary only", got)
	}

	// The early rollback lands first: the release is not over while canary
	// still runs the bad version, and the planner keeps asking for it.
	e := got["early"]
	step("early rolled back", s.MarkRolledBack("r1", "early", e.Regions, e.PromotionID, "c3", at))
	if st := s.ReleaseByID("r1").State; st == rings.ReleaseRolledBack {
		t.Fatalf("release rolled back while canary still runs v2-bad")
	}
	again := rollbacks()
	if _, ok := again["canary"]; !ok || len(again) != 1 {
		t.Fatalf("after early landed, rollbacks %v, want canary only", again)
	}
	c := again["canary"]
	step("canary rolled back", s.MarkRolledBack("r1", "canary", c.Regions, c.PromotionID, "c4", at))
	// Landed is not done: the release ends once canary's region (the only
	// one with health sources) ran the old version well for the verify
	// period; early has no source, so its commit verifies it.
	if st := s.ReleaseByID("r1").State; st.Terminal() {
		t.Fatalf("release %s before canary's rollback was verified", st)
	}
	for range 3 {
		ok := &rings.Observation{Check: "success-rate", Value: 99.9, Threshold: ">= 99", Pass: true, At: at}
		step("canary reports the old version", s.Observe("r1", "canary", "us-east-1", true, true, "Healthy", ok, at))
	}
	for _, a := range PlanNext(topo, s, at).Actions {
		if a.Kind == ActVerifyRollback {
			step("verify "+a.Ring, s.VerifyRollback("r1", a.Ring, a.Regions, at))
		}
	}
	r := s.ReleaseByID("r1")
	if r.State != rings.ReleaseRolledBack {
		t.Errorf("release state %s, want rolled-back", r.State)
	}
	if g := r.Ring("canary").Region("us-east-1"); !g.RolledBack() {
		t.Errorf("canary region not marked rolled back: %+v", g)
	}
	if len(rollbacks()) != 0 {
		t.Errorf("rollbacks asked for a rolled-back release")
	}
}

// TestFailReasonNamesWhyTheLastCheckFailed: a ring failed by an outage says
// so ("unreachable"), rather than quoting a zero value against a threshold
// as if a real measurement had failed.
func TestFailReasonNamesWhyTheLastCheckFailed(t *testing.T) {
	topo := ringstest.Topology(t)
	s := &rings.State{}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.CreateRelease(topo, "r1", "checkout", "v2", "", "", time.Time{}, at, "tester", "v1")
	must(err)
	must(s.StartRelease("r1", at))
	must(s.MarkPromoted("r1", "canary", []string{"us-east-1"}, "p1", "c1", at))
	must(s.Observe("r1", "canary", "us-east-1", true, true, "", nil, at))
	must(s.StartSoak("r1", "canary", at))
	for i := 0; i < topo.Spec.Policy.Analysis.FailureThreshold; i++ {
		o := &rings.Observation{Region: "us-east-1", Check: "success-rate", Threshold: ">= 99", Reason: "prometheus unreachable: connection refused", At: at}
		must(s.Observe("r1", "canary", "us-east-1", true, true, "", o, at))
	}
	for _, a := range PlanNext(topo, s, at).Actions {
		if a.Kind == ActFailRing {
			if !strings.Contains(a.Reason, "prometheus unreachable") || strings.Contains(a.Reason, "= 0") {
				t.Errorf("fail reason %q; want the outage named, not a zero value", a.Reason)
			}
			return
		}
	}
	t.Fatalf("no fail-ring action after %d failed checks", topo.Spec.Policy.Analysis.FailureThreshold)
}
