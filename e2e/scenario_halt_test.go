package e2e

import (
	"fmt"
	"testing"
	"time"

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
