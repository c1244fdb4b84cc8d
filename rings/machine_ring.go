package rings

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// activeRing returns a release that has started and not ended (running,
// awaiting-approval or halted) and the named ring of it.
func (s *State) activeRing(id, ring, what string) (*Release, *RingProgress, int, error) {
	r, err := s.release(id)
	if err != nil {
		return nil, nil, -1, err
	}
	rp, i, err := ringOf(r, ring)
	if err != nil {
		return nil, nil, -1, err
	}
	if r.State.Terminal() || r.State == ReleaseScheduled {
		return nil, nil, -1, fmt.Errorf("%s ring %q of release %q: the release is %s: %w", what, ring, id, r.State, ErrTransition)
	}
	return r, rp, i, nil
}

// activeRingIn is activeRing for a transition (what) allowed only from
// the given states of the ring (ringIn).
func (s *State) activeRingIn(id, ring, what string, states ...RingState) (*Release, *RingProgress, error) {
	r, rp, _, err := s.activeRing(id, ring, what)
	if err != nil {
		return nil, nil, err
	}
	if err := ringIn(rp, id, what, states...); err != nil {
		return nil, nil, err
	}
	return r, rp, nil
}

// regionIn returns the region name of ring rp of release id, or, for what,
// an error wrapping ErrNotFound.
func regionIn(rp *RingProgress, id, what, name string) (*RegionProgress, error) {
	if g := rp.Region(name); g != nil {
		return g, nil
	}
	return nil, fmt.Errorf("%s region %q of ring %q of release %q: %w", what, name, rp.Name, id, ErrNotFound)
}

// ringIn refuses what on ring rp of release id unless the ring is in one
// of states: "the ring is soaking", or "the ring is soaking, not syncing"
// when one state is allowed.
func ringIn(rp *RingProgress, id, what string, states ...RingState) error {
	switch {
	case slices.Contains(states, rp.State):
		return nil
	case len(states) == 1:
		return fmt.Errorf("%s ring %q of release %q: the ring is %s, not %s: %w", what, rp.Name, id, rp.State, states[0], ErrTransition)
	}
	return fmt.Errorf("%s ring %q of release %q: the ring is %s: %w", what, rp.Name, id, rp.State, ErrTransition)
}

// earlierRingsDone refuses what on ring idx of r unless every ring before
// it is done: rings go in order.
func earlierRingsDone(r *Release, idx int, what string) error {
	for _, prev := range r.Rings[:idx] {
		if prev.State != RingDone {
			return fmt.Errorf("%s ring %q of release %q: earlier ring %q is %s, not done: %w", what, r.Rings[idx].Name, r.ID, prev.Name, prev.State, ErrTransition)
		}
	}
	return nil
}

// MarkPromoted records that the commit carrying promotionID landed for
// regions of ring. The ring becomes promoting, or syncing once every region
// is promoted. Recording the same promotionID again is a no-op, so a new
// leader that finds a landed commit by its trailer may record it again. Every
// earlier ring must be done (ring order is enforced here too, not only by the
// planner).
func (s *State) MarkPromoted(id, ring string, regions []string, promotionID, commit string, at time.Time) error {
	r, rp, idx, err := s.activeRing(id, ring, "promote")
	if err != nil {
		return err
	}
	if promotionID == "" {
		return fmt.Errorf("promote ring %q of release %q: empty promotion id: %w", ring, id, ErrTransition)
	}
	for _, g := range rp.Regions {
		if g.PromotionID == promotionID {
			return nil // recorded already: exactly once
		}
	}
	if len(regions) == 0 {
		return fmt.Errorf("promote ring %q of release %q: no regions named: %w", ring, id, ErrTransition)
	}
	if err := ringIn(rp, id, "promote", RingPending, RingPromoting); err != nil {
		return err
	}
	if err := earlierRingsDone(r, idx, "promote"); err != nil {
		return err
	}
	for i, name := range regions {
		g, err := regionIn(rp, id, "promote", name)
		if err != nil {
			return err
		}
		if g.Promoted() {
			return fmt.Errorf("promote region %q of ring %q of release %q: already promoted by %s: %w", name, ring, id, g.PromotionID, ErrConflict)
		}
		if slices.Contains(regions[:i], name) {
			return fmt.Errorf("promote ring %q of release %q: region %q named twice: %w", ring, id, name, ErrTransition)
		}
	}
	for _, name := range regions {
		g := rp.Region(name)
		g.PromotionID, g.Commit, g.PromotedAt = promotionID, commit, at
		g.Synced, g.Healthy, g.ObservedAt, g.Reason = false, false, time.Time{}, ""
	}
	if rp.Retry != nil && !rp.Retry.Rollback {
		rp.Retry = nil // a promotion landed: the failures in a row end
	}
	rp.State = RingSyncing
	for _, g := range rp.Regions {
		if !g.Promoted() {
			rp.State = RingPromoting
			break
		}
	}
	r.UpdatedAt = at
	return nil
}

