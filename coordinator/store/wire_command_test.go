package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/wiretest"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// wireCommand is the pinned envelope of one command type: a payload with
// every field set (so a renamed or dropped JSON name shows in the bytes)
// that applies to the world, and the ID the FSM answers with.
type wireCommand struct {
	payload any
	wantID  string
}

// wireCommands holds one entry per command type. A new command type needs
// an entry here and a golden file (TestWireEveryCommandTypeIsPinned).
func wireCommands(t testing.TB) map[command.Type]wireCommand {
	t.Helper()
	fullScope := rings.HaltScope{Global: true, Regions: []string{"us-west-2"}, Rings: []string{"global"}, Apps: []string{"ledger"}, Releases: []string{wireL2}}
	check := &rings.Observation{Region: "us-east-1", Check: "success-rate", Value: 99.25, Threshold: ">= 99", Pass: true, Reason: "99.25 >= 99", At: wireNow.Add(-30 * time.Second)}
	return map[command.Type]wireCommand{
		command.CmdCreateRelease: {command.CreateRelease{ID: "ledger-2.2.0-cafe01", App: "ledger", Version: "2.2.0", Priority: topology.PrioritySecurity,
			StartAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Train: "tuesday", PreviousVersion: "2.0.0",
			Risk: &topology.DREAD{Damage: 8, Reproducibility: 7, Exploitability: 9, Affected: 10, Discoverability: 10}}, "ledger-2.2.0-cafe01"},
		command.CmdStartRelease:    {command.ReleaseRef{ReleaseID: wireC3, Reason: "train tuesday departed"}, wireC3},
		command.CmdSetReleaseState: {command.SetReleaseState{ReleaseID: wireC2, State: rings.ReleaseAwaitingApproval, Reason: "ring early needs an approval"}, wireC2},
		command.CmdApprove:         {command.Approve{ReleaseID: wireC2, Ring: "early", Reason: "canary clean"}, wireC2},
		command.CmdAbortRelease:    {command.ReleaseRef{ReleaseID: wireC2, Reason: "superseded by 1.5.1"}, wireC2},
		command.CmdRequestRollback: {command.ReleaseRef{ReleaseID: wireC2, Reason: "error rate up in us-east-1"}, wireC2},
		command.CmdCompleteRelease: {command.ReleaseRef{ReleaseID: wireC1, Reason: "every ring done"}, wireC1},
		command.CmdPromoted: {command.Promoted{ReleaseID: wireL1, Ring: "global", Regions: []string{"us-west-2"}, PromotionID: "prom-" + wireL1 + "-global-2",
			Commit: commitFor(wireL1, "global-2")}, "prom-" + wireL1 + "-global-2"},
		command.CmdObserve: {command.Observe{ReleaseID: wireC2, Ring: "canary", Region: "us-east-1", Synced: true, Healthy: true, Reason: "health Progressing",
			Check: check, InProgress: true}, wireC2},
		command.CmdStartSoak:    {command.RingRef{ReleaseID: wireS1, Ring: "canary", Reason: "every region synced and healthy"}, wireS1},
		command.CmdCompleteRing: {command.RingRef{ReleaseID: wireC2, Ring: "canary", Reason: "soaked 1h"}, wireC2},
		command.CmdFailRing:     {command.RingRef{ReleaseID: wireC2, Ring: "canary", Reason: "success-rate 97.5 is below 99 for 3 checks"}, wireC2},
		command.CmdRolledBack: {command.Promoted{ReleaseID: wireL2, Ring: "canary", Regions: []string{"us-east-1"}, PromotionID: "rb-" + wireL2 + "-canary",
			Commit: commitFor(wireL2, "rb-canary")}, "rb-" + wireL2 + "-canary"},
		command.CmdPlaceHalt:        {command.PlaceHalt{ID: "halt-golden", Scope: fullScope, Reason: "incident 4711", Auto: true}, "halt-golden"},
		command.CmdResumeHalt:       {command.ResumeHalt{HaltID: "halt-eu-maint", Reason: "maintenance done"}, "halt-eu-maint"},
		command.CmdAdoptTopology:    {command.AdoptTopology{Revision: "rev-2", Path: "rings/topology.yaml", Source: wireTopology(t)}, "rev-2"},
		command.CmdRejectTopology:   {command.RejectTopology{Revision: "rev-bad-2", Path: "rings/topology.yaml", Errors: []string{"line 3: kind: want Topology"}}, "rev-bad-2"},
		command.CmdRecordBudget:     {rings.Budget{App: "checkout", Region: "eu-west-1", RemainingSeconds: 1500.25, RemainingPercent: 57.9, At: wireNow.Add(-time.Minute)}, "checkout/eu-west-1"},
		command.CmdSetMember:        {command.MemberMeta{ID: "n4", HTTPAddr: "http://n4.wire.test:7070"}, "n4"},
		command.CmdRemoveMember:     {command.MemberMeta{ID: "n2", HTTPAddr: "http://n2.wire.test:7070"}, "n2"},
		command.CmdRollbackVerified: {command.RingRegions{ReleaseID: wireL2, Ring: "early", Regions: []string{"eu-west-1"}}, wireL2},
		command.CmdRollbackFailed: {command.RollbackFailed{ReleaseID: wireL2, Ring: "early", Regions: []string{"eu-west-1"},
			Reason: "eu-west-1 did not run 1.8.0 synced and healthy within 15m of the rollback", HaltID: "halt-rollback-golden", Scope: fullScope}, wireL2},
		command.CmdPromotionRetry: {command.PromotionRetry{ReleaseID: wireL2, Ring: "canary", PromotionID: "rb-" + wireL2 + "-canary", Rollback: true, Attempt: 2,
			Error: "push: 502 Bad Gateway", NextAttemptAt: wireNow.Add(2 * time.Minute)}, "rb-" + wireL2 + "-canary"},
		command.CmdPromotionFailed: {command.PromotionFailed{ReleaseID: wireL1, Ring: "global", Regions: []string{"us-west-2"}, PromotionID: "prom-" + wireL1 + "-global-2",
			Reason: "apps/ledger/us-west-2/values.yaml: worker.image.tag: no such key"}, "prom-" + wireL1 + "-global-2"},
		command.CmdRollbackWriteFailed: {command.PromotionFailed{ReleaseID: wireL2, Ring: "canary", Regions: []string{"us-east-1"}, PromotionID: "rb-" + wireL2 + "-canary",
			Reason: "push refused: protected branch"}, "rb-" + wireL2 + "-canary"},
		command.CmdRecordBaseline: {command.RecordBaseline{ReleaseID: wireC3, Commit: commitFor(wireC3, "baseline"), Regions: []rings.RegionBaseline{
			{Region: "us-east-1", Version: "1.5.0"},
			{Region: "eu-west-1", Targets: []rings.TargetValue{{File: "apps/checkout/eu-west-1/values.yaml", Target: "image.tag", Value: "1.4.1"}}},
			{Region: "ap-south-1", Targets: []rings.TargetValue{{File: "apps/checkout/ap-south-1/values.yaml", Target: "image.tag", Absent: true}}},
			{Region: "us-west-2", Version: "1.5.0"},
		}}, wireC3},
		command.CmdSetRisk: {command.SetRisk{ReleaseID: wireC3, Reason: "touches the payment path",
			Risk: &topology.DREAD{Damage: 6, Reproducibility: 5, Exploitability: 4, Affected: 7, Discoverability: 3}}, wireC3},
	}
}

