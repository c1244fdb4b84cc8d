package rings

import (
	"fmt"
	"strings"
	"time"
)

// PromotionRetry is the last transient failure of a ring's promotion (or
// rollback) commit: the Git server was unreachable, answered 5xx, or the
// branch kept moving. The leader retries after NextAttemptAt; the planner
// waits until then (WaitRetry). A landed promotion (or rollback) of the
// ring clears it, so Attempt counts the failures in a row.
type PromotionRetry struct {
	PromotionID string `json:"promotionId"`
	// Rollback is set when the failed write was a rollback commit.
	Rollback      bool      `json:"rollback,omitempty"`
	Attempt       int       `json:"attempt"`
	Error         string    `json:"error"`
	At            time.Time `json:"at"`
	NextAttemptAt time.Time `json:"nextAttemptAt"`
}

// Text is how people see a retry: "retrying: <error> (attempt N)".
func (r PromotionRetry) Text() string {
	return fmt.Sprintf("retrying: %s (attempt %d)", r.Error, r.Attempt)
}

// RollbackFailure is a rollback commit that cannot be written without a
// person (its target is gone, the server refuses the push). The planner
// writes no more rollbacks for the ring and shows the release halted.
type RollbackFailure struct {
	PromotionID string    `json:"promotionId"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
}

// RecordPromotionRetry records a transient failure of the promotion (or,
// with retry.Rollback, the rollback) retry.PromotionID of ring, to be
// tried again at retry.NextAttemptAt. The ring must still be waiting for
// that write: pending or promoting and the promotion not landed, or due a
// rollback. An attempt number not above the ring's last one is a conflict
// (a retry recorded twice, or by a deposed leader).
func (s *State) RecordPromotionRetry(id, ring string, retry PromotionRetry, at time.Time) error {
	r, rp, err := s.releaseRing(id, ring)
	if err != nil {
		return err
	}
	what := "promotion"
	if retry.Rollback {
		what = "rollback"
	}
	switch {
	case retry.PromotionID == "":
		return fmt.Errorf("record %s retry of ring %q of release %q: empty promotion id: %w", what, ring, id, ErrTransition)
	case retry.Attempt < 1:
		return fmt.Errorf("record %s retry of ring %q of release %q: attempt %d, want 1 or more: %w", what, ring, id, retry.Attempt, ErrTransition)
	case strings.TrimSpace(retry.Error) == "":
		return fmt.Errorf("record %s retry of ring %q of release %q: the error is empty: %w", what, ring, id, ErrTransition)
	case retry.NextAttemptAt.Before(at):
		return fmt.Errorf("record %s retry of ring %q of release %q: next attempt %s is before %s: %w", what, ring, id, stamp(retry.NextAttemptAt), stamp(at), ErrTransition)
	}
	if retry.Rollback {
		if (r.State.Terminal() && !(r.State == ReleaseCompleted && r.RollbackRequested)) || r.State == ReleaseScheduled {
			return fmt.Errorf("record rollback retry of ring %q of release %q: the release is %s: %w", ring, id, r.State, ErrTransition)
		}
		if !r.MustRollBack(rp) || rp.RollbackFailure != nil {
			return fmt.Errorf("record rollback retry of ring %q of release %q: no rollback is due: %w", ring, id, ErrTransition)
		}
	} else {
		if r.State.Terminal() || r.State == ReleaseScheduled {
			return fmt.Errorf("record promotion retry of ring %q of release %q: the release is %s: %w", ring, id, r.State, ErrTransition)
		}
		if rp.State != RingPending && rp.State != RingPromoting {
			return fmt.Errorf("record promotion retry of ring %q of release %q: the ring is %s: %w", ring, id, rp.State, ErrTransition)
		}
		if landed(rp, retry.PromotionID) {
			return fmt.Errorf("record promotion retry of ring %q of release %q: %s already landed: %w", ring, id, retry.PromotionID, ErrConflict)
		}
	}
	if last := rp.Retry; last != nil && last.Rollback == retry.Rollback && retry.Attempt <= last.Attempt {
		return fmt.Errorf("record %s retry of ring %q of release %q: attempt %d is already recorded (last %d): %w", what, ring, id, retry.Attempt, last.Attempt, ErrConflict)
	}
	retry.At = at
	rp.Retry = &retry
	return nil
}

// landed reports whether a region of rp was promoted by promotionID.
func landed(rp *RingProgress, promotionID string) bool {
	for _, g := range rp.Regions {
		if g.PromotionID == promotionID {
			return true
		}
	}
	return false
}

// FailPromotion fails a pending or promoting ring because its promotion
// promotionID cannot be written without a person (a target file or field
// is missing, the Git server refuses the push); reason says which file,
// path and error. Every earlier ring must be done (the ring being worked
// on), and the promotion must not have landed. The planner then places
// the automatic halt and applies the rollback policy, as for any failed
// ring.
func (s *State) FailPromotion(id, ring, promotionID, reason string, at time.Time) error {
	r, rp, idx, err := s.activeRing(id, ring, "fail the promotion of")
	if err != nil {
		return err
	}
	switch {
	case promotionID == "":
		return fmt.Errorf("fail the promotion of ring %q of release %q: empty promotion id: %w", ring, id, ErrTransition)
	case strings.TrimSpace(reason) == "":
		return fmt.Errorf("fail the promotion of ring %q of release %q: a reason is required: %w", ring, id, ErrTransition)
	case rp.State != RingPending && rp.State != RingPromoting:
		return fmt.Errorf("fail the promotion of ring %q of release %q: the ring is %s: %w", ring, id, rp.State, ErrTransition)
	case landed(rp, promotionID):
		return fmt.Errorf("fail the promotion of ring %q of release %q: %s landed: %w", ring, id, promotionID, ErrConflict)
	}
	for _, prev := range r.Rings[:idx] {
		if prev.State != RingDone {
			return fmt.Errorf("fail the promotion of ring %q of release %q: earlier ring %q is %s, not done: %w", ring, id, prev.Name, prev.State, ErrTransition)
		}
	}
	rp.State = RingFailed
	rp.FailedAt = at
	rp.Reason = reason
	rp.Retry = nil
	r.UpdatedAt = at
	return nil
}

// FailRollbackWrite records that the rollback promotionID of ring cannot be
// written without a person. The ring keeps its state (its regions still
// run the new version); the release is halted with the reason, and the
// planner writes no more rollbacks for the ring. A person writes the
// previous version by hand and aborts the release.
func (s *State) FailRollbackWrite(id, ring, promotionID, reason string, at time.Time) error {
	r, rp, err := s.releaseRing(id, ring)
	if err != nil {
		return err
	}
	if err := rollbackOpen(r, "fail the rollback of ring "+ring+" of"); err != nil {
		return err
	}
	switch {
	case promotionID == "":
		return fmt.Errorf("fail the rollback of ring %q of release %q: empty promotion id: %w", ring, id, ErrTransition)
	case strings.TrimSpace(reason) == "":
		return fmt.Errorf("fail the rollback of ring %q of release %q: a reason is required: %w", ring, id, ErrTransition)
	case rp.RollbackFailure != nil:
		return fmt.Errorf("fail the rollback of ring %q of release %q: already failed: %w", ring, id, ErrConflict)
	case !r.MustRollBack(rp):
		return fmt.Errorf("fail the rollback of ring %q of release %q: the ring is %s and no rollback is due: %w", ring, id, rp.State, ErrTransition)
	}
	rp.RollbackFailure = &RollbackFailure{PromotionID: promotionID, Reason: reason, At: at}
	rp.Retry = nil
	r.State = ReleaseHalted
	r.Reason = RollbackFailedReason(r)
	r.UpdatedAt = at
	return nil
}

// RollbackFailedReason is the release's reason while a rollback cannot be
// written: about the first ring (in ring order) whose rollback failed, so
// every pass and every ring agree on one reason ("" when none failed).
func RollbackFailedReason(r *Release) string {
	var rp *RingProgress
	for i := range r.Rings {
		if r.Rings[i].RollbackFailure != nil {
			rp = &r.Rings[i]
			break
		}
	}
	if rp == nil {
		return ""
	}
	return fmt.Sprintf("the rollback of ring %s cannot be written: %s; write %s back by hand, then abort the release: ringctl release abort %s",
		rp.Name, rp.RollbackFailure.Reason, orDashVersion(r.PreviousVersion), r.ID)
}

func orDashVersion(v string) string {
	if v == "" {
		return "the previous version"
	}
	return v
}

// stamp renders a time for an error or a reason.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
