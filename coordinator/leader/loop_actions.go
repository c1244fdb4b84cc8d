package leader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// ReconcileOnce runs one pass and returns the plan's NextCheck (zero when
// only a state change can alter the plan). Its steps:
//
//  0. adoptFeed: adopt (or record the rejection of) a new topology
//     document from the TopologyFeed (CmdAdoptTopology, CmdRejectTopology);
//     refreshBudgets: every BudgetInterval, record the regions' error
//     budgets (CmdRecordBudget).
//  1. syncFence: mirror the active halts into Git when they changed since
//     the last successful write (sets nothing in the state).
//  2. observe: ask the health source about every syncing or soaking ring
//     and record the evidence (CmdObserve per region; CmdFailRing when the
//     during-soak webhook fails).
//  3. plan: PlanNext over a fresh snapshot, then act on each action and
//     record its outcome (the ring and release commands): releases at
//     once, each release's actions in plan order (carryOut). A Git write
//     that needs a person fails the ring (or halts a rollback); a
//     transient one is recorded with its next attempt time
//     (loop_retry.go).
//
// Errors are logged and counted, never returned: the next pass retries.
func (l *Loop) ReconcileOnce(ctx context.Context) time.Time {
	next, _ := l.pass(ctx)
	return next
}

// pass is ReconcileOnce that also reports whether any action was carried
// out, in which case the state moved and the next pass should run at once.
func (l *Loop) pass(ctx context.Context) (next time.Time, progressed bool) {
	l.stats.passes.Add(1)
	// Views, not deep copies (fsm_view.go): read-only, shared with the FSM.
	snap := l.cfg.Store.View()
	if l.adoptFeed(ctx, snap) {
		snap = l.cfg.Store.View()
	}
	if snap.Topology == nil {
		l.cfg.Logger.Debug("no topology adopted yet; nothing to reconcile")
		return time.Time{}, false
	}
	l.refreshBudgets(ctx, snap)
	l.syncFence(ctx, snap.State)
	l.observe(ctx, snap)
	if ctx.Err() != nil {
		return time.Time{}, false
	}
	// Plan from a fresh view only when something was applied since the
	// first one (this pass's observations, a write).
	if l.cfg.Store.AppliedIndex() != snap.AppliedIndex {
		snap = l.cfg.Store.View()
	}
	plan := l.cfg.Planner(snap.Topology, &snap.State, l.cfg.Clock.Now())
	progressed = l.carryOut(ctx, snap, plan.Actions)
	if ctx.Err() != nil {
		return time.Time{}, false
	}
	l.notifyState(ctx)
	return plan.NextCheck, progressed
}

// act carries out one action and records its outcome. Every command's
// RequestID is derived from the action, so a decision retried after a
// "maybe committed" failure or by the next leader applies once.
func (l *Loop) act(ctx context.Context, snap store.Snapshot, a planner.Action) error {
	switch a.Kind {
	case planner.ActStartRelease:
		return l.record(ctx, command.CmdStartRelease, "start-release/"+a.ReleaseID, command.ReleaseRef{ReleaseID: a.ReleaseID})
	case planner.ActSetReleaseState:
		// The release's UpdatedAt keys the decision: the same state reached
		// again later is a new decision, a retry of this one is not.
		var at int64
		if rel := snap.State.ReleaseByID(a.ReleaseID); rel != nil {
			at = rel.UpdatedAt.UnixNano()
		}
		key := fmt.Sprintf("set-state/%s/%s/%d", a.ReleaseID, a.State, at)
		return l.record(ctx, command.CmdSetReleaseState, key, command.SetReleaseState{ReleaseID: a.ReleaseID, State: a.State, Reason: a.Reason})
	case planner.ActStartSoak:
		return l.record(ctx, command.CmdStartSoak, "start-soak/"+a.ReleaseID+"/"+a.Ring, command.RingRef{ReleaseID: a.ReleaseID, Ring: a.Ring})
	case planner.ActCompleteRing:
		if err := l.record(ctx, command.CmdCompleteRing, "complete-ring/"+a.ReleaseID+"/"+a.Ring, command.RingRef{ReleaseID: a.ReleaseID, Ring: a.Ring}); err != nil {
			return err
		}
		l.afterRing(ctx, snap, a)
		return nil
	case planner.ActFailRing:
		return l.record(ctx, command.CmdFailRing, "fail-ring/"+a.ReleaseID+"/"+a.Ring, command.RingRef{ReleaseID: a.ReleaseID, Ring: a.Ring, Reason: a.Reason})
	case planner.ActCompleteRelease:
		return l.record(ctx, command.CmdCompleteRelease, "complete-release/"+a.ReleaseID, command.ReleaseRef{ReleaseID: a.ReleaseID})
	case planner.ActPlaceHalt:
		return l.placeHalt(ctx, a)
	case planner.ActVerifyRollback:
		key := fmt.Sprintf("rollback-verified/%s/%s/%s", a.ReleaseID, a.Ring, strings.Join(a.Regions, "+"))
		return l.record(ctx, command.CmdRollbackVerified, key, command.RingRegions{ReleaseID: a.ReleaseID, Ring: a.Ring, Regions: a.Regions})
	case planner.ActFailRollback:
		return l.failRollback(ctx, a)
	case planner.ActPromote, planner.ActRollback:
		return l.promote(ctx, snap, a)
	case planner.ActRecordBaseline:
		return l.recordBaseline(ctx, snap, a, l.readBaselines(ctx, []planner.Action{a})[0])
	default:
		return fmt.Errorf("action %q is unknown to this node: upgrade ringd", a.Kind)
	}
}

