package leader

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

func TestLoopPromotionsCarrySoakEvidence(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.releaseCompleted(t, "v2")
	snap := f.store.Snapshot()
	rel := snap.State.ReleaseByID(id)
	want := map[string]struct {
		ring string
		at   time.Time
	}{
		"canary": {},
		"early":  {"canary", rel.Ring("canary").DoneAt},
		"global": {"early", rel.Ring("early").DoneAt},
	}
	landed := f.promoter.Landed()
	if len(landed) != 3 {
		t.Fatalf("%d promotions landed, want 3", len(landed))
	}
	for _, p := range landed {
		w := want[p.Ring]
		if p.PreviousRing != w.ring || !p.PreviousRingSoakedAt.Equal(w.at) {
			t.Errorf("ring %s: evidence %q@%s, want %q@%s", p.Ring, p.PreviousRing, p.PreviousRingSoakedAt, w.ring, w.at)
		}
	}
}

// gateFake is the pre-promotion webhook: it counts the promotions it is
// asked about and refuses them with refusal while refusing is set.
type gateFake struct {
	asked    atomic.Int64
	refusing atomic.Bool
	refusal  error
}

// refusingGate is a gate that refuses every promotion with refusal.
func refusingGate(refusal string) *gateFake {
	g := &gateFake{refusal: errors.New(refusal)}
	g.refusing.Store(true)
	return g
}

func (g *gateFake) BeforePromote(context.Context, rings.Promotion) error {
	g.asked.Add(1)
	if g.refusing.Load() {
		return g.refusal
	}
	return nil
}

func TestLoopPrePromotionRefusalIsAWait(t *testing.T) {
	t.Parallel()
	gate := refusingGate("pre-promotion webhook refused: answered 409 Conflict: change freeze")
	f := newLoopFixture(t, func(c *LoopConfig) { c.BeforePromote = gate.BeforePromote })
	id := f.release(t, "v2")
	for range 3 {
		f.loop.ReconcileOnce(context.Background())
	}
	snap := f.store.Snapshot()
	rel := snap.State.ReleaseByID(id)
	refusals := f.reasonsWith("pre-promotion")
	askedWhileRefusing := gate.asked.Load()
	gate.refusing.Store(false)
	f.passUntil(t, 10, time.Second, func(store.Snapshot) bool { return len(f.commandsOf(command.CmdPromoted)) == 1 })
	expect(t, []check{
		{"gate asked while refusing", askedWhileRefusing > 0, true},
		{"nothing promoted while refused", len(f.promoter.Landed()) > 0 && refusals == 0, false},
		{"refusal is the release's reason", strings.Contains(rel.Reason, "change freeze"), true},
		{"refusal recorded once", refusals, 1},
		{"release still runs", rel.State, rings.ReleaseRunning},
		{"refusal is not an error", f.loop.Stats().Errors, int64(0)},
		{"promoted once allowed", len(f.promoter.Landed()), 1},
	})
}

