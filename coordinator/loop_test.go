package coordinator

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// loopFixture is a leader loop over a tstore with in-memory effects and a
// manual clock. Tests drive passes with ReconcileOnce; nothing sleeps.
type loopFixture struct {
	store    *tstore
	promoter *MemPromoter
	health   *MemHealth
	fence    *MemFence
	clock    *ManualClock
	loop     *Loop
}

var loopStart = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC) // a Tuesday

func newLoopFixture(t *testing.T, mod func(*LoopConfig)) *loopFixture {
	t.Helper()
	f := &loopFixture{
		store:    newTStore(true).withTopology(t),
		promoter: &MemPromoter{},
		health:   &MemHealth{},
		fence:    &MemFence{},
		clock:    NewManualClock(loopStart),
	}
	cfg := LoopConfig{
		Store: f.store, Promoter: f.promoter, Health: f.health, Fence: f.fence, Clock: f.clock,
		Interval: time.Hour, Logger: loopLogger(t),
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
	return f.store.mustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-" + version, App: "checkout", Version: version}).ID
}

// commandsOf returns the applied commands of one type.
func (f *loopFixture) commandsOf(typ command.Type) []command.Command {
	var out []command.Command
	for _, c := range f.store.commands() {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
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
	id := f.release(t, "v2")
	f.passUntil(t, 200, 5*time.Minute, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).State == rings.ReleaseCompleted
	})
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
	for _, c := range f.store.commands() {
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
	f.promoter.PromoteFn = func(ctx context.Context, p Promotion) (PromotionResult, error) {
		// A person halts everything while the commit is being prepared.
		f.store.mustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-now", Scope: rings.HaltScope{Global: true}, Reason: "incident"})
		checkErr = p.Check(ctx)
		return PromotionResult{}, checkErr
	}
	f.passUntil(t, 10, time.Minute, func(store.Snapshot) bool { return f.loop.Stats().Fenced > 0 })
	if !errors.Is(checkErr, ErrFenced) || !strings.Contains(checkErr.Error(), "halt-now") {
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
	var checkErr error
	f.promoter.PromoteFn = func(ctx context.Context, p Promotion) (PromotionResult, error) {
		f.store.mu.Lock()
		f.store.verifyErr = command.ErrNotLeader
		f.store.mu.Unlock()
		checkErr = p.Check(ctx)
		return PromotionResult{}, checkErr
	}
	f.passUntil(t, 10, time.Minute, func(store.Snapshot) bool { return checkErr != nil })
	if !errors.Is(checkErr, ErrFenced) || !errors.Is(checkErr, command.ErrNotLeader) || len(f.commandsOf(command.CmdPromoted)) != 0 {
		t.Fatalf("Check returned %v; want ErrFenced wrapping ErrNotLeader and nothing recorded", checkErr)
	}
}

func TestLoopPromoterErrorIsRetriedNextPass(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.release(t, "v2")
	calls := 0
	real := &MemPromoter{}
	f.promoter.PromoteFn = func(ctx context.Context, p Promotion) (PromotionResult, error) {
		calls++
		if calls == 1 {
			return PromotionResult{}, errors.New("git push: connection refused")
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
			h.Set(RegionHealth{Region: "us-east-1", Synced: true, Healthy: false, Reason: "Degraded"})
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
			got := decodeAs[command.Observe](t, obs[len(obs)-1].Payload)
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
	f.passUntil(t, 100, 5*time.Minute, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).Ring("early").State == rings.RingSoaking
	})
	for _, c := range f.commandsOf(command.CmdObserve) {
		if o := decodeAs[command.Observe](t, c.Payload); o.Region != "us-east-1" {
			t.Fatalf("observation recorded for %s, which has no health source", o.Region)
		}
	}
}

func TestLoopSoakingRingIsAskedOncePerAnalysisInterval(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.release(t, "v2")
	f.passUntil(t, 20, time.Second, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).Ring("canary").State == rings.RingSoaking
	})
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
	f.store.mustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-a", Scope: rings.HaltScope{Global: true}, Reason: "x"})
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
	if len(halts) != 1 || halts[0].ID != AutoHaltID("checkout-v2", "canary") || !halts[0].Auto || !slices.Equal(ids, []string{halts[0].ID}) {
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
		{"no promoter", LoopConfig{Store: newTStore(true), Health: &MemHealth{}}, "Promoter is required"},
		{"no health", LoopConfig{Store: newTStore(true), Promoter: &MemPromoter{}}, "Health is required"},
		{"negative interval", LoopConfig{Store: newTStore(true), Promoter: &MemPromoter{}, Health: &MemHealth{}, Interval: -1}, "negative"},
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

// loopLogger logs through t when -v is set, and discards otherwise.
func loopLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
