package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

// viewingStore is a tstore that lends its state in place and hands out
// copy-on-write views, as *Node does, and counts the deep copies and the
// views taken.
type viewingStore struct {
	*tstore
	snapshots, views atomic.Int64
}

func (v *viewingStore) View() store.Snapshot {
	v.views.Add(1)
	return v.fsm.View()
}

func (v *viewingStore) Snapshot() store.Snapshot {
	v.snapshots.Add(1)
	return v.tstore.Snapshot()
}

func TestFenceCheckReadsTheStateInPlace(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		setup   func(t *testing.T, s *tstore, releaseID string)
		rollbck bool
		want    string // "" means the check passes
	}{
		{"nothing in the way", func(*testing.T, *tstore, string) {}, false, ""},
		{"global halt", func(t *testing.T, s *tstore, _ string) {
			s.mustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-g", Scope: rings.HaltScope{Global: true}, Reason: "incident"})
		}, false, "covered by halt halt-g (incident)"},
		{"halt of another app", func(t *testing.T, s *tstore, _ string) {
			s.mustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-a", Scope: rings.HaltScope{Apps: []string{"payments"}}, Reason: "other"})
		}, false, ""},
		{"release aborted", func(t *testing.T, s *tstore, id string) {
			s.mustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: id, Reason: "bad build"})
		}, false, "release is aborted"},
		{"release forgotten after it finished", func(t *testing.T, s *tstore, id string) {
			s.mustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: id, Reason: "bad build"})
			for i := range rings.KeepFinishedReleases {
				later := fmt.Sprintf("checkout-later-%d", i)
				s.mustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: later, App: "checkout", Version: "v9"})
				s.mustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: later, Reason: "superseded"})
			}
			if snap := s.Snapshot(); snap.State.ReleaseByID(id) != nil {
				t.Fatal("the release is still in the state: the case tests nothing")
			}
		}, false, "gone from the state"},
		{"rollback ignores halts", func(t *testing.T, s *tstore, _ string) {
			s.mustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-g", Scope: rings.HaltScope{Global: true}, Reason: "incident"})
		}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var vs *viewingStore
			f := newLoopFixture(t, func(c *LoopConfig) {
				vs = &viewingStore{tstore: c.Store.(*tstore)}
				c.Store = vs
			})
			id := f.release(t, "v2")
			tc.setup(t, f.store, id)
			p := Promotion{ReleaseID: id, App: "checkout", Ring: "canary", Regions: []string{"us-east-1"}, Version: "v2", PromotionID: "p1", Rollback: tc.rollbck}
			before := vs.snapshots.Load()
			err := f.loop.fenceCheck(p)(context.Background())
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Check = %v; want nil", err)
			case tc.want != "" && (!errors.Is(err, ErrFenced) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Check = %v; want ErrFenced containing %q", err, tc.want)
			case vs.snapshots.Load() != before:
				t.Fatalf("Check took %d deep copies of the state; want 0", vs.snapshots.Load()-before)
			}
		})
	}
}

func TestHaltEndpointsTakeNoDeepCopyOfTheState(t *testing.T) {
	t.Parallel()
	store := &viewingStore{tstore: newTStore(true).withTopology(t)}
	store.mustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-v2", App: "checkout", Version: "v2"})
	api, err := NewAPI(APIConfig{Store: store, Fence: &MemFence{}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, body string) (int, string) {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	before := store.snapshots.Load()
	code, body := post("/v1/halts", `{"regions":["us-east-1"],"reason":"incident"}`)
	var h rings.Halt
	if code != 201 || json.Unmarshal([]byte(body), &h) != nil || h.ID == "" || h.Scope.Regions[0] != "us-east-1" {
		t.Fatalf("place halt: %d %s", code, body)
	}
	if code, body := post("/v1/halts/"+h.ID+"/resume", `{"reason":"fixed"}`); code != 200 || !strings.Contains(body, `"resumeReason": "fixed"`) {
		t.Fatalf("resume halt: %d %s", code, body)
	}
	if n := store.snapshots.Load() - before; n != 0 {
		t.Fatalf("placing and resuming a halt took %d deep copies of the state; want 0", n)
	}
}

func TestHaltViewCopiesTheNamedAndTheActiveHalts(t *testing.T) {
	t.Parallel()
	store := &viewingStore{tstore: newTStore(true).withTopology(t)}
	store.mustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-v2", App: "checkout", Version: "v2"})
	store.mustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-old", Scope: rings.HaltScope{Global: true}, Reason: "drill"})
	store.mustApply(t, command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-old", Reason: "over"})
	store.mustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-gone", Scope: rings.HaltScope{Global: true}, Reason: "drill"})
	store.mustApply(t, command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-gone", Reason: "over"})
	store.mustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-r", Scope: rings.HaltScope{Regions: []string{"us-east-1"}}, Reason: "incident"})
	named, active := haltView(store, "halt-old")
	if named == nil || named.ID != "halt-old" || named.Active() {
		t.Fatalf("named halt = %+v, want the resumed halt-old", named)
	}
	if len(active) != 1 || active[0].ID != "halt-r" {
		t.Fatalf("active halts = %+v, want only halt-r", active)
	}
	if named, _ := haltView(store, "halt-nope"); named != nil {
		t.Fatalf("unknown halt found: %+v", named)
	}
	active[0].Scope.Regions[0] = "changed"
	if r := store.Snapshot().State.Halts[2].Scope.Regions[0]; r != "us-east-1" {
		t.Fatalf("changing the copy changed the state: region %q", r)
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
			var vs *viewingStore
			f := newLoopFixture(t, func(c *LoopConfig) {
				vs = &viewingStore{tstore: c.Store.(*tstore)}
				c.Store = vs
			})
			id := f.release(t, "v2")
			f.passUntil(t, 10, time.Second, func(s store.Snapshot) bool {
				return s.State.ReleaseByID(id).Ring("canary").State == rings.RingSoaking
			})
			tc.setup(t, f)
			copies, views := vs.snapshots.Load(), vs.views.Load()
			f.loop.ReconcileOnce(context.Background())
			if got := vs.snapshots.Load() - copies; got != 0 {
				t.Fatalf("the pass took %d deep copies of the state; want none", got)
			}
			if got := vs.views.Load() - views; got != tc.want {
				t.Fatalf("the pass took %d views of the state; want %d", got, tc.want)
			}
		})
	}
}