// A promotion an earlier leader pushed but did not record is recorded by
// the next leader without asking the pre-promotion gate again: a refusal
// would only delay recording what is already in Git.
func TestLoopRecordsALandedPromotionWithoutTheGate(t *testing.T) {
	t.Parallel()
	gate := refusingGate("pre-promotion webhook refused: change freeze")
	f := newLoopFixture(t, func(c *LoopConfig) { c.BeforePromote = gate.BeforePromote })
	id := f.release(t, "v2")
	// What the earlier leader pushed: the canary promotion, by its ID.
	pid := rings.PromotionID(id, "canary", []string{"us-east-1"})
	pushed, err := f.promoter.Promote(context.Background(), rings.Promotion{ReleaseID: id, App: "checkout", Ring: "canary", Regions: []string{"us-east-1"}, Version: "v2", PromotionID: pid})
	if err != nil {
		t.Fatal(err)
	}
	f.passUntil(t, 10, time.Second, func(store.Snapshot) bool { return len(f.commandsOf(command.CmdPromoted)) == 1 })
	var rec command.Promoted
	if err := json.Unmarshal(f.commandsOf(command.CmdPromoted)[0].Payload, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.PromotionID != pid || rec.Commit != pushed.Commit {
		t.Fatalf("recorded %s at %s; want %s at %s", rec.PromotionID, rec.Commit, pid, pushed.Commit)
	}
	if asked := gate.asked.Load(); asked != 0 {
		t.Fatalf("the gate was asked %d times about a promotion already in Git; want 0", asked)
	}
	if n := len(f.promoter.Landed()); n != 1 {
		t.Fatalf("%d promotions in Git; want the one pushed before", n)
	}
}

func TestLoopTellsAfterRingOfDoneRings(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var done []RingDone
	f := newLoopFixture(t, func(c *LoopConfig) {
		c.AfterRing = func(_ context.Context, r RingDone) {
			mu.Lock()
			defer mu.Unlock()
			done = append(done, r)
		}
	})
	f.releaseCompleted(t, "v2")
	poll.Until(t, 5*time.Second, "AfterRing told of three rings", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(done) >= 3
	})
	mu.Lock()
	defer mu.Unlock()
	var got []string
	for _, d := range done {
		got = append(got, d.Ring+":"+strings.Join(d.Regions, ",")+":"+d.Version)
	}
	slices.Sort(got)
	want := []string{"canary:us-east-1:v2", "early:eu-west-1:v2", "global:ap-south-1:v2"}
	if !slices.Equal(got, want) {
		t.Errorf("AfterRing told %v, want %v", got, want)
	}
}

func TestLoopDuringSoakWebhookFailureFailsTheRingAtOnce(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.release(t, "v2")
	f.passUntilSoaking(t, id, "canary", 20, time.Second)
	f.health.Set(rings.RegionHealth{Region: "us-east-1", Synced: true, Healthy: true, Checks: []rings.Observation{
		{Check: "error-rate", Pass: true, Value: 0.001, Threshold: "max 0.01"},
		{Check: CheckDuringSoak, Pass: false, Reason: "during-soak webhook answered 500: synthetic probe failed"},
	}})
	f.clock.Advance(time.Minute)
	f.loop.ReconcileOnce(context.Background())
	snap := f.store.Snapshot()
	canary := snap.State.ReleaseByID(id).Ring("canary")
	expect(t, []check{
		{"ring failed after one failed webhook check (threshold 2)", canary.State, rings.RingFailed},
		{"reason names the webhook", strings.Contains(canary.Reason, "during-soak webhook failed"), true},
		{"reason carries the receiver's answer", strings.Contains(canary.Reason, "synthetic probe failed"), true},
	})
}

func TestLoopAdoptsOrRejectsTheTopologyFeed(t *testing.T) {
	t.Parallel()
	good := coordtest.Topology
	changed := bytes.Replace(good, []byte("soak: 2h"), []byte("soak: 3h"), 1)
	bad := bytes.Replace(good, []byte("soak: 2h"), []byte("soak: soon"), 1)
	var mu sync.Mutex
	var doc TopologyDoc
	set := func(rev string, src []byte) {
		mu.Lock()
		defer mu.Unlock()
		doc = TopologyDoc{Path: "deploy/rings.yaml", Revision: rev, Source: src}
	}
	f := newLoopFixture(t, func(c *LoopConfig) {
		c.TopologyFeed = func() (TopologyDoc, bool) {
			mu.Lock()
			defer mu.Unlock()
			return doc, doc.Revision != ""
		}
	})
	pass := func() store.Snapshot { f.loop.ReconcileOnce(context.Background()); return f.store.Snapshot() }

	set("c1", changed)
	s1 := pass()
	set("c2", bad)
	s2 := pass()
	s2again := pass()
	set("c3", changed)
	s3 := pass()

	var rejected []string
	if s2.TopologyRejected != nil {
		rejected = s2.TopologyRejected.Errors
	}
	expect(t, []check{
		{"valid revision adopted", s1.TopologyRevision, "c1"},
		{"adopted content in force", s1.Topology.Spec.Rings[1].Soak.D(), 3 * time.Hour},
		{"invalid revision keeps the last good one", s2.TopologyRevision, "c1"},
		{"rejection recorded", s2.TopologyRejected != nil && s2.TopologyRejected.Revision == "c2", true},
		{"errors carry file and line", len(rejected) > 0 && strings.HasPrefix(rejected[0], "deploy/rings.yaml:14:"), true},
		{"rejection proposed once", len(f.commandsOf(command.CmdRejectTopology)), 1},
		{"still rejected on the next pass", s2again.TopologyRejected != nil, true},
		{"fix adopted", s3.TopologyRevision, "c3"},
		{"fix clears the rejection", s3.TopologyRejected == nil, true},
	})
	if t.Failed() {
		t.Logf("rejection errors: %q", rejected)
	}
}

