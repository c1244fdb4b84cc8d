package leader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// loopFixture is a leader loop over a coordtest.Store with in-memory effects and a
// manual clock. Tests drive passes with ReconcileOnce; nothing sleeps.
type loopFixture struct {
	store    *coordtest.Store
	promoter *MemPromoter
	health   *MemHealth
	fence    *MemFence
	clock    *ManualClock
	loop     *Loop
}

var loopStart = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC) // a Tuesday

// check is one named assertion of a table: got must equal want.
type check struct {
	name      string
	got, want any
}

// expect reports every check whose got differs from its want.
func expect(t *testing.T, checks []check) {
	t.Helper()
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func newLoopFixture(t *testing.T, mod func(*LoopConfig)) *loopFixture {
	t.Helper()
	f := &loopFixture{
		store:    coordtest.NewStore(true).WithTopology(t),
		promoter: &MemPromoter{},
		health:   &MemHealth{},
		fence:    &MemFence{},
		clock:    NewManualClock(loopStart),
	}
	cfg := LoopConfig{
		Store: f.store, Promoter: f.promoter, Health: f.health, Fence: f.fence, Clock: f.clock,
		Interval: time.Hour, Logger: coordtest.Logger(t),
	}
	if mod != nil {
		mod(&cfg)
	}
	l, err := NewLoop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.loop = l
	return f
}

// release creates a release of checkout at version.
func (f *loopFixture) release(t *testing.T, version string) string {
	t.Helper()
	return f.store.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-" + version, App: "checkout", Version: version}).ID
}

// commandsOf returns the applied commands of one type.
func (f *loopFixture) commandsOf(typ command.Type) []command.Command {
	var out []command.Command
	for _, c := range f.store.Commands() {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}

// releaseCompleted creates a release of version and runs passes until it
// has rolled through every ring; it returns the release's ID.
func (f *loopFixture) releaseCompleted(t *testing.T, version string) string {
	t.Helper()
	id := f.release(t, version)
	f.passUntil(t, 200, 5*time.Minute, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).State == rings.ReleaseCompleted
	})
	return id
}

// passUntilSoaking runs at most max passes, step apart, until ring of
// release id soaks.
func (f *loopFixture) passUntilSoaking(t *testing.T, id, ring string, max int, step time.Duration) {
	t.Helper()
	f.passUntil(t, max, step, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).Ring(ring).State == rings.RingSoaking
	})
}

// reasonsWith counts the release-state changes the loop proposed whose
// payload (the state and its reason) contains text.
func (f *loopFixture) reasonsWith(text string) int {
	n := 0
	for _, c := range f.commandsOf(command.CmdSetReleaseState) {
		if strings.Contains(string(c.Payload), text) {
			n++
		}
	}
	return n
}

// passUntil runs passes, moving the clock to each NextCheck (or by step),
// until cond holds; it fails after max passes.
func (f *loopFixture) passUntil(t *testing.T, max int, step time.Duration, cond func(store.Snapshot) bool) {
	t.Helper()
	for i := 0; i < max; i++ {
		next := f.loop.ReconcileOnce(context.Background())
		if cond(f.store.Snapshot()) {
			return
		}
		if !next.IsZero() && next.After(f.clock.Now()) && next.Sub(f.clock.Now()) < step {
			f.clock.Set(next)
		} else {
			f.clock.Advance(step)
		}
	}
	t.Fatalf("condition not reached after %d passes; state: %+v", max, f.store.Snapshot().State.Releases)
}

func TestLoopRollsAReleaseThroughEveryRing(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.releaseCompleted(t, "v2")
	var rings_ []string
	for _, p := range f.promoter.Landed() {
		rings_ = append(rings_, p.Ring)
	}
	snap := f.store.Snapshot()
	rel := snap.State.ReleaseByID(id)
	canary, early := rel.Ring("canary"), rel.Ring("early")
	if !slices.Equal(rings_, []string{"canary", "early", "global"}) {
		t.Fatalf("promotions landed for rings %v; want canary, early, global in order", rings_)
	}
	if canary.DoneAt.Sub(canary.SoakStartedAt) < time.Hour || early.DoneAt.Sub(early.SoakStartedAt) < 2*time.Hour {
		t.Fatalf("soaks canary %s, early %s; want at least 1h and 2h", canary.DoneAt.Sub(canary.SoakStartedAt), early.DoneAt.Sub(early.SoakStartedAt))
	}
}

