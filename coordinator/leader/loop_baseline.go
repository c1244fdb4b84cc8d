package leader

import (
	"context"
	"fmt"
	"strings"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// BaselineReader reads, from the GitOps branch, what every target of app
// holds now in each of regions: the release's baseline, recorded before its
// first promotion so rollback writes each region's own previous value back.
// Every Promoter is one.
type BaselineReader interface {
	ReadBaselines(ctx context.Context, qs []rings.BaselineQuery) []rings.BaselineAnswer
}

// recordBaseline carries out ActRecordBaseline: reads what every region of
// the release runs now and records it (CmdRecordBaseline). The RequestID is
// the release's, so a retry after "maybe committed", or a new leader
// reading again, applies once; the first record stands. When the read
// fails nothing is recorded: the release shows why (once per distinct
// reason) and the first promotion waits for the next pass (fail closed).
func (l *Loop) recordBaseline(ctx context.Context, snap store.Snapshot, a planner.Action, answer rings.BaselineAnswer) error {
	read, err := checkBaseline(a, answer)
	if err != nil {
		l.baselineFailed(ctx, snap, a.ReleaseID, err)
		return fmt.Errorf("read the baseline of release %s: %w", a.ReleaseID, err)
	}
	payload := command.RecordBaseline{ReleaseID: a.ReleaseID, Commit: read.Commit, Regions: make([]rings.RegionBaseline, 0, len(a.Regions))}
	for _, region := range a.Regions {
		payload.Regions = append(payload.Regions, rings.SummarizeBaseline(region, read.Targets[region]))
	}
	l.cfg.Logger.Info("baseline read from Git", "release", a.ReleaseID, "commit", read.Commit)
	if err := l.record(ctx, command.CmdRecordBaseline, "baseline/"+a.ReleaseID, payload); err != nil {
		return err
	}
	if rel := snap.State.ReleaseByID(a.ReleaseID); rel != nil && strings.HasPrefix(rel.Reason, baselineWaitReason) {
		// The read works again: the release no longer waits for it.
		key := fmt.Sprintf("baseline-read/%s/%d", a.ReleaseID, rel.UpdatedAt.UnixNano())
		if err := l.record(ctx, command.CmdSetReleaseState, key, command.SetReleaseState{ReleaseID: a.ReleaseID, State: rel.State, Reason: ""}); err != nil {
			l.cfg.Logger.Warn("clear the baseline failure failed", "release", a.ReleaseID, "err", err)
		}
	}
	return nil
}

// baselineWaitReason starts the reason of a release whose baseline cannot
// be read.
const baselineWaitReason = "waiting: cannot read what the regions run now from Git"

// readBaselines asks the reader about every action's app and regions at
// once (one fetch of the branch), bounded by HealthTimeout: one answer per
// action, in order.
func (l *Loop) readBaselines(ctx context.Context, as []planner.Action) []rings.BaselineAnswer {
	qs := make([]rings.BaselineQuery, len(as))
	for i, a := range as {
		qs[i] = rings.BaselineQuery{App: a.App, Regions: a.Regions}
	}
	rctx, cancel := context.WithTimeout(ctx, l.cfg.HealthTimeout)
	defer cancel()
	answers := l.cfg.Promoter.ReadBaselines(rctx, qs)
	if n := len(answers); n != len(as) {
		// A reader that lost count: fail closed for every release.
		answers = make([]rings.BaselineAnswer, len(as))
		for i := range answers {
			answers[i].Err = fmt.Errorf("the baseline reader answered %d of %d queries", n, len(as))
		}
	}
	return answers
}

// checkBaseline is a's answer, checked to tell about every region.
func checkBaseline(a planner.Action, answer rings.BaselineAnswer) (rings.BaselineRead, error) {
	read, err := answer.Read, answer.Err
	if err != nil {
		return rings.BaselineRead{}, err
	}
	for _, region := range a.Regions {
		if len(read.Targets[region]) == 0 {
			return rings.BaselineRead{}, fmt.Errorf("the reader told nothing about region %s", region)
		}
	}
	return read, nil
}

// baselineFailed shows on the release why its first promotion waits.
func (l *Loop) baselineFailed(ctx context.Context, snap store.Snapshot, releaseID string, cause error) {
	rel := snap.State.ReleaseByID(releaseID)
	reason := fmt.Sprintf("%s (the rollback target), retrying: %v", baselineWaitReason, cause)
	if rel == nil || rel.Reason == reason {
		return
	}
	st := rel.State
	switch st {
	case rings.ReleaseRunning, rings.ReleaseAwaitingApproval, rings.ReleaseHalted:
	default:
		return
	}
	key := fmt.Sprintf("baseline-failed/%s/%d", releaseID, rel.UpdatedAt.UnixNano())
	if err := l.record(ctx, command.CmdSetReleaseState, key, command.SetReleaseState{ReleaseID: releaseID, State: st, Reason: reason}); err != nil {
		l.cfg.Logger.Warn("record baseline failure failed", "release", releaseID, "err", err)
	}
}