// wireEnvelope is the golden command of type typ as the leader proposes
// it: a person's command stamped with wireNow.
func wireEnvelope(t testing.TB, typ command.Type, wc wireCommand) command.Command {
	t.Helper()
	raw, err := json.Marshal(wc.payload)
	if err != nil {
		t.Fatalf("encode %s payload: %v", typ, err)
	}
	return command.Command{Version: command.Version, Type: typ, RequestID: "wire-" + string(typ), At: wireNow,
		Actor: wireAda.name, Role: wireAda.role, Source: wireAda.source, Payload: raw}
}

// commandGolden is the golden file of command type typ.
func commandGolden(typ command.Type) string { return "commands/" + string(typ) + ".json" }

// TestWireEveryCommandTypeIsPinned fails when a command type the FSM
// applies has no pinned envelope, when a golden file names a type the FSM
// does not know, and when a pinned payload leaves a field unset.
func TestWireEveryCommandTypeIsPinned(t *testing.T) {
	t.Parallel()
	table := wireCommands(t)
	for typ := range processors {
		if _, ok := table[typ]; !ok {
			t.Errorf("command type %s has no entry in wireCommands: add one with every payload field set, then run the wire tests with -update", typ)
		}
	}
	for typ, wc := range table {
		if !KnownCommand(typ) {
			t.Errorf("wireCommands pins %s, which the FSM does not know", typ)
		}
		if unset := unsetFields(reflect.ValueOf(wc.payload)); len(unset) > 0 {
			t.Errorf("the pinned %s payload leaves %s unset: set every field so the golden file shows its JSON name", typ, strings.Join(unset, ", "))
		}
	}
	if wiretest.Update() {
		return
	}
	for _, name := range wiretest.Names(t, "commands") {
		typ := command.Type(strings.TrimSuffix(name, ".json"))
		if !KnownCommand(typ) {
			t.Errorf("testdata/wire/commands/%s pins a command type the FSM does not know: a log holding it would no longer apply", name)
		}
	}
}

