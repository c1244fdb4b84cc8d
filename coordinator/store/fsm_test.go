package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/rings"
)

// t0 is the leader clock of the first replayed command.
var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// topologySource reads the test topology document.
func topologySource(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/fsm-topology.yaml")
	if err != nil {
		t.Fatalf("read test topology: %v", err)
	}
	return b
}

// mkCmd builds a command as the leader would have proposed it.
func mkCmd(t testing.TB, typ command.Type, reqID string, at time.Time, payload any) command.Command {
	t.Helper()
	c, err := command.New(typ, "alice", payload)
	if err != nil {
		t.Fatalf("build %s: %v", typ, err)
	}
	c.RequestID, c.At = reqID, at
	return c
}

// replay applies cmds to a fresh FSM, failing the test on any error.
func replay(t testing.TB, cmds []command.Command) *FSM {
	t.Helper()
	f := NewFSM(0)
	for i, c := range cmds {
		if _, err := f.ApplyCommand(uint64(i+1), c); err != nil {
			t.Fatalf("apply #%d %s: %v", i+1, c.Type, err)
		}
	}
	return f
}

// history is a command list touching every kind of state the FSM keeps.
func history(t testing.TB) []command.Command {
	src := topologySource(t)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	return []command.Command{
		mkCmd(t, command.CmdAdoptTopology, "q1", at(0), command.AdoptTopology{Revision: "rev1", Path: "rings.yaml", Source: src}),
		mkCmd(t, command.CmdSetMember, "q2", at(0), command.MemberMeta{ID: "n1", HTTPAddr: "127.0.0.1:7070"}),
		mkCmd(t, command.CmdCreateRelease, "q3", at(1), command.CreateRelease{ID: "r1", App: "checkout", Version: "v2"}),
		mkCmd(t, command.CmdStartRelease, "q4", at(2), command.ReleaseRef{ReleaseID: "r1"}),
		mkCmd(t, command.CmdPromoted, "q5", at(3), command.Promoted{ReleaseID: "r1", Ring: "canary", Regions: []string{"us-east-1"}, PromotionID: "p1", Commit: "abc"}),
		mkCmd(t, command.CmdPlaceHalt, "q6", at(4), command.PlaceHalt{ID: "h1", Scope: rings.HaltScope{Global: true}, Reason: "incident 42"}),
		mkCmd(t, command.CmdPlaceHalt, "q7", at(5), command.PlaceHalt{ID: "h2", Scope: rings.HaltScope{Regions: []string{"eu-west-1"}}, Reason: "eu maintenance"}),
		mkCmd(t, command.CmdResumeHalt, "q8", at(6), command.ResumeHalt{HaltID: "h2", Reason: "done"}),
		mkCmd(t, command.CmdRecordBudget, "q9", at(7), rings.Budget{Region: "us-east-1", RemainingPercent: 80, At: at(7)}),
		mkCmd(t, command.CmdCreateRelease, "q10", at(8), command.CreateRelease{ID: "r2", App: "ledger", Version: "1.4.0"}),
		mkCmd(t, command.CmdAbortRelease, "q11", at(9), command.ReleaseRef{ReleaseID: "r2", Reason: "wrong build"}),
	}
}

