package leader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/httpapi"
	"github.com/ringleader-dev/ringleader/coordinator/store"
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
	id := f.store.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-v2", App: "checkout", Version: "v2", PreviousVersion: "v1"}).ID
	f.store.MustApply(t, command.CmdStartRelease, command.ReleaseRef{ReleaseID: id})
	// What Git held before the release, so the first pass promotes.
	var bs []rings.RegionBaseline
	for _, region := range []string{"us-east-1", "eu-west-1", "ap-south-1"} {
		bs = append(bs, rings.RegionBaseline{Region: region, Version: "v1"})
	}
	f.store.MustApply(t, command.CmdRecordBaseline, command.RecordBaseline{ReleaseID: id, Commit: "base", Regions: bs})
	return id
}

// badTarget is what cmd/ringd's gitPromoter returns for a missing key.
func badTarget(p rings.Promotion) error {
	return fmt.Errorf("%w: promotion %s: file apps/checkout/us-east-1/values.yaml (region us-east-1, yamlPath image.tag): path image.tag: key \"tag\" not found under image",
		rings.ErrNeedsHuman, p.PromotionID)
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
	f.promoter.PromoteFn = func(_ context.Context, p rings.Promotion) (rings.PromotionResult, error) {
		calls++
		return rings.PromotionResult{}, badTarget(p)
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
	f.promoter.PromoteFn = func(ctx context.Context, p rings.Promotion) (rings.PromotionResult, error) {
		calls++
		if calls <= 3 {
			return rings.PromotionResult{}, errors.New("push to git://git.example.com/gitops: dial tcp 10.0.0.7:9418: connection refused")
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
	fail := func(context.Context, rings.Promotion) (rings.PromotionResult, error) {
		return rings.PromotionResult{}, errors.New("502 Bad Gateway")
	}
	f.promoter.PromoteFn = fail
	f.loop.ReconcileOnce(context.Background())
	next, err := NewLoop(LoopConfig{Store: f.store, Promoter: &MemPromoter{PromoteFn: fail}, Health: f.health, Clock: f.clock, Interval: time.Hour, Logger: coordtest.Discard()})
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
	f.store.MustApply(t, command.CmdPromoted, command.Promoted{ReleaseID: id, Ring: "canary", Regions: []string{"us-east-1"}, PromotionID: "p1", Commit: "c1"})
	f.store.MustApply(t, command.CmdFailRing, command.RingRef{ReleaseID: id, Ring: "canary", Reason: "error rate"})
	rollbacks := 0
	f.promoter.PromoteFn = func(_ context.Context, p rings.Promotion) (rings.PromotionResult, error) {
		if p.Rollback {
			rollbacks++
		}
		return rings.PromotionResult{}, fmt.Errorf("%w: push to git://git/gitops: the server refused to update refs/heads/main: pre-receive hook declined", rings.ErrNeedsHuman)
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

// judgmentTopology has a two-region canary ring with a metrics source in
// each region, an analysis every minute failing a region after 3 failed
// checks, and rollbacks verified for 2m within 15m.
const judgmentTopology = `apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: judgment}
spec:
  gitops: {repo: https://git.example.com/deploy.git, branch: main}
  regions:
    - {name: us-east-1, timezone: UTC, prometheus: {url: "http://prom-use1.example.com:9090"}}
    - {name: us-east-2, timezone: UTC, prometheus: {url: "http://prom-use2.example.com:9090"}}
    - {name: eu-west-1, timezone: UTC, prometheus: {url: "http://prom-euw1.example.com:9090"}}
  rings:
    - {name: canary, regions: [us-east-1, us-east-2], soak: 30m}
    - {name: early, regions: [eu-west-1], soak: 1h}
  policy:
    onFailure: halt-later-rings
    rollback: {mode: automatic, verify: 2m, timeout: 15m}
    analysis:
      interval: 1m
      failureThreshold: 3
      metrics: [{name: error-rate, query: 'errors{region="{{region}}"}', max: 0.05}]
  apps:
    - name: checkout
      targets: [{file: "apps/checkout/{{region}}/values.yaml", yamlPath: image.tag}]
`

// regionWorld answers health queries like regions running versions: a
// region in bad serves 50 % errors on the version being judged, unless the
// version is in cured.
type regionWorld struct {
	mu    sync.Mutex
	bad   map[string]bool // region → bad on the new version
	stuck map[string]bool // region → bad whatever it runs (a rollback does not cure it)
	asked []rings.HealthQuery
}

func (w *regionWorld) Observe(_ context.Context, q rings.HealthQuery) ([]rings.RegionHealth, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.asked = append(w.asked, q)
	var out []rings.RegionHealth
	for _, tg := range q.Regions {
		bad := w.stuck[tg.Region] || (w.bad[tg.Region] && q.Version == "v2")
		h := rings.RegionHealth{Region: tg.Region, Synced: true, Healthy: true}
		if q.Soaking {
			c := rings.Observation{Check: "error-rate", Value: 0.001, Threshold: "<= 0.05", Pass: true}
			if bad {
				c.Value, c.Pass = 0.5, false
			}
			h.Checks = []rings.Observation{c}
		}
		out = append(out, h)
	}
	return out, nil
}

func newJudgmentFixture(t *testing.T, world *regionWorld) *loopFixture {
	t.Helper()
	f := &loopFixture{store: coordtest.NewStore(true), promoter: &MemPromoter{}, fence: &MemFence{}, clock: NewManualClock(loopStart)}
	src := []byte(judgmentTopology)
	f.store.MustApply(t, command.CmdAdoptTopology, command.AdoptTopology{Revision: rings.TopologyRevision(src), Path: "judgment.yaml", Source: src})
	f.loop = f.newLoop(t, world)
	return f
}

// newLoop is another leader loop over the fixture's store and clock (a new
// leader after failover sees the same replicated state).
func (f *loopFixture) newLoop(t *testing.T, world *regionWorld) *Loop {
	t.Helper()
	l, err := NewLoop(LoopConfig{Store: f.store, Promoter: f.promoter, Health: world, Fence: f.fence, Clock: f.clock, Interval: time.Hour, Logger: coordtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (f *loopFixture) releaseFrom(t *testing.T, version, previous string) string {
	t.Helper()
	return f.store.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-" + version, App: "checkout", Version: version, PreviousVersion: previous}).ID
}

// TestLoopOneBadRegionFailsTheRingAndRollsBackBoth: us-east-2 serves
// errors on v2, us-east-1 does not. The ring fails within threshold ×
// interval + one interval of its soak start, naming us-east-2; both
// regions are rolled back; early is never promoted; the release is
// rolled-back only once both regions verified the old version.
func TestLoopOneBadRegionFailsTheRingAndRollsBackBoth(t *testing.T) {
	t.Parallel()
	world := &regionWorld{bad: map[string]bool{"us-east-2": true}}
	f := newJudgmentFixture(t, world)
	id := f.releaseFrom(t, "v2", "v1")
	f.passUntil(t, 100, time.Minute, func(s store.Snapshot) bool { return !s.State.ReleaseByID(id).Ring("canary").FailedAt.IsZero() })
	snap0 := f.store.Snapshot()
	canary := snap0.State.ReleaseByID(id).Ring("canary")
	if took := canary.FailedAt.Sub(canary.SoakStartedAt); took > 4*time.Minute {
		t.Errorf("ring failed %s after its soak started; want within 3 × 1m + 1m", took)
	}
	if !strings.Contains(canary.Reason, "us-east-2") || !strings.Contains(canary.Reason, "error-rate = 0.5") {
		t.Errorf("failure reason %q does not name us-east-2 and its value", canary.Reason)
	}
	f.passUntil(t, 100, time.Minute, func(s store.Snapshot) bool { return s.State.ReleaseByID(id).State.Terminal() })
	snap1 := f.store.Snapshot()
	rel := snap1.State.ReleaseByID(id)
	if rel.State != rings.ReleaseRolledBack {
		t.Fatalf("release %s (%s), want rolled-back", rel.State, rel.Reason)
	}
	var rolledBack []string
	for _, p := range f.promoter.Landed() {
		if p.Ring == "early" {
			t.Fatalf("early was promoted after canary failed: %+v", p)
		}
		if p.Rollback {
			rolledBack = append(rolledBack, p.Regions...)
		}
	}
	slices.Sort(rolledBack)
	if !slices.Equal(rolledBack, []string{"us-east-1", "us-east-2"}) {
		t.Errorf("rolled back %v, want both canary regions", rolledBack)
	}
	for _, g := range rel.Ring("canary").Regions {
		if !g.RollbackVerified() || g.RollbackVerifiedAt.Sub(g.RolledBackAt) < 2*time.Minute {
			t.Errorf("%s: rollback verified at %s, landed at %s; want verified after 2m of good evidence", g.Name, g.RollbackVerifiedAt, g.RolledBackAt)
		}
	}
	// The rollback was judged on the version it restores.
	world.mu.Lock()
	defer world.mu.Unlock()
	last := world.asked[len(world.asked)-1]
	if last.Version != "v1" || last.Regions[0].Commit == "" || !last.Soaking {
		t.Errorf("verification asked %+v; want v1 at the rollback commit, analysed", last)
	}
}

// TestLoopRollbackThatStaysDegradedFails: us-east-2 stays bad after its
// rollback. The release ends rollback-failed at the timeout, a halt on
// us-east-2 is active and fenced into Git, and a new leader taking over in
// the middle of the verification keeps the deadline.
func TestLoopRollbackThatStaysDegradedFails(t *testing.T) {
	t.Parallel()
	world := &regionWorld{stuck: map[string]bool{"us-east-2": true}}
	f := newJudgmentFixture(t, world)
	id := f.releaseFrom(t, "v2", "v1")
	f.passUntil(t, 100, time.Minute, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).Ring("canary").State == rings.RingRollingBack
	})
	snap0 := f.store.Snapshot()
	landed := snap0.State.ReleaseByID(id).Ring("canary").Region("us-east-2").RolledBackAt

	// Failover: a new leader picks up the verification 5 minutes later.
	f.clock.Set(landed.Add(5 * time.Minute))
	f.loop = f.newLoop(t, world)
	f.passUntil(t, 100, time.Minute, func(s store.Snapshot) bool { return s.State.ReleaseByID(id).State.Terminal() })
	snap := f.store.Snapshot()
	rel := snap.State.ReleaseByID(id)
	if rel.State != rings.ReleaseRollbackFailed {
		t.Fatalf("release %s (%s), want rollback-failed", rel.State, rel.Reason)
	}
	g := rel.Ring("canary").Region("us-east-2")
	if failedAfter := g.RollbackFailedAt.Sub(landed); failedAfter < 15*time.Minute || failedAfter > 16*time.Minute {
		t.Errorf("rollback failed %s after it landed; want at the 15m timeout, kept across the failover", failedAfter)
	}
	if ok := rel.Ring("canary").Region("us-east-1"); !ok.RollbackVerified() {
		t.Errorf("us-east-1 recovered but its rollback is not verified: %+v", ok)
	}
	halts := snap.State.CoveringHalts("another-release", "another-app", "any-ring", []string{"us-east-2"})
	if len(halts) != 1 || !halts[0].Auto || !strings.Contains(halts[0].Reason, "us-east-2") {
		t.Fatalf("halts covering us-east-2: %+v; want one automatic halt naming it", halts)
	}
	fenced, _ := f.fence.Halts()
	if !slices.Contains(fenced, halts[0].ID) {
		t.Errorf("fence holds %v, want the rollback halt %s", fenced, halts[0].ID)
	}
	if n := len(f.commandsOf(command.CmdRollbackFailed)); n != 1 {
		t.Errorf("%d rollback-failed commands, want 1", n)
	}
	if a := httpapi.Attentions(&snap.State); len(a) != 1 || a[0].ReleaseID != id || !slices.Equal(a[0].Regions, []string{"us-east-2"}) {
		t.Errorf("attention %+v, want the failed rollback of us-east-2", a)
	}
	// Resuming the halt (a person looked) takes it off the list.
	f.store.MustApply(t, command.CmdResumeHalt, command.ResumeHalt{HaltID: halts[0].ID, Reason: "drained us-east-2 by hand"})
	after := f.store.Snapshot()
	if a := httpapi.Attentions(&after.State); len(a) != 0 {
		t.Errorf("attention %+v after the halt was resumed, want none", a)
	}
}