// TestWireCommandEnvelopes pins the bytes of every command type's envelope
// as written to the Raft log, and checks the decode side: the golden bytes
// decode to the same envelope and payload, and apply through FSM.Apply on
// the world without error, answering the expected ID and changing the
// state.
func TestWireCommandEnvelopes(t *testing.T) {
	t.Parallel()
	table := wireCommands(t)
	log := wireWorldLog(t)
	for _, typ := range slices.Sorted(maps.Keys(table)) {
		wc := table[typ]
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			cmd := wireEnvelope(t, typ, wc)
			b, err := json.Marshal(cmd)
			if err != nil {
				t.Fatal(err)
			}
			wiretest.Check(t, commandGolden(typ), b)
			golden := wiretest.Read(t, commandGolden(typ))

			// The envelope and its typed payload decode and encode back
			// to the same bytes.
			var dec command.Command
			if err := json.Unmarshal(golden, &dec); err != nil {
				t.Fatalf("decode the golden envelope: %v", err)
			}
			if again, _ := json.Marshal(dec); !bytes.Equal(again, golden) {
				t.Errorf("the golden envelope does not survive decode and encode: %s", wiretest.FirstDiff(golden, again))
			}
			typed := reflect.New(reflect.TypeOf(wc.payload))
			if err := json.Unmarshal(dec.Payload, typed.Interface()); err != nil {
				t.Fatalf("decode the golden payload as %T: %v", wc.payload, err)
			}
			if again, _ := json.Marshal(typed.Interface()); !bytes.Equal(again, dec.Payload) {
				t.Errorf("the golden payload does not survive decode and encode as %T: %s", wc.payload, wiretest.FirstDiff(dec.Payload, again))
			}

			// It applies on the world, through the path Raft takes.
			f := NewFSM(0)
			applyWorld(t, f, log)
			before := wireStateJSON(t, f)
			index := uint64(len(log) + 1)
			resp := f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: golden}).(*applyResponse)
			if resp.err != nil {
				t.Fatalf("the golden %s does not apply on the world: %v", typ, resp.err)
			}
			if resp.result.ID != wc.wantID || resp.result.Index != index {
				t.Errorf("applied as %+v, want ID %q at index %d", resp.result, wc.wantID, index)
			}
			if after := wireStateJSON(t, f); bytes.Equal(before, after) {
				t.Errorf("the golden %s applied but changed no replicated state", typ)
			}
		})
	}
}

