package leader

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// trainTopology has a Tuesday 10:00 UTC train for checkout, a freeze on
// Tuesday 24 November 12:00–18:00 UTC, and rings of 3 h, 2 h and 0 s soak
// with no health sources (they advance on soak time alone).
const trainTopology = `apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: trains}
spec:
  gitops: {repo: https://git.example.com/deploy.git, branch: main}
  regions:
    - {name: us-east-1, timezone: UTC}
    - {name: eu-west-1, timezone: UTC}
    - {name: ap-south-1, timezone: UTC}
  rings:
    - {name: canary, regions: [us-east-1], soak: 3h}
    - {name: early, regions: [eu-west-1], soak: 2h}
    - {name: global, regions: [ap-south-1], soak: 0s}
  freezes:
    - {name: tuesday-afternoon, schedule: "0 12 24 11 *", duration: 6h, timezone: UTC}
  trains:
    - {name: tuesday, apps: [checkout], schedule: "0 10 * * TUE", timezone: UTC}
  policy:
    onFailure: halt-later-rings
    rollback: automatic
    analysis: {interval: 1m, failureThreshold: 2}
    errorBudget: {slo: 0.999, window: 720h, autoApproveAbove: 50, approvalAbove: 25}
  apps:
    - name: checkout
      targets: [{file: "apps/checkout/{{region}}/values.yaml", yamlPath: image.tag}]
    - name: ledger
      targets: [{file: "apps/ledger/{{region}}/values.yaml", yamlPath: image.tag}]
`

// trainFixture is a leader loop over a coordtest.Store with the train topology, a
// manual clock starting Monday 23 November 2026 09:00 UTC, a promoter that
// records when each promotion landed and a planner that records its plans.
type trainFixture struct {
	store  *coordtest.Store
	clock  *ManualClock
	loop   *Loop
	mu     sync.Mutex
	landed []landedAt
	plans  []plannedAt
}

type landedAt struct {
	rings.Promotion
	at time.Time
}

type plannedAt struct {
	at   time.Time
	plan planner.Plan
}

var trainMonday = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newTrainFixture(t *testing.T) *trainFixture {
	t.Helper()
	f := &trainFixture{store: coordtest.NewStore(true), clock: NewManualClock(trainMonday)}
	src := []byte(trainTopology)
	f.apply(t, command.CmdAdoptTopology, command.AdoptTopology{Revision: rings.TopologyRevision(src), Path: "trains.yaml", Source: src})
	inner := &MemPromoter{}
	promoter := &MemPromoter{PromoteFn: func(ctx context.Context, p rings.Promotion) (rings.PromotionResult, error) {
		res, err := inner.Promote(ctx, p)
		if err == nil {
			f.mu.Lock()
			f.landed = append(f.landed, landedAt{Promotion: p, at: f.clock.Now()})
			f.mu.Unlock()
		}
		return res, err
	}}
	recordPlan := func(tp *topology.Topology, s *rings.State, now time.Time) planner.Plan {
		p := planner.PlanNext(tp, s, now)
		f.mu.Lock()
		f.plans = append(f.plans, plannedAt{at: now, plan: p})
		f.mu.Unlock()
		return p
	}
	l, err := NewLoop(LoopConfig{Store: f.store, Promoter: promoter, Health: &MemHealth{}, Fence: &MemFence{}, Clock: f.clock,
		Planner: recordPlan, Interval: time.Hour, Logger: coordtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	f.loop = l
	return f
}

// apply proposes a command stamped with the fixture's clock, as the API
// does.
func (f *trainFixture) apply(t *testing.T, typ command.Type, payload any) store.ApplyResult {
	t.Helper()
	cmd, err := command.New(typ, "alice", payload)
	if err != nil {
		t.Fatal(err)
	}
	cmd.RequestID = command.NewRequestID()
	cmd.At = f.clock.Now().UTC()
	res, err := f.store.Apply(context.Background(), cmd)
	if err != nil {
		t.Fatalf("apply %s: %v", typ, err)
	}
	return res
}

// run drives the loop as Run does, without sleeping: passes repeat at the
// same instant while they make progress; otherwise the clock moves to the
// plan's NextCheck or by step, whichever is sooner. It stops when cond holds.
func (f *trainFixture) run(t *testing.T, step time.Duration, cond func(store.Snapshot) bool) {
	t.Helper()
	for i := 0; i < 5000; i++ {
		next, progressed := f.loop.pass(context.Background())
		if cond(f.store.Snapshot()) {
			return
		}
		if progressed {
			continue
		}
		now := f.clock.Now()
		if !next.IsZero() && next.After(now) && next.Sub(now) < step {
			f.clock.Set(next)
		} else {
			f.clock.Advance(step)
		}
	}
	t.Fatalf("condition not reached by %s", f.clock.Now())
}

// firstLanding returns when the first promotion of release into ring
// landed (zero if none).
func (f *trainFixture) firstLanding(release, ring string) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.landed {
		if l.ReleaseID == release && l.Ring == ring && !l.Rollback {
			return l.at
		}
	}
	return time.Time{}
}

// waitAt reports whether the plan made at the latest instant ≤ at holds a
// wait of the given reason for release (and ring, when not empty).
func (f *trainFixture) waitAt(at time.Time, release, ring string, reason planner.WaitReason) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	var plan *planner.Plan
	for i := range f.plans {
		if !f.plans[i].at.After(at) {
			plan = &f.plans[i].plan
		}
	}
	if plan == nil {
		return false
	}
	return slices.ContainsFunc(plan.Waits, func(w planner.Wait) bool {
		return w.ReleaseID == release && (ring == "" || w.Ring == ring) && w.Reason == reason
	})
}