func TestFSMTopologyRejection(t *testing.T) {
	t.Parallel()
	ts := coordtest.NewStore(true).WithTopology(t)
	inForce := ts.Snapshot().TopologyRevision
	_, conflict := ts.Apply(context.Background(), mustCommand(t, command.CmdRejectTopology, command.RejectTopology{Revision: inForce, Errors: []string{"x"}}))
	_, empty := ts.Apply(context.Background(), mustCommand(t, command.CmdRejectTopology, command.RejectTopology{Revision: "r9"}))
	ts.MustApply(t, command.CmdRejectTopology, command.RejectTopology{Revision: "r2", Path: "rings.yaml", Errors: []string{"rings.yaml:3:1: bad"}})
	g := store.NewFSM(0)
	storetest.Restore(t, ts.FSM, g)
	restored := g.Copy()
	expect(t, []check{
		{"revision in force cannot be rejected", errors.Is(conflict, command.ErrConflict), true},
		{"errors required", errors.Is(empty, command.ErrInvalid), true},
		{"topology unchanged", ts.Snapshot().TopologyRevision, inForce},
		{"snapshot keeps the rejection", restored.TopologyRejected != nil && restored.TopologyRejected.Errors[0] == "rings.yaml:3:1: bad", true},
	})
}

func TestLoopRecordsErrorBudgetsEveryInterval(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := 0
	f := newLoopFixture(t, func(c *LoopConfig) {
		c.Budgets = BudgetFunc(func(_ context.Context, topo *topology.Topology, at time.Time) ([]rings.Budget, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			return []rings.Budget{{App: "checkout", Region: "us-east-1", RemainingPercent: float64(80 - calls*10), RemainingSeconds: 100}},
				errors.New(`error budget of app "checkout" in region "eu-west-1": prometheus unreachable`)
		})
		c.BudgetInterval = time.Minute
	})
	f.loop.ReconcileOnce(context.Background())
	f.loop.ReconcileOnce(context.Background())
	first := f.store.Snapshot().State.Budgets["checkout/us-east-1"]
	f.clock.Advance(time.Minute)
	f.loop.ReconcileOnce(context.Background())
	second := f.store.Snapshot().State.Budgets["checkout/us-east-1"]
	mu.Lock()
	defer mu.Unlock()
	expect(t, []check{
		{"measured once per interval", calls, 2},
		{"first figure recorded", first.RemainingPercent, 70.0},
		{"stamped with the loop's clock", first.At.Equal(loopStart), true},
		{"refreshed after the interval", second.RemainingPercent, 60.0},
		{"unmeasured region keeps nothing", len(f.store.Snapshot().State.Budgets), 1},
	})
}

// indexOf returns the position of the first applied command of typ, or -1.
func (f *loopFixture) indexOf(typ command.Type) int {
	return slices.IndexFunc(f.store.Commands(), func(c command.Command) bool { return c.Type == typ })
}

