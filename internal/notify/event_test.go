package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// fxState is a state with one release of every kind of story.
func fxState() *rings.State {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	region := func(name string, promoted int) rings.RegionProgress {
		g := rings.RegionProgress{Name: name}
		if promoted >= 0 {
			g.PromotedAt = at(promoted)
		}
		return g
	}
	// rolledBack marks a region's rollback landed (the release's previous
	// versions were read from Git per region; eu-west-1 was never
	// promoted, so its v1 is not what the release went back to).
	rolledBack := func(g rings.RegionProgress) rings.RegionProgress {
		g.RolledBackAt = at(85)
		return g
	}
	return &rings.State{
		Releases: []*rings.Release{
			{ID: "checkout-v2", App: "checkout", Version: "v2", State: rings.ReleaseAwaitingApproval, UpdatedAt: at(70), Reason: "ring early waits for an approval",
				Rings: []rings.RingProgress{
					{Name: "canary", State: rings.RingDone, Regions: []rings.RegionProgress{region("us-east-1", 1)}},
					{Name: "early", State: rings.RingPending, Regions: []rings.RegionProgress{region("eu-west-1", -1)}},
				}},
			{ID: "checkout-v3", App: "checkout", Version: "v3", State: rings.ReleaseRolledBack, UpdatedAt: at(90),
				PreviousVersions: map[string]string{"us-east-1": "v2", "us-east-2": "v2", "eu-west-1": "v1"},
				Rings: []rings.RingProgress{
					{Name: "canary", State: rings.RingRolledBack, FailedAt: at(80), Reason: "error rate 7% > 1%",
						Regions: []rings.RegionProgress{rolledBack(region("us-east-1", 75)), rolledBack(region("us-east-2", 76))}},
					{Name: "early", State: rings.RingPending, Regions: []rings.RegionProgress{region("eu-west-1", -1)}},
				}},
			{ID: "ledger-v9", App: "ledger", Version: "v9", State: rings.ReleaseCompleted, UpdatedAt: at(100),
				Rings: []rings.RingProgress{{Name: "canary", State: rings.RingDone, Regions: []rings.RegionProgress{region("us-east-1", 95)}}}},
			{ID: "search-v4", App: "search", Version: "v4", PreviousVersion: "v3", State: rings.ReleaseRollbackFailed, UpdatedAt: at(130), Reason: "rollback did not verify within 15m: eu-west-1: not healthy (Degraded)",
				Rings: []rings.RingProgress{{Name: "canary", State: rings.RingRolledBack, Regions: []rings.RegionProgress{
					{Name: "us-east-1", RolledBackAt: at(112), RollbackVerifiedAt: at(115)},
					{Name: "eu-west-1", RolledBackAt: at(112), RollbackFailedAt: at(130)},
				}}}},
			{ID: "ledger-v10", App: "ledger", Version: "v10", State: rings.ReleaseAborted, Reason: "wrong build", UpdatedAt: at(110),
				Rings: []rings.RingProgress{{Name: "canary", State: rings.RingPending, Regions: []rings.RegionProgress{region("us-east-1", -1)}}}},
		},
		Halts: []rings.Halt{
			{ID: "halt-1", Scope: rings.HaltScope{Global: true}, Author: "alice", Reason: "incident 42", CreatedAt: at(5), ResumedAt: at(6), ResumedBy: "bob", ResumeReason: "fixed"},
			{ID: "halt-auto-checkout-v3-canary", Scope: rings.HaltScope{Releases: []string{"checkout-v3"}, Rings: []string{"early"}}, Auto: true, Reason: "ring canary failed", CreatedAt: at(80)},
		},
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	got := map[string]Event{}
	var order []string
	for _, ev := range Events(fxState()) {
		got[ev.ID] = ev
		order = append(order, ev.ID)
	}
	tests := []struct {
		id   string
		kind Kind
		at   time.Time
		text string
	}{
		{"ring-promoted/checkout-v2/canary", KindRingPromoted, t0.Add(time.Minute), "checkout v2 promoted to ring canary (us-east-1)"},
		{"approval-needed/checkout-v2/early", KindApprovalNeeded, t0.Add(70 * time.Minute), "checkout v2 waits for an approval of ring early: ringctl release approve checkout-v2 --ring early"},
		{"ring-promoted/checkout-v3/canary", KindRingPromoted, t0.Add(76 * time.Minute), "checkout v3 promoted to ring canary (us-east-1, us-east-2)"},
		{"ring-failed/checkout-v3/canary", KindRingFailed, t0.Add(80 * time.Minute), "ring canary failed for checkout v3: error rate 7% > 1%"},
		{"release-rolled-back/checkout-v3", KindReleaseRolledBack, t0.Add(90 * time.Minute), "checkout v3 rolled back to v2"},
		{"ring-promoted/ledger-v9/canary", KindRingPromoted, t0.Add(95 * time.Minute), "ledger v9 promoted to ring canary (us-east-1)"},
		{"release-completed/ledger-v9", KindReleaseCompleted, t0.Add(100 * time.Minute), "ledger v9 completed: every ring is done"},
		{"release-rollback-failed/search-v4", KindReleaseRollbackFailed, t0.Add(130 * time.Minute), "URGENT: rollback of search v4 did not verify in eu-west-1; those regions are halted until a person resumes them: rollback did not verify within 15m: eu-west-1: not healthy (Degraded)"},
		{"release-aborted/ledger-v10", KindReleaseAborted, t0.Add(110 * time.Minute), "ledger v10 aborted: wrong build"},
		{"halt-placed/halt-1", KindHaltPlaced, t0.Add(5 * time.Minute), "halt halt-1 placed by alice on everything: incident 42"},
		{"halt-resumed/halt-1", KindHaltResumed, t0.Add(6 * time.Minute), "halt halt-1 on everything resumed by bob: fixed"},
		{"halt-placed/halt-auto-checkout-v3-canary", KindHaltPlaced, t0.Add(80 * time.Minute), "halt halt-auto-checkout-v3-canary placed by automatic on releases checkout-v3; rings early: ring canary failed"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			ev, ok := got[tc.id]
			if !ok {
				t.Fatalf("no event %s; got %v", tc.id, order)
			}
			if ev.Kind != tc.kind || !ev.At.Equal(tc.at) || ev.Text != tc.text {
				t.Fatalf("got %s at %s %q; want %s at %s %q", ev.Kind, ev.At, ev.Text, tc.kind, tc.at, tc.text)
			}
		})
	}
	t.Run("only a failed rollback is urgent", func(t *testing.T) {
		for id, ev := range got {
			if ev.Urgent != (ev.Kind == KindReleaseRollbackFailed) {
				t.Errorf("%s: urgent %t", id, ev.Urgent)
			}
		}
		if r := got["release-rollback-failed/search-v4"].Regions; strings.Join(r, ",") != "eu-west-1" {
			t.Errorf("failed rollback names regions %v, want eu-west-1", r)
		}
	})
	t.Run("nothing else", func(t *testing.T) {
		if len(order) != len(tests) {
			t.Fatalf("got %d events %v; want %d", len(order), order, len(tests))
		}
	})
	t.Run("stable order", func(t *testing.T) {
		var again []string
		for _, ev := range Events(fxState()) {
			again = append(again, ev.ID)
		}
		if strings.Join(again, " ") != strings.Join(order, " ") {
			t.Fatalf("second derivation %v differs from first %v", again, order)
		}
	})
}