// placeHalt records an automatic halt (ID derived from the failed ring) and
// writes the fence at once.
func (l *Loop) placeHalt(ctx context.Context, a planner.Action) error {
	if a.Halt == nil {
		return fmt.Errorf("place-halt action for %s has no scope: planner bug", a.ReleaseID)
	}
	id := rings.AutoHaltID(a.ReleaseID, a.Ring)
	err := l.record(ctx, command.CmdPlaceHalt, "place-halt/"+id, command.PlaceHalt{ID: id, Scope: *a.Halt, Reason: a.Reason, Auto: true})
	if err != nil && !errors.Is(err, command.ErrConflict) {
		return err
	}
	l.syncHaltFence(ctx)
	return nil
}

// failRollback records a rollback that did not verify, with the halt on
// its regions (ID derived from the ring), and writes the fence at once.
func (l *Loop) failRollback(ctx context.Context, a planner.Action) error {
	if a.Halt == nil {
		return fmt.Errorf("fail-rollback action for %s has no halt scope: planner bug", a.ReleaseID)
	}
	// One halt per failed set of regions: regions rolled back by separate
	// commits may fail at different times, and each must be halted.
	id := rings.AutoHaltID(a.ReleaseID, a.Ring) + "-rollback-" + strings.Join(a.Regions, "+")
	key := fmt.Sprintf("rollback-failed/%s/%s/%s", a.ReleaseID, a.Ring, strings.Join(a.Regions, "+"))
	if err := l.record(ctx, command.CmdRollbackFailed, key, command.RollbackFailed{ReleaseID: a.ReleaseID, Ring: a.Ring, Regions: a.Regions, Reason: a.Reason, HaltID: id, Scope: *a.Halt}); err != nil {
		return err
	}
	l.cfg.Logger.Error("rollback did not verify; its regions are halted", "release", a.ReleaseID, "ring", a.Ring, "regions", a.Regions, "halt", id, "reason", a.Reason)
	l.syncHaltFence(ctx)
	return nil
}

// promote writes a promotion (or rollback) alone through the Promoter and
// records the commit. A fenced promotion records nothing.
func (l *Loop) promote(ctx context.Context, snap store.Snapshot, a planner.Action) error {
	p, ready, err := l.stagePromotion(ctx, snap, a, false)
	if ready && !p.Rollback {
		ready, err = l.gate(ctx, snap, p, l.landed(ctx, []rings.Promotion{p}))
	}
	if !ready {
		return err
	}
	res, err := l.cfg.Promoter.Promote(ctx, p)
	return l.promoted(ctx, snap, p, res, err)
}

// stagePromotion builds the promotion of a and checks it once before
// anything is written, so a halt placed since the snapshot stops it
// without touching Git. ready is false when nothing is to be written; err
// is then the action's answer (nil when fenced). A batched promotion's
// Check is the state part of the fence only: the batch's leadership check
// runs once per push (loop_batch.go). The pre-promotion gate is asked
// after (gate).
func (l *Loop) stagePromotion(ctx context.Context, snap store.Snapshot, a planner.Action, batched bool) (p rings.Promotion, ready bool, err error) {
	app := a.App
	if rel := snap.State.ReleaseByID(a.ReleaseID); rel != nil && app == "" {
		app = rel.App
	}
	p = rings.Promotion{
		ReleaseID:   a.ReleaseID,
		App:         app,
		Ring:        a.Ring,
		Regions:     a.Regions,
		Version:     a.Version,
		PromotionID: a.PromotionID,
		Rollback:    a.Kind == planner.ActRollback,
		Targets:     a.Targets,
	}
	if !p.Rollback {
		p.PreviousRing, p.PreviousRingSoakedAt = soakEvidence(snap.State.ReleaseByID(a.ReleaseID), a.Ring)
	}
	if batched {
		p.Check = l.stateFence(p)
	} else {
		p.Check = l.fenceCheck(p)
	}
	if err := p.Check(ctx); err != nil {
		return p, false, l.promoted(ctx, snap, p, rings.PromotionResult{}, err)
	}
	return p, true, nil
}

// gate asks the pre-promotion gate (e.g. a webhook) about p, a forward
// promotion, unless p is already on the branch (landed: an earlier leader
// pushed it and lost leadership before recording it; it is then recorded
// without asking). A refusal is a wait, recorded on the release, never a
// failed action: ready is false and err errGateWait.
func (l *Loop) gate(ctx context.Context, snap store.Snapshot, p rings.Promotion, landed map[string]string) (ready bool, err error) {
	if l.cfg.BeforePromote == nil {
		return true, nil
	}
	if commit, ok := landed[p.PromotionID]; ok {
		l.cfg.Logger.Info("promotion already on the branch; recording it without the pre-promotion gate", "promotion", p.PromotionID, "commit", commit)
		return true, nil
	}
	if gerr := l.cfg.BeforePromote(ctx, p); gerr != nil {
		return false, l.gateRefused(ctx, snap, p, gerr)
	}
	return true, nil
}

