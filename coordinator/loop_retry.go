package coordinator

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
)

// What the leader does when a promotion's or rollback's Git write fails.
//
//   - ErrNeedsHuman (a target file or field is missing, a YAML does not
//     parse, the server refuses the push): trying again cannot help. A
//     promotion fails its ring (CmdPromotionFailed, reason: file, path and
//     error), so the planner places the automatic halt and applies the
//     rollback policy, and the ring-failed notification carries the
//     reason. A rollback halts the release with the reason
//     (CmdRollbackWriteFailed) and is not tried again.
//   - Anything else is transient (Git unreachable, 5xx, compare-and-swap
//     lost). The leader records the attempt, the error and the time of the
//     next attempt (CmdPromotionRetry); the planner waits until then, so
//     every node's `release show` says "retrying: <error> (attempt N)".
//     A landed write clears it. The record is replicated, so a new leader
//     keeps counting and keeps the backoff.

// Bounds on what a failure puts in the replicated state.
const (
	maxRetryErrorLen   = 512
	maxFailureErrorLen = 2048
)

// needsHuman records a Git write that cannot succeed without a person.
func (l *Loop) needsHuman(ctx context.Context, p Promotion, err error) error {
	l.stats.errors.Add(1)
	typ, key, what := command.CmdPromotionFailed, "promotion-failed/"+p.PromotionID, "promotion"
	if p.Rollback {
		typ, key, what = command.CmdRollbackWriteFailed, "rollback-write-failed/"+p.PromotionID, "rollback"
	}
	reason := truncate("the Git write needs a person: "+strings.TrimPrefix(err.Error(), ErrNeedsHuman.Error()+": "), maxFailureErrorLen)
	l.cfg.Logger.Error(what+" cannot be written without a person; recording the failure", "promotion", p.PromotionID, "err", err)
	rerr := l.record(ctx, typ, key, command.PromotionFailed{ReleaseID: p.ReleaseID, Ring: p.Ring, Regions: p.Regions, PromotionID: p.PromotionID, Reason: reason})
	if rerr != nil && !errors.Is(rerr, command.ErrConflict) {
		return rerr
	}
	return nil
}

// retryLater records a transient failure of p's Git write and when to try
// again, and returns the error (the pass logs and counts it).
func (l *Loop) retryLater(ctx context.Context, snap store.Snapshot, p Promotion, err error) error {
	failed := fmt.Errorf("promote %s: %w", p.PromotionID, err)
	if ctx.Err() != nil {
		return failed // leadership went: the next leader decides
	}
	attempt := 1
	if rel := snap.State.ReleaseByID(p.ReleaseID); rel != nil {
		if rp := rel.Ring(p.Ring); rp != nil && rp.Retry != nil && rp.Retry.Rollback == p.Rollback {
			attempt = rp.Retry.Attempt + 1
		}
	}
	now := l.cfg.Clock.Now().UTC()
	next := now.Add(l.retryDelay(p.PromotionID, attempt))
	rt := command.PromotionRetry{ReleaseID: p.ReleaseID, Ring: p.Ring, PromotionID: p.PromotionID, Rollback: p.Rollback,
		Attempt: attempt, Error: truncate(err.Error(), maxRetryErrorLen), NextAttemptAt: next}
	key := "promotion-retry/" + p.PromotionID + "/" + strconv.Itoa(attempt)
	if rerr := l.record(ctx, command.CmdPromotionRetry, key, rt); rerr != nil && !errors.Is(rerr, command.ErrConflict) {
		return errors.Join(failed, rerr)
	}
	return fmt.Errorf("%w; attempt %d, next at %s", failed, attempt, next.Format(time.RFC3339))
}

// retryDelay is the wait before attempt+1: RetryMin doubled per failure in
// a row, at most RetryMax, with equal jitter (half fixed, half spread).
// The jitter is a hash of the promotion and the attempt rather than a
// random number: promotions failing together still spread out, and a test
// (or a person reading the log) can tell the delay in advance.
func (l *Loop) retryDelay(promotionID string, attempt int) time.Duration {
	d := l.cfg.RetryMax
	if attempt-1 < 32 {
		if x := l.cfg.RetryMin << (attempt - 1); x > 0 && x < d {
			d = x
		}
	}
	half := d / 2
	h := fnv.New64a()
	h.Write([]byte(promotionID + "#" + strconv.Itoa(attempt)))
	return d - half + time.Duration(h.Sum64()%uint64(half+1))
}

// truncate bounds s to n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
