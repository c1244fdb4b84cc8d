package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/wiretest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

var auditT0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// auditCmd builds a command at auditT0+minutes.
func auditCmd(t testing.TB, typ command.Type, actor, role string, minutes int, payload any) command.Command {
	t.Helper()
	cmd, err := command.New(typ, actor, payload)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Role, cmd.Source = role, "10.0.0.7:5000"
	cmd.At = auditT0.Add(time.Duration(minutes) * time.Minute)
	cmd.RequestID = fmt.Sprintf("req-%s-%d-%s", typ, minutes, actor)
	return cmd
}

// TestAuditRecordsAcceptedCommands: an accepted command adds one entry
// with who, role, what, when, where and why; a refused command and a
// repeated request ID add none; the topology source never appears.
func TestAuditRecordsAcceptedCommands(t *testing.T) {
	f := NewFSM(0)
	src := topologySource(t)
	cmds := []command.Command{
		auditCmd(t, command.CmdAdoptTopology, "ada", "admin", 0, command.AdoptTopology{Revision: "rev1", Path: "rings.yaml", Source: src}),
		auditCmd(t, command.CmdPlaceHalt, "ian", "incident-commander", 1, command.PlaceHalt{ID: "h1", Scope: haltCmd("h1").Scope, Reason: "error rate up"}),
		auditCmd(t, command.CmdResumeHalt, "ian", "incident-commander", 2, command.ResumeHalt{HaltID: "nope", Reason: "refused: unknown halt"}),
		auditCmd(t, command.CmdResumeHalt, "ian", "incident-commander", 3, command.ResumeHalt{HaltID: "h1", Reason: "fixed"}),
		auditCmd(t, command.CmdSetMember, command.ActorSystem, "", 4, command.MemberMeta{ID: "n1", HTTPAddr: "127.0.0.1:7070"}),
	}
	for i, c := range cmds {
		_, _ = f.ApplyCommand(uint64(i+1), c)
	}
	_, _ = f.ApplyCommand(9, cmds[1]) // the same request again
	got := f.Audit(apiclient.AuditQuery{})
	want := []apiclient.AuditEntry{
		{Index: 1, At: auditT0, Actor: "ada", Role: "admin", Source: "10.0.0.7:5000", Type: command.CmdAdoptTopology, RequestID: cmds[0].RequestID,
			Details: map[string]string{"revision": "rev1", "path": "rings.yaml"}},
		{Index: 2, At: auditT0.Add(time.Minute), Actor: "ian", Role: "incident-commander", Source: "10.0.0.7:5000", Type: command.CmdPlaceHalt, RequestID: cmds[1].RequestID,
			Details: map[string]string{"halt": "h1", "scope": "global"}, Reason: "error rate up"},
		{Index: 4, At: auditT0.Add(3 * time.Minute), Actor: "ian", Role: "incident-commander", Source: "10.0.0.7:5000", Type: command.CmdResumeHalt, RequestID: cmds[3].RequestID,
			Details: map[string]string{"halt": "h1"}, Reason: "fixed"},
		{Index: 5, At: auditT0.Add(4 * time.Minute), Actor: command.ActorSystem, Role: ActorRoleSystem, Source: "10.0.0.7:5000", Type: command.CmdSetMember, RequestID: cmds[4].RequestID,
			Details: map[string]string{"member": "n1", "httpAddr": "127.0.0.1:7070"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("audit trail:\n got %+v\nwant %+v", got, want)
	}
	b, _ := json.Marshal(got)
	if strings.Contains(string(b), string(src[:40])) {
		t.Error("the audit trail holds the topology source")
	}
}

// TestAuditFilters: actor, type, since, until and limit.
func TestAuditFilters(t *testing.T) {
	f := NewFSM(0)
	for i := range 10 {
		actor := []string{"ian", "rex"}[i%2]
		_, _ = f.ApplyCommand(uint64(i+1), auditCmd(t, command.CmdPlaceHalt, actor, "admin", i, command.PlaceHalt{ID: fmt.Sprintf("h%d", i), Scope: haltCmd("x").Scope, Reason: "r"}))
	}
	cases := []struct {
		name string
		q    apiclient.AuditQuery
		want []uint64
	}{
		{"all", apiclient.AuditQuery{}, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"actor", apiclient.AuditQuery{Actor: "rex"}, []uint64{2, 4, 6, 8, 10}},
		{"type none", apiclient.AuditQuery{Type: command.CmdResumeHalt}, nil},
		{"since until", apiclient.AuditQuery{Since: auditT0.Add(3 * time.Minute), Until: auditT0.Add(5 * time.Minute)}, []uint64{4, 5, 6}},
		{"limit keeps the latest", apiclient.AuditQuery{Limit: 3}, []uint64{8, 9, 10}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []uint64
			for _, e := range f.Audit(c.q) {
				got = append(got, e.Index)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("indexes = %v, want %v", got, c.want)
			}
		})
	}
}

// TestAuditRetentionIsDeterministic: two state machines applying the same
// log with the same retention keep exactly the same entries: at most
// MaxEntries decisions, MaxEvidence observations, none older than MaxAge
// before the latest command.
func TestAuditRetentionIsDeterministic(t *testing.T) {
	ret := AuditRetention{MaxEntries: 100, MaxEvidence: 2, MaxAge: 10 * time.Minute}
	var cmds []command.Command
	for i := range 40 {
		if i%3 == 0 {
			cmds = append(cmds, auditCmd(t, command.CmdObserve, command.ActorSystem, "", i, command.Observe{ReleaseID: "r", Ring: "canary", Region: "us-east-1"}))
			continue
		}
		cmds = append(cmds, auditCmd(t, command.CmdSetMember, "ada", "admin", i, command.MemberMeta{ID: fmt.Sprintf("n%d", i)}))
	}
	var trails [2][]apiclient.AuditEntry
	for k := range trails {
		f := NewFSM(0)
		f.SetAuditRetention(ret)
		for i, c := range cmds {
			_, _ = f.ApplyCommand(uint64(i+1), c) // observe fails (no release): not audited
		}
		trails[k] = f.Audit(apiclient.AuditQuery{Limit: apiclient.MaxAuditLimit})
	}
	if !reflect.DeepEqual(trails[0], trails[1]) {
		t.Fatal("two replicas kept different audit trails")
	}
	var idx []uint64
	for _, e := range trails[0] {
		idx = append(idx, e.Index)
	}
	// The last accepted command is at minute 38 (index 39): entries from
	// minute 28 on stay; observations were refused (no such release).
	if want := []uint64{29, 30, 32, 33, 35, 36, 38, 39}; !reflect.DeepEqual(idx, want) {
		t.Errorf("kept indexes %v, want %v", idx, want)
	}

	f := NewFSM(0)
	f.SetAuditRetention(AuditRetention{MaxEntries: 3})
	for i := range 10 {
		_, _ = f.ApplyCommand(uint64(i+1), auditCmd(t, command.CmdSetMember, "ada", "admin", i, command.MemberMeta{ID: "n"}))
	}
	if got := len(f.Audit(apiclient.AuditQuery{})); got != 3 {
		t.Errorf("MaxEntries 3 kept %d entries", got)
	}
}

// noState is the lookup of a trail without releases or topology.
type noState struct{}

func (noState) releaseApp(string) string        { return "" }
func (noState) riskTier(*topology.DREAD) string { return "" }

// TestAuditEvidenceHasItsOwnBound: frequent observations do not push
// people's decisions out of the trail.
func TestAuditEvidenceHasItsOwnBound(t *testing.T) {
	var tr auditTrail
	ret := AuditRetention{MaxEntries: 3, MaxEvidence: 2}
	tr.record(1, auditCmd(t, command.CmdPlaceHalt, "ian", "incident-commander", 0, command.PlaceHalt{ID: "h"}), "h", ret, noState{})
	for i := range 50 {
		tr.record(uint64(i+2), auditCmd(t, command.CmdObserve, command.ActorSystem, "", i, command.Observe{}), "", ret, noState{})
	}
	all := tr.all()
	if len(all) != 3 || all[0].Type != command.CmdPlaceHalt {
		t.Errorf("trail after 50 observations = %v, want the halt and 2 observations", all)
	}
}

// TestAuditSurvivesSnapshotRestore: the trail is in the snapshot.
func TestAuditSurvivesSnapshotRestore(t *testing.T) {
	f := NewFSM(0)
	_, _ = f.ApplyCommand(1, auditCmd(t, command.CmdSetMember, "ada", "admin", 0, command.MemberMeta{ID: "n1"}))
	_, _ = f.ApplyCommand(2, auditCmd(t, command.CmdPlaceHalt, "ian", "incident-commander", 1, command.PlaceHalt{ID: "h1", Scope: haltCmd("h1").Scope, Reason: "why"}))
	g := NewFSM(0)
	storetest.Restore(t, f, g)
	if got, want := g.Audit(apiclient.AuditQuery{}), f.Audit(apiclient.AuditQuery{}); !reflect.DeepEqual(got, want) || len(got) != 2 {
		t.Errorf("restored trail:\n got %+v\nwant %+v", got, want)
	}
}

// TestAuditKeyFieldsOfRollbackAndBaseline: the leader loop's rollback
// verdicts and baselines carry what an incident reviewer needs (the ring,
// the regions, the halt placed and why; the app and what Git held per
// region), read from the world's golden log.
func TestAuditKeyFieldsOfRollbackAndBaseline(t *testing.T) {
	f := wireWorldFSM(t)
	byRequest := map[string]apiclient.AuditEntry{}
	for _, e := range f.Audit(apiclient.AuditQuery{Limit: apiclient.MaxAuditLimit}) {
		byRequest[e.RequestID] = e
	}
	for _, c := range []struct {
		request string
		details map[string]string
		reason  string
	}{
		{"world-102", map[string]string{"release": "checkout-1.3.9-ddeeff", "ring": "canary", "regions": "us-east-1"}, ""},
		{"world-094", map[string]string{"release": "search-3.0.0-aabbcc", "ring": "canary", "regions": "us-east-1",
			"halt": "halt-rollback-search-3.0.0-aabbcc", "scope": "regions=us-east-1"},
			"us-east-1 did not run 2.9.1 synced and healthy within 15m of the rollback"},
		{"world-008", map[string]string{"release": "ledger-1.8.0-a1b2c3", "app": "ledger", "commit": "afcd27febedc36ef8def05dc9cfe14cdeb8963ba",
			"baseline.us-east-1": "1.7.2", "baseline.eu-west-1": "1.7.2", "baseline.ap-south-1": "1.7.2", "baseline.us-west-2": "1.7.2"}, ""},
		{"world-043", map[string]string{"release": "checkout-1.5.0-0a0b0c", "app": "checkout", "commit": "81cb0d1490da1c05a3e92f36b2f83e27c58f4950",
			"baseline.us-east-1": "1.4.0", "baseline.eu-west-1": "1.4.0",
			"baseline.ap-south-1": "apps/checkout/ap-south-1/values.yaml image.tag=absent",
			"baseline.us-west-2":  "apps/checkout/us-west-2/values.yaml image.tag=1.3.9"}, ""},
	} {
		e, ok := byRequest[c.request]
		if !ok {
			t.Errorf("%s: no audit entry", c.request)
			continue
		}
		if !reflect.DeepEqual(e.Details, c.details) || e.Reason != c.reason {
			t.Errorf("%s (%s): details %v reason %q\nwant details %v reason %q", c.request, e.Type, e.Details, e.Reason, c.details, c.reason)
		}
	}
}

// TestAuditEntriesRecordedBeforeKeepTheirBytes: a snapshot taken before
// an entry's type had key fields restores with the entry as it was
// recorded (only its ID) and persists to the same bytes; only entries
// applied afterwards carry the new fields.
func TestAuditEntriesRecordedBeforeKeepTheirBytes(t *testing.T) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(wiretest.Read(t, "snapshot/world.json"), &doc); err != nil {
		t.Fatal(err)
	}
	var entries []apiclient.AuditEntry
	if err := json.Unmarshal(doc["audit"], &entries); err != nil {
		t.Fatal(err)
	}
	old := 0
	for i, e := range entries {
		switch e.Type {
		case command.CmdRollbackVerified, command.CmdRollbackFailed, command.CmdRecordBaseline:
			entries[i].Details = map[string]string{"id": e.Details["release"]}
			old++
		}
	}
	if old == 0 {
		t.Fatal("the world snapshot has no rollback or baseline entries to age")
	}
	doc["audit"] = mustJSON(t, entries)
	before := snapshotJSON(t, restoreWire(t, mustJSON(t, doc)))
	restored := restoreWire(t, before)
	if again := snapshotJSON(t, restored); !bytes.Equal(again, before) {
		t.Errorf("an old snapshot persists to other bytes after restore: %s", wiretest.FirstDiff(before, again))
	}
	if got := restored.Audit(apiclient.AuditQuery{Limit: apiclient.MaxAuditLimit, Type: command.CmdRollbackFailed}); len(got) != 1 || len(got[0].Details) != 1 || got[0].Details["id"] == "" {
		t.Errorf("restored rollback-failed entries = %+v, want the one recorded with only its id", got)
	}
}
