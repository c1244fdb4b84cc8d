package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// TestBadReleaseFailsInFirstRing: a version the regions serve badly fails
// its canary analysis. No later ring is ever promoted, the canary is rolled
// back in Git, the onFailure halt is placed and the release ends
// rolled-back.
func TestBadReleaseFailsInFirstRing(t *testing.T) {
	rs := defaultRings()
	e := newEnv(t, envOptions{rings: rs, sim: true})
	id := e.create("checkout", "v2.0.0-bad")
	r := e.waitState(id, rings.ReleaseRolledBack, 90*time.Second)

	if st := r.Ring("canary").State; st != rings.RingRolledBack && st != rings.RingFailed {
		t.Errorf("canary is %s, want failed or rolled-back", st)
	}
	for _, ring := range []string{"early", "global"} {
		if got := len(e.forwardPromotions(t, id)[ring]); got != 0 {
			t.Errorf("ring %s of a failed release got %d promotion commits, want 0", ring, got)
		}
	}
	if got := len(e.rollbacks(t, id)["canary"]); got != 1 {
		t.Errorf("canary rollback commits: %d, want 1", got)
	}
	if got := e.versionIn("checkout", "us-east-1"); got != "v1.0.0" {
		t.Errorf("us-east-1 runs %q in Git after the rollback, want v1.0.0", got)
	}
	c, cancel := ctx()
	halts, err := e.admin().Halts(c, true)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	auto := 0
	for _, h := range halts {
		if h.Auto {
			auto++
		}
	}
	if auto == 0 {
		t.Errorf("no automatic halt placed after the canary failed (onFailure %s); active halts: %+v", topology.OnFailureHaltLaterRings, halts)
	}
	// Nothing of the bad version reaches a later ring afterwards either.
	e.neverPromoted(t, 4*time.Second, id, "early", "global")
	e.verifyHistory(t)
	e.checkExactlyOnce(t)
}

// TestGitServerDownDuringRelease: the git daemon goes away while canary
// soaks; the next promotion retries and lands once it is back.
func TestGitServerDownDuringRelease(t *testing.T) {
	rs := defaultRings()
	e, id, _ := soakingCanary(t, envOptions{rings: rs}, "v1.6.0", 60*time.Second)
	e.git.Stop()
	down := time.Now()
	// Longer than the canary soak: early is due while Git is away.
	e.never(rs[0].Soak+3*time.Second, "early to be recorded as promoted while Git is down", func() string {
		r, err := e.release(id)
		if err == nil && promotedBeyond(r, "canary") != "" {
			return ringStates(r)
		}
		return ""
	})
	if err := e.git.Start(); err != nil {
		t.Fatal(err)
	}
	r := e.waitState(id, rings.ReleaseCompleted, 90*time.Second)
	if p := r.Ring("early").Regions[0].PromotedAt; p.Before(down.Add(rs[0].Soak)) {
		t.Errorf("early promoted at %s, while Git was down", p)
	}
	e.checkReleased(t, r, rs, "v1.6.0")
	e.verifyHistory(t)
	e.checkExactlyOnce(t)
}

// TestPrometheusDownFailsClosed: Prometheus goes away while canary soaks.
// No ring advances on missing evidence: early is never promoted while
// Prometheus is down, and the release does not complete on that evidence.
func TestPrometheusDownFailsClosed(t *testing.T) {
	rs := defaultRings()
	rs[0].Soak = 6 * time.Second
	e, id, _ := soakingCanary(t, envOptions{rings: rs}, "v1.7.0", 60*time.Second)
	e.prom.Stop()
	e.never(rs[0].Soak+2*time.Second, "a ring to advance while Prometheus is down", func() string {
		r, err := e.release(id)
		if err != nil {
			return ""
		}
		if promotedBeyond(r, "canary") != "" || r.Ring("canary").State == rings.RingDone || r.State == rings.ReleaseCompleted {
			return ringStates(r)
		}
		return ""
	})
	if err := e.prom.Start(); err != nil {
		t.Fatal(err)
	}
	r := e.waitTerminal(id, 90*time.Second)
	switch r.State {
	case rings.ReleaseRolledBack:
		// Fail closed: the missing evidence failed the canary.
		if got := len(e.forwardPromotions(t, id)["early"]); got != 0 {
			t.Errorf("early got %d promotion commits after the canary failed closed", got)
		}
		t.Logf("canary failed closed while Prometheus was down: %s", r.Ring("canary").Reason)
	case rings.ReleaseCompleted:
		checkSoakOrder(t, r, rs)
	default:
		t.Errorf("release ended %s, want rolled-back (failed closed) or completed after Prometheus returned", r.State)
	}
	e.verifyHistory(t)
}

