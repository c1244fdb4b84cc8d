package coordinator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/internal/notify"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// stateNotifier keeps the last state the loop showed it.
type stateNotifier struct {
	mu sync.Mutex
	s  *rings.State
}

func (n *stateNotifier) Observe(s *rings.State, _ time.Time, _ bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.s = s.Clone()
}

func (n *stateNotifier) events() []notify.Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	return notify.Events(n.s)
}

// started creates release checkout-v2 (previous version v1) and starts it.
func (f *loopFixture) started(t *testing.T) string {
	t.Helper()
	id := f.store.mustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-v2", App: "checkout", Version: "v2", PreviousVersion: "v1"}).ID
	f.store.mustApply(t, command.CmdStartRelease, command.ReleaseRef{ReleaseID: id})
	// What Git held before the release, so the first pass promotes.
	var bs []rings.RegionBaseline
	for _, region := range []string{"us-east-1", "eu-west-1", "ap-south-1"} {
		bs = append(bs, rings.RegionBaseline{Region: region, Version: "v1"})
	}
	f.store.mustApply(t, command.CmdRecordBaseline, command.RecordBaseline{ReleaseID: id, Commit: "base", Regions: bs})
	return id
}

// badTarget is what cmd/ringd's gitPromoter returns for a missing key.
func badTarget(p Promotion) error {
	return fmt.Errorf("%w: promotion %s: file apps/checkout/us-east-1/values.yaml (region us-east-1, yamlPath image.tag): path image.tag: key \"tag\" not found under image",
		ErrNeedsHuman, p.PromotionID)
}

// A promotion that cannot be written without a person fails its ring once,
// with file, path and error: the planner places the automatic halt, the
// notification carries the reason, and the promotion is not tried again.
func TestLoopPermanentPromotionErrorFailsTheRing(t *testing.T) {
	t.Parallel()
	rec := &stateNotifier{}
	f := newLoopFixture(t, func(c *LoopConfig) { c.Notifier = rec })
	id := f.release(t, "v2")
	calls := 0
	f.promoter.PromoteFn = func(_ context.Context, p Promotion) (PromotionResult, error) {
		calls++
		return PromotionResult{}, badTarget(p)
	}
	for range 5 {
		f.loop.ReconcileOnce(context.Background())
		f.clock.Advance(time.Minute)
	}
	snap := f.store.Snapshot()
	rel := snap.State.ReleaseByID(id)
	canary := rel.Ring("canary")
	for _, s := range []string{"apps/checkout/us-east-1/values.yaml", "path image.tag", `key "tag" not found`} {
		if canary.State != rings.RingFailed || !strings.Contains(canary.Reason, s) {
			t.Fatalf("canary %s %q; want failed with a reason naming %q", canary.State, canary.Reason, s)
		}
	}
	if calls != 1 || len(f.commandsOf(command.CmdPromotionFailed)) != 1 || len(f.commandsOf(command.CmdPromotionRetry)) != 0 {
		t.Fatalf("promote called %d times, %d failures and %d retries recorded; want 1, 1, 0",
			calls, len(f.commandsOf(command.CmdPromotionFailed)), len(f.commandsOf(command.CmdPromotionRetry)))
	}
	if got := f.commandsOf(command.CmdPromotionFailed)[0].RequestID; got != "loop/promotion-failed/checkout-v2/canary/us-east-1" {
		t.Fatalf("request ID %q; want one derived from the promotion ID", got)
	}
	halts := snap.State.CoveringHalts(id, "checkout", "early", []string{"eu-west-1"})
	if len(halts) != 1 || !halts[0].Auto || !strings.Contains(halts[0].Reason, "apps/checkout/us-east-1/values.yaml") {
		t.Fatalf("halts %+v; want the automatic halt of the later rings with the reason", halts)
	}
	if rel.State != rings.ReleaseHalted {
		t.Fatalf("release %s; want halted (nothing to roll back)", rel.State)
	}
	var told *notify.Event
	for _, ev := range rec.events() {
		if ev.Kind == notify.KindRingFailed && ev.Ring == "canary" {
			told = &ev
		}
	}
	if told == nil || !strings.Contains(told.Text, "apps/checkout/us-east-1/values.yaml") || !strings.Contains(told.Text, `key "tag" not found`) {
		t.Fatalf("notification %+v; want ring.failed naming the file and the error", told)
	}
}

