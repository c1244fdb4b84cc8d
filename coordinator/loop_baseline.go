package coordinator

import (
	"context"
	"errors"
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
// cmd/ringd wires the Git writer; MemPromoter is one too.
type BaselineReader interface {
	ReadBaseline(ctx context.Context, app string, regions []string) (BaselineRead, error)
}

// BaselineRead is what a BaselineReader found.
type BaselineRead struct {
	// Commit is the branch head the values were read from.
	Commit string
	// Targets maps every region asked to each target's value there
	// (Absent where the file or field does not exist yet).
	Targets map[string][]rings.TargetValue
}

// errNoBaselineReader: nothing can tell what the regions run now.
var errNoBaselineReader = errors.New("no baseline reader is configured, so what the regions run now cannot be read from Git: wire one in (LoopConfig.Baseline)")

// recordBaseline carries out ActRecordBaseline: reads what every region of
// the release runs now and records it (CmdRecordBaseline). The RequestID is
// the release's, so a retry after "maybe committed", or a new leader
// reading again, applies once; the first record stands. When the read
// fails nothing is recorded: the release shows why (once per distinct
// reason) and the first promotion waits for the next pass (fail closed).
func (l *Loop) recordBaseline(ctx context.Context, snap store.Snapshot, a planner.Action) error {
	read, err := l.readBaseline(ctx, a)
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

// readBaseline asks the reader, bounded by HealthTimeout, and checks that
// it answered for every region.
func (l *Loop) readBaseline(ctx context.Context, a planner.Action) (BaselineRead, error) {
	if l.cfg.Baseline == nil {
		return BaselineRead{}, errNoBaselineReader
	}
	rctx, cancel := context.WithTimeout(ctx, l.cfg.HealthTimeout)
	defer cancel()
	read, err := l.cfg.Baseline.ReadBaseline(rctx, a.App, a.Regions)
	if err != nil {
		return BaselineRead{}, err
	}
	for _, region := range a.Regions {
		if len(read.Targets[region]) == 0 {
			return BaselineRead{}, fmt.Errorf("the reader told nothing about region %s", region)
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
