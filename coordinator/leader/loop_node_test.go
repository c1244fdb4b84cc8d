package leader

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/rings"
)

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
