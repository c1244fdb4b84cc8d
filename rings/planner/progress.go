package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// How the planner treats a region whose promoted version is still rolling
// out (rings.State.ObserveInProgress records it): neither ready nor failing.

// progressText describes an in-progress region for waits and failures.
func progressText(g rings.RegionProgress) string {
	s := fmt.Sprintf("%s in progress since %s", g.Name, stamp(g.InProgressSince))
	if g.Reason != "" {
		s += " (" + g.Reason + ")"
	}
	return s
}

// inProgressRegions are the regions of rp with health sources whose latest
// evidence says they are in progress.
func (p *planner) inProgressRegions(rp *rings.RingProgress) []rings.RegionProgress {
	var out []rings.RegionProgress
	for _, g := range rp.Regions {
		if !g.InProgress || !g.Promoted() {
			continue
		}
		if reg, ok := p.t.RegionByName(g.Name); ok && reg.HasHealthSources() {
			out = append(out, g)
		}
	}
	return out
}

// pausedTooLong fails a soaking ring with a region that has been in
// progress for the ring's syncTimeout or longer. It reports whether it did.
func (p *planner) pausedTooLong(r *rings.Release, rp *rings.RingProgress) bool {
	to := p.ringSpec(rp.Name).SyncTimeout.D()
	if to <= 0 {
		return false
	}
	for _, g := range p.inProgressRegions(rp) {
		if p.now.Before(g.InProgressSince.Add(to)) {
			continue
		}
		p.act(Action{Kind: ActFailRing, ReleaseID: r.ID, App: r.App, Ring: rp.Name, Regions: []string{g.Name},
			Reason: fmt.Sprintf("region %s has been in progress for longer than syncTimeout %s (since %s): %s",
				g.Name, topology.Duration(to), stamp(g.InProgressSince), g.Reason)})
		return true
	}
	return false
}

// waitInProgress reports the in-progress regions of a soaking ring: they
// hold the soak's completion and fail the ring at their stretch's start
// plus syncTimeout.
func (p *planner) waitInProgress(r *rings.Release, rp *rings.RingProgress) {
	regions := p.inProgressRegions(rp)
	if len(regions) == 0 {
		return
	}
	to := p.ringSpec(rp.Name).SyncTimeout.D()
	var (
		names, texts []string
		until        time.Time
	)
	for _, g := range regions {
		names = append(names, g.Name)
		texts = append(texts, progressText(g))
		if to > 0 {
			if d := g.InProgressSince.Add(to); until.IsZero() || d.Before(until) {
				until = d
			}
		}
	}
	detail := strings.Join(texts, "; ") + "; the soak completes only once every region is synced and healthy"
	if !until.IsZero() {
		detail += fmt.Sprintf(", and the ring fails at %s if %s still in progress then", stamp(until), plural(len(names), "it is", "one is"))
	}
	p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: names, Reason: WaitSync, Until: until, Detail: detail})
}
