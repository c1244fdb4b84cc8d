package coordinator

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/notify"
	"github.com/ringleader-dev/ringleader/rings"
)

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
	waitUntil(t, "the first observation", func() bool { return len(rec.calls()) >= 1 })
	f.loop.Kick()
	waitUntil(t, "a second observation", func() bool { return len(rec.calls()) >= 2 })
	if got := rec.calls()[:2]; !got[0] || got[1] {
		t.Fatalf("first flags %v; want true then false within a term", got)
	}
	f.store.setLeader(false)
	f.store.setLeader(true)
	waitUntil(t, "a new term's first observation", func() bool { return countTrue(rec.calls()) == 2 })
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
	id := f.release(t, "v2")
	f.passUntil(t, 200, 5*time.Minute, func(s store.Snapshot) bool { return s.State.ReleaseByID(id).State == rings.ReleaseCompleted })
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
		Interval: time.Hour, Logger: loopLogger(t), Notifier: watcher("b")})
	if err != nil {
		t.Fatal(err)
	}
	b.ReconcileOnce(context.Background())
	b.ReconcileOnce(context.Background())
	if got := sentBy("b"); got != "halt-placed/halt-late" {
		t.Fatalf("new leader sent %q; want only the halt placed within the replay window", got)
	}
}
