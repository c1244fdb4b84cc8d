package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
)

// viewingStore is a tstore that lends its state in place and hands out
// copy-on-write views, as *Node does, and counts the deep copies and the
// views taken.
type viewingStore struct {
	*tstore
	snapshots, views atomic.Int64
}

func (v *viewingStore) View() Snapshot {
	v.views.Add(1)
	return v.fsm.View()
}

func (v *viewingStore) ViewState(fn func(s *rings.State)) { v.fsm.ViewState(fn) }

func (v *viewingStore) AppliedIndex() uint64 { return v.fsm.AppliedIndex() }

func (v *viewingStore) Snapshot() Snapshot {
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
			var store *viewingStore
			f := newLoopFixture(t, func(c *LoopConfig) {
				store = &viewingStore{tstore: c.Store.(*tstore)}
				c.Store = store
			})
			id := f.release(t, "v2")
			tc.setup(t, f.store, id)
			p := rings.Promotion{ReleaseID: id, App: "checkout", Ring: "canary", Regions: []string{"us-east-1"}, Version: "v2", PromotionID: "p1", Rollback: tc.rollbck}
			before := store.snapshots.Load()
			err := f.loop.fenceCheck(p)(context.Background())
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Check = %v; want nil", err)
			case tc.want != "" && (!errors.Is(err, rings.ErrFenced) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Check = %v; want ErrFenced containing %q", err, tc.want)
			case store.snapshots.Load() != before:
				t.Fatalf("Check took %d deep copies of the state; want 0", store.snapshots.Load()-before)
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
			var store *viewingStore
			f := newLoopFixture(t, func(c *LoopConfig) {
				store = &viewingStore{tstore: c.Store.(*tstore)}
				c.Store = store
			})
			id := f.release(t, "v2")
			f.passUntil(t, 10, time.Second, func(s Snapshot) bool {
				return s.State.ReleaseByID(id).Ring("canary").State == rings.RingSoaking
			})
			tc.setup(t, f)
			copies, views := store.snapshots.Load(), store.views.Load()
			f.loop.ReconcileOnce(context.Background())
			if got := store.snapshots.Load() - copies; got != 0 {
				t.Fatalf("the pass took %d deep copies of the state; want none", got)
			}
			if got := store.views.Load() - views; got != tc.want {
				t.Fatalf("the pass took %d views of the state; want %d", got, tc.want)
			}
		})
	}
}

// Views are read without the FSM's lock while commands change the state;
// the copy-on-write in rings keeps the two apart. Run with -race: a
// transition that changed shared memory in place is reported here. The
// last view taken must also match a deep copy taken at the same index.
func TestViewsAreReadWhileCommandsApply(t *testing.T) {
	t.Parallel()
	store := newTStore(true).withTopology(t)
	fsm := store.fsm
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		views := 0
		for {
			select {
			case <-stop:
				done <- views
				return
			default:
			}
			v := fsm.View()
			if _, err := json.Marshal(v.State); err != nil {
				t.Error(err)
			}
			for _, r := range v.State.Releases {
				for _, rp := range r.Rings {
					_ = len(rp.Regions) + len(rp.Name)
				}
			}
			views++
		}
	}()
	for i := range 150 {
		id := fmt.Sprintf("checkout-v%d", i)
		store.mustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: id, App: "checkout", Version: fmt.Sprintf("v%d", i)})
		store.mustApply(t, command.CmdStartRelease, command.ReleaseRef{ReleaseID: id})
		store.mustApply(t, command.CmdSetReleaseState, command.SetReleaseState{ReleaseID: id, State: rings.ReleaseHalted, Reason: "waiting"})
		store.mustApply(t, command.CmdRecordBudget, rings.Budget{Region: "eu-west-1", RemainingPercent: float64(i)})
		halt := fmt.Sprintf("halt-%d", i)
		store.mustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: halt, Scope: rings.HaltScope{Global: true}, Reason: "drill"})
		store.mustApply(t, command.CmdResumeHalt, command.ResumeHalt{HaltID: halt, Reason: "over"})
		store.mustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: id, Reason: "next one"})
	}
	close(stop)
	if n := <-done; n == 0 {
		t.Fatal("no view was taken while commands applied")
	}
	v, c := fsm.View(), fsm.Copy()
	if got, want := stateJSONOf(t, v.State), stateJSONOf(t, c.State); got != want {
		t.Fatalf("a view differs from a deep copy at the same index:\nview %s\ncopy %s", got, want)
	}
	if len(v.State.Halts) != rings.KeepResumedHalts || len(v.State.Releases) != rings.KeepFinishedReleases {
		t.Fatalf("view holds %d halts and %d releases, want the bounded histories: %d and %d",
			len(v.State.Halts), len(v.State.Releases), rings.KeepResumedHalts, rings.KeepFinishedReleases)
	}
}

func stateJSONOf(t *testing.T, s rings.State) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A Raft snapshot holds a view of the state; it is encoded while later
// commands apply and must still be the state at the index it was taken.
func TestSnapshotPersistsTheStateAtItsIndexWhileCommandsApply(t *testing.T) {
	t.Parallel()
	store := newTStore(true).withTopology(t)
	for i := range 20 {
		store.mustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: fmt.Sprintf("checkout-a%d", i), App: "checkout", Version: "a"})
	}
	store.mustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-1", Scope: rings.HaltScope{Global: true}, Reason: "drill"})
	want := stateJSONOf(t, store.fsm.Copy().State)
	snap, err := store.fsm.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	persisted := make(chan *memSink)
	go func() {
		sink := &memSink{}
		if err := snap.Persist(sink); err != nil {
			t.Error(err)
		}
		persisted <- sink
	}()
	// Change every kind of thing the snapshot holds while it is written.
	for i := range 20 {
		id := fmt.Sprintf("checkout-a%d", i)
		store.mustApply(t, command.CmdStartRelease, command.ReleaseRef{ReleaseID: id})
		store.mustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: id, Reason: "changed"})
	}
	store.mustApply(t, command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-1", Reason: "over"})
	store.mustApply(t, command.CmdRecordBudget, rings.Budget{Region: "eu-west-1", RemainingPercent: 3})
	sink := <-persisted
	restored := NewFSM(0)
	if err := restored.Restore(io.NopCloser(&sink.buf)); err != nil {
		t.Fatal(err)
	}
	if got := stateJSONOf(t, restored.Copy().State); got != want {
		t.Fatalf("the snapshot does not hold the state at its index:\ngot  %s\nwant %s", got, want)
	}
	if stateJSONOf(t, store.fsm.Copy().State) == want {
		t.Fatal("the commands after the snapshot changed nothing: the test proves nothing")
	}
}
