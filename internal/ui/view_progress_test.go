package ui

import (
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings/planner"
)

// TestCellHealthInProgress: a region whose rollout is paused shows as in
// progress, not as unhealthy.
func TestCellHealthInProgress(t *testing.T) {
	t.Parallel()
	snap, now := fixture(t)
	s := snap.State.Clone()
	if err := s.ObserveInProgress("checkout-v2", "canary", "us-east-1", true, false, "Suspended: Rollout is paused", nil, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	snap.State = *s
	b := BuildBoard(snap, planner.PlanNext(snap.Topology, &snap.State, now), now)
	if got := b.Releases[0].Rings[0].Cells[0]; got.Region != "us-east-1" || got.Health != "in-progress" {
		t.Fatalf("cell %s: %s; want us-east-1 in-progress", got.Region, got.Health)
	}
}