func TestWatcher(t *testing.T) {
	t.Parallel()
	now := t0.Add(100 * time.Minute)
	tests := []struct {
		name   string
		replay time.Duration
		calls  func(w *Watcher, s *rings.State)
		want   string
	}{
		{"a new term skips what happened before the replay window", 15 * time.Minute,
			func(w *Watcher, s *rings.State) { w.Observe(s, now, true) },
			"release-rolled-back/checkout-v3 ring-promoted/ledger-v9/canary release-completed/ledger-v9 release-rollback-failed/search-v4 release-aborted/ledger-v10"},
		{"each event once per term", 15 * time.Minute,
			func(w *Watcher, s *rings.State) { w.Observe(s, now, true); w.Observe(s, now, false) },
			"release-rolled-back/checkout-v3 ring-promoted/ledger-v9/canary release-completed/ledger-v9 release-rollback-failed/search-v4 release-aborted/ledger-v10"},
		{"a change after the first call is told whatever its age", 15 * time.Minute,
			func(w *Watcher, s *rings.State) {
				w.Observe(s, now, true)
				s.Releases[0].Rings[1].Approval = &rings.Approval{By: "carol"}
				s.Releases[0].Rings[1].Regions[0].PromotedAt = t0
				w.Observe(s, now.Add(time.Hour), false)
			},
			"release-rolled-back/checkout-v3 ring-promoted/ledger-v9/canary release-completed/ledger-v9 release-rollback-failed/search-v4 release-aborted/ledger-v10 ring-promoted/checkout-v2/early"},
		{"a second term replays only the window again", 15 * time.Minute,
			func(w *Watcher, s *rings.State) { w.Observe(s, now, true); w.Observe(s, now.Add(time.Hour), true) },
			"release-rolled-back/checkout-v3 ring-promoted/ledger-v9/canary release-completed/ledger-v9 release-rollback-failed/search-v4 release-aborted/ledger-v10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ids []string
			w := NewWatcher(func(ev Event) { ids = append(ids, ev.ID) }, tc.replay)
			tc.calls(w, fxState())
			if got := strings.Join(ids, " "); got != tc.want {
				t.Fatalf("enqueued %q; want %q", got, tc.want)
			}
		})
	}
}
