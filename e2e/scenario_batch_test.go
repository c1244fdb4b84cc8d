package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/rings"
)

// ringd's test-only failpoints (internal/server/failpoints.go): each names
// a file and fires once per cluster.
const (
	holdBatchEnv          = "RINGLEADER_TEST_HOLD_BATCH"
	hangAfterBatchPushEnv = "RINGLEADER_TEST_HANG_AFTER_BATCH_PUSH"
)

// train releases every app at version in the same leader pass: a global
// halt holds the releases until all exist, and its resume lets their
// canary promotions fall due together. It returns app → release ID.
func (e *env) train(t *testing.T, version string) map[string]string {
	t.Helper()
	h := haltID(t, e.ringctlRetry(e.c.ICToken, "-o", "json", "halt", "--global", "--reason", "e2e: hold the train until every release exists"))
	ids := map[string]string{}
	for _, app := range apps {
		ids[app] = e.create(app, version)
	}
	e.ringctlRetry(e.c.ICToken, "resume", h, "--reason", "e2e: the train departs")
	return ids
}

// batchCommits are the commits of the history carrying two or more
// promotions.
func (e *env) batchCommits(t *testing.T) []harness.CommitRecord {
	t.Helper()
	all, err := e.git.Log(repoName)
	if err != nil {
		t.Fatal(err)
	}
	var out []harness.CommitRecord
	for _, c := range all {
		if len(c.Promotions) >= 2 {
			out = append(out, c)
		}
	}
	return out
}

// promotedApps lists the apps of a commit's promotions, in order.
func promotedApps(c harness.CommitRecord) string {
	var out []string
	for _, p := range c.Promotions {
		out = append(out, p["Ringleader-App"]+"@"+p[trailerRing])
	}
	return strings.Join(out, ",")
}

// waitFile waits for a failpoint's file.
func waitFile(t *testing.T, file, what string) {
	t.Helper()
	harness.Eventually(t, 60*time.Second, what, func() error {
		_, err := os.Stat(file)
		return err
	})
}

// TestBatchSurvivesLeaderKilledBetweenPushAndRecord: a train's canary
// promotions land as one batch commit; the leader dies before recording
// any of them. The new leader finds each promotion in that commit, records
// it without pushing again, and the releases complete: no promotion twice
// in Git or in the audit trail, and verify-history passes the history with
// its batch commits.
func TestBatchSurvivesLeaderKilledBetweenPushAndRecord(t *testing.T) {
	hang := filepath.Join(t.TempDir(), "batch-pushed")
	t.Setenv(hangAfterBatchPushEnv, hang)
	rs := defaultRings()
	e := newEnv(t, envOptions{rings: rs})
	ids := e.train(t, "v2.0.0")

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

// TestHaltWhileABatchIsBuiltKeepsTheCoveredOut: a halt of one app is
// acknowledged while the leader holds a built batch before its push; the
// covered promotion stays out of Git, the others land together, and the
// halted app continues only after the resume.
func TestHaltWhileABatchIsBuiltKeepsTheCoveredOut(t *testing.T) {
	hold := filepath.Join(t.TempDir(), "release-the-batch")
	t.Setenv(holdBatchEnv, hold)
	rs := defaultRings()
	e := newEnv(t, envOptions{rings: rs})
	ids := e.train(t, "v2.0.0")

	waitFile(t, hold+".held", "the leader to hold a built batch")
	if n := len(e.promotionCommits(t)); n != 0 {
		t.Fatalf("%d promotions in Git while the batch is held", n)
	}
	// The halt's answer waits for the fence write, which waits for the
	// held batch: place it in the background, release the batch once the
	// halt is in the replicated state, then take the answer.
	acked := make(chan string, 1)
	leader := e.c.WaitLeader(t, 10*time.Second)
	go func() {
		out, err := e.c.Ringctl(leader, e.c.ICToken, "-o", "json", "halt", "--app", "ledger", "--reason", "e2e: ledger incident while the batch is built")
		if err != nil {
			out = "error: " + err.Error() + ": " + out
		}
		acked <- out
	}()
	var h string
	harness.Eventually(t, 30*time.Second, "the ledger halt to be in the state", func() error {
		c, cancel := ctx()
		defer cancel()
		hs, err := e.admin().Halts(c, true)
		if err != nil {
			return err
		}
		for _, x := range hs {
			if len(x.Scope.Apps) == 1 && x.Scope.Apps[0] == "ledger" {
				h = x.ID
				return nil
			}
		}
		return fmt.Errorf("no ledger halt among %d active halts", len(hs))
	})
	if err := os.WriteFile(hold, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := <-acked; !strings.Contains(out, "{") || haltID(t, out) != h {
		t.Fatalf("halt answer %q, want halt %s", out, h)
	}

	harness.Eventually(t, 60*time.Second, "the uncovered promotions to land", func() error {
		if b := e.batchCommits(t); len(b) == 0 {
			return fmt.Errorf("no batch commit yet")
		}
		return nil
	})
	if got := promotedApps(e.batchCommits(t)[0]); got != "checkout@canary,search@canary" {
		t.Errorf("first batch carries %s, want checkout and search without the halted ledger", got)
	}
	e.neverPromoted(t, 3*time.Second, ids["ledger"], "canary", "early", "global")

	e.ringctlRetry(e.c.ICToken, "resume", h, "--reason", "e2e: ledger incident over")
	for _, app := range apps {
		r := e.waitState(ids[app], rings.ReleaseCompleted, 120*time.Second)
		e.checkReleased(t, r, rs, "v2.0.0")
	}
	e.verifyHistory(t)
	e.checkExactlyOnce(t)
}
