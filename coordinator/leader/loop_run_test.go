package leader

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/notify"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/rings"
)

func TestLoopLosingLeadershipCancelsAnInFlightPromotion(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.release(t, "v2")
	started := make(chan struct{})
	ended := make(chan error, 1)
	f.promoter.PromoteFn = func(ctx context.Context, p rings.Promotion) (rings.PromotionResult, error) {
		close(started)
		<-ctx.Done() // a slow push, interrupted only by the context
		ended <- ctx.Err()
		return rings.PromotionResult{}, ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- f.loop.Run(ctx) }()

	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop never promoted")
	}
	f.store.SetLeader(false)
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("promotion ended with %v; want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("losing leadership did not cancel the promotion")
	}
	if n := len(f.commandsOf(command.CmdPromoted)); n != 0 {
		t.Fatalf("%d promoted commands recorded; want none", n)
	}
	cancel()
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v; want context.Canceled", err)
	}
}

func TestLoopRunStartsOnGainingLeadership(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.store.SetLeader(false)
	f.release(t, "v2")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = f.loop.Run(ctx) }()
	f.store.SetLeader(true)
	poll.Until(t, coordtest.Wait, "the first promotion", func() bool { return len(f.promoter.Landed()) == 1 })
	f.loop.Kick()
	poll.Until(t, coordtest.Wait, "a second pass", func() bool { return f.loop.Stats().Passes >= 2 })
}

func TestLoopAdoptsTheStartupTopologyOnLeading(t *testing.T) {
	t.Parallel()
	src := []byte(strings.Replace(string(coordtest.Topology), "name: small", "name: started", 1))
	f := newLoopFixture(t, func(c *LoopConfig) {
		c.LoadTopology = func(context.Context) (string, []byte, error) { return "rings.yaml", src, nil }
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = f.loop.Run(ctx) }()
	poll.Until(t, coordtest.Wait, "the start-up topology in force", func() bool {
		return f.store.Snapshot().TopologyRevision == rings.TopologyRevision(src)
	})
}

func TestLoopKeepsTheTopologyWhenTheStartupOneIsInvalid(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, func(c *LoopConfig) {
		c.LoadTopology = func(context.Context) (string, []byte, error) { return "rings.yaml", []byte("kind: nonsense\n"), nil }
	})
	before := f.store.Snapshot().TopologyRevision
	err := f.loop.adoptStartupTopology(context.Background())
	if !errors.Is(err, errTopologyRejected) || f.store.Snapshot().TopologyRevision != before || len(f.store.Commands()) != 0 {
		t.Fatalf("adopt returned %v; want errTopologyRejected and nothing proposed", err)
	}
}

// TestLoopFailoverFindsTheLandedPromotion runs the leader loop on three real
// nodes sharing one in-memory "repository". The first leader lands the
// canary commit and dies before recording it; the next leader must find it
// by its promotion ID (the Promoter answers AlreadyLanded) and record it.
func TestLoopFailoverFindsTheLandedPromotion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	repo := &MemPromoter{} // the shared GitOps repository
	var crashed atomic.Bool
	var foundLanded atomic.Int32 // promotions answered AlreadyLanded
	root := t.TempDir()
	var nodes []*coordtest.NodeServer
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); wg.Wait() })

	for i, id := range []string{"n1", "n2", "n3"} {
		// The loop needs no API: the nodes serve nothing over HTTP.
		an := coordtest.StartNode(t, id, filepath.Join(root, id), i == 0, func(*store.Node) http.Handler { return http.NotFoundHandler() })
		nodes = append(nodes, an)
		if i == 0 {
			poll.Until(t, coordtest.Wait, "n1 to lead", an.Node.IsLeader)
		} else if err := nodes[0].Node.Join(id, an.Node.RaftAddr(), strings.TrimPrefix(an.URL, "http://")); err != nil {
			t.Fatalf("join %s: %v", id, err)
		}
		promoter := &MemPromoter{PromoteFn: func(ctx context.Context, p rings.Promotion) (rings.PromotionResult, error) {
			res, err := repo.Promote(ctx, p)
			if res.AlreadyLanded {
				foundLanded.Add(1)
			}
			if err != nil || !crashed.CompareAndSwap(false, true) {
				return res, err
			}
			// The commit landed; this leader dies before recording it.
			go an.Kill()
			<-ctx.Done()
			return rings.PromotionResult{}, ctx.Err()
		}}
		loop, err := NewLoop(LoopConfig{Store: an.Node, Promoter: promoter, Health: &MemHealth{}, Interval: 100 * time.Millisecond, Logger: coordtest.Discard()})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = loop.Run(ctx) }()
	}

	leader := nodes[0].Node
	if _, err := leader.Apply(ctx, mustCommand(t, command.CmdAdoptTopology, command.AdoptTopology{Revision: "r1", Path: "t.yaml", Source: coordtest.Topology})); err != nil {
		t.Fatal(err)
	}
	if _, err := leader.Apply(ctx, mustCommand(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-v8", App: "checkout", Version: "v8"})); err != nil {
		t.Fatal(err)
	}

	poll.Until(t, coordtest.Wait, "a survivor to record the canary promotion", func() bool {
		for _, an := range nodes[1:] {
			snap := an.Node.Snapshot()
			if rel := snap.State.ReleaseByID("checkout-v8"); rel != nil && rel.Ring("canary").Regions[0].Commit != "" {
				return true
			}
		}
		return false
	})
	landed := repo.Landed()
	var canary []string
	for _, l := range landed {
		if l.Ring == "canary" {
			canary = append(canary, l.Commit)
		}
	}
	if !crashed.Load() || len(canary) != 1 || foundLanded.Load() == 0 {
		t.Fatalf("crashed %v, canary commits %v, found landed %d times; want the first leader to crash, one canary commit, found by the next leader",
			crashed.Load(), canary, foundLanded.Load())
	}
	for _, an := range nodes[1:] {
		snap := an.Node.Snapshot()
		if rel := snap.State.ReleaseByID("checkout-v8"); rel != nil && rel.Ring("canary").Regions[0].Commit != "" && rel.Ring("canary").Regions[0].Commit != canary[0] {
			t.Fatalf("%s recorded commit %s; want the landed %s", an.Node.ID(), rel.Ring("canary").Regions[0].Commit, canary[0])
		}
	}
}