func TestLoopCommandsAreIdempotentAndBySystem(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.release(t, "v2")
	f.passUntil(t, 50, 5*time.Minute, func(s store.Snapshot) bool { return len(f.commandsOf(command.CmdPromoted)) == 1 })
	for _, c := range f.store.Commands() {
		if c.Actor != command.ActorSystem || !strings.HasPrefix(c.RequestID, "loop/") {
			t.Fatalf("command %s by %q with request %q; want actor %q and a loop/ request ID", c.Type, c.Actor, c.RequestID, command.ActorSystem)
		}
	}
	if got := f.commandsOf(command.CmdPromoted)[0].RequestID; got != "loop/promoted/checkout-v2/canary/us-east-1" {
		t.Fatalf("promoted request ID %q; want one derived from the promotion ID", got)
	}
}

func TestLoopHaltPlacedBeforePushFencesThePromotion(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.release(t, "v2")
	var checkErr error
	f.promoter.PromoteFn = func(ctx context.Context, p rings.Promotion) (rings.PromotionResult, error) {
		// A person halts everything while the commit is being prepared.
		f.store.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-now", Scope: rings.HaltScope{Global: true}, Reason: "incident"})
		checkErr = p.Check(ctx)
		return rings.PromotionResult{}, checkErr
	}
	f.passUntil(t, 10, time.Minute, func(store.Snapshot) bool { return f.loop.Stats().Fenced > 0 })
	if !errors.Is(checkErr, rings.ErrFenced) || !strings.Contains(checkErr.Error(), "halt-now") {
		t.Fatalf("Check returned %v; want ErrFenced naming halt-now", checkErr)
	}
	snap := f.store.Snapshot()
	if n := len(f.commandsOf(command.CmdPromoted)); n != 0 || snap.State.ReleaseByID(id).Ring("canary").Regions[0].Promoted() {
		t.Fatalf("%d promoted commands recorded; want none", n)
	}
}

func TestLoopCheckFencesADeposedLeader(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.release(t, "v2")
	// Promotions go out as a batch: the check the loop hands the promoter
	// confirms leadership once per push, and refuses every promotion of a
	// deposed leader's batch.
	f.store.SetVerifyErr(command.ErrNotLeader)
	var checkErr error
	f.promoter.PromoteBatchFn = func(ctx context.Context, ps []rings.Promotion, check func(context.Context) error) []PromotionOutcome {
		checkErr = check(ctx)
		return PromoteEach(ctx, f.promoter, ps, check)
	}
	f.passUntil(t, 10, time.Minute, func(store.Snapshot) bool { return checkErr != nil })
	if !errors.Is(checkErr, rings.ErrFenced) || !errors.Is(checkErr, command.ErrNotLeader) || len(f.commandsOf(command.CmdPromoted)) != 0 {
		t.Fatalf("check returned %v; want ErrFenced wrapping ErrNotLeader and nothing recorded", checkErr)
	}
}

func TestLoopPromoterErrorIsRetriedNextPass(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.release(t, "v2")
	calls := 0
	real := &MemPromoter{}
	f.promoter.PromoteFn = func(ctx context.Context, p rings.Promotion) (rings.PromotionResult, error) {
		calls++
		if calls == 1 {
			return rings.PromotionResult{}, errors.New("git push: connection refused")
		}
		return real.Promote(ctx, p)
	}
	f.passUntil(t, 10, time.Minute, func(store.Snapshot) bool { return len(f.commandsOf(command.CmdPromoted)) == 1 })
	if calls != 2 || f.loop.Stats().Errors == 0 {
		t.Fatalf("promote called %d times, errors %d; want a failed call, then a landed one", calls, f.loop.Stats().Errors)
	}
}

