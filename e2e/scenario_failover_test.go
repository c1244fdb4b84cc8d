package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/rings"
)

// TestLeaderKilledDuringSoak: SIGKILL of the leader while canary soaks; a
// new leader finishes the release, no promotion is recorded twice and the
// canary soak deadline is kept (not restarted, not cut short).
func TestLeaderKilledDuringSoak(t *testing.T) {
	rs := defaultRings()
	e, id, soakStart := soakingCanary(t, envOptions{rings: rs}, "v1.3.0", 30*time.Second)

	old := e.c.WaitLeader(t, 10*time.Second)
	old.Kill()
	newLeader := e.c.WaitLeader(t, 15*time.Second, e.c.Others(old)...)
	if newLeader == old {
		t.Fatalf("killed leader %s still reported as leader", old.ID)
	}
	r := e.waitState(id, rings.ReleaseCompleted, 90*time.Second)
	if got := r.Ring("canary").SoakStartedAt; !got.Equal(soakStart) {
		t.Errorf("canary soak restarted by the new leader: %s before, %s after", soakStart.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano))
	}
	// The deadline is kept: canary is done at its soak deadline plus at
	// most a failover and a reconcile pass, not a second full soak later.
	if took := r.Ring("canary").DoneAt.Sub(soakStart); took > rs[0].Soak+rs[0].Soak/2+3*time.Second {
		t.Errorf("canary done %s after its soak started (soak %s): the deadline slipped across the failover", took, rs[0].Soak)
	}
	e.checkReleased(t, r, rs, "v1.3.0")
	e.verifyHistory(t)

	e.rejoinCompleted(t, old, id)
}

// TestLeaderPartitionedFromMajority: the leader is cut off from both
// followers in the middle of a release. It must commit nothing after it
// loses quorum; the majority elects a leader and finishes the release;
// after healing every node holds one and the same history.
func TestLeaderPartitionedFromMajority(t *testing.T) {
	rs := defaultRings()
	e, id, _ := soakingCanary(t, envOptions{rings: rs}, "v1.4.0", 30*time.Second)

	old := e.c.WaitLeader(t, 10*time.Second)
	majority := e.c.Others(old)
	e.c.Isolate(old)
	e.cutOff = old
	cut := time.Now()

	newLeader := e.c.WaitLeader(t, 20*time.Second, majority...)
	// A write sent to the isolated old leader must not be acknowledged.
	c, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	_, err := old.Client(e.c.AdminToken).PlaceHalt(c, apiclient.HaltRequest{HaltScope: rings.HaltScope{Apps: []string{"ledger"}}, Reason: "e2e: written to the minority"})
	cancel()
	if err == nil {
		t.Errorf("the isolated old leader %s acknowledged a halt without a quorum", old.ID)
	}

	r := e.waitState(id, rings.ReleaseCompleted, 90*time.Second)
	e.checkReleased(t, r, rs, "v1.4.0")
	// The deposed leader pushed nothing once it could have known it lost
	// its quorum (its lease, plus a margin for the push in flight).
	grace := cut.Add(2 * time.Second).Unix()
	for _, c := range e.promotionCommits(t) {
		if c.Author == "ringd-"+old.ID && c.Unix > grace {
			t.Errorf("the isolated old leader %s pushed %.12s (%s) at %d, after losing its quorum at %d", old.ID, c.Hash, c.Subject, c.Unix, cut.Unix())
		}
	}
	e.verifyHistory(t)
	// The old leader applied nothing proposed after the cut that the
	// majority does not have: compare once healed.
	e.c.Heal()
	e.cutOff = nil
	e.c.WaitHealthy(t, 30*time.Second)
	e.waitAllAgree(t, id, rings.ReleaseCompleted)
	e.checkExactlyOnce(t)
	e.checkSameAudit(t)
	t.Logf("old leader %s isolated at %s; %s took over", old.ID, cut.Format(time.RFC3339Nano), newLeader.ID)
}

// TestWholeClusterRestartMidRelease: every node is stopped (SIGTERM) while
// canary soaks and started again; the release resumes and completes.
func TestWholeClusterRestartMidRelease(t *testing.T) {
	rs := defaultRings()
	e, id, soakStart := soakingCanary(t, envOptions{rings: rs}, "v1.5.0", 30*time.Second)
	for _, n := range e.c.Nodes {
		n.Kill()
	}
	for _, n := range e.c.Nodes {
		if err := n.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	e.c.WaitHealthy(t, 60*time.Second)
	r := e.waitState(id, rings.ReleaseCompleted, 90*time.Second)
	if got := r.Ring("canary").SoakStartedAt; !got.Equal(soakStart) {
		t.Errorf("canary soak restarted after the cluster restart: %s before, %s after", soakStart.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano))
	}
	e.checkReleased(t, r, rs, "v1.5.0")
	e.verifyHistory(t)
	e.waitAllAgree(t, id, rings.ReleaseCompleted)
	e.checkExactlyOnce(t)
}

