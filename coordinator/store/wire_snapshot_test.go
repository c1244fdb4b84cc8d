package store

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/wiretest"
)

// restoreWire restores the snapshot document b into a fresh FSM.
func restoreWire(t testing.TB, b []byte) *FSM {
	t.Helper()
	f := NewFSM(0)
	if err := f.Restore(io.NopCloser(bytes.NewReader(b))); err != nil {
		t.Fatalf("restore the snapshot: %v", err)
	}
	return f
}

// TestWireSnapshot pins the snapshot document of the world (persisted as
// Raft persists it) and its restore side: the golden bytes restore to the
// same state, request log and audit trail, persist again to the same
// bytes, and the restored FSM answers every later command as the original.
func TestWireSnapshot(t *testing.T) {
	world := wireWorldFSM(t)
	got := snapshotJSON(t, world)
	if again := snapshotJSON(t, world); !bytes.Equal(got, again) {
		t.Fatalf("two snapshots of one state differ: %s", wiretest.FirstDiff(got, again))
	}
	wiretest.Check(t, "snapshot/world.json", got)
	golden := wiretest.Read(t, "snapshot/world.json")

	restored := restoreWire(t, golden)
	if again := snapshotJSON(t, restored); !bytes.Equal(again, golden) {
		t.Errorf("the restored snapshot persists to other bytes: %s", wiretest.FirstDiff(golden, again))
	}
	if a, b := wireStateJSON(t, restored), wireStateJSON(t, world); !bytes.Equal(a, b) {
		t.Errorf("the restored state differs from the world: %s", wiretest.FirstDiff(b, a))
	}
	if a, b := restored.AppliedIndex(), world.AppliedIndex(); a != b {
		t.Errorf("restored applied index %d, want %d", a, b)
	}
	if a, b := mustJSON(t, restored.Audit(apiclient.AuditQuery{})), mustJSON(t, world.Audit(apiclient.AuditQuery{})); !bytes.Equal(a, b) {
		t.Errorf("the restored audit trail differs: %s", wiretest.FirstDiff(b, a))
	}
	if len(world.Audit(apiclient.AuditQuery{})) == 0 {
		t.Errorf("the world has no audit entries: the snapshot pins none")
	}

	// The request log came back: every world command sent again returns
	// its first outcome (a refused one its error kind) and changes nothing.
	before := wireStateJSON(t, restored)
	next := restored.AppliedIndex() + 1
	for i, e := range wireWorldEntries(t) {
		res, err := restored.ApplyCommand(next+uint64(i), e.cmd)
		if got := errKindOf(err); got != e.wantErr {
			t.Errorf("world command %s sent again after restore: error kind %q (%v), want %q", e.cmd.RequestID, got, err, e.wantErr)
		}
		if e.wantErr == "" && res.Index > uint64(i+1) {
			t.Errorf("world command %s sent again after restore answered index %d, want its first, at most %d", e.cmd.RequestID, res.Index, i+1)
		}
	}
	if after := wireStateJSON(t, restored); !bytes.Equal(before, after) {
		t.Errorf("commands repeated after restore changed the state: %s", wiretest.FirstDiff(before, after))
	}
}

// TestWireSnapshotAppliesLikeTheLog applies every golden command to the
// restored golden snapshot and to the replayed world log: both end in the
// same state.
func TestWireSnapshotAppliesLikeTheLog(t *testing.T) {
	t.Parallel()
	if wiretest.Update() {
		t.Skip("the golden files are being written; this test reads them on the next run")
	}
	golden := wiretest.Read(t, "snapshot/world.json")
	log := wireWorldLog(t)
	table := wireCommands(t)
	for _, typ := range slices.Sorted(maps.Keys(table)) {
		data := wiretest.Read(t, commandGolden(typ))
		fromSnap, fromLog := restoreWire(t, golden), NewFSM(0)
		applyWorld(t, fromLog, log)
		index := fromLog.AppliedIndex() + 1
		a := fromSnap.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: data}).(*applyResponse)
		b := fromLog.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: data}).(*applyResponse)
		if a.err != nil || b.err != nil || a.result != b.result {
			t.Errorf("%s: after the snapshot %+v (%v), after the log %+v (%v)", typ, a.result, a.err, b.result, b.err)
		}
		if x, y := snapshotJSON(t, fromSnap), snapshotJSON(t, fromLog); !bytes.Equal(x, y) {
			t.Errorf("%s: the state after the snapshot differs from the state after the log: %s", typ, wiretest.FirstDiff(y, x))
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snapshotJSON is the FSM's persisted snapshot document.
func snapshotJSON(t testing.TB, f *FSM) []byte {
	t.Helper()
	sink := storetest.Persist(t, f)
	if !sink.Closed {
		t.Fatalf("persist did not close the sink")
	}
	return sink.Bytes()
}