// toSyncing runs passes until canary is syncing (promoted, no evidence).
func (f *loopFixture) toSyncing(t *testing.T) string {
	t.Helper()
	id := f.release(t, "v2")
	f.passUntil(t, 10, time.Second, func(s store.Snapshot) bool { return len(f.commandsOf(command.CmdPromoted)) == 1 })
	return id
}

func TestLoopHealthFailuresAreRecordedAsFailing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		setup  func(h *MemHealth)
		reason string
	}{
		{"source error", func(h *MemHealth) { h.Fail(errors.New("argocd unreachable")) }, "argocd unreachable"},
		{"region missing from the answer", func(h *MemHealth) { h.Strict = true }, "no evidence"},
		{"region degraded", func(h *MemHealth) {
			h.Set(rings.RegionHealth{Region: "us-east-1", Synced: true, Healthy: false, Reason: "Degraded"})
		}, "Degraded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newLoopFixture(t, nil)
			tc.setup(f.health)
			f.toSyncing(t)
			f.loop.ReconcileOnce(context.Background())
			obs := f.commandsOf(command.CmdObserve)
			if len(obs) == 0 {
				t.Fatal("no observation recorded")
			}
			got := coordtest.DecodeAs[command.Observe](t, obs[len(obs)-1].Payload)
			if got.Region != "us-east-1" || got.Healthy || !strings.Contains(got.Reason, tc.reason) {
				t.Fatalf("observation %+v; want us-east-1 not healthy with reason containing %q", got, tc.reason)
			}
		})
	}
}

func TestLoopRegionsWithoutSourcesAreNotObserved(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.release(t, "v2")
	f.passUntilSoaking(t, id, "early", 100, 5*time.Minute)
	for _, c := range f.commandsOf(command.CmdObserve) {
		if o := coordtest.DecodeAs[command.Observe](t, c.Payload); o.Region != "us-east-1" {
			t.Fatalf("observation recorded for %s, which has no health source", o.Region)
		}
	}
}

func TestLoopSoakingRingIsAskedOncePerAnalysisInterval(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.release(t, "v2")
	f.passUntilSoaking(t, id, "canary", 20, time.Second)
	before := len(f.health.Queries())
	f.clock.Advance(time.Minute)
	for i := 0; i < 5; i++ { // five passes within one analysis interval (1m)
		f.loop.ReconcileOnce(context.Background())
		f.clock.Advance(5 * time.Second)
	}
	if got := len(f.health.Queries()) - before; got != 1 {
		t.Fatalf("%d health queries in one interval; want 1", got)
	}
}

func TestLoopChecksAreFoldedIntoOneObservation(t *testing.T) {
	t.Parallel()
	checks := []rings.Observation{
		{Check: "success-rate", Value: 99.9, Threshold: ">= 99", Pass: true},
		{Check: "latency-p99", Value: 900, Threshold: "<= 500", Pass: false, Reason: "too slow"},
	}
	got := summarize("us-east-1", checks, loopStart)
	if got.Pass || got.Value != 900 || got.Check != "success-rate+latency-p99" || got.Reason != "latency-p99: too slow" || got.Region != "us-east-1" {
		t.Fatalf("summary %+v; want failing with the latency check's value", got)
	}
}

func TestLoopResyncsAFenceThatFailed(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.store.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-a", Scope: rings.HaltScope{Global: true}, Reason: "x"})
	f.fence.Fail(errors.New("push rejected"))
	f.loop.ReconcileOnce(context.Background())
	f.fence.Fail(nil)
	f.loop.ReconcileOnce(context.Background())
	f.loop.ReconcileOnce(context.Background())
	ids, writes := f.fence.Halts()
	if !slices.Equal(ids, []string{"halt-a"}) || writes != 1 {
		t.Fatalf("fence %v after %d writes; want halt-a written once after the failure", ids, writes)
	}
}

