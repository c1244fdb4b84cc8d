package coordinator

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

// TestLoopRolloutInProgressWaitsUntilSyncTimeout: a soaking canary whose
// Argo Rollouts canary pauses is not failed by its failed-check threshold
// (2 × 1m in the test topology); the in-progress flag travels from the
// health source through the Observe command into the state, and the ring
// fails once the pause lasted the ring's syncTimeout (15m by default).
func TestLoopRolloutInProgressWaitsUntilSyncTimeout(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	id := f.toSyncing(t)
	f.passUntil(t, 20, time.Second, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).Ring("canary").State == rings.RingSoaking
	})
	f.clock.Advance(time.Minute)
	pausedAt := f.clock.Now()
	f.health.Set(RegionHealth{Region: "us-east-1", Synced: true, Reason: "Suspended: Rollout is paused", InProgress: true})
	for i := 0; i < 10; i++ {
		f.loop.ReconcileOnce(context.Background())
		f.clock.Advance(time.Minute)
	}
	snap := f.store.Snapshot()
	rp := snap.State.ReleaseByID(id).Ring("canary")
	g := rp.Region("us-east-1")
	if rp.State != rings.RingSoaking || rp.ConsecutiveFailures != 0 || !g.InProgress || !g.InProgressSince.Equal(pausedAt) {
		t.Fatalf("after 10m paused: ring %s, %d failed checks, region in progress %t since %s; want soaking, 0, true since %s",
			rp.State, rp.ConsecutiveFailures, g.InProgress, g.InProgressSince, pausedAt)
	}
	obs := f.commandsOf(command.CmdObserve)
	if last := decodeAs[command.Observe](t, obs[len(obs)-1].Payload); !last.InProgress || last.Reason != "Suspended: Rollout is paused" {
		t.Fatalf("last observation %+v; want it in progress", last)
	}

	f.passUntil(t, 20, time.Minute, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).Ring("canary").State != rings.RingSoaking
	})
	fails := f.commandsOf(command.CmdFailRing)
	if len(fails) != 1 {
		t.Fatalf("%d fail-ring commands; want 1", len(fails))
	}
	ref := decodeAs[command.RingRef](t, fails[0].Payload)
	if !strings.Contains(ref.Reason, "region us-east-1 has been in progress for longer than syncTimeout 15m0s") || fails[0].At.Before(pausedAt.Add(15*time.Minute)) {
		t.Fatalf("ring failed at %s with %q; want the pause reason, not before %s", fails[0].At, ref.Reason, pausedAt.Add(15*time.Minute))
	}
}

// TestChangedNoticesInProgress: a syncing region whose evidence only
// changes from in progress to not (same reason) is recorded again.
func TestChangedNoticesInProgress(t *testing.T) {
	t.Parallel()
	prev := &rings.RegionProgress{Name: "us-east-1", Synced: true, Reason: "Suspended", ObservedAt: loopStart}
	obs := command.Observe{Region: "us-east-1", Synced: true, Reason: "Suspended", InProgress: true}
	if !changed(prev, obs, loopStart.Add(time.Second), time.Minute) {
		t.Error("in progress after not in progress: not recorded")
	}
	prev.InProgress = true
	if changed(prev, obs, loopStart.Add(time.Second), time.Minute) {
		t.Error("the same evidence within the interval: recorded again")
	}
}