// landed asks the Promoter, once for all of ps, which are already on the
// branch; only when a pre-promotion gate is configured (the answer only
// decides whether the gate is asked). An error counts as none landed:
// the gate is asked.
func (l *Loop) landed(ctx context.Context, ps []rings.Promotion) map[string]string {
	if l.cfg.BeforePromote == nil || len(ps) == 0 {
		return nil
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.PromotionID
	}
	landed, err := l.cfg.Promoter.FindLanded(ctx, ids)
	if err != nil {
		l.cfg.Logger.Warn("could not tell whether promotions already landed; asking the pre-promotion gate", "promotions", len(ids), "err", err)
		return nil
	}
	return landed
}

// promoted records what became of p's write: the commit, nothing when
// fenced, the ring's failure when it needs a person, the next attempt
// when it was transient.
func (l *Loop) promoted(ctx context.Context, snap store.Snapshot, p rings.Promotion, res rings.PromotionResult, err error) error {
	switch {
	case errors.Is(err, rings.ErrFenced):
		l.stats.fenced.Add(1)
		l.cfg.Logger.Info("promotion fenced; nothing recorded", "promotion", p.PromotionID, "why", err)
		return nil
	case errors.Is(err, rings.ErrNeedsHuman):
		return l.needsHuman(ctx, p, err)
	case err != nil:
		return l.retryLater(ctx, snap, p, err)
	}
	typ, key := command.CmdPromoted, "promoted/"+p.PromotionID
	if p.Rollback {
		typ, key = command.CmdRolledBack, "rolled-back/"+p.PromotionID
	}
	l.cfg.Logger.Info("promotion landed", "promotion", p.PromotionID, "commit", res.Commit, "alreadyLanded", res.AlreadyLanded, "rollback", p.Rollback)
	return l.record(ctx, typ, key, command.Promoted{ReleaseID: p.ReleaseID, Ring: p.Ring, Regions: p.Regions, PromotionID: p.PromotionID, Commit: res.Commit})
}

// fenceCheck is Promotion.Check of a promotion written alone: called by
// the writer right before it pushes. It is stateFence, then a quorum
// confirms this node still leads (leaderCheck). Every refusal wraps
// ErrFenced.
func (l *Loop) fenceCheck(p rings.Promotion) func(ctx context.Context) error {
	state := l.stateFence(p)
	return func(ctx context.Context) error {
		if err := state(ctx); err != nil {
			return err
		}
		if err := l.leaderCheck(ctx); err != nil {
			return fmt.Errorf("promotion %s: %w", p.PromotionID, err)
		}
		return nil
	}
}

// stateFence re-reads the replicated state for a halt covering the
// promotion (rollbacks are exempt: setting a failed ring back must not be
// blocked by the halt its failure placed) and refuses a release that was
// aborted or rolled back meanwhile. Every refusal wraps ErrFenced.
func (l *Loop) stateFence(p rings.Promotion) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("promotion %s: leader loop stopped: %w: %w", p.PromotionID, rings.ErrFenced, err)
		}
		if p.Rollback {
			return nil
		}
		var halt *rings.Halt
		var ended rings.ReleaseState
		read := func(st *rings.State) {
			if hs := st.CoveringHalts(p.ReleaseID, p.App, p.Ring, p.Regions); len(hs) > 0 {
				halt = &hs[0]
			}
			// A release no longer in the state finished and was
			// forgotten (rings/history.go): fenced too, fail closed.
			if rel := st.ReleaseByID(p.ReleaseID); rel == nil {
				ended = "gone from the state (finished)"
			} else if rel.State.Terminal() {
				ended = rel.State
			}
		}
		// Read in place (fsm_view.go): a deep copy of the state per
		// promotion made large passes quadratic.
		l.cfg.Store.ViewState(read)
		if halt != nil {
			return fmt.Errorf("promotion %s is covered by halt %s (%s): %w", p.PromotionID, halt.ID, halt.Reason, rings.ErrFenced)
		}
		if ended != "" {
			return fmt.Errorf("promotion %s: release is %s: %w", p.PromotionID, ended, rings.ErrFenced)
		}
		return nil
	}
}

// record proposes one of the loop's own decisions.
func (l *Loop) record(ctx context.Context, typ command.Type, key string, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	cmd := command.Command{
		Version:   command.Version,
		Type:      typ,
		RequestID: "loop/" + key,
		At:        l.cfg.Clock.Now().UTC(),
		Actor:     command.ActorSystem,
		Payload:   raw,
	}
	actx, cancel := context.WithTimeout(ctx, l.cfg.ApplyTimeout)
	defer cancel()
	if _, err := l.cfg.Store.Apply(actx, cmd); err != nil {
		return fmt.Errorf("record %s (%s): %w", typ, key, err)
	}
	return nil
}