// A transient error is retried with backoff from the loop's clock: no
// attempt before the recorded next attempt time, the attempt and error
// visible in the replicated state and the plan, cleared when it lands.
func TestLoopTransientPromotionErrorBacksOffThenLands(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.started(t)
	calls := 0
	real := &MemPromoter{}
	f.promoter.PromoteFn = func(ctx context.Context, p Promotion) (PromotionResult, error) {
		calls++
		if calls <= 3 {
			return PromotionResult{}, errors.New("push to git://git.example.com/gitops: dial tcp 10.0.0.7:9418: connection refused")
		}
		return real.Promote(ctx, p)
	}
	retry := func() *rings.PromotionRetry {
		snap := f.store.Snapshot()
		return snap.State.ReleaseByID(id).Ring("canary").Retry
	}
	for attempt := 1; attempt <= 3; attempt++ {
		before := calls
		f.loop.ReconcileOnce(context.Background())
		if calls != before+1 {
			t.Fatalf("attempt %d: promote called %d times; want one more", attempt, calls-before)
		}
		rt := retry()
		now := f.clock.Now()
		// 1 s doubling: attempt n waits between half and all of 2^(n-1) s.
		full := time.Second << (attempt - 1)
		if rt == nil || rt.Attempt != attempt || !strings.Contains(rt.Error, "connection refused") ||
			rt.NextAttemptAt.Before(now.Add(full/2)) || rt.NextAttemptAt.After(now.Add(full)) {
			t.Fatalf("attempt %d at %s: retry %+v; want attempt %d, the error, next attempt within [%s, %s]", attempt, now, rt, attempt, full/2, full)
		}
		snap := f.store.Snapshot()
		plan := planner.PlanNext(snap.Topology, &snap.State, now)
		want := fmt.Sprintf("retrying: %s (attempt %d)", rt.Error, attempt)
		found := false
		for _, w := range plan.Waits {
			found = found || (w.Reason == planner.WaitRetry && strings.Contains(w.Detail, want))
		}
		if !found {
			t.Fatalf("plan waits %+v; want %q", plan.Waits, want)
		}
		// Passes before the next attempt time do not touch Git.
		f.clock.Set(rt.NextAttemptAt.Add(-time.Millisecond))
		f.loop.ReconcileOnce(context.Background())
		if calls != before+1 {
			t.Fatalf("attempt %d: promote called again before %s", attempt, rt.NextAttemptAt)
		}
		f.clock.Set(rt.NextAttemptAt)
	}
	f.loop.ReconcileOnce(context.Background())
	if calls != 4 || len(f.commandsOf(command.CmdPromoted)) != 1 || retry() != nil {
		t.Fatalf("promote called %d times, %d landed, retry %+v; want the fourth attempt to land and clear it", calls, len(f.commandsOf(command.CmdPromoted)), retry())
	}
	var ids []string
	for _, c := range f.commandsOf(command.CmdPromotionRetry) {
		ids = append(ids, c.RequestID)
	}
	if strings.Join(ids, " ") != "loop/promotion-retry/checkout-v2/canary/us-east-1/1 loop/promotion-retry/checkout-v2/canary/us-east-1/2 loop/promotion-retry/checkout-v2/canary/us-east-1/3" {
		t.Fatalf("retry request IDs %v; want one per attempt", ids)
	}
}

// The attempt count and the backoff are replicated: a new leader goes on
// counting from the state.
func TestLoopRetryCountSurvivesANewLeader(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.started(t)
	fail := func(context.Context, Promotion) (PromotionResult, error) {
		return PromotionResult{}, errors.New("502 Bad Gateway")
	}
	f.promoter.PromoteFn = fail
	f.loop.ReconcileOnce(context.Background())
	next, err := NewLoop(LoopConfig{Store: f.store, Promoter: &MemPromoter{PromoteFn: fail}, Health: f.health, Clock: f.clock, Interval: time.Hour, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	snap := f.store.Snapshot()
	first := snap.State.ReleaseByID(id).Ring("canary").Retry
	if first == nil || first.Attempt != 1 {
		t.Fatalf("retry %+v after the first attempt; want attempt 1", first)
	}
	f.clock.Set(first.NextAttemptAt)
	next.ReconcileOnce(context.Background())
	snap = f.store.Snapshot()
	if rt := snap.State.ReleaseByID(id).Ring("canary").Retry; rt == nil || rt.Attempt != 2 {
		t.Fatalf("retry %+v after the new leader's attempt; want attempt 2", rt)
	}
}

// The backoff doubles from RetryMin to RetryMax, with jitter in the upper
// half.
func TestLoopRetryDelayIsBounded(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	for attempt := 1; attempt <= 80; attempt++ {
		full := time.Minute
		if attempt <= 6 {
			full = time.Second << (attempt - 1)
		}
		if d := f.loop.retryDelay("p", attempt); d < full/2 || d > full {
			t.Fatalf("attempt %d waits %s; want within [%s, %s]", attempt, d, full/2, full)
		}
	}
}

// A rollback that cannot be written halts the release with the reason and
// is not tried again.
func TestLoopPermanentRollbackErrorHaltsTheRelease(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.started(t)
	f.store.mustApply(t, command.CmdPromoted, command.Promoted{ReleaseID: id, Ring: "canary", Regions: []string{"us-east-1"}, PromotionID: "p1", Commit: "c1"})
	f.store.mustApply(t, command.CmdFailRing, command.RingRef{ReleaseID: id, Ring: "canary", Reason: "error rate"})
	rollbacks := 0
	f.promoter.PromoteFn = func(_ context.Context, p Promotion) (PromotionResult, error) {
		if p.Rollback {
			rollbacks++
		}
		return PromotionResult{}, fmt.Errorf("%w: push to git://git/gitops: the server refused to update refs/heads/main: pre-receive hook declined", ErrNeedsHuman)
	}
	for range 4 {
		f.loop.ReconcileOnce(context.Background())
		f.clock.Advance(time.Minute)
	}
	snap := f.store.Snapshot()
	rel := snap.State.ReleaseByID(id)
	if rollbacks != 1 || len(f.commandsOf(command.CmdRollbackWriteFailed)) != 1 {
		t.Fatalf("%d rollback attempts, %d failures recorded; want 1 and 1", rollbacks, len(f.commandsOf(command.CmdRollbackWriteFailed)))
	}
	if rel.State != rings.ReleaseHalted || !strings.Contains(rel.Reason, "pre-receive hook declined") || rel.Ring("canary").RollbackFailure == nil {
		t.Fatalf("release %s %q; want halted with the push refusal", rel.State, rel.Reason)
	}
}
