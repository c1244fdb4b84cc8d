package planner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// degraded returns a fail-ring action when a promoted region of rp was
// observed unhealthy with a reason containing "Degraded" (Argo CD's health
// status for a broken rollout): no point waiting for the sync timeout.
func (p *planner) degraded(r *rings.Release, rp *rings.RingProgress) bool {
	for _, g := range rp.Regions {
		if g.Promoted() && !g.ObservedAt.IsZero() && !g.Healthy && strings.Contains(g.Reason, "Degraded") {
			p.act(Action{Kind: ActFailRing, ReleaseID: r.ID, App: r.App, Ring: rp.Name, Regions: []string{g.Name},
				Reason: fmt.Sprintf("region %s is degraded: %s", g.Name, g.Reason)})
			return true
		}
	}
	return false
}

// syncing starts the soak once every promoted region is synced and healthy.
func (p *planner) syncing(r *rings.Release, i int) {
	rp := &r.Rings[i]
	if p.degraded(r, rp) {
		return
	}
	var (
		last                       time.Time
		notReady, noEvidence, bare []string
		details                    []string
		progress                   []string // in-progress regions, also in details
	)
	for _, g := range rp.Regions {
		if g.PromotedAt.After(last) {
			last = g.PromotedAt
		}
		region, ok := p.t.RegionByName(g.Name)
		if !ok || !region.HasHealthSources() {
			bare = append(bare, g.Name)
			continue
		}
		switch {
		case g.Synced && g.Healthy:
		case g.ObservedAt.IsZero():
			noEvidence = append(noEvidence, g.Name)
		case g.InProgress:
			notReady = append(notReady, g.Name)
			details = append(details, progressText(g))
			progress = append(progress, progressText(g))
		default:
			notReady = append(notReady, g.Name)
			details = append(details, fmt.Sprintf("%s synced=%t healthy=%t %s", g.Name, g.Synced, g.Healthy, g.Reason))
		}
	}
	if len(notReady)+len(noEvidence) == 0 {
		reason := "every region is synced and healthy"
		if len(bare) > 0 {
			reason += fmt.Sprintf("; %s %s no health source and %s on soak time alone", strings.Join(bare, ", "), plural(len(bare), "has", "have"), plural(len(bare), "advances", "advance"))
		}
		p.act(Action{Kind: ActStartSoak, ReleaseID: r.ID, App: r.App, Ring: rp.Name, Reason: reason})
		return
	}
	var deadline time.Time
	if to := p.ringSpec(rp.Name).SyncTimeout.D(); to > 0 {
		deadline = last.Add(to)
		if !p.now.Before(deadline) {
			waiting := append(append([]string{}, noEvidence...), notReady...)
			reason := fmt.Sprintf("sync timeout: %s not synced and healthy within %s of the last promotion", strings.Join(waiting, ", "), to)
			if len(progress) > 0 {
				reason += "; still " + strings.Join(progress, "; ")
			}
			p.act(Action{Kind: ActFailRing, ReleaseID: r.ID, App: r.App, Ring: rp.Name, Regions: waiting, Reason: reason})
			return
		}
	}
	if len(noEvidence) > 0 {
		p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: noEvidence, Reason: WaitEvidence, Until: deadline,
			Detail: "no sync or health evidence yet" + deadlineText(deadline)})
	}
	if len(notReady) > 0 {
		p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: notReady, Reason: WaitSync, Until: deadline,
			Detail: strings.Join(details, "; ") + deadlineText(deadline)})
	}
}