// TestLoopScheduledReleasesAndTrains creates, on Monday 09:00, two checkout
// releases for the Tuesday train and a ledger release with a start time of
// Monday 15:00, then lets the leader loop run until all three completed.
func TestLoopScheduledReleasesAndTrains(t *testing.T) {
	t.Parallel()
	f := newTrainFixture(t)
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, time.UTC) }
	v1 := f.apply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-v1", App: "checkout", Version: "v1", Train: "tuesday"}).ID
	v2 := f.apply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-v2", App: "checkout", Version: "v2", Train: "tuesday"}).ID
	led := f.apply(t, command.CmdCreateRelease, command.CreateRelease{ID: "ledger-v1", App: "ledger", Version: "v1", StartAt: at(23, 15, 0)}).ID
	f.run(t, 5*time.Minute, func(s store.Snapshot) bool {
		for _, id := range []string{v1, v2, led} {
			if s.State.ReleaseByID(id).State != rings.ReleaseCompleted {
				return false
			}
		}
		return true
	})
	snap := f.store.Snapshot()
	rel := func(id string) *rings.Release { return snap.State.ReleaseByID(id) }

	tests := []struct {
		name string
		ok   bool
		got  any
	}{
		{"ledger waits on Monday morning for its start time", f.waitAt(at(23, 14, 55), led, "", planner.WaitSchedule), "no schedule wait"},
		{"ledger canary lands at its start time", f.firstLanding(led, "canary").Equal(at(23, 15, 0)), f.firstLanding(led, "canary")},
		{"checkout v1 waits for the train on Monday", f.waitAt(at(23, 20, 0), v1, "", planner.WaitSchedule), "no schedule wait"},
		{"checkout v1 departs with the train", f.firstLanding(v1, "canary").Equal(at(24, 10, 0)), f.firstLanding(v1, "canary")},
		{"checkout v2 queues behind v1 after the departure", f.waitAt(at(24, 11, 0), v2, "", planner.WaitQueue), "no queue wait"},
		{"checkout v1 canary finished soaking inside the freeze", rel(v1).Ring("canary").DoneAt.After(at(24, 12, 0)) && rel(v1).Ring("canary").DoneAt.Before(at(24, 18, 0)), rel(v1).Ring("canary").DoneAt},
		{"the freeze that opened after ring 0 holds ring 1", f.waitAt(at(24, 15, 0), v1, "early", planner.WaitFreeze), "no freeze wait"},
		{"ring 1 lands when the freeze ends", f.firstLanding(v1, "early").Equal(at(24, 18, 0)), f.firstLanding(v1, "early")},
		{"checkout v2 starts only after v1 completed", !f.firstLanding(v2, "canary").Before(rel(v1).UpdatedAt), f.firstLanding(v2, "canary")},
		{"checkout v2 starts as soon as v1 completed", f.firstLanding(v2, "canary").Equal(rel(v1).UpdatedAt), f.firstLanding(v2, "canary")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Fatalf("got %v", tc.got)
			}
		})
	}
}

