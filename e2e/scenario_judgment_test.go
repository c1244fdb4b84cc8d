package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// TestBadRegionInMultiRegionRingFailsIt: canary is [us-east-1, us-west-2];
// us-west-2 answers 50 % 5xx while us-east-1 is fine. Per-region analysis
// fails the ring within failureThreshold × interval plus one interval of
// its soak start, naming us-west-2; both regions are rolled back and the
// rollback is verified before the release is rolled-back; no later ring is
// ever promoted.
func TestBadRegionInMultiRegionRingFailsIt(t *testing.T) {
	rs := []ringSpec{
		{Name: "canary", Regions: []string{"us-east-1", "us-west-2"}, Soak: 20 * time.Second},
		{Name: "early", Regions: []string{"eu-west-1"}, Soak: 3 * time.Second},
		{Name: "global", Regions: []string{"ap-south-1"}, Soak: 0},
	}
	e := newEnv(t, envOptions{rings: rs, sim: true})
	e.sim.control(t, "/v1/regions/us-west-2/errors?ratio=0.5")
	id := e.create("checkout", "v2.0.0")

	r := e.waitRing(id, "canary", rings.RingRollingBack, 60*time.Second)
	canary := r.Ring("canary")
	// failureThreshold 2 × interval 1s + one interval, measured on the
	// leader's clock as replicated.
	if took := canary.FailedAt.Sub(canary.SoakStartedAt); took > 3*time.Second {
		t.Errorf("canary failed %s after its soak started; want within 3s (2 checks of 1s + 1s)", took)
	}
	if !strings.Contains(canary.Reason, "us-west-2") || !strings.Contains(canary.Reason, "error-ratio") {
		t.Errorf("canary's failure %q does not name us-west-2 and its check", canary.Reason)
	}
	// The bad region recovers once it runs the old version again.
	e.sim.control(t, "/v1/regions/us-west-2/errors?ratio=-1")
	r = e.waitState(id, rings.ReleaseRolledBack, 90*time.Second)
	for _, g := range r.Ring("canary").Regions {
		if !g.RollbackVerified() {
			t.Errorf("%s: rollback not verified in a rolled-back release: %+v", g.Name, g)
		}
		if got := e.versionIn("checkout", g.Name); got != "v1.0.0" {
			t.Errorf("%s runs %q in Git after the rollback, want v1.0.0", g.Name, got)
		}
	}
	var rolledBack []string
	for _, c := range e.rollbacks(t, id)["canary"] {
		rolledBack = append(rolledBack, strings.Split(c.Trailers[trailerRegions], ",")...)
	}
	slices.Sort(rolledBack)
	if !slices.Equal(rolledBack, []string{"us-east-1", "us-west-2"}) {
		t.Errorf("rollback commits cover %v, want both canary regions", rolledBack)
	}
	e.neverPromoted(t, 3*time.Second, id, "early", "global")
	e.verifyHistory(t)
	e.checkExactlyOnce(t)
}

// TestRollbackThatDoesNotRecoverFails: us-east-1 is held degraded by the
// simulator whatever it runs. Canary fails, its rollback lands, the leader
// is killed while the rollback is being verified, and the new leader keeps
// the deadline: the release ends rollback-failed at policy.rollback.timeout
// with a halt on us-east-1 still in force, first in the status.
func TestRollbackThatDoesNotRecoverFails(t *testing.T) {
	rs := defaultRings()
	const timeout = 12 * time.Second
	e := newEnv(t, envOptions{rings: rs, sim: true, rollbackTimeout: timeout})
	e.sim.control(t, "/v1/regions/us-east-1/degrade?on=true")
	id := e.create("checkout", "v2.0.0")

	e.waitRing(id, "canary", rings.RingRollingBack, 60*time.Second)
	old := e.c.WaitLeader(t, 10*time.Second)
	old.Kill()
	e.c.WaitLeader(t, 15*time.Second, e.c.Others(old)...)

	r := e.waitState(id, rings.ReleaseRollbackFailed, 90*time.Second)
	g := r.Ring("canary").Region("us-east-1")
	if after := g.RollbackFailedAt.Sub(g.RolledBackAt); after < timeout || after > timeout+5*time.Second {
		t.Errorf("rollback failed %s after it landed; want at the %s timeout (plus a pass), kept across the failover", after, timeout)
	}
	if got := e.versionIn("checkout", "us-east-1"); got != "v1.0.0" {
		t.Errorf("us-east-1 runs %q in Git, want the rollback's v1.0.0", got)
	}
	c, cancel := ctx()
	st, err := e.admin().Status(c, false)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Attention) != 1 || st.Attention[0].ReleaseID != id || !slices.Equal(st.Attention[0].Regions, []string{"us-east-1"}) {
		t.Fatalf("status attention %+v; want the failed rollback of us-east-1", st.Attention)
	}
	held := false
	for _, h := range st.Halts {
		held = held || (h.Active() && h.Auto && slices.Contains(h.Scope.Regions, "us-east-1"))
	}
	if !held {
		t.Errorf("no active automatic halt on us-east-1 after the rollback failed: %+v", st.Halts)
	}
	// A new release into the halted region stays out of it.
	next := e.create("checkout", "v2.0.1")
	e.neverPromoted(t, 4*time.Second, next, "canary")
	e.verifyHistory(t)
}