// Observe records the latest sync and health evidence for one region of a
// promoting, syncing or soaking ring, or for a rolled-back region of a
// rolling-back ring (observeRollback). A non-nil check is an analysis
// result: a pass resets the region's ConsecutiveFailures, a failure
// increments it. While the ring soaks, an unhealthy observation without a
// check also counts as a failed check (fail closed). Each region counts on
// its own: a passing region never resets a failing one's count. Evidence
// of a rollout still in progress goes through ObserveInProgress instead
// (progress.go).
func (s *State) Observe(id, ring, region string, synced, healthy bool, reason string, check *Observation, at time.Time) error {
	return s.observe(id, ring, region, synced, healthy, false, reason, check, at)
}

// observe is Observe and ObserveInProgress.
func (s *State) observe(id, ring, region string, synced, healthy, inProgress bool, reason string, check *Observation, at time.Time) error {
	if r := s.ReleaseByID(id); r != nil {
		if rp := r.Ring(ring); rp != nil && rp.State == RingRollingBack {
			return s.observeRollback(id, ring, region, synced, healthy, reason, check, at)
		}
	}
	_, rp, _, err := s.activeRing(id, ring, "observe")
	if err != nil {
		return err
	}
	g, err := regionIn(rp, id, "observe", region)
	if err != nil {
		return err
	}
	if err := ringIn(rp, id, "observe", RingPromoting, RingSyncing, RingSoaking); err != nil {
		return err
	}
	g.Synced, g.Healthy, g.ObservedAt, g.Reason = synced, healthy, at, reason
	trackProgress(g, inProgress, at)
	switch {
	case check != nil:
		c := *check
		rp.LastObservation = &c
		g.LastCheck = &c
		if c.Pass {
			g.ConsecutiveFailures = 0
		} else {
			g.ConsecutiveFailures++
		}
	case rp.State == RingSoaking && !healthy && !inProgress:
		g.ConsecutiveFailures++
	}
	rp.ConsecutiveFailures = worstRegion(rp)
	return nil
}

// worstRegion is the highest consecutive-failure count of rp's regions.
func worstRegion(rp *RingProgress) int {
	n := 0
	for _, g := range rp.Regions {
		n = max(n, g.ConsecutiveFailures)
	}
	return n
}

// StartSoak starts the soak clock of a syncing ring.
func (s *State) StartSoak(id, ring string, at time.Time) error {
	r, rp, err := s.activeRingIn(id, ring, "start soak of", RingSyncing)
	if err != nil {
		return err
	}
	rp.State = RingSoaking
	rp.SoakStartedAt = at
	rp.ConsecutiveFailures = 0
	for j := range rp.Regions {
		rp.Regions[j].ConsecutiveFailures = 0
	}
	r.UpdatedAt = at
	return nil
}

// CompleteRing marks a soaking ring done.
func (s *State) CompleteRing(id, ring string, at time.Time) error {
	r, rp, err := s.activeRingIn(id, ring, "complete", RingSoaking)
	if err != nil {
		return err
	}
	rp.State = RingDone
	rp.DoneAt = at
	r.UpdatedAt = at
	return nil
}

// FailRing marks a promoting, syncing or soaking ring failed with reason.
func (s *State) FailRing(id, ring, reason string, at time.Time) error {
	r, rp, err := s.activeRingIn(id, ring, "fail", RingPromoting, RingSyncing, RingSoaking)
	if err != nil {
		return err
	}
	rp.State = RingFailed
	rp.FailedAt = at
	rp.Reason = reason
	if rp.Retry != nil && !rp.Retry.Rollback {
		rp.Retry = nil // no more promotions for a failed ring
	}
	r.UpdatedAt = at
	return nil
}

// MustRollBack reports whether a ring of r is to be rolled back: every ring
// with promoted regions when a person asked for rollback, failed rings
// otherwise.
func (r *Release) MustRollBack(rp *RingProgress) bool {
	// A person's request rolls back every ring; a failed ring rolls back
	// itself and the rings before it that run the same version, so a
	// rolled-back release runs its previous version everywhere.
	switch {
	case rp.State == RingRolledBack:
		return false
	case r.RollbackRequested, rp.State == RingFailed, rp.State == RingRollingBack:
	case rp.State == RingDone && hasFailedRing(r):
	default:
		return false
	}
	for _, g := range rp.Regions {
		if g.Promoted() && !g.RolledBack() {
			return true
		}
	}
	return false
}

// hasFailedRing reports whether any ring of r failed (and may already have
// been rolled back).
func hasFailedRing(r *Release) bool {
	return r.FailedRing() >= 0
}

// FailedRing is the index of the ring of r that failed (it keeps its
// FailedAt while it is rolled back), or -1.
func (r *Release) FailedRing() int {
	for i := range r.Rings {
		if !r.Rings[i].FailedAt.IsZero() || r.Rings[i].State == RingFailed {
			return i
		}
	}
	return -1
}

