package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/rings"
)

// TestGlobalHaltDuringSoak: `ringctl halt --global` during canary's soak
// stops every later promotion until `ringctl resume`; the release then
// continues from where it was, the canary soak not restarted.
func TestGlobalHaltDuringSoak(t *testing.T) {
	rs := defaultRings()
	e, id, soakStart := soakingCanary(t, envOptions{rings: rs}, "v1.2.0", 30*time.Second)

	out := e.ringctlRetry(e.c.ICToken, "-o", "json", "halt", "--global", "--reason", "e2e: incident during canary soak")
	halt := haltID(t, out)
	landed := len(e.promotionCommits(t))

	// Hold the halt for longer than the canary soak: nothing may move on.
	window := rs[0].Soak + 2*time.Second
	e.never(window, "a ring to move on while the global halt "+halt+" is active", func() string {
		r, err := e.release(id)
		if err != nil {
			return "read release during the halt: " + err.Error()
		}
		if ring := promotedBeyond(r, "canary"); ring != "" {
			return fmt.Sprintf("ring %s was promoted: %s", ring, ringStates(r))
		}
		if n := len(e.promotionCommits(t)); n != landed {
			return fmt.Sprintf("%d promotion commits landed in Git", n-landed)
		}
		return ""
	})
	heldUntil := time.Now()

	e.ringctlRetry(e.c.ICToken, "resume", halt, "--reason", "e2e: incident over")
	r := e.waitState(id, rings.ReleaseCompleted, 60*time.Second)
	if got := r.Ring("canary").SoakStartedAt; !got.Equal(soakStart) {
		t.Errorf("canary soak restarted: started %s before the halt, %s after", soakStart.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano))
	}
	if p := r.Ring("early").Regions[0].PromotedAt; p.Before(heldUntil) {
		t.Errorf("early promoted at %s, before the halt was resumed (after %s)", p.Format(time.RFC3339Nano), heldUntil.Format(time.RFC3339Nano))
	}
	e.checkReleased(t, r, rs, "v1.2.0")
	e.verifyHistory(t)
	e.checkExactlyOnce(t)
}

// TestHaltWhileABatchIsBuiltKeepsTheCoveredOut: a halt of one app is
// acknowledged while the leader holds a built batch before its push; the
// covered promotion stays out of Git, the others land together, and the
// halted app continues only after the resume.
func TestHaltWhileABatchIsBuiltKeepsTheCoveredOut(t *testing.T) {
	e, rs, ids, hold := trainWith(t, holdBatchEnv)

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
