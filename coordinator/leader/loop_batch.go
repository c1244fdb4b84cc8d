package leader

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// Batched promotions. The forward promotions a pass plans are staged in
// plan order (stagePromotion: checked once against the state, gated) and
// handed to the Promoter together, after the pass's other actions, so a
// train of many apps goes out as one commit (bounded by the writer:
// ringd --promotion-batch-max) instead of one push each. Every ringd
// writes to one repository and branch (the one in force), so the batch is
// every promotion due in the pass. Each promotion is still its own unit:
// its own Check (a halt in the state) runs right before every push and
// drops it alone; the batch's check (leaderCheck) confirms leadership once
// per push; each outcome is recorded by its own command ("promoted/ID",
// or the failure or the retry), exactly as a promotion written alone.
// Rollbacks are written alone (promote): they are rare and urgent.

// promoteBatch writes the staged promotions and records each outcome. It
// reports whether any outcome was recorded.
func (l *Loop) promoteBatch(ctx context.Context, snap store.Snapshot, ps []rings.Promotion) (progressed bool) {
	if len(ps) == 0 || ctx.Err() != nil {
		return false
	}
	outs := l.cfg.Promoter.PromoteBatch(ctx, ps, l.leaderCheck)
	if len(outs) != len(ps) {
		l.stats.errors.Add(1)
		l.cfg.Logger.Error("promoter answered a batch with the wrong number of outcomes; retrying next pass", "promotions", len(ps), "outcomes", len(outs))
		return false
	}
	// Each outcome is its own command; recorded at once (carryOut).
	var recorded atomic.Bool
	l.each(ctx, len(ps), func(i int) {
		p := ps[i]
		err := l.promoted(ctx, snap, p, outs[i].PromotionResult, outs[i].Err)
		if l.done(planner.ActPromote, p.ReleaseID, p.Ring, err) {
			recorded.Store(true)
		}
	})
	return recorded.Load()
}

// leaderCheck confirms with a quorum that this node still leads (and that
// the loop was not stopped). Every refusal wraps ErrFenced.
func (l *Loop) leaderCheck(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("leader loop stopped: %w: %w", rings.ErrFenced, err)
	}
	if err := l.cfg.Store.VerifyLeader(); err != nil {
		return fmt.Errorf("this node is no longer the leader: %w: %w", rings.ErrFenced, err)
	}
	return nil
}

// done accounts for one action's answer: errGateWait is neither progress
// nor an error; an error is counted and logged (the next pass retries);
// anything else is progress.
func (l *Loop) done(kind planner.ActionKind, release, ring string, err error) bool {
	switch {
	case errors.Is(err, errGateWait):
		return false
	case err != nil:
		l.stats.errors.Add(1)
		l.cfg.Logger.Warn("action failed; retrying next pass", "kind", kind, "release", release, "ring", ring, "err", err)
		return false
	}
	return true
}