func mustCommand(t *testing.T, typ command.Type, payload any) command.Command {
	t.Helper()
	c, err := command.New(typ, "test", payload)
	if err != nil {
		t.Fatal(fmt.Errorf("command %s: %w", typ, err))
	}
	return c
}

// recNotifier records the first flags the loop passes to Observe.
type recNotifier struct {
	mu     sync.Mutex
	firsts []bool
}

func (r *recNotifier) Observe(_ *rings.State, _ time.Time, first bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.firsts = append(r.firsts, first)
}

func (r *recNotifier) calls() []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.firsts)
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func TestLoopTellsTheNotifierOncePerTermFirst(t *testing.T) {
	t.Parallel()
	rec := &recNotifier{}
	f := newLoopFixture(t, func(c *LoopConfig) { c.Notifier = rec })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = f.loop.Run(ctx) }()
	poll.Until(t, coordtest.Wait, "the first observation", func() bool { return len(rec.calls()) >= 1 })
	f.loop.Kick()
	poll.Until(t, coordtest.Wait, "a second observation", func() bool { return len(rec.calls()) >= 2 })
	if got := rec.calls()[:2]; !got[0] || got[1] {
		t.Fatalf("first flags %v; want true then false within a term", got)
	}
	f.store.SetLeader(false)
	f.store.SetLeader(true)
	poll.Until(t, coordtest.Wait, "a new term's first observation", func() bool { return countTrue(rec.calls()) == 2 })
}

func TestLoopDoesNotNotifyAfterLeadershipWent(t *testing.T) {
	t.Parallel()
	rec := &recNotifier{}
	f := newLoopFixture(t, func(c *LoopConfig) { c.Notifier = rec })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.loop.notifyState(ctx)
	if n := len(rec.calls()); n != 0 {
		t.Fatalf("Observe called %d times with a cancelled leading context; want 0", n)
	}
}

// TestFailoverResendsOnlyRecentEvents runs a release to completion under
// one leader, then lets a second loop (another node) take over: the new
// leader tells only what happened within the replay window before it took
// over, never the whole history.
func TestFailoverResendsOnlyRecentEvents(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	sent := map[string][]string{}
	watcher := func(node string) *notify.Watcher {
		return notify.NewWatcher(func(ev notify.Event) {
			mu.Lock()
			defer mu.Unlock()
			sent[node] = append(sent[node], ev.ID)
		}, 30*time.Second)
	}
	sentBy := func(node string) string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(sent[node], " ")
	}
	f := newLoopFixture(t, func(c *LoopConfig) { c.Notifier = watcher("a") })
	f.releaseCompleted(t, "v2")
	f.loop.ReconcileOnce(context.Background())
	wantA := "ring-promoted/checkout-v2/canary ring-promoted/checkout-v2/early ring-promoted/checkout-v2/global release-completed/checkout-v2"
	if got := sentBy("a"); got != wantA {
		t.Fatalf("leader a sent %q; want %q", got, wantA)
	}

	// A person places a halt; leader a dies before its next pass, and b
	// takes over 10 s later.
	f.clock.Advance(time.Hour)
	cmd, err := command.New(command.CmdPlaceHalt, "alice", command.PlaceHalt{ID: "halt-late", Scope: rings.HaltScope{Global: true}, Reason: "incident"})
	if err != nil {
		t.Fatal(err)
	}
	cmd.RequestID, cmd.At = command.NewRequestID(), f.clock.Now()
	if _, err := f.store.Apply(context.Background(), cmd); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * time.Second)
	b, err := NewLoop(LoopConfig{Store: f.store, Promoter: f.promoter, Health: f.health, Fence: f.fence, Clock: f.clock,
		Interval: time.Hour, Logger: coordtest.Logger(t), Notifier: watcher("b")})
	if err != nil {
		t.Fatal(err)
	}
	b.ReconcileOnce(context.Background())
	b.ReconcileOnce(context.Background())
	if got := sentBy("b"); got != "halt-placed/halt-late" {
		t.Fatalf("new leader sent %q; want only the halt placed within the replay window", got)
	}
}
