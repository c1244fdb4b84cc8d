package coordinator

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// withBudgetTopology adopts testdata/api-topology.yaml with a Prometheus
// in us-east-1 (the canary ring) and a second app, ledger, so the
// error-budget gate applies to the canary of both apps.
func (s *tstore) withBudgetTopology(t *testing.T) *tstore {
	t.Helper()
	src, err := os.ReadFile("testdata/api-topology.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(src), `application: "{{app}}-{{region}}"}`+"\n",
		`application: "{{app}}-{{region}}"}`+"\n      prometheus: {url: http://prometheus.example.com:9090}\n", 1)
	doc += "    - name: ledger\n      targets: [{file: \"apps/ledger/{{region}}/values.yaml\", yamlPath: image.tag}]\n"
	if _, err := topology.Parse("budget-topology.yaml", []byte(doc)); err != nil {
		t.Fatalf("test topology: %v", err)
	}
	s.mustApply(t, command.CmdAdoptTopology, command.AdoptTopology{Revision: TopologyRevision([]byte(doc)), Path: "budget-topology.yaml", Source: []byte(doc)})
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
		c.Store = newTStore(true).withBudgetTopology(t)
		c.Budgets, c.BudgetInterval = src, time.Minute
	})
	f.store = f.loop.cfg.Store.(*tstore)
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
	ledger := f.store.mustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "ledger-v9", App: "ledger", Version: "v9"}).ID
	for range 3 {
		f.loop.ReconcileOnce(context.Background())
	}
	snap := f.store.Snapshot()
	cases := []struct {
		name      string
		got, want any
	}{
		{"one figure per app and region", len(snap.State.Budgets), 2},
		{"checkout's figure", snap.State.Budgets["checkout/us-east-1"].RemainingPercent, 90.0},
		{"ledger's figure", snap.State.Budgets["ledger/us-east-1"].RemainingPercent, 5.0},
		{"checkout promoted to the canary", snap.State.ReleaseByID(checkout).Ring("canary").Regions[0].Promoted(), true},
		{"ledger held in the canary", snap.State.ReleaseByID(ledger).Ring("canary").Regions[0].Promoted(), false},
		{"ledger waits for its own budget", budgetWait(f, ledger),
			"the error budget of app ledger in region us-east-1 is exhausted (5.0% remains): only P0, security, reliability releases may promote"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
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