// The first release of an app has no completed release before it: what Git
// holds is recorded before its first promotion, and a failed canary is
// rolled back automatically to it, each region to its own value.
func TestLoopFirstReleaseOfAnAppIsRolledBackToWhatGitHeld(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.promoter.SetCurrent("checkout", "us-east-1", "v1")
	f.promoter.SetCurrent("checkout", "eu-west-1", "v1")
	f.promoter.SetCurrent("checkout", "ap-south-1", "v0.9")
	f.health.Set(rings.RegionHealth{Region: "us-east-1", Synced: true, Healthy: false, Reason: "Degraded: crash loop"})
	id := f.release(t, "v2")
	f.passUntil(t, 50, time.Minute, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).Ring("canary").State == rings.RingRollingBack
	})
	// Back on its old version the region recovers: the rollback verifies.
	f.health.Set(rings.RegionHealth{Region: "us-east-1", Synced: true, Healthy: true})
	f.passUntil(t, 50, time.Minute, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).State == rings.ReleaseRolledBack
	})
	rel := releaseOf(f.store, id)
	landed := f.promoter.Landed()
	var writes []string
	for _, p := range landed {
		writes = append(writes, p.Ring+" "+p.Version+" rollback="+map[bool]string{true: "yes", false: "no"}[p.Rollback])
	}
	var baselineAsked string
	for _, q := range f.health.Queries() {
		if q.Version == "v2" { // the canary's, not the rollback's verification
			baselineAsked = q.BaselineVersion
		}
	}
	expect(t, []check{
		{"no previous version was given or completed", rel.PreviousVersion, ""},
		{"baseline recorded once", len(f.commandsOf(command.CmdRecordBaseline)), 1},
		{"baseline recorded before the first promotion", f.indexOf(command.CmdRecordBaseline) >= 0 && f.indexOf(command.CmdRecordBaseline) < f.indexOf(command.CmdPromoted), true},
		{"baseline request id derived from the release", firstRequestID(f.commandsOf(command.CmdRecordBaseline)), "loop/baseline/" + id},
		{"each region's previous version", maps.Equal(rel.PreviousVersions, map[string]string{"us-east-1": "v1", "eu-west-1": "v1", "ap-south-1": "v0.9"}), true},
		{"promoted, then rolled back to what Git held", strings.Join(writes, "; "), "canary v2 rollback=no; canary v1 rollback=yes"},
		{"the canary was compared with the baseline regions' version", baselineAsked, "v1"},
	})
}

// A region whose target did not exist before the release is not written
// back: the release is halted, naming it.
func TestLoopRegionWithoutAPreviousValueHaltsNamingIt(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.health.Set(rings.RegionHealth{Region: "us-east-1", Synced: true, Healthy: false, Reason: "Degraded: crash loop"})
	id := f.release(t, "v2")
	f.passUntil(t, 50, time.Minute, func(s store.Snapshot) bool {
		r := s.State.ReleaseByID(id)
		return r.State == rings.ReleaseHalted && strings.Contains(r.Reason, "rolled back")
	})
	rel := releaseOf(f.store, id)
	if !strings.Contains(rel.Reason, "region us-east-1") || !strings.Contains(rel.Reason, "did not exist") {
		t.Errorf("reason %q; want it to name us-east-1 and say its target did not exist", rel.Reason)
	}
	for _, p := range f.promoter.Landed() {
		if p.Rollback {
			t.Errorf("a rollback was written without a previous value: %+v", p.Promotion)
		}
	}
}

// When Git cannot be read, nothing is promoted and the release says why;
// once it can, the baseline is recorded once and the release goes on.
func TestLoopBaselineReadFailureHoldsTheFirstPromotion(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	failing, reads := true, 0
	f := newLoopFixture(t, nil)
	f.promoter.ReadBaselineFn = func(ctx context.Context, app string, regions []string) (rings.BaselineRead, error) {
		mu.Lock()
		defer mu.Unlock()
		reads++
		if failing {
			return rings.BaselineRead{}, errors.New("fetch: connection refused")
		}
		out := rings.BaselineRead{Commit: "abc", Targets: map[string][]rings.TargetValue{}}
		for _, r := range regions {
			out.Targets[r] = []rings.TargetValue{{File: "f.yaml", Target: "yamlPath image.tag", Value: "v1"}}
		}
		return out, nil
	}
	id := f.release(t, "v2")
	for range 3 {
		f.loop.ReconcileOnce(context.Background())
	}
	waiting := releaseOf(f.store, id)
	promotedWhileFailing := len(f.promoter.Landed())
	reasonsRecorded := f.reasonsWith("connection refused")
	mu.Lock()
	failing = false
	failedReads := reads
	mu.Unlock()
	f.passUntil(t, 10, time.Second, func(store.Snapshot) bool { return len(f.commandsOf(command.CmdPromoted)) == 1 })
	after := releaseOf(f.store, id)
	expect(t, []check{
		{"nothing promoted while Git cannot be read", promotedWhileFailing, 0},
		{"the release says why", strings.Contains(waiting.Reason, "connection refused"), true},
		{"the reason is recorded once", reasonsRecorded, 1},
		{"read again every pass (the first started the release)", failedReads, 2},
		{"recorded once it can be read", len(f.commandsOf(command.CmdRecordBaseline)), 1},
		{"from the commit read", after.BaselineCommit, "abc"},
		{"the reason is cleared", after.Reason, ""},
	})
}