// TestKillLeaderDuringPush: Git is made slow so each push takes a while,
// and the leader is killed right as the early ring's push starts. A new
// leader finishes the release and no promotion commit is duplicated.
func TestKillLeaderDuringPush(t *testing.T) {
	rs := defaultRings()
	e, id, _ := soakingCanary(t, envOptions{rings: rs}, "v1.8.0", 60*time.Second)
	e.gitProxy.SetLatency(150 * time.Millisecond)
	// Canary done ⇒ the early promotion is being pushed now.
	e.waitRing(id, "canary", rings.RingDone, 60*time.Second)
	old := e.c.WaitLeader(t, 10*time.Second)
	old.Kill()
	e.gitProxy.SetLatency(0)
	e.c.WaitLeader(t, 15*time.Second, e.c.Others(old)...)
	r := e.waitState(id, rings.ReleaseCompleted, 90*time.Second)
	e.checkReleased(t, r, rs, "v1.8.0")
	e.verifyHistory(t)
	e.rejoinCompleted(t, old, id)
}

// TestTopologyChangesFromGit: a region added to the topology in Git in the
// middle of a release is adopted; an invalid topology pushed afterwards
// leaves the last good one in force, and releases keep working.
func TestTopologyChangesFromGit(t *testing.T) {
	rs := defaultRings()
	e := newEnv(t, envOptions{rings: rs, sim: true, extraRegions: []string{"sa-east-1"}})
	id := e.create("checkout", "v1.9.0")
	e.waitRing(id, "canary", rings.RingSoaking, 60*time.Second)

	// Add sa-east-1 to the global ring, in Git.
	e.topo.Regions = append(e.topo.Regions, "sa-east-1")
	e.topo.Rings[2].Regions = append(e.topo.Rings[2].Regions, "sa-east-1")
	e.writeTopology("e2e: add sa-east-1 to the global ring")
	e.waitTopology()
	good := e.topologyRevision()

	r := e.waitState(id, rings.ReleaseCompleted, 90*time.Second)
	t.Logf("in-flight release global ring regions after the change: %d (sa-east-1 promoted: %v)",
		len(r.Ring("global").Regions), r.Ring("global").Region("sa-east-1") != nil && r.Ring("global").Region("sa-east-1").Promoted())

	// An invalid topology: a ring naming a region that does not exist.
	bad := e.topo.render()
	bad = strings.Replace(bad, "regions: [us-east-1]", "regions: [us-east-1, nowhere-1]", 1)
	e.commit("e2e: an invalid topology", map[string]string{topologyPath: bad})
	e.never(3*time.Second, "the invalid topology to replace the good one", func() string {
		if rev := e.topologyRevision(); rev != good {
			return "revision " + rev + ", want " + good
		}
		return ""
	})
	// The last good topology still works: a new release reaches sa-east-1.
	id2 := e.create("checkout", "v1.9.1")
	r2 := e.waitState(id2, rings.ReleaseCompleted, 90*time.Second)
	checkSoakOrder(t, r2, e.topo.Rings)
	if got := e.versionIn("checkout", "sa-east-1"); got != "v1.9.1" {
		t.Errorf("sa-east-1 runs %q in Git, want v1.9.1 (the region added to the topology)", got)
	}
	e.verifyHistory(t)
}

// topologyRevision is the revision of the topology in force.
func (e *env) topologyRevision() string {
	e.t.Helper()
	c, cancel := ctx()
	defer cancel()
	tr, err := e.admin().Topology(c)
	if err != nil {
		e.t.Fatal(err)
	}
	return tr.Revision
}

// waitTerminal polls until release id reaches a terminal state.
func (e *env) waitTerminal(id string, timeout time.Duration) *rings.Release {
	e.t.Helper()
	var r *rings.Release
	e.eventually(timeout, "release "+id+" to end", func() string {
		got, err := e.release(id)
		if err != nil {
			return err.Error()
		}
		r = got
		if !got.State.Terminal() {
			return string(got.State) + " " + ringStates(got)
		}
		return ""
	})
	return r
}