func TestFSMReplayGivesExpectedState(t *testing.T) {
	t.Parallel()
	snap := replay(t, history(t)).Copy()
	r1 := snap.State.ReleaseByID("r1")
	r2 := snap.State.ReleaseByID("r2")
	halt := func(id string) rings.Halt {
		for _, h := range snap.State.Halts {
			if h.ID == id {
				return h
			}
		}
		return rings.Halt{}
	}
	canaryRegion := func() rings.RegionProgress {
		if r1 == nil || r1.Ring("canary") == nil || r1.Ring("canary").Region("us-east-1") == nil {
			return rings.RegionProgress{}
		}
		return *r1.Ring("canary").Region("us-east-1")
	}
	cases := []struct {
		name      string
		got, want any
	}{
		{"topology revision", snap.TopologyRevision, "rev1"},
		{"topology name", snap.Topology.Metadata.Name, "payments"},
		{"member n1", snap.Members["n1"], "127.0.0.1:7070"},
		{"release count", len(snap.State.Releases), 2},
		{"r1 state", r1.State, rings.ReleaseRunning},
		{"r1 created by", r1.CreatedBy, "alice"},
		{"r1 created at (leader clock)", r1.CreatedAt, t0.Add(time.Minute)},
		{"r1 canary promotion", canaryRegion().PromotionID, "p1"},
		{"r1 canary promoted at", canaryRegion().PromotedAt, t0.Add(3 * time.Minute)},
		{"r2 state", r2.State, rings.ReleaseAborted},
		{"h1 author from actor", halt("h1").Author, "alice"},
		{"h1 created at from cmd.At", halt("h1").CreatedAt, t0.Add(4 * time.Minute)},
		{"h1 active", halt("h1").Active(), true},
		{"h2 resumed at", halt("h2").ResumedAt, t0.Add(6 * time.Minute)},
		{"budget", snap.State.Budgets["us-east-1"].RemainingPercent, 80.0},
		{"applied index", snap.AppliedIndex, uint64(11)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

func TestFSMRefusesBadEnvelopes(t *testing.T) {
	t.Parallel()
	good := mkCmd(t, command.CmdPlaceHalt, "", t0, command.PlaceHalt{ID: "h1", Scope: rings.HaltScope{Global: true}, Reason: "x"})
	newer := good
	newer.Version = command.Version + 1
	zero := good
	zero.Version = 0
	unknown := good
	unknown.Type = "release.teleport"
	empty := good
	empty.Payload = nil
	garbled := good
	garbled.Payload = json.RawMessage(`{"id": 7}`)
	cases := []struct {
		name string
		cmd  command.Command
	}{
		{"newer version", newer},
		{"version zero", zero},
		{"unknown type", unknown},
		{"empty payload", empty},
		{"payload of the wrong shape", garbled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := NewFSM(0)
			_, err := f.ApplyCommand(1, c.cmd)
			if !errors.Is(err, command.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if n := len(f.Copy().State.Halts); n != 0 {
				t.Errorf("refused command placed %d halts", n)
			}
		})
	}
}

func TestFSMRawEntryThatIsNotJSONIsRefused(t *testing.T) {
	t.Parallel()
	f := NewFSM(0)
	resp := f.Apply(&raft.Log{Index: 3, Type: raft.LogCommand, Data: []byte("not json")}).(*applyResponse)
	if !errors.Is(resp.err, command.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", resp.err)
	}
}

func TestFSMErrorsMatchBothSentinels(t *testing.T) {
	t.Parallel()
	base := history(t)
	cases := []struct {
		name       string
		cmd        command.Command
		coord, rng error
	}{
		{"unknown release", mkCmd(t, command.CmdStartRelease, "", t0, command.ReleaseRef{ReleaseID: "nope"}), command.ErrNotFound, rings.ErrNotFound},
		{"resume a resumed halt", mkCmd(t, command.CmdResumeHalt, "", t0, command.ResumeHalt{HaltID: "h2", Reason: "again"}), command.ErrConflict, rings.ErrConflict},
		{"start a running release", mkCmd(t, command.CmdStartRelease, "", t0, command.ReleaseRef{ReleaseID: "r1"}), command.ErrInvalid, rings.ErrTransition},
		{"duplicate halt id", mkCmd(t, command.CmdPlaceHalt, "", t0, command.PlaceHalt{ID: "h1", Scope: rings.HaltScope{Global: true}, Reason: "x"}), command.ErrConflict, rings.ErrConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := replay(t, base)
			_, err := f.ApplyCommand(100, c.cmd)
			if !errors.Is(err, c.coord) || !errors.Is(err, c.rng) {
				t.Errorf("err = %v, want both %v and %v", err, c.coord, c.rng)
			}
		})
	}
}

func TestFSMRepeatedRequestIDReturnsFirstResult(t *testing.T) {
	t.Parallel()
	f := replay(t, history(t))
	halt := mkCmd(t, command.CmdPlaceHalt, "same", t0, command.PlaceHalt{ID: "h9", Scope: rings.HaltScope{Global: true}, Reason: "x"})
	first, err := f.ApplyCommand(20, halt)
	if err != nil {
		t.Fatalf("first apply: %v", err)
	}
	again, err := f.ApplyCommand(21, halt)
	if err != nil {
		t.Fatalf("repeat: %v", err)
	}
	if again != first {
		t.Errorf("repeat returned %+v, want the first result %+v", again, first)
	}
	if n := len(f.Copy().State.Halts); n != 3 {
		t.Errorf("halts = %d after a repeat, want 3", n)
	}
}

func TestFSMRepeatedFailedRequestReturnsFirstError(t *testing.T) {
	t.Parallel()
	f := replay(t, history(t))
	bad := mkCmd(t, command.CmdStartRelease, "bad", t0, command.ReleaseRef{ReleaseID: "nope"})
	_, first := f.ApplyCommand(20, bad)
	// Restore from a snapshot in between: the request log travels with it.
	g := NewFSM(0)
	storetest.Restore(t, f, g)
	_, again := g.ApplyCommand(21, bad)
	if again == nil || again.Error() != first.Error() || !errors.Is(again, command.ErrNotFound) || !errors.Is(again, rings.ErrNotFound) {
		t.Errorf("repeat after restore = %v, want %v wrapping ErrNotFound", again, first)
	}
}

func TestFSMForgetsOldestRequestIDs(t *testing.T) {
	t.Parallel()
	f := NewFSM(2)
	for i, id := range []string{"a", "b", "c"} {
		c := mkCmd(t, command.CmdSetMember, id, t0, command.MemberMeta{ID: "n" + id, HTTPAddr: "h"})
		if _, err := f.ApplyCommand(uint64(i+1), c); err != nil {
			t.Fatal(err)
		}
	}
	ids := []string{}
	for _, e := range f.m.requests.entries() {
		ids = append(ids, e.RequestID)
	}
	if got := strings.Join(ids, ","); got != "b,c" {
		t.Errorf("remembered %q, want b,c", got)
	}
}

func TestFSMInvalidTopologyKeepsLastGood(t *testing.T) {
	t.Parallel()
	f := replay(t, history(t)[:1])
	bad := mkCmd(t, command.CmdAdoptTopology, "", t0, command.AdoptTopology{Revision: "rev2", Path: "rings.yaml", Source: []byte("apiVersion: ringleader.dev/v1alpha1\nkind: Topology\nspec:\n  rings: 7\n")})
	_, err := f.ApplyCommand(2, bad)
	if !errors.Is(err, command.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	snap := f.Copy()
	if snap.TopologyRevision != "rev1" || snap.Topology == nil || !bytes.Equal(snap.TopologySource, topologySource(t)) {
		t.Errorf("topology after a bad adoption: revision %q, want rev1 kept", snap.TopologyRevision)
	}
}

func TestFSMCreateReleaseNeedsTopology(t *testing.T) {
	t.Parallel()
	f := NewFSM(0)
	_, err := f.ApplyCommand(1, mkCmd(t, command.CmdCreateRelease, "", t0, command.CreateRelease{ID: "r1", App: "checkout", Version: "v1"}))
	if !errors.Is(err, command.ErrInvalid) || !strings.Contains(err.Error(), "no topology adopted") {
		t.Errorf("err = %v, want ErrInvalid saying no topology adopted", err)
	}
}

func TestFSMSnapshotRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	f := replay(t, history(t))
	g := NewFSM(0)
	storetest.Restore(t, f, g)
	if got, want := stateJSON(t, g.Copy()), stateJSON(t, f.Copy()); got != want {
		t.Errorf("restored state differs:\n got %s\nwant %s", got, want)
	}
}

// stateJSON renders everything a snapshot compares on.
func stateJSON(t testing.TB, s Snapshot) string {
	t.Helper()
	b, err := json.Marshal(struct {
		S      Snapshot
		Source []byte
	}{s, s.TopologySource})
	if err != nil {
		t.Fatalf("encode snapshot: %v", err)
	}
	return string(b)
}
