package coordinator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// RingDone is what AfterRing is told: ring Ring of release ReleaseID (App at
// Version) was recorded done for Regions.
type RingDone struct {
	ReleaseID string
	App       string
	Version   string
	Ring      string
	Regions   []string
}

// errGateWait marks an action that waits on a gate (the pre-promotion
// check refused): the pass neither counts it as progress nor as an error.
var errGateWait = errors.New("waiting on a gate")

// soakEvidence returns the ring before ring in rel and when it was done,
// the evidence a promotion commit carries that its predecessor soaked.
// Both are empty for the first ring or when the predecessor is not done.
func soakEvidence(rel *rings.Release, ring string) (string, time.Time) {
	if rel == nil {
		return "", time.Time{}
	}
	for i := range rel.Rings {
		if rel.Rings[i].Name != ring {
			continue
		}
		if i == 0 || rel.Rings[i-1].DoneAt.IsZero() {
			return "", time.Time{}
		}
		return rel.Rings[i-1].Name, rel.Rings[i-1].DoneAt
	}
	return "", time.Time{}
}

// gateRefused records a pre-promotion refusal as the release's reason (once
// per distinct reason, so a receiver that keeps refusing does not fill the
// log) and returns errGateWait.
func (l *Loop) gateRefused(ctx context.Context, snap store.Snapshot, p Promotion, gerr error) error {
	reason := fmt.Sprintf("waiting: the pre-promotion check refused ring %s: %v", p.Ring, gerr)
	l.cfg.Logger.Info("pre-promotion check refused; waiting", "promotion", p.PromotionID, "err", gerr)
	rel := snap.State.ReleaseByID(p.ReleaseID)
	if rel == nil || rel.Reason == reason {
		return errGateWait
	}
	st := rel.State
	switch st {
	case rings.ReleaseRunning, rings.ReleaseAwaitingApproval, rings.ReleaseHalted:
	default:
		st = rings.ReleaseRunning
	}
	key := fmt.Sprintf("gate-refused/%s/%d", p.PromotionID, rel.UpdatedAt.UnixNano())
	if err := l.record(ctx, command.CmdSetReleaseState, key, command.SetReleaseState{ReleaseID: p.ReleaseID, State: st, Reason: reason}); err != nil {
		l.cfg.Logger.Warn("record pre-promotion refusal failed", "release", p.ReleaseID, "err", err)
	}
	return errGateWait
}

// afterRing tells AfterRing, on its own goroutine, that the ring of a was
// recorded done. It runs until the hook returns or leadership ends.
func (l *Loop) afterRing(ctx context.Context, snap store.Snapshot, a planner.Action) {
	if l.cfg.AfterRing == nil {
		return
	}
	rel := snap.State.ReleaseByID(a.ReleaseID)
	if rel == nil {
		return
	}
	done := RingDone{ReleaseID: rel.ID, App: rel.App, Version: rel.Version, Ring: a.Ring}
	if rp := rel.Ring(a.Ring); rp != nil {
		for _, g := range rp.Regions {
			done.Regions = append(done.Regions, g.Name)
		}
	}
	go l.cfg.AfterRing(ctx, done)
}
