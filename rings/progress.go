package rings

import (
	"fmt"
	"strings"
	"time"
)

// A region is in progress when its deployment source says the promoted
// version is still rolling out rather than failing: Argo CD reports
// Progressing or Suspended health (an Argo Rollouts canary paused between
// steps) or a sync still running at the promoted commit. Such a region is
// neither ready nor failing:
//
//   - syncing: it waits like any region not yet synced and healthy, and the
//     ring's sync timeout (from its last promotion) still applies; the
//     wait and the failure say the region is in progress, and since when.
//   - soaking: an in-progress observation is not a failed check (a check
//     it carries still counts), the soak does not complete on it, and the
//     ring fails once the region has been in progress for longer than the
//     ring's syncTimeout.
//
// The stretch (RegionProgress.InProgressSince) starts at the first
// in-progress observation and ends only when the region is seen synced and
// healthy: a monitoring blip between two paused observations does not
// restart the clock, so a rollout cannot stay paused for ever by flapping.

// ObserveInProgress records evidence, like Observe, for a region whose
// promoted version is still rolling out: it is not counted as a failed
// check while the ring soaks (a check it carries still counts), and it
// starts the region's in-progress stretch at at unless one runs already.
func (s *State) ObserveInProgress(id, ring, region string, synced, healthy bool, reason string, check *Observation, at time.Time) error {
	return s.observe(id, ring, region, synced, healthy, true, reason, check, at)
}

// trackProgress updates the in-progress stretch of g after an observation
// at at (g's Synced and Healthy already hold the new evidence).
func trackProgress(g *RegionProgress, inProgress bool, at time.Time) {
	g.InProgress = inProgress
	switch {
	case inProgress && g.InProgressSince.IsZero():
		g.InProgressSince = at
	case !inProgress && g.Synced && g.Healthy:
		g.InProgressSince = time.Time{}
	}
}

// progressText describes an in-progress region for waits and failures.
func progressText(g RegionProgress) string {
	s := fmt.Sprintf("%s in progress since %s", g.Name, stamp(g.InProgressSince))
	if g.Reason != "" {
		s += " (" + g.Reason + ")"
	}
	return s
}

// inProgressRegions are the regions of rp with health sources whose latest
// evidence says they are in progress.
func (p *planner) inProgressRegions(rp *RingProgress) []RegionProgress {
	var out []RegionProgress
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
func (p *planner) pausedTooLong(r *Release, rp *RingProgress) bool {
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
				g.Name, Duration(to), stamp(g.InProgressSince), g.Reason)})
		return true
	}
	return false
}

// waitInProgress reports the in-progress regions of a soaking ring: they
// hold the soak's completion and fail the ring at their stretch's start
// plus syncTimeout.
func (p *planner) waitInProgress(r *Release, rp *RingProgress) {
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
