package planner

import (
	"github.com/ringleader-dev/ringleader/rings"
)

// retryLater reports whether the last transient failure of rp's promotion
// (rollback when rollback is set) asks to wait, and records the wait.
func (p *planner) retryLater(r *rings.Release, rp *rings.RingProgress, rollback bool) bool {
	rt := rp.Retry
	if rt == nil || rt.Rollback != rollback || !p.now.Before(rt.NextAttemptAt) {
		return false
	}
	p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Reason: WaitRetry, Until: rt.NextAttemptAt,
		Detail: rt.Text() + "; next attempt at " + stamp(rt.NextAttemptAt)})
	return true
}
