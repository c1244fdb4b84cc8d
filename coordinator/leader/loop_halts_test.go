package leader

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// runCountingPlans starts the loop of a fixture whose planner counts its
// runs, waits for the first pass and returns the counter.
func runCountingPlans(t *testing.T, replan time.Duration) (*loopFixture, *atomic.Int64) {
	t.Helper()
	var plans atomic.Int64
	f := newLoopFixture(t, func(c *LoopConfig) {
		c.HaltReplan = replan
		c.Planner = func(top *topology.Topology, s *rings.State, now time.Time) planner.Plan {
			plans.Add(1)
			return planner.PlanNext(top, s, now)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = f.loop.Run(ctx) }()
	poll.Until(t, coordtest.Wait, "the first pass", func() bool { return plans.Load() >= 1 })
	return f, &plans
}

func TestHaltChangeWritesTheFenceWithoutPlanning(t *testing.T) {
	t.Parallel()
	f, plans := runCountingPlans(t, time.Hour)
	before := plans.Load()
	for _, id := range []string{"halt-a", "halt-b"} {
		f.store.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: id, Scope: rings.HaltScope{Global: true}, Reason: "incident"})
		f.loop.HaltsChanged()
		poll.Until(t, coordtest.Wait, "the fence holding "+id, func() bool {
			ids, _ := f.fence.Halts()
			return slices.Contains(ids, id)
		})
	}
	f.store.MustApply(t, command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-a", Reason: "over"})
	f.loop.HaltsChanged()
	poll.Until(t, coordtest.Wait, "the fence without halt-a", func() bool {
		ids, _ := f.fence.Halts()
		return slices.Equal(ids, []string{"halt-b"})
	})
	if got := plans.Load(); got != before {
		t.Fatalf("%d plans after three halt changes; want none before HaltReplan (%d before, %d after)", got-before, before, got)
	}
}

func TestHaltChangePlansAgainAfterHaltReplan(t *testing.T) {
	t.Parallel()
	f, plans := runCountingPlans(t, time.Millisecond)
	before := plans.Load()
	f.store.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-a", Scope: rings.HaltScope{Global: true}, Reason: "incident"})
	f.store.MustApply(t, command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-a", Reason: "over"})
	f.loop.HaltsChanged()
	// Interval is an hour: only the halt change can bring this pass.
	poll.Until(t, coordtest.Wait, "a pass after the resume", func() bool { return plans.Load() > before })
}

func TestLoopConfigRejectsANegativeHaltReplan(t *testing.T) {
	t.Parallel()
	c := LoopConfig{Store: coordtest.NewStore(true), Promoter: &MemPromoter{}, Health: &MemHealth{}, HaltReplan: -time.Second}
	if err := c.Validate(); err == nil {
		t.Fatal("a negative HaltReplan was accepted")
	}
	c.HaltReplan = 0
	if err := c.Validate(); err != nil || c.HaltReplan != defaultHaltReplan {
		t.Fatalf("Validate: %v, HaltReplan %s; want the default %s", err, c.HaltReplan, defaultHaltReplan)
	}
}
