package leader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

func TestFenceCheckReadsTheStateInPlace(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		setup   func(t *testing.T, s *coordtest.Store, releaseID string)
		rollbck bool
		want    string // "" means the check passes
	}{
		{"nothing in the way", func(*testing.T, *coordtest.Store, string) {}, false, ""},
		{"global halt", func(t *testing.T, s *coordtest.Store, _ string) {
			s.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-g", Scope: rings.HaltScope{Global: true}, Reason: "incident"})
		}, false, "covered by halt halt-g (incident)"},
		{"halt of another app", func(t *testing.T, s *coordtest.Store, _ string) {
			s.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-a", Scope: rings.HaltScope{Apps: []string{"payments"}}, Reason: "other"})
		}, false, ""},
		{"release aborted", func(t *testing.T, s *coordtest.Store, id string) {
			s.MustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: id, Reason: "bad build"})
		}, false, "release is aborted"},
		{"release forgotten after it finished", func(t *testing.T, s *coordtest.Store, id string) {
			s.MustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: id, Reason: "bad build"})
			for i := range rings.KeepFinishedReleases {
				later := fmt.Sprintf("checkout-later-%d", i)
				s.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: later, App: "checkout", Version: "v9"})
				s.MustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: later, Reason: "superseded"})
			}
			if snap := s.Snapshot(); snap.State.ReleaseByID(id) != nil {
				t.Fatal("the release is still in the state: the case tests nothing")
			}
		}, false, "gone from the state"},
		{"rollback ignores halts", func(t *testing.T, s *coordtest.Store, _ string) {
			s.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-g", Scope: rings.HaltScope{Global: true}, Reason: "incident"})
		}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newLoopFixture(t, nil)
			vs := f.store
			id := f.release(t, "v2")
			tc.setup(t, f.store, id)
			p := rings.Promotion{ReleaseID: id, App: "checkout", Ring: "canary", Regions: []string{"us-east-1"}, Version: "v2", PromotionID: "p1", Rollback: tc.rollbck}
			before := vs.Snapshots()
			err := f.loop.fenceCheck(p)(context.Background())
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Check = %v; want nil", err)
			case tc.want != "" && (!errors.Is(err, rings.ErrFenced) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Check = %v; want ErrFenced containing %q", err, tc.want)
			case vs.Snapshots() != before:
				t.Fatalf("Check took %d deep copies of the state; want 0", vs.Snapshots()-before)
			}
		})
	}
}

func TestPassCopiesTheStateAgainOnlyAfterAChange(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(t *testing.T, f *loopFixture)
		want  int64 // views the pass takes; it takes no deep copy
	}{
		// Soaking with nothing due: nothing is recorded, one view serves
		// the fence, observe and the plan.
		{"nothing changes", func(t *testing.T, f *loopFixture) {}, 1},
		// The analysis interval passed: the pass records observations,
		// so the plan needs a view that includes them.
		{"observations recorded", func(t *testing.T, f *loopFixture) { f.clock.Advance(2 * time.Minute) }, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newLoopFixture(t, nil)
			vs := f.store
			id := f.release(t, "v2")
			f.passUntil(t, 10, time.Second, func(s store.Snapshot) bool {
				return s.State.ReleaseByID(id).Ring("canary").State == rings.RingSoaking
			})
			tc.setup(t, f)
			copies, views := vs.Snapshots(), vs.Views()
			f.loop.ReconcileOnce(context.Background())
			if got := vs.Snapshots() - copies; got != 0 {
				t.Fatalf("the pass took %d deep copies of the state; want none", got)
			}
			if got := vs.Views() - views; got != tc.want {
				t.Fatalf("the pass took %d views of the state; want %d", got, tc.want)
			}
		})
	}
}
