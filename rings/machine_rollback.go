package rings

import (
	"fmt"
	"strings"
	"time"
)

// A rollback is done when the region runs the old version again, not when
// its commit lands. MarkRolledBack records the commit and moves the ring to
// rolling-back; the leader then observes each rolled-back region at the
// rollback commit (Observe → observeRollback), the planner verifies a
// region once it was seen synced, healthy and passing its checks for
// policy.rollback.verify (VerifyRollback), and fails it when that has not
// happened within policy.rollback.timeout of its rollback commit
// (FailRollback, which also halts the region). settleRollback ends the
// release once nothing is left to write or verify: rolled-back when every
// region verified, rollback-failed when any did not.

// observeRollback records evidence for a rolled-back region of a
// rolling-back ring. A good observation (synced, healthy, and a passing
// check when there is one) starts or continues the region's good run; any
// other observation ends it.
func (s *State) observeRollback(id, ring, region string, synced, healthy bool, reason string, check *Observation, at time.Time) error {
	r, rp, err := s.releaseRing(id, ring)
	if err != nil {
		return err
	}
	if err := rollbackOpen(r, "observe the rollback of ring "+ring+" of"); err != nil {
		return err
	}
	g, err := regionIn(rp, id, "observe", region)
	if err != nil {
		return err
	}
	switch {
	case !g.RolledBack():
		return fmt.Errorf("observe region %q of ring %q of release %q: the ring is rolling back and this region's rollback has not landed: %w", region, ring, id, ErrTransition)
	case g.RollbackVerified() || !g.RollbackFailedAt.IsZero():
		return fmt.Errorf("observe region %q of ring %q of release %q: its rollback is already settled: %w", region, ring, id, ErrTransition)
	}
	g.Synced, g.Healthy, g.ObservedAt, g.Reason = synced, healthy, at, reason
	good := synced && healthy
	if check != nil {
		c := *check
		g.LastCheck = &c
		if c.Pass {
			g.ConsecutiveFailures = 0
		} else {
			g.ConsecutiveFailures++
			good = false
		}
	}
	switch {
	case !good:
		g.RollbackGoodSince = time.Time{}
	case g.RollbackGoodSince.IsZero():
		g.RollbackGoodSince = at
	}
	return nil
}

// VerifyRollback records that the rollback of regions of ring is verified:
// each runs the previous version again, synced, healthy and passing its
// checks. The ring becomes rolled-back once every promoted region is; the
// release once nothing is left to write or verify.
func (s *State) VerifyRollback(id, ring string, regions []string, at time.Time) error {
	r, rp, err := s.rollbackRegions(id, ring, regions, "verify the rollback of")
	if err != nil {
		return err
	}
	for _, name := range regions {
		rp.Region(name).RollbackVerifiedAt = at
	}
	r.UpdatedAt = at
	s.settleRollback(r, at)
	return nil
}

// FailRollback records that the rollback of regions of ring did not verify
// in time, and places halt (an automatic halt on those regions, so nothing
// more is promoted there until a person looks). The release ends
// rollback-failed once nothing else is left to write or verify.
func (s *State) FailRollback(id, ring string, regions []string, reason string, halt Halt, at time.Time) error {
	r, rp, err := s.rollbackRegions(id, ring, regions, "fail the rollback of")
	if err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("fail the rollback of ring %q of release %q: a reason is required: %w", ring, id, ErrTransition)
	}
	if h := s.HaltByID(halt.ID); h == nil {
		halt.Auto = true
		halt.CreatedAt = at
		if err := s.PlaceHalt(halt); err != nil {
			return fmt.Errorf("fail the rollback of ring %q of release %q: %w", ring, id, err)
		}
	}
	for _, name := range regions {
		g := rp.Region(name)
		g.RollbackFailedAt = at
	}
	rp.Reason = reason
	r.Reason = reason
	r.UpdatedAt = at
	s.settleRollback(r, at)
	return nil
}

// rollbackRegions validates regions of a rolling-back ring whose rollback
// landed and is not settled yet.
func (s *State) rollbackRegions(id, ring string, regions []string, what string) (*Release, *RingProgress, error) {
	r, rp, err := s.releaseRing(id, ring)
	if err != nil {
		return nil, nil, err
	}
	if err := rollbackOpen(r, what+" ring "+ring+" of"); err != nil {
		return nil, nil, err
	}
	if err := ringIn(rp, id, what, RingRollingBack); err != nil {
		return nil, nil, err
	}
	if len(regions) == 0 {
		return nil, nil, fmt.Errorf("%s ring %q of release %q: no regions named: %w", what, ring, id, ErrTransition)
	}
	for _, name := range regions {
		g, err := regionIn(rp, id, what, name)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case !g.RolledBack():
			return nil, nil, fmt.Errorf("%s region %q of ring %q of release %q: its rollback has not landed: %w", what, name, ring, id, ErrTransition)
		case g.RollbackVerified() || !g.RollbackFailedAt.IsZero():
			return nil, nil, fmt.Errorf("%s region %q of ring %q of release %q: already settled: %w", what, name, ring, id, ErrConflict)
		}
	}
	return r, rp, nil
}

// settleRollback moves each rolling-back ring whose rolled-back regions
// are all settled (verified or failed) and that has nothing left to write
// to rolled-back, and ends the release once no ring has anything left to
// write or verify: rolled-back, or rollback-failed when a region failed.
func (s *State) settleRollback(r *Release, at time.Time) {
	pending, failed := false, false
	for i := range r.Rings {
		rp := &r.Rings[i]
		ringPending := r.MustRollBack(rp)
		for _, g := range rp.Regions {
			if !g.RollbackFailedAt.IsZero() {
				failed = true
			}
			if g.RolledBack() && !g.RollbackVerified() && g.RollbackFailedAt.IsZero() {
				ringPending = true
			}
		}
		if rp.State == RingRollingBack && !ringPending {
			rp.State = RingRolledBack
		}
		pending = pending || ringPending
	}
	if pending {
		return
	}
	st := ReleaseRolledBack
	if failed {
		st = ReleaseRollbackFailed
	}
	s.finish(r, st, at)
}

// HaltByID returns the halt with that ID, or nil.
func (s *State) HaltByID(id string) *Halt {
	for i := range s.Halts {
		if s.Halts[i].ID == id {
			return &s.Halts[i]
		}
	}
	return nil
}