// After failover the new leader finds the baseline recorded and does not
// read Git again; a retried or repeated record changes nothing.
func TestLoopBaselineIsRecordedOncePerRelease(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.promoter.SetCurrent("checkout", "us-east-1", "v1")
	id := f.release(t, "v2")
	f.passUntil(t, 10, time.Second, func(store.Snapshot) bool { return len(f.commandsOf(command.CmdPromoted)) == 1 })
	before := releaseOf(f.store, id)

	reads := 0
	next := &MemPromoter{ReadBaselineFn: func(ctx context.Context, app string, regions []string) (rings.BaselineRead, error) {
		reads++
		return rings.BaselineRead{}, errors.New("should not be asked")
	}}
	l2, err := NewLoop(LoopConfig{Store: f.store, Promoter: next, Health: f.health, Fence: f.fence, Clock: f.clock, Interval: time.Hour, Logger: coordtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		l2.ReconcileOnce(context.Background())
		f.clock.Advance(time.Minute)
	}
	recorded := f.commandsOf(command.CmdRecordBaseline)
	if len(recorded) != 1 {
		t.Fatalf("%d baselines recorded before the failover, want 1", len(recorded))
	}
	retry := recorded[0]
	other := command.RecordBaseline{ReleaseID: id, Commit: "other", Regions: []rings.RegionBaseline{
		{Region: "us-east-1", Version: "v0"}, {Region: "eu-west-1", Version: "v0"}, {Region: "ap-south-1", Version: "v0"}}}
	_, retryErr := f.store.Apply(context.Background(), retry)
	fresh := mustCommand(t, command.CmdRecordBaseline, other)
	_, freshErr := f.store.Apply(context.Background(), fresh)
	after := releaseOf(f.store, id)
	expect(t, []check{
		{"the new leader did not read Git", reads, 0},
		{"a retry with the same request id applies once", retryErr, nil},
		{"a second record is accepted as a no-op", freshErr, nil},
		{"the first record stands", after.BaselineCommit == before.BaselineCommit && maps.Equal(after.PreviousVersions, before.PreviousVersions), true},
	})
}

func TestProcessRecordBaselineRefusesBadInput(t *testing.T) {
	t.Parallel()
	store := coordtest.NewStore(true).WithTopology(t)
	id := store.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "r1", App: "checkout", Version: "v2"}).ID
	for _, tc := range []struct {
		name string
		p    command.RecordBaseline
		want error
	}{
		{"no regions", command.RecordBaseline{ReleaseID: id}, command.ErrInvalid},
		{"a region missing", command.RecordBaseline{ReleaseID: id, Regions: []rings.RegionBaseline{{Region: "us-east-1", Version: "v1"}}}, command.ErrInvalid},
		{"unknown release", command.RecordBaseline{ReleaseID: "nope", Regions: []rings.RegionBaseline{{Region: "us-east-1", Version: "v1"}}}, command.ErrNotFound},
	} {
		before := releaseOf(store, id).BaselineAt
		_, err := store.Apply(context.Background(), mustCommand(t, command.CmdRecordBaseline, tc.p))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if !releaseOf(store, id).BaselineAt.Equal(before) {
			t.Errorf("%s: a refused record changed the release", tc.name)
		}
	}
}

// releaseOf returns release id from the store's current state.
func releaseOf(s *coordtest.Store, id string) *rings.Release {
	snap := s.Snapshot()
	return snap.State.ReleaseByID(id)
}

// firstRequestID returns the request ID of the first command, "" if none.
func firstRequestID(cmds []command.Command) string {
	if len(cmds) == 0 {
		return ""
	}
	return cmds[0].RequestID
}

