package leader

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// actConcurrency bounds how many releases' actions a pass carries out at
// once. Most actions are one Raft command each, and hashicorp/raft puts
// the commands waiting on its apply channel into one log write and one
// append per follower (up to MaxAppendEntries, 64): one after the other, a
// pass over a train of 2,000 releases waited for thousands of quorum
// commits in a row.
const actConcurrency = 64

// carryOut carries out a pass's actions and reports whether any made
// progress. Actions of different releases do not depend on each other;
// those of one release keep their plan order. In three steps:
//
//  1. every release's actions other than its baseline read and its
//     forward promotions, in plan order within the release, releases at
//     once (actConcurrency); a Git write among them (a rollback, the fence
//     after an automatic halt) waits for the writer's lock as before;
//  2. the baselines: read for every release at once (one fetch of the
//     branch, BaselineReader), then recorded at once;
//  3. the forward promotions: checked against the state, gated (one
//     LandedFinder call for all), written as one batch (loop_batch.go),
//     and each outcome recorded at once.
//
// The promotions come last, as before batching: a halt or a failure
// recorded in step 1 is in the state the promotions are checked against.
func (l *Loop) carryOut(ctx context.Context, snap store.Snapshot, actions []planner.Action) bool {
	var (
		byRelease = map[string][]planner.Action{}
		order     []string
		baselines []planner.Action
		promotes  []planner.Action
	)
	for _, a := range actions {
		l.stats.actions.Add(1)
		switch a.Kind {
		case planner.ActRecordBaseline:
			baselines = append(baselines, a)
		case planner.ActPromote:
			promotes = append(promotes, a)
		default:
			if _, ok := byRelease[a.ReleaseID]; !ok {
				order = append(order, a.ReleaseID)
			}
			byRelease[a.ReleaseID] = append(byRelease[a.ReleaseID], a)
		}
	}
	var progressed atomic.Bool
	l.each(ctx, len(order), func(i int) {
		for _, a := range byRelease[order[i]] {
			if ctx.Err() != nil {
				return
			}
			if l.done(a.Kind, a.ReleaseID, a.Ring, l.act(ctx, snap, a)) {
				progressed.Store(true)
			}
		}
	})
	if ctx.Err() == nil && l.recordBaselines(ctx, snap, baselines) {
		progressed.Store(true)
	}
	if ctx.Err() == nil && l.promoteAll(ctx, snap, promotes) {
		progressed.Store(true)
	}
	return progressed.Load()
}

// each calls f(0) … f(n-1), at most actConcurrency at a time, and returns
// when every call has returned; once ctx ends no new call starts.
func (l *Loop) each(ctx context.Context, n int, f func(i int)) {
	if n == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, actConcurrency)
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			f(i)
		})
	}
	wg.Wait()
}

// recordBaselines carries out the pass's ActRecordBaseline actions: one
// read for all (recordBaseline for each answer). It reports whether any
// baseline was recorded.
func (l *Loop) recordBaselines(ctx context.Context, snap store.Snapshot, as []planner.Action) bool {
	if len(as) == 0 {
		return false
	}
	answers := l.readBaselines(ctx, as)
	var progressed atomic.Bool
	l.each(ctx, len(as), func(i int) {
		a := as[i]
		if l.done(a.Kind, a.ReleaseID, a.Ring, l.recordBaseline(ctx, snap, a, answers[i])) {
			progressed.Store(true)
		}
	})
	return progressed.Load()
}

// promoteAll carries out the pass's forward promotions: each is staged
// (checked against the state) in plan order, gated, and the ready ones
// are written together (promoteBatch). It reports whether any outcome was
// recorded.
func (l *Loop) promoteAll(ctx context.Context, snap store.Snapshot, as []planner.Action) bool {
	progressed := false
	staged := make([]rings.Promotion, 0, len(as))
	for _, a := range as {
		p, ready, err := l.stagePromotion(ctx, snap, a, true)
		if ready {
			staged = append(staged, p)
			continue
		}
		if l.done(a.Kind, a.ReleaseID, a.Ring, err) {
			progressed = true
		}
	}
	landed := l.landed(ctx, staged)
	batch := staged[:0]
	for _, p := range staged {
		if ctx.Err() != nil {
			return progressed
		}
		ready, err := l.gate(ctx, snap, p, landed)
		if ready {
			batch = append(batch, p)
			continue
		}
		if l.done(planner.ActPromote, p.ReleaseID, p.Ring, err) {
			progressed = true
		}
	}
	if l.promoteBatch(ctx, snap, batch) {
		progressed = true
	}
	return progressed
}