func deadlineText(deadline time.Time) string {
	if deadline.IsZero() {
		return ""
	}
	return "; the ring fails at " + stamp(deadline)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// soakEvidenceMissing says why a ring whose soak time is over may not
// complete yet, or "" when every region's latest evidence is good: no
// failed check in a row, and, for a region with a health source, last seen
// healthy. A monitoring outage is recorded as failing evidence by the
// leader loop, so it holds the ring (and fails it at the threshold)
// instead of letting the soak run out.
func (p *planner) soakEvidenceMissing(rp *rings.RingProgress) string {
	for _, g := range rp.Regions {
		if g.ConsecutiveFailures > 0 {
			last := ""
			if g.LastCheck != nil && !g.LastCheck.Pass {
				last = " (" + describeCheck(*g.LastCheck) + ")"
			}
			return fmt.Sprintf("ring %s soaked its window but the last %d %s of region %s failed%s; it completes once a check passes",
				rp.Name, g.ConsecutiveFailures, plural(g.ConsecutiveFailures, "check", "checks"), g.Name, last)
		}
		if reg, ok := p.t.RegionByName(g.Name); ok && reg.HasHealthSources() && g.InProgress {
			return fmt.Sprintf("ring %s soaked its window but region %s is still in progress (%s); it completes once it is synced and healthy",
				rp.Name, g.Name, g.Reason)
		}
		if reg, ok := p.t.RegionByName(g.Name); ok && reg.HasHealthSources() && !g.Healthy {
			return fmt.Sprintf("ring %s soaked its window but region %s was last seen unhealthy (%s); it completes once it is healthy",
				rp.Name, g.Name, g.Reason)
		}
	}
	return ""
}

// ringSpec returns the topology ring of that name (zero Ring if gone).
func (p *planner) ringSpec(name string) topology.Ring {
	if j := p.t.RingIndex(name); j >= 0 {
		return p.t.Spec.Rings[j]
	}
	return topology.Ring{Name: name}
}

// soaking fails the ring at the failure threshold or when a region has been
// in progress for longer than syncTimeout, and completes it when its soak
// window has passed and its latest evidence is good.
func (p *planner) soaking(r *rings.Release, i int) {
	rp := &r.Rings[i]
	// Argo CD calling a region Degraded fails the ring at once, as while
	// syncing: its analysis checks may still pass (the pods that serve are
	// fine) while the rollout itself is broken.
	if p.degraded(r, rp) {
		return
	}
	threshold := p.policyOf(r).Analysis.FailureThreshold
	if threshold < 1 {
		threshold = 1
	}
	// Each region counts its own failed checks: the first region at the
	// threshold fails the ring, whatever its siblings report.
	for _, g := range rp.Regions {
		if g.ConsecutiveFailures < threshold {
			continue
		}
		reason := fmt.Sprintf("region %s failed %d consecutive checks (threshold %d)", g.Name, g.ConsecutiveFailures, threshold)
		switch {
		case g.LastCheck != nil && !g.LastCheck.Pass:
			reason += "; last: " + describeCheck(*g.LastCheck)
		case g.Reason != "":
			reason += "; last: " + g.Reason
		}
		p.act(Action{Kind: ActFailRing, ReleaseID: r.ID, App: r.App, Ring: rp.Name, Regions: []string{g.Name}, Reason: reason})
		return
	}
	if p.pausedTooLong(r, rp) {
		return
	}
	p.waitInProgress(r, rp) // progress.go: holds the completion below
	soak := p.ringSpec(rp.Name).Soak.D()
	if i := p.t.RingIndex(rp.Name); i >= 0 {
		soak = rings.RingSoak(p.t, r, i) // the app's soak under the release's risk tier
	}
	end := rp.SoakStartedAt.Add(soak)
	if !p.now.Before(end) {
		// Fail closed: the soak ends only on good evidence. A failed check
		// below the threshold holds the ring until a check passes or the
		// threshold fails it.
		if missing := p.soakEvidenceMissing(rp); missing != "" {
			p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Reason: WaitEvidence, Detail: missing})
			return
		}
		p.act(Action{Kind: ActCompleteRing, ReleaseID: r.ID, App: r.App, Ring: rp.Name,
			Reason: fmt.Sprintf("soaked %s", topology.Duration(soak))})
		return
	}
	p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Reason: WaitSoak, Until: end,
		Detail: fmt.Sprintf("ring %s soaks %s until %s (%d failed %s in a row)", rp.Name, topology.Duration(soak), stamp(end), rp.ConsecutiveFailures, plural(rp.ConsecutiveFailures, "check", "checks"))})
}

// failed applies the failure policy to the release whose ring i failed: an
// automatic halt per policy.onFailure (placed once per failure), then, per
// policy.rollback, rolls back the failed ring and every earlier ring (they
// run the same version, and a rolled-back release must run its previous
// one everywhere) and verifies each rollback that landed, or shows the
// release halted for a person to decide (an empty rollback mode is manual:
// nothing is written back unasked).
func (p *planner) failed(r *rings.Release, i int) {
	rp := &r.Rings[i]
	pol := p.policyOf(r) // the app's effective onFailure and rollback
	var scope *rings.HaltScope
	switch pol.OnFailure {
	case topology.OnFailureHaltRegion:
		regions := make([]string, 0, len(rp.Regions))
		for _, g := range rp.Regions {
			regions = append(regions, g.Name)
		}
		scope = &rings.HaltScope{Regions: regions}
	default: // halt-later-rings
		later := make([]string, 0, len(r.Rings)-i-1)
		for _, n := range r.Rings[i+1:] {
			later = append(later, n.Name)
		}
		if len(later) > 0 {
			scope = &rings.HaltScope{Releases: []string{r.ID}, Rings: later}
		}
	}
	if scope != nil && !p.autoHaltSince(*scope, rp.FailedAt) {
		p.act(Action{Kind: ActPlaceHalt, ReleaseID: r.ID, App: r.App, Ring: rp.Name, Halt: scope,
			Reason: fmt.Sprintf("ring %s of release %s (%s %s) failed: %s", rp.Name, r.ID, r.App, r.Version, rp.Reason)})
	}
	if !pol.Rollback.Automatic() {
		p.setState(r, rings.ReleaseHalted, fmt.Sprintf("ring %s failed; rollback is manual: ringctl release rollback %s", rp.Name, r.ID))
		return
	}
	busy := false
	for j := i; j >= 0; j-- {
		busy = p.rollbackRing(r, &r.Rings[j]) || busy
	}
	for j := i; j >= 0; j-- {
		busy = p.verifyRollback(r, &r.Rings[j]) || busy
	}
	if !busy {
		p.setState(r, rings.ReleaseHalted, fmt.Sprintf("ring %s failed and nothing is left to roll back; abort the release", rp.Name))
	}
}

// autoHaltSince reports whether an automatic halt with that scope was placed
// at or after since (active or resumed: a person's resume is not undone).
func (p *planner) autoHaltSince(scope rings.HaltScope, since time.Time) bool {
	for _, h := range p.s.Halts {
		if h.Auto && !h.CreatedAt.Before(since) && sameScope(h.Scope, scope) {
			return true
		}
	}
	return false
}

func sameScope(a, b rings.HaltScope) bool {
	eq := func(x, y []string) bool {
		x, y = slices.Clone(x), slices.Clone(y)
		slices.Sort(x)
		slices.Sort(y)
		return slices.Equal(x, y)
	}
	return a.Global == b.Global && eq(a.Regions, b.Regions) && eq(a.Rings, b.Rings) && eq(a.Apps, b.Apps) && eq(a.Releases, b.Releases)
}