func TestLoopAutoHaltIsPlacedOnceAndFenced(t *testing.T) {
	t.Parallel()
	scope := rings.HaltScope{Releases: []string{"checkout-v2"}, Rings: []string{"early", "global"}}
	f := newLoopFixture(t, func(c *LoopConfig) {
		c.Planner = func(*topology.Topology, *rings.State, time.Time) planner.Plan {
			return planner.Plan{Actions: []planner.Action{{Kind: planner.ActPlaceHalt, ReleaseID: "checkout-v2", Ring: "canary", Halt: &scope, Reason: "canary failed"}}}
		}
	})
	f.loop.ReconcileOnce(context.Background())
	f.loop.ReconcileOnce(context.Background())
	halts := f.store.Snapshot().State.Halts
	ids, _ := f.fence.Halts()
	if len(halts) != 1 || halts[0].ID != rings.AutoHaltID("checkout-v2", "canary") || !halts[0].Auto || !slices.Equal(ids, []string{halts[0].ID}) {
		t.Fatalf("halts %+v, fence %v; want one automatic halt, fenced", halts, ids)
	}
}

func TestLoopConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  LoopConfig
		want string
	}{
		{"no store", LoopConfig{Promoter: &MemPromoter{}, Health: &MemHealth{}}, "Store is required"},
		{"no promoter", LoopConfig{Store: coordtest.NewStore(true), Health: &MemHealth{}}, "Promoter is required"},
		{"no health", LoopConfig{Store: coordtest.NewStore(true), Promoter: &MemPromoter{}}, "Health is required"},
		{"negative interval", LoopConfig{Store: coordtest.NewStore(true), Promoter: &MemPromoter{}, Health: &MemHealth{}, Interval: -1}, "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestLoopRolloutInProgressWaitsUntilSyncTimeout: a soaking canary whose
// Argo Rollouts canary pauses is not failed by its failed-check threshold
// (2 × 1m in the test topology); the in-progress flag travels from the
// health source through the Observe command into the state, and the ring
// fails once the pause lasted the ring's syncTimeout (15m by default).
func TestLoopRolloutInProgressWaitsUntilSyncTimeout(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.toSyncing(t)
	f.passUntilSoaking(t, id, "canary", 20, time.Second)
	f.clock.Advance(time.Minute)
	pausedAt := f.clock.Now()
	f.health.Set(rings.RegionHealth{Region: "us-east-1", Synced: true, Reason: "Suspended: Rollout is paused", InProgress: true})
	for i := 0; i < 10; i++ {
		f.loop.ReconcileOnce(context.Background())
		f.clock.Advance(time.Minute)
	}
	snap := f.store.Snapshot()
	rp := snap.State.ReleaseByID(id).Ring("canary")
	g := rp.Region("us-east-1")
	if rp.State != rings.RingSoaking || rp.ConsecutiveFailures != 0 || !g.InProgress || !g.InProgressSince.Equal(pausedAt) {
		t.Fatalf("after 10m paused: ring %s, %d failed checks, region in progress %t since %s; want soaking, 0, true since %s",
			rp.State, rp.ConsecutiveFailures, g.InProgress, g.InProgressSince, pausedAt)
	}
	obs := f.commandsOf(command.CmdObserve)
	if last := coordtest.DecodeAs[command.Observe](t, obs[len(obs)-1].Payload); !last.InProgress || last.Reason != "Suspended: Rollout is paused" {
		t.Fatalf("last observation %+v; want it in progress", last)
	}

	f.passUntil(t, 20, time.Minute, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).Ring("canary").State != rings.RingSoaking
	})
	fails := f.commandsOf(command.CmdFailRing)
	if len(fails) != 1 {
		t.Fatalf("%d fail-ring commands; want 1", len(fails))
	}
	ref := coordtest.DecodeAs[command.RingRef](t, fails[0].Payload)
	if !strings.Contains(ref.Reason, "region us-east-1 has been in progress for longer than syncTimeout 15m0s") || fails[0].At.Before(pausedAt.Add(15*time.Minute)) {
		t.Fatalf("ring failed at %s with %q; want the pause reason, not before %s", fails[0].At, ref.Reason, pausedAt.Add(15*time.Minute))
	}
}