// wireStateJSON is the replicated state without the applied index.
func wireStateJSON(t testing.TB, f *FSM) []byte {
	t.Helper()
	s := f.Copy()
	s.AppliedIndex = 0
	b, err := json.Marshal(struct {
		Snapshot

		Path   string
		Source []byte
	}{s, f.m.topologyPath, s.TopologySource})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWireCommandsAsWrittenByNode checks the claim the golden envelopes
// rest on: a real node writes exactly those bytes to its Raft log. It
// proposes the world and every golden command through Node.Apply on one
// bootstrapped node and reads the entries back from its log
func TestWireCommandsAsWrittenByNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Raft node")
	}
	if wiretest.Update() {
		t.Skip("the golden files are being written; this test reads them on the next run")
	}
	n, err := NewNode(Config{NodeID: "n1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0", HTTPAddr: "http://n1.wire.test:7070", Bootstrap: true, Logger: storetest.Logger("n1")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.shutdown(false) })
	waitFor(t, "n1 to lead", n.IsLeader)

	want := map[string][]byte{} // request ID → golden bytes
	var cmds []command.Command
	for _, line := range splitLines(wiretest.Read(t, "log/world.jsonl")) {
		var c command.Command
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
		want[c.RequestID] = line
	}
	table := wireCommands(t)
	for _, typ := range slices.Sorted(maps.Keys(table)) {
		golden := wiretest.Read(t, commandGolden(typ))
		var c command.Command
		if err := json.Unmarshal(golden, &c); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
		want[c.RequestID] = golden
	}
	for _, c := range cmds {
		// The FSM may refuse a command (the golden ones apply to the world,
		// not to each other); what counts is what reached the log.
		if _, err := n.Apply(t.Context(), c); err != nil && !errors.Is(err, command.ErrInvalid) && !errors.Is(err, command.ErrNotFound) && !errors.Is(err, command.ErrConflict) {
			t.Fatalf("propose %s (%s): %v", c.Type, c.RequestID, err)
		}
	}

	first, err := n.store.FirstIndex()
	if err != nil {
		t.Fatal(err)
	}
	last, err := n.store.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for i := first; i <= last; i++ {
		var l raft.Log
		if err := n.store.GetLog(i, &l); err != nil {
			t.Fatalf("read log entry %d: %v", i, err)
		}
		if l.Type != raft.LogCommand {
			continue
		}
		var c command.Command
		if err := json.Unmarshal(l.Data, &c); err != nil {
			t.Fatalf("decode log entry %d: %v", i, err)
		}
		golden, ours := want[c.RequestID]
		if !ours {
			continue // the node's own entries (its member address)
		}
		seen[c.RequestID]++
		if !bytes.Equal(l.Data, golden) {
			t.Errorf("log entry %d (%s) differs from its golden bytes: %s", i, c.RequestID, wiretest.FirstDiff(golden, l.Data))
		}
	}
	for id := range want {
		if seen[id] == 0 {
			t.Errorf("request %s is not in the node's log", id)
		}
	}
}

// unsetFields lists the struct fields (by JSON path) that are the zero
// value everywhere in v: in every element of a slice, so a list of
// several elements may set different fields. Types without exported
// fields (time.Time) and maps are leaves.
func unsetFields(v reflect.Value) []string {
	all, set := map[string]bool{}, map[string]bool{}
	walkFields(v.Type(), "", all, 0)
	markSet(v, "", set)
	var out []string
	for p := range all {
		if !set[p] {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// walkFields collects every field path of type typ.
func walkFields(typ reflect.Type, path string, all map[string]bool, depth int) {
	if depth > 6 {
		return
	}
	switch typ.Kind() {
	case reflect.Pointer:
		walkFields(typ.Elem(), path, all, depth+1)
	case reflect.Slice:
		if typ.Elem().Kind() != reflect.Uint8 {
			walkFields(typ.Elem(), path+"[]", all, depth+1)
		}
	case reflect.Struct:
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			p := path + "." + name
			all[p] = true
			walkFields(f.Type, p, all, depth+1)
		}
	}
}

// markSet collects the field paths that hold a non-zero value in v.
func markSet(v reflect.Value, path string, set map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			markSet(v.Elem(), path, set)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			markSet(v.Index(i), path+"[]", set)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			p := path + "." + name
			if !v.Field(i).IsZero() {
				set[p] = true
			}
			markSet(v.Field(i), p, set)
		}
	}
}