// TestLoopTrainMissedByMinutesWaitsAWeek: a release created just after the
// train left waits for the next departure, a week later.
func TestLoopTrainMissedByMinutesWaitsAWeek(t *testing.T) {
	t.Parallel()
	f := newTrainFixture(t)
	f.clock.Set(time.Date(2026, 11, 24, 10, 1, 0, 0, time.UTC))
	id := f.apply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-late", App: "checkout", Version: "v3", Train: "tuesday"}).ID
	f.run(t, time.Hour, func(store.Snapshot) bool { return !f.firstLanding(id, "canary").IsZero() })
	if got, want := f.firstLanding(id, "canary"), time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("canary landed %s; want the next departure %s", got, want)
	}
}

// withBudgetTopology adopts coordtest.Topology with a Prometheus
// in us-east-1 (the canary ring) and a second app, ledger, so the
// error-budget gate applies to the canary of both apps.
func withBudgetTopology(t *testing.T, s *coordtest.Store) *coordtest.Store {
	t.Helper()
	src := coordtest.Topology
	doc := strings.Replace(string(src), `application: "{{app}}-{{region}}"}`+"\n",
		`application: "{{app}}-{{region}}"}`+"\n      prometheus: {url: http://prometheus.example.com:9090}\n", 1)
	doc += "    - name: ledger\n      targets: [{file: \"apps/ledger/{{region}}/values.yaml\", yamlPath: image.tag}]\n"
	if _, err := topology.Parse("budget-topology.yaml", []byte(doc)); err != nil {
		t.Fatalf("test topology: %v", err)
	}
	s.MustApply(t, command.CmdAdoptTopology, command.AdoptTopology{Revision: rings.TopologyRevision([]byte(doc)), Path: "budget-topology.yaml", Source: []byte(doc)})
	return s
}

// budgetSourceFake reports fixed figures, or fails while down is set.
type budgetSourceFake struct {
	mu      sync.Mutex
	down    bool
	budgets []rings.Budget
}

func (b *budgetSourceFake) Budgets(_ context.Context, _ *topology.Topology, at time.Time) ([]rings.Budget, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		return nil, errors.New("prometheus unreachable")
	}
	out := make([]rings.Budget, len(b.budgets))
	for i, x := range b.budgets {
		x.At = at
		out[i] = x
	}
	return out, nil
}

func (b *budgetSourceFake) set(down bool, budgets ...rings.Budget) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down, b.budgets = down, budgets
}

func newBudgetLoopFixture(t *testing.T, src BudgetSource) *loopFixture {
	t.Helper()
	f := newLoopFixture(t, func(c *LoopConfig) {
		c.Store = withBudgetTopology(t, coordtest.NewStore(true))
		c.Budgets, c.BudgetInterval = src, time.Minute
	})
	f.store = f.loop.cfg.Store.(*coordtest.Store)
	return f
}

// budgetWait returns the error-budget wait of a release, or "".
func budgetWait(f *loopFixture, id string) string {
	snap := f.store.Snapshot()
	for _, w := range planner.PlanNext(snap.Topology, &snap.State, f.clock.Now()).Waits {
		if w.ReleaseID == id && w.Reason == planner.WaitErrorBudget {
			return w.Detail
		}
	}
	return ""
}

// TestLoopBudgetsPerAppGateTheirOwnReleases: the leader records one budget
// per app and region; ledger's exhausted budget holds ledger's release in
// the canary and leaves checkout's alone.
func TestLoopBudgetsPerAppGateTheirOwnReleases(t *testing.T) {
	t.Parallel()
	src := &budgetSourceFake{}
	src.set(false,
		rings.Budget{App: "checkout", Region: "us-east-1", RemainingPercent: 90},
		rings.Budget{App: "ledger", Region: "us-east-1", RemainingPercent: 5})
	f := newBudgetLoopFixture(t, src)
	checkout := f.release(t, "v2")
	ledger := f.store.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "ledger-v9", App: "ledger", Version: "v9"}).ID
	for range 3 {
		f.loop.ReconcileOnce(context.Background())
	}
	snap := f.store.Snapshot()
	expect(t, []check{
		{"one figure per app and region", len(snap.State.Budgets), 2},
		{"checkout's figure", snap.State.Budgets["checkout/us-east-1"].RemainingPercent, 90.0},
		{"ledger's figure", snap.State.Budgets["ledger/us-east-1"].RemainingPercent, 5.0},
		{"checkout promoted to the canary", snap.State.ReleaseByID(checkout).Ring("canary").Regions[0].Promoted(), true},
		{"ledger held in the canary", snap.State.ReleaseByID(ledger).Ring("canary").Regions[0].Promoted(), false},
		{"ledger waits for its own budget", budgetWait(f, ledger),
			"the error budget of app ledger in region us-east-1 is exhausted (5.0% remains): only P0, security, reliability releases may promote"},
	})
}