// TestChangedNoticesInProgress: a syncing region whose evidence only
// changes from in progress to not (same reason) is recorded again.
func TestChangedNoticesInProgress(t *testing.T) {
	t.Parallel()
	prev := &rings.RegionProgress{Name: "us-east-1", Synced: true, Reason: "Suspended", ObservedAt: loopStart}
	obs := command.Observe{Region: "us-east-1", Synced: true, Reason: "Suspended", InProgress: true}
	if !changed(prev, obs, loopStart.Add(time.Second), time.Minute) {
		t.Error("in progress after not in progress: not recorded")
	}
	prev.InProgress = true
	if changed(prev, obs, loopStart.Add(time.Second), time.Minute) {
		t.Error("the same evidence within the interval: recorded again")
	}
}

func TestFenceCheckReadsTheStateInPlace(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		setup   func(t *testing.T, s *coordtest.Store, releaseID string)
		rollbck bool
		want    string // "" means the check passes
	}{
		{"nothing in the way", func(*testing.T, *coordtest.Store, string) {}, false, ""},
		{"global halt", func(t *testing.T, s *coordtest.Store, _ string) {
			s.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-g", Scope: rings.HaltScope{Global: true}, Reason: "incident"})
		}, false, "covered by halt halt-g (incident)"},
		{"halt of another app", func(t *testing.T, s *coordtest.Store, _ string) {
			s.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-a", Scope: rings.HaltScope{Apps: []string{"payments"}}, Reason: "other"})
		}, false, ""},
		{"release aborted", func(t *testing.T, s *coordtest.Store, id string) {
			s.MustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: id, Reason: "bad build"})
		}, false, "release is aborted"},
		{"release forgotten after it finished", func(t *testing.T, s *coordtest.Store, id string) {
			s.MustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: id, Reason: "bad build"})
			for i := range rings.KeepFinishedReleases {
				later := fmt.Sprintf("checkout-later-%d", i)
				s.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: later, App: "checkout", Version: "v9"})
				s.MustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: later, Reason: "superseded"})
			}
			if snap := s.Snapshot(); snap.State.ReleaseByID(id) != nil {
				t.Fatal("the release is still in the state: the case tests nothing")
			}
		}, false, "gone from the state"},
		{"rollback ignores halts", func(t *testing.T, s *coordtest.Store, _ string) {
			s.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-g", Scope: rings.HaltScope{Global: true}, Reason: "incident"})
		}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newLoopFixture(t, nil)
			id := f.release(t, "v2")
			tc.setup(t, f.store, id)
			p := rings.Promotion{ReleaseID: id, App: "checkout", Ring: "canary", Regions: []string{"us-east-1"}, Version: "v2", PromotionID: "p1", Rollback: tc.rollbck}
			before := f.store.Snapshots()
			err := f.loop.fenceCheck(p)(context.Background())
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Check = %v; want nil", err)
			case tc.want != "" && (!errors.Is(err, rings.ErrFenced) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Check = %v; want ErrFenced containing %q", err, tc.want)
			case f.store.Snapshots() != before:
				t.Fatalf("Check took %d deep copies of the state; want 0", f.store.Snapshots()-before)
			}
		})
	}
}

func TestPassCopiesTheStateAgainOnlyAfterAChange(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(t *testing.T, f *loopFixture)
		want  int64 // views the pass takes; it takes no deep copy
	}{
		// Soaking with nothing due: nothing is recorded, one view serves
		// the fence, observe and the plan.
		{"nothing changes", func(t *testing.T, f *loopFixture) {}, 1},
		// The analysis interval passed: the pass records observations,
		// so the plan needs a view that includes them.
		{"observations recorded", func(t *testing.T, f *loopFixture) { f.clock.Advance(2 * time.Minute) }, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newLoopFixture(t, nil)
			id := f.release(t, "v2")
			f.passUntilSoaking(t, id, "canary", 10, time.Second)
			tc.setup(t, f)
			copies, views := f.store.Snapshots(), f.store.Views()
			f.loop.ReconcileOnce(context.Background())
			if got := f.store.Snapshots() - copies; got != 0 {
				t.Fatalf("the pass took %d deep copies of the state; want none", got)
			}
			if got := f.store.Views() - views; got != tc.want {
				t.Fatalf("the pass took %d views of the state; want %d", got, tc.want)
			}
		})
	}
}
