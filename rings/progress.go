package rings

import (
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