// TestLoopBudgetNeverMeasuredFailsClosed: with Prometheus down since the
// start nothing is recorded and the canary waits with a clear reason; once
// Prometheus answers the figure is recorded and the release goes; when it
// goes down again the last figure stays.
func TestLoopBudgetNeverMeasuredFailsClosed(t *testing.T) {
	t.Parallel()
	src := &budgetSourceFake{}
	src.set(true)
	f := newBudgetLoopFixture(t, src)
	id := f.release(t, "v2")
	for range 3 {
		f.loop.ReconcileOnce(context.Background())
	}
	snap := f.store.Snapshot()
	if n := len(snap.State.Budgets); n != 0 {
		t.Fatalf("budgets recorded while Prometheus is down: %v", snap.State.Budgets)
	}
	if snap.State.ReleaseByID(id).Ring("canary").Regions[0].Promoted() {
		t.Fatal("canary promoted with a budget never measured; want it held (fail closed)")
	}
	want := "error budget of app checkout in region us-east-1 has not been measured yet (is Prometheus reachable?): only P0, security, reliability releases may promote until it is"
	if got := budgetWait(f, id); got != want {
		t.Fatalf("budget wait:\n got %q\nwant %q", got, want)
	}

	src.set(false, rings.Budget{App: "checkout", Region: "us-east-1", RemainingPercent: 70})
	f.clock.Advance(time.Minute)
	f.loop.ReconcileOnce(context.Background())
	f.loop.ReconcileOnce(context.Background())
	snap = f.store.Snapshot()
	if !snap.State.ReleaseByID(id).Ring("canary").Regions[0].Promoted() {
		t.Fatalf("canary not promoted once the budget was measured; waits: %q", budgetWait(f, id))
	}

	src.set(true)
	f.clock.Advance(time.Minute)
	f.loop.ReconcileOnce(context.Background())
	if b := f.store.Snapshot().State.Budgets["checkout/us-east-1"]; b.RemainingPercent != 70 || !b.At.Equal(loopStart.Add(time.Minute)) {
		t.Fatalf("budget after a failed measurement = %+v; want the last good figure (70%% at %s)", b, loopStart.Add(time.Minute))
	}
}

// TestLoopRefusesBudgetsWithoutApp: a source that forgets the app records
// nothing (it would gate no release and hide the real figure).
func TestLoopRefusesBudgetsWithoutApp(t *testing.T) {
	t.Parallel()
	src := &budgetSourceFake{}
	src.set(false, rings.Budget{Region: "us-east-1", RemainingPercent: 100})
	f := newBudgetLoopFixture(t, src)
	f.loop.ReconcileOnce(context.Background())
	if n := len(f.commandsOf(command.CmdRecordBudget)); n != 0 {
		t.Fatalf("%d budgets without an app recorded; want none", n)
	}
}

// TestMemBudgetsWholeUnlessSet: the in-memory source gives every app its
// whole budget in every region with a Prometheus.
func TestMemBudgetsWholeUnlessSet(t *testing.T) {
	t.Parallel()
	m := &MemBudgets{}
	m.Set("ledger", "us-east-1", 12)
	f := newBudgetLoopFixture(t, m)
	f.loop.ReconcileOnce(context.Background())
	got := f.store.Snapshot().State.Budgets
	if len(got) != 2 || got["checkout/us-east-1"].RemainingPercent != 100 || got["ledger/us-east-1"].RemainingPercent != 12 ||
		got["checkout/us-east-1"].RemainingSeconds != 2592 {
		t.Fatalf("budgets = %+v; want checkout whole (100%%, 2592s) and ledger 12%% in us-east-1 only", got)
	}
}