// withApps adopts the test topology plus apps, each with one target.
func (f *loopFixture) withApps(t *testing.T, apps ...string) {
	t.Helper()
	src := string(coordtest.Topology)
	for _, a := range apps {
		src += fmt.Sprintf("    - name: %s\n      targets: [{file: \"apps/%s/{{region}}/values.yaml\", yamlPath: image.tag}]\n", a, a)
	}
	f.store.MustApply(t, command.CmdAdoptTopology, command.AdoptTopology{Revision: rings.TopologyRevision([]byte(src)), Path: coordtest.TopologyPath, Source: []byte(src)})
}

// Releases of four apps fall due in the same pass: their promotions reach
// the promoter as one batch, and each outcome is recorded on its own, as
// for a promotion written alone: landed, needs a person, transient,
// fenced.
func TestLoopBatchesPromotionsDueInOnePass(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.withApps(t, "cart", "search", "web")
	answer := map[string]error{
		"checkout": nil,
		"cart":     fmt.Errorf("%w: file apps/cart/us-east-1/values.yaml: path image.tag not found", rings.ErrNeedsHuman),
		"search":   errors.New("push: connection refused"),
		"web":      fmt.Errorf("%w: at abc: halt h-1", rings.ErrFenced),
	}
	for _, app := range []string{"checkout", "cart", "search", "web"} {
		f.store.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: app + "-v2", App: app, Version: "v2"})
	}
	var batches []string
	f.promoter.PromoteBatchFn = func(ctx context.Context, ps []rings.Promotion, check func(context.Context) error) []PromotionOutcome {
		if err := check(ctx); err != nil {
			t.Errorf("batch check of the leader: %v", err)
		}
		var apps []string
		outs := make([]PromotionOutcome, len(ps))
		for i, p := range ps {
			apps = append(apps, p.App+"@"+p.Ring)
			if err := p.Check(ctx); err != nil {
				t.Errorf("%s: own check: %v", p.PromotionID, err)
			}
			outs[i].Err = answer[p.App]
			if outs[i].Err == nil {
				outs[i].Commit = "batch-1"
			}
		}
		batches = append(batches, strings.Join(apps, ","))
		return outs
	}
	f.passUntil(t, 5, time.Second, func(store.Snapshot) bool { return len(batches) > 0 })
	promoted := f.commandsOf(command.CmdPromoted)
	expect(t, []check{
		{"one batch of every due promotion, in plan order", strings.Join(batches, " | "), "checkout@canary,cart@canary,search@canary,web@canary"},
		{"landed: recorded", len(promoted), 1},
		{"landed with the batch commit", len(promoted) == 1 && strings.Contains(string(promoted[0].Payload), `"batch-1"`), true},
		{"needs a person: the ring fails", len(f.commandsOf(command.CmdPromotionFailed)), 1},
		{"transient: retried later", len(f.commandsOf(command.CmdPromotionRetry)), 1},
		{"fenced: nothing recorded", f.loop.Stats().Fenced, int64(1)},
	})
}

// A halt placed in the state after the promotions were staged stops the
// covered one inside the batch (its own Check), not the others.
func TestLoopHaltWhileTheBatchIsBuiltStopsOnlyTheCovered(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.withApps(t, "cart")
	for _, app := range []string{"checkout", "cart"} {
		f.store.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: app + "-v2", App: app, Version: "v2"})
	}
	halted := false
	f.promoter.PromoteBatchFn = func(ctx context.Context, ps []rings.Promotion, check func(context.Context) error) []PromotionOutcome {
		if !halted {
			f.store.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "h-cart", Scope: rings.HaltScope{Apps: []string{"cart"}}, Reason: "cart incident"})
			halted = true
		}
		return PromoteEach(ctx, f.promoter, ps, check)
	}
	f.passUntil(t, 5, time.Second, func(store.Snapshot) bool { return len(f.commandsOf(command.CmdPromoted)) > 0 })
	var landed []string
	for _, l := range f.promoter.Landed() {
		landed = append(landed, l.App)
	}
	expect(t, []check{
		{"only checkout in Git", strings.Join(landed, ","), "checkout"},
		{"cart fenced", f.loop.Stats().Fenced, int64(1)},
	})
}
