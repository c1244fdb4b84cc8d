package store

import (
	"encoding/json"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/rings"
)

// Views are read without the FSM's lock while commands change the state;
// the copy-on-write in rings keeps the two apart. Run with -race: a
// transition that changed shared memory in place is reported here. The
// last view taken must also match a deep copy taken at the same index.
func TestViewsAreReadWhileCommandsApply(t *testing.T) {
	t.Parallel()
	fsm := topologyFSM(t)
	apply := applier(t, fsm)
	stop := make(chan struct{})
	done := make(chan struct{})
	var views atomic.Int64
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
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
			views.Add(1)
		}
	}()
	for i := range 150 {
		if i == 75 {
			// Half way, make sure the reader runs while commands apply (on a
			// loaded machine it may not have been scheduled yet).
			seen := views.Load()
			poll.Until(t, 10*time.Second, "a view taken while commands apply", func() bool { return views.Load() > seen })
		}
		id := fmt.Sprintf("checkout-v%d", i)
		apply(command.CmdCreateRelease, command.CreateRelease{ID: id, App: "checkout", Version: fmt.Sprintf("v%d", i)})
		apply(command.CmdStartRelease, command.ReleaseRef{ReleaseID: id})
		apply(command.CmdSetReleaseState, command.SetReleaseState{ReleaseID: id, State: rings.ReleaseHalted, Reason: "waiting"})
		apply(command.CmdRecordBudget, rings.Budget{Region: "eu-west-1", RemainingPercent: float64(i)})
		halt := fmt.Sprintf("halt-%d", i)
		apply(command.CmdPlaceHalt, command.PlaceHalt{ID: halt, Scope: rings.HaltScope{Global: true}, Reason: "drill"})
		apply(command.CmdResumeHalt, command.ResumeHalt{HaltID: halt, Reason: "over"})
		apply(command.CmdAbortRelease, command.ReleaseRef{ReleaseID: id, Reason: "next one"})
	}
	close(stop)
	<-done
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
	fsm := topologyFSM(t)
	apply := applier(t, fsm)
	for i := range 20 {
		apply(command.CmdCreateRelease, command.CreateRelease{ID: fmt.Sprintf("checkout-a%d", i), App: "checkout", Version: "a"})
	}
	apply(command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-1", Scope: rings.HaltScope{Global: true}, Reason: "drill"})
	want := stateJSONOf(t, fsm.Copy().State)
	snap, err := fsm.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	persisted := make(chan *storetest.Sink)
	go func() {
		sink := &storetest.Sink{}
		if err := snap.Persist(sink); err != nil {
			t.Error(err)
		}
		persisted <- sink
	}()
	// Change every kind of thing the snapshot holds while it is written.
	for i := range 20 {
		id := fmt.Sprintf("checkout-a%d", i)
		apply(command.CmdStartRelease, command.ReleaseRef{ReleaseID: id})
		apply(command.CmdAbortRelease, command.ReleaseRef{ReleaseID: id, Reason: "changed"})
	}
	apply(command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-1", Reason: "over"})
	apply(command.CmdRecordBudget, rings.Budget{Region: "eu-west-1", RemainingPercent: 3})
	sink := <-persisted
	restored := NewFSM(0)
	if err := restored.Restore(io.NopCloser(sink)); err != nil {
		t.Fatal(err)
	}
	if got := stateJSONOf(t, restored.Copy().State); got != want {
		t.Fatalf("the snapshot does not hold the state at its index:\ngot  %s\nwant %s", got, want)
	}
	if stateJSONOf(t, fsm.Copy().State) == want {
		t.Fatal("the commands after the snapshot changed nothing: the test proves nothing")
	}
}

// topologyFSM is a fresh FSM with the test topology adopted.
func topologyFSM(t testing.TB) *FSM {
	t.Helper()
	f := NewFSM(0)
	applier(t, f)(command.CmdAdoptTopology, command.AdoptTopology{Revision: "rev1", Path: "rings.yaml", Source: topologySource(t)})
	return f
}

// applier applies commands to f at its next index, failing the test on
// any refusal.
func applier(t testing.TB, f *FSM) func(typ command.Type, payload any) {
	return func(typ command.Type, payload any) {
		t.Helper()
		cmd := mkCmd(t, typ, command.NewRequestID(), t0, payload)
		if _, err := f.ApplyCommand(f.AppliedIndex()+1, cmd); err != nil {
			t.Fatalf("apply %s: %v", typ, err)
		}
	}
}
