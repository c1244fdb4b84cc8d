package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// verifyRollback decides about the rolled-back, not yet settled regions of
// a rolling-back ring: ActVerifyRollback for those whose evidence shows the
// previous version running well, ActFailRollback (with a halt on them) for
// those past policy.rollback.timeout since their rollback commit, and a
// WaitRollback for the rest. It reports whether any region is unsettled.
func (p *planner) verifyRollback(r *rings.Release, rp *rings.RingProgress) bool {
	if rp.State != rings.RingRollingBack {
		return false
	}
	pol := p.policyOf(r).Rollback
	timeout := pol.Timeout.D()
	if timeout <= 0 {
		timeout = topology.DefaultRollbackTimeout.D()
	}
	verify := pol.Verify.D()
	var (
		verified, failing, waiting []string
		failDetails, waitDetails   []string
		until                      time.Time
	)
	for _, g := range rp.Regions {
		if !g.RolledBack() || g.RollbackVerified() || !g.RollbackFailedAt.IsZero() {
			continue
		}
		deadline := g.RolledBackAt.Add(timeout)
		region, ok := p.t.RegionByName(g.Name)
		switch {
		case !ok || !region.HasHealthSources():
			verified = append(verified, g.Name) // nothing to observe: the commit is all there is
		case rollbackEvidenceGood(g, verify):
			verified = append(verified, g.Name)
		case !p.now.Before(deadline):
			failing = append(failing, g.Name)
			failDetails = append(failDetails, g.Name+": "+rollbackShortfall(g, verify))
		default:
			waiting = append(waiting, g.Name)
			waitDetails = append(waitDetails, g.Name+": "+rollbackShortfall(g, verify)+"; fails at "+stamp(deadline))
			if until.IsZero() || deadline.Before(until) {
				until = deadline
			}
		}
	}
	if len(verified) > 0 {
		p.act(Action{Kind: ActVerifyRollback, ReleaseID: r.ID, App: r.App, Ring: rp.Name, Regions: verified,
			Reason: fmt.Sprintf("%s %s the previous version synced, healthy and passing its checks for %s", strings.Join(verified, ", "), plural(len(verified), "runs", "run"), topology.Duration(verify))})
	}
	if len(failing) > 0 {
		p.act(Action{Kind: ActFailRollback, ReleaseID: r.ID, App: r.App, Ring: rp.Name, Regions: failing,
			Halt: &rings.HaltScope{Regions: failing},
			Reason: fmt.Sprintf("rollback of %s %s in ring %s did not verify within %s: %s; the regions are halted: look at them, then resume the halt",
				r.App, r.Version, rp.Name, topology.Duration(timeout), strings.Join(failDetails, "; "))})
	}
	if len(waiting) > 0 {
		p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: waiting, Reason: WaitRollback, Until: until,
			Detail: "verifying the rollback: " + strings.Join(waitDetails, "; ")})
	}
	return len(verified)+len(failing)+len(waiting) > 0
}

// rollbackEvidenceGood reports whether a rolled-back region's evidence
// verifies its rollback: synced and healthy at the rollback commit, and,
// unless verify is 0s, an unbroken run of good observations (checks
// passing) spanning verify.
func rollbackEvidenceGood(g rings.RegionProgress, verify time.Duration) bool {
	if verify <= 0 {
		return !g.ObservedAt.IsZero() && g.Synced && g.Healthy
	}
	return !g.RollbackGoodSince.IsZero() && g.ObservedAt.Sub(g.RollbackGoodSince) >= verify
}

// rollbackShortfall says what a rolled-back region's evidence still lacks.
func rollbackShortfall(g rings.RegionProgress, verify time.Duration) string {
	switch {
	case g.ObservedAt.IsZero():
		return "no evidence since the rollback commit"
	case !g.Synced:
		return "not synced at the rollback commit (" + g.Reason + ")"
	case !g.Healthy:
		return "not healthy (" + g.Reason + ")"
	case g.LastCheck != nil && !g.LastCheck.Pass:
		return "check failing: " + describeCheck(*g.LastCheck)
	case g.RollbackGoodSince.IsZero():
		return "no good observation yet"
	default:
		return fmt.Sprintf("good for %s of the %s verify period", topology.Duration(g.ObservedAt.Sub(g.RollbackGoodSince)), topology.Duration(verify))
	}
}

// describeCheck renders an analysis result for a reason: its check, value
// and threshold, or its own reason when it has one.
func describeCheck(o rings.Observation) string {
	if o.Reason != "" {
		return fmt.Sprintf("%s: %s", o.Check, o.Reason)
	}
	return fmt.Sprintf("%s = %g, want %s", o.Check, o.Value, o.Threshold)
}