// rejoinCompleted restarts n, a node stopped during release id: it catches
// up, every node agrees the release completed, and no promotion landed
// twice.
func (e *env) rejoinCompleted(t *testing.T, n *harness.Node, id string) {
	t.Helper()
	if err := n.Restart(); err != nil {
		t.Fatal(err)
	}
	e.waitAllAgree(t, id, rings.ReleaseCompleted)
	e.checkExactlyOnce(t)
}

// waitAllAgree polls until every live node reports release id in state.
func (e *env) waitAllAgree(t *testing.T, id string, state rings.ReleaseState) {
	t.Helper()
	harness.Eventually(t, 30*time.Second, "every node to agree on "+id, func() error {
		for _, n := range e.c.Alive() {
			c, cancel := ctx()
			d, err := n.Client(e.c.AdminToken).Release(c, id)
			cancel()
			if err != nil {
				return fmt.Errorf("%s: %w", n.ID, err)
			}
			if d.State != state {
				return fmt.Errorf("%s says %s", n.ID, d.State)
			}
		}
		return nil
	})
}

// checkSameAudit: every live node holds the same decisions, index by
// index (one history).
func (e *env) checkSameAudit(t *testing.T) {
	t.Helper()
	var ref []apiclient.AuditEntry
	var refID string
	harness.Eventually(t, 30*time.Second, "every node to hold the same audit trail", func() error {
		ref, refID = nil, ""
		for _, n := range e.c.Alive() {
			c, cancel := ctx()
			l, err := n.Client(e.c.AdminToken).Audit(c, apiclient.AuditQuery{Limit: apiclient.MaxAuditLimit})
			cancel()
			if err != nil {
				return err
			}
			got := decisions(l.Entries)
			if ref == nil {
				ref, refID = got, n.ID
				continue
			}
			if len(got) != len(ref) {
				return fmt.Errorf("%s holds %d decisions, %s holds %d", n.ID, len(got), refID, len(ref))
			}
			for i := range got {
				if got[i].Index != ref[i].Index || got[i].Type != ref[i].Type || got[i].RequestID != ref[i].RequestID {
					return fmt.Errorf("decision %d differs: %s has %d %s %s, %s has %d %s %s", i, n.ID, got[i].Index, got[i].Type, got[i].RequestID,
						refID, ref[i].Index, ref[i].Type, ref[i].RequestID)
				}
			}
		}
		return nil
	})
}

// decisions drops health observations (kept by a separate, smaller
// retention) from an audit trail.
func decisions(es []apiclient.AuditEntry) []apiclient.AuditEntry {
	var out []apiclient.AuditEntry
	for _, a := range es {
		if a.Type != command.CmdObserve && a.Type != command.CmdRecordBudget {
			out = append(out, a)
		}
	}
	return out
}

// TestBatchSurvivesLeaderKilledBetweenPushAndRecord: a train's canary
// promotions land as one batch commit; the leader dies before recording
// any of them. The new leader finds each promotion in that commit, records
// it without pushing again, and the releases complete: no promotion twice
// in Git or in the audit trail, and verify-history passes the history with
// its batch commits.
func TestBatchSurvivesLeaderKilledBetweenPushAndRecord(t *testing.T) {
	e, rs, ids, hang := trainWith(t, hangAfterBatchPushEnv)

	waitFile(t, hang, "the leader to push a batch and stop before recording it")
	batches := e.batchCommits(t)
	if len(batches) != 1 || promotedApps(batches[0]) != "checkout@canary,ledger@canary,search@canary" {
		t.Fatalf("batch commits before the kill: %d (%v); want one carrying every app's canary promotion", len(batches), batches)
	}
	batch := batches[0]
	old := e.c.WaitLeader(t, 10*time.Second)
	old.Kill()
	if n := e.c.WaitLeader(t, 15*time.Second, e.c.Others(old)...); n == old {
		t.Fatalf("killed leader %s still reported as leader", old.ID)
	}

	for _, app := range apps {
		r := e.waitState(ids[app], rings.ReleaseCompleted, 120*time.Second)
		e.checkReleased(t, r, rs, "v2.0.0")
		if got := e.forwardPromotions(t, ids[app])["canary"]; len(got) != 1 || got[0].Hash != batch.Hash {
			t.Errorf("%s's canary promotion: %d commits, want exactly the batch commit %.12s", app, len(got), batch.Hash)
		}
	}
	rep := e.verifyHistory(t)
	if want := len(apps) * len(rs); rep.Promotions != want {
		t.Errorf("verify-history saw %d promotions, want %d (every app, every ring)", rep.Promotions, want)
	}
	e.checkExactlyOnce(t)
}