// MarkRolledBack records that the rollback commit carrying promotionID landed
// for regions of ring. The ring becomes rolling-back: the rollback counts as
// done only once every region verified it (VerifyRollback), or failed to
// (FailRollback). Recording the same promotionID again is a no-op. A
// completed release may be rolled back when a person asked for it.
func (s *State) MarkRolledBack(id, ring string, regions []string, promotionID, commit string, at time.Time) error {
	r, rp, err := s.releaseRing(id, ring)
	if err != nil {
		return err
	}
	if promotionID == "" {
		return fmt.Errorf("roll back ring %q of release %q: empty promotion id: %w", ring, id, ErrTransition)
	}
	for _, g := range rp.Regions {
		if g.RollbackID == promotionID {
			return nil // recorded already: exactly once
		}
	}
	if err := rollbackOpen(r, "roll back ring "+ring+" of"); err != nil {
		return err
	}
	if !r.MustRollBack(rp) {
		return fmt.Errorf("roll back ring %q of release %q: the ring is %s and no rollback is due: %w", ring, id, rp.State, ErrTransition)
	}
	if len(regions) == 0 {
		return fmt.Errorf("roll back ring %q of release %q: no regions named: %w", ring, id, ErrTransition)
	}
	for _, name := range regions {
		g, err := regionIn(rp, id, "roll back", name)
		if err != nil {
			return err
		}
		switch {
		case !g.Promoted():
			return fmt.Errorf("roll back region %q of ring %q of release %q: it was never promoted: %w", name, ring, id, ErrTransition)
		case g.RolledBack():
			return fmt.Errorf("roll back region %q of ring %q of release %q: already rolled back by %s: %w", name, ring, id, g.RollbackID, ErrConflict)
		}
	}
	for _, name := range regions {
		g := rp.Region(name)
		g.RollbackID, g.RollbackCommit, g.RolledBackAt = promotionID, commit, at
		// Evidence from before the rollback says nothing about it.
		g.Synced, g.Healthy, g.ObservedAt, g.Reason = false, false, time.Time{}, ""
		g.ConsecutiveFailures, g.RollbackGoodSince = 0, time.Time{}
		g.InProgress, g.InProgressSince = false, time.Time{}
	}
	if rp.Retry != nil && rp.Retry.Rollback {
		rp.Retry = nil // a rollback landed: the failures in a row end
	}
	rp.State = RingRollingBack
	r.UpdatedAt = at
	s.settleRollback(r, at)
	return nil
}

// rollbackOpen returns an error unless rollback commits and their
// verification may still be recorded for r: it has started and not ended,
// or it completed and a person asked for it to be rolled back.
func rollbackOpen(r *Release, what string) error {
	if (r.State.Terminal() && !(r.State == ReleaseCompleted && r.RollbackRequested)) || r.State == ReleaseScheduled {
		return fmt.Errorf("%s release %q: the release is %s: %w", what, r.ID, r.State, ErrTransition)
	}
	return nil
}

// Clone returns a deep copy of the state: nothing in it shares memory with s.
func (s *State) Clone() *State {
	if s == nil {
		return nil
	}
	c := &State{}
	if s.Releases != nil {
		c.Releases = make([]*Release, len(s.Releases))
		for i, r := range s.Releases {
			c.Releases[i] = r.clone()
		}
	}
	if s.Halts != nil {
		c.Halts = make([]Halt, len(s.Halts))
		for i, h := range s.Halts {
			h.Scope = cloneScope(h.Scope)
			c.Halts[i] = h
		}
	}
	c.Budgets = maps.Clone(s.Budgets)
	return c
}

func (r *Release) clone() *Release {
	if r == nil {
		return nil
	}
	c := *r
	c.PreviousVersions = maps.Clone(r.PreviousVersions)
	if r.Risk != nil {
		c.Risk = new(*r.Risk)
	}
	if r.PreviousTargets != nil {
		c.PreviousTargets = make(map[string][]TargetValue, len(r.PreviousTargets))
		for k, v := range r.PreviousTargets {
			c.PreviousTargets[k] = slices.Clone(v)
		}
	}
	if r.Rings != nil {
		c.Rings = make([]RingProgress, len(r.Rings))
		for i, rp := range r.Rings {
			rp.Regions = slices.Clone(rp.Regions)
			for j := range rp.Regions {
				if c := rp.Regions[j].LastCheck; c != nil {
					o := *c
					rp.Regions[j].LastCheck = &o
				}
			}
			if rp.Approval != nil {
				a := *rp.Approval
				rp.Approval = &a
			}
			if rp.LastObservation != nil {
				o := *rp.LastObservation
				rp.LastObservation = &o
			}
			if rp.Retry != nil {
				rt := *rp.Retry
				rp.Retry = &rt
			}
			if rp.RollbackFailure != nil {
				f := *rp.RollbackFailure
				rp.RollbackFailure = &f
			}
			c.Rings[i] = rp
		}
	}
	return &c
}

func cloneScope(s HaltScope) HaltScope {
	s.Regions = slices.Clone(s.Regions)
	s.Rings = slices.Clone(s.Rings)
	s.Apps = slices.Clone(s.Apps)
	s.Releases = slices.Clone(s.Releases)
	return s
}
