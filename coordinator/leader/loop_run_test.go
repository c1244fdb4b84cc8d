package leader

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
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

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
