package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/internal/wiretest"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The wire tests (wire_*_test.go) pin, byte for byte, what this package
// writes and reads across process and version boundaries: the command
// envelope in the Raft log, the snapshot document and the HTTP API's
// bodies. Their golden files live in the module's top-level
// testdata/wire/ (internal/wiretest), so moving this code to other
// packages moves none of them. Regenerate with
// `go test ./coordinator/store -run TestWire -update` and read the diff.
//
// Everything runs on one fixed world: the commands below, with fixed
// request IDs, actors and leader times, applied to the topology in
// testdata/wire/topology.yaml.

// wireT0 is the leader's clock at the first world command.
var wireT0 = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

// wireNow is the clock of the API and of the golden commands: after the
// last world command.
var wireNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// Who asks in the world: people with their role and address, or the
// leader loop (no role, no address).
type wireActor struct{ name, role, source string }

var (
	wireAda    = wireActor{"ada", "admin", "192.0.2.10:50001"}
	wireRex    = wireActor{"rex", "releaser", "192.0.2.11:50002"}
	wireApril  = wireActor{"april", "approver", "192.0.2.12:50003"}
	wireIan    = wireActor{"ian", "incident-commander", "192.0.2.13:50004 via 192.0.2.99:7070"}
	wireSystem = wireActor{name: command.ActorSystem}
)

// Release IDs of the world.
const (
	wireL0 = "ledger-1.8.0-a1b2c3"   // completed
	wireC1 = "checkout-1.4.0-d4e5f6" // every ring done, not yet completed
	wireC2 = "checkout-1.5.0-0a0b0c" // canary soaking, with checks and progress
	wireL1 = "ledger-2.0.0-112233"   // global promoting, one region retrying
	wireS1 = "search-3.1.0-445566"   // canary syncing, shown halted
	wireL2 = "ledger-1.9.0-778899"   // early failed; early rolling back, canary's rollback retrying
	wireS0 = "search-3.0.0-aabbcc"   // rollback-failed
	wireC0 = "checkout-1.3.9-ddeeff" // rolled back by request
	wireL3 = "ledger-2.1.0-334455"   // aborted
	wireC3 = "checkout-1.6.0-667788" // scheduled on a train
)

// wireEntry is one world command and the error kind the FSM must refuse
// it with ("" when it applies).
type wireEntry struct {
	cmd     command.Command
	wantErr string
}

// wireWorld builds the world's command list.
type wireWorld struct {
	t       testing.TB
	entries []wireEntry
	at      time.Time
}

// add appends a command by who at the world's clock, which then moves a
// minute on. Its request ID is its position.
func (w *wireWorld) add(who wireActor, typ command.Type, payload any) *wireWorld {
	w.t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		w.t.Fatalf("encode %s payload: %v", typ, err)
	}
	w.entries = append(w.entries, wireEntry{cmd: command.Command{
		Version:   command.Version,
		Type:      typ,
		RequestID: fmt.Sprintf("world-%03d", len(w.entries)+1),
		At:        w.at,
		Actor:     who.name,
		Role:      who.role,
		Source:    who.source,
		Payload:   raw,
	}})
	w.at = w.at.Add(time.Minute)
	return w
}

// refused marks the last command as one the FSM refuses with kind.
func (w *wireWorld) refused(kind string) *wireWorld {
	w.entries[len(w.entries)-1].wantErr = kind
	return w
}

// repeat appends the last command again, unchanged: a client's retry.
func (w *wireWorld) repeat() *wireWorld {
	w.entries = append(w.entries, w.entries[len(w.entries)-1])
	return w
}

// check is a passing or failing analysis result in region at the clock.
func (w *wireWorld) check(region string, value float64, pass bool) *rings.Observation {
	o := &rings.Observation{Region: region, Check: "success-rate", Value: value, Threshold: ">= 99", Pass: pass, At: w.at}
	if !pass {
		o.Reason = fmt.Sprintf("success-rate %g is below 99", value)
	}
	return o
}

// ring promotes ring of id in regions with one commit, sees every region
// synced, healthy and passing, soaks and completes it.
func (w *wireWorld) ring(id, ring string, regions ...string) *wireWorld {
	w.add(wireSystem, command.CmdPromoted, command.Promoted{ReleaseID: id, Ring: ring, Regions: regions, PromotionID: "prom-" + id + "-" + ring, Commit: commitFor(id, ring)})
	for _, g := range regions {
		w.add(wireSystem, command.CmdObserve, command.Observe{ReleaseID: id, Ring: ring, Region: g, Synced: true, Healthy: true, Check: w.check(g, 99.9, true)})
	}
	w.add(wireSystem, command.CmdStartSoak, command.RingRef{ReleaseID: id, Ring: ring})
	return w.add(wireSystem, command.CmdCompleteRing, command.RingRef{ReleaseID: id, Ring: ring})
}

// baseline records version as what Git held in every region of the topology.
func (w *wireWorld) baseline(id, version string) *wireWorld {
	var bs []rings.RegionBaseline
	for _, g := range []string{"us-east-1", "eu-west-1", "ap-south-1", "us-west-2"} {
		bs = append(bs, rings.RegionBaseline{Region: g, Version: version})
	}
	return w.add(wireSystem, command.CmdRecordBaseline, command.RecordBaseline{ReleaseID: id, Commit: commitFor(id, "baseline"), Regions: bs})
}

// commitFor is a fixed 40-hex commit ID for what.
func commitFor(parts ...string) string {
	var h uint32 = 2166136261
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h = (h ^ uint32(p[i])) * 16777619
		}
	}
	return fmt.Sprintf("%08x%08x%08x%08x%08x", h, h^0x11111111, h^0x22222222, h^0x33333333, h^0x44444444)
}

// wireTopology reads the world's topology document.
func wireTopology(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(wiretest.Path(t, "topology.yaml"))
	if err != nil {
		t.Fatalf("read the wire topology: %v", err)
	}
	return b
}

// wireWorldEntries is the world: releases in every state (completed,
// running with checks and in-progress evidence, retrying, rolling back,
// rolled back, rollback-failed, aborted, scheduled on a train), baselines
// by version and by target, halts active and resumed (manual, automatic,
// of every scope), budgets per app and one without an app, members set
// and removed, a rejected topology, refused commands and a retried one.
func wireWorldEntries(t testing.TB) []wireEntry {
	t.Helper()
	w := &wireWorld{t: t, at: wireT0}
	src := wireTopology(t)

	// The cluster and the topology.
	w.add(wireAda, command.CmdAdoptTopology, command.AdoptTopology{Revision: "rev-1", Path: "topology.yaml", Source: src})
	w.add(wireSystem, command.CmdSetMember, command.MemberMeta{ID: "n1", HTTPAddr: "http://n1.wire.test:7070"})
	w.add(wireSystem, command.CmdSetMember, command.MemberMeta{ID: "n2", HTTPAddr: "http://n2.wire.test:7070"})
	w.add(wireSystem, command.CmdSetMember, command.MemberMeta{ID: "n3", HTTPAddr: "http://n3.wire.test:7070"})
	w.add(wireAda, command.CmdRemoveMember, command.MemberMeta{ID: "n3"})

	// L0: a completed release of ledger.
	w.add(wireRex, command.CmdCreateRelease, command.CreateRelease{ID: wireL0, App: "ledger", Version: "1.8.0"})
	w.add(wireSystem, command.CmdStartRelease, command.ReleaseRef{ReleaseID: wireL0})
	w.baseline(wireL0, "1.7.2")
	w.ring(wireL0, "canary", "us-east-1")
	w.add(wireApril, command.CmdApprove, command.Approve{ReleaseID: wireL0, Ring: "early", Reason: "canary clean for an hour"})
	w.ring(wireL0, "early", "eu-west-1")
	w.ring(wireL0, "global", "ap-south-1", "us-west-2")
	w.add(wireSystem, command.CmdCompleteRelease, command.ReleaseRef{ReleaseID: wireL0})

	// C1: every ring done, the completion not yet recorded.
	w.add(wireRex, command.CmdCreateRelease, command.CreateRelease{ID: wireC1, App: "checkout", Version: "1.4.0", Priority: topology.PriorityReliability})
	w.add(wireSystem, command.CmdStartRelease, command.ReleaseRef{ReleaseID: wireC1})
	w.baseline(wireC1, "1.3.9")
	w.ring(wireC1, "canary", "us-east-1")
	w.add(wireApril, command.CmdApprove, command.Approve{ReleaseID: wireC1, Ring: "early"})
	w.ring(wireC1, "early", "eu-west-1")
	w.ring(wireC1, "global", "ap-south-1", "us-west-2")

	// C2: canary soaking after a failed check and a rollout in progress;
	// one region's baseline by target (absent), one by an older version.
	w.add(wireRex, command.CmdCreateRelease, command.CreateRelease{ID: wireC2, App: "checkout", Version: "1.5.0", PreviousVersion: "1.4.0"})
	w.add(wireSystem, command.CmdStartRelease, command.ReleaseRef{ReleaseID: wireC2})
	w.add(wireSystem, command.CmdRecordBaseline, command.RecordBaseline{ReleaseID: wireC2, Commit: commitFor(wireC2, "baseline"), Regions: []rings.RegionBaseline{
		{Region: "us-east-1", Version: "1.4.0"},
		{Region: "eu-west-1", Version: "1.4.0"},
		{Region: "ap-south-1", Targets: []rings.TargetValue{{File: "apps/checkout/ap-south-1/values.yaml", Target: "image.tag", Absent: true}}},
		{Region: "us-west-2", Targets: []rings.TargetValue{{File: "apps/checkout/us-west-2/values.yaml", Target: "image.tag", Value: "1.3.9"}}},
	}})
	w.add(wireSystem, command.CmdPromoted, command.Promoted{ReleaseID: wireC2, Ring: "canary", Regions: []string{"us-east-1"}, PromotionID: "prom-" + wireC2 + "-canary", Commit: commitFor(wireC2, "canary")})
	w.add(wireSystem, command.CmdObserve, command.Observe{ReleaseID: wireC2, Ring: "canary", Region: "us-east-1", Synced: true, Healthy: false, Reason: "health Progressing", InProgress: true})
	w.add(wireSystem, command.CmdObserve, command.Observe{ReleaseID: wireC2, Ring: "canary", Region: "us-east-1", Synced: true, Healthy: true, Check: w.check("us-east-1", 97.5, false)})
	w.add(wireSystem, command.CmdObserve, command.Observe{ReleaseID: wireC2, Ring: "canary", Region: "us-east-1", Synced: true, Healthy: true, Check: w.check("us-east-1", 99.6, true)})
	w.add(wireSystem, command.CmdStartSoak, command.RingRef{ReleaseID: wireC2, Ring: "canary"})
	w.add(wireSystem, command.CmdObserve, command.Observe{ReleaseID: wireC2, Ring: "canary", Region: "us-east-1", Synced: true, Healthy: true, Check: w.check("us-east-1", 99.7, true)})

	// L1: global promoting, ap-south-1 landed, us-west-2 retrying.
	w.add(wireRex, command.CmdCreateRelease, command.CreateRelease{ID: wireL1, App: "ledger", Version: "2.0.0"})
	w.add(wireSystem, command.CmdStartRelease, command.ReleaseRef{ReleaseID: wireL1})
	w.baseline(wireL1, "1.8.0")
	w.ring(wireL1, "canary", "us-east-1")
	w.add(wireSystem, command.CmdSetReleaseState, command.SetReleaseState{ReleaseID: wireL1, State: rings.ReleaseAwaitingApproval, Reason: "ring early needs an approval"})
	w.add(wireApril, command.CmdApprove, command.Approve{ReleaseID: wireL1, Ring: "early", Reason: "looks good"})
	w.add(wireSystem, command.CmdSetReleaseState, command.SetReleaseState{ReleaseID: wireL1, State: rings.ReleaseRunning})
	w.ring(wireL1, "early", "eu-west-1")
	w.add(wireSystem, command.CmdPromoted, command.Promoted{ReleaseID: wireL1, Ring: "global", Regions: []string{"ap-south-1"}, PromotionID: "prom-" + wireL1 + "-global-1", Commit: commitFor(wireL1, "global-1")})
	w.add(wireSystem, command.CmdPromotionRetry, command.PromotionRetry{ReleaseID: wireL1, Ring: "global", PromotionID: "prom-" + wireL1 + "-global-2", Attempt: 1,
		Error: "push to https://git.example.com/platform/deploy.git: 503 Service Unavailable", NextAttemptAt: w.at.Add(30 * time.Second)})

	// S1: canary syncing.
	w.add(wireRex, command.CmdCreateRelease, command.CreateRelease{ID: wireS1, App: "search", Version: "3.1.0", Priority: topology.PriorityP0})
	w.add(wireSystem, command.CmdStartRelease, command.ReleaseRef{ReleaseID: wireS1})
	w.baseline(wireS1, "3.0.0")
	w.add(wireSystem, command.CmdPromoted, command.Promoted{ReleaseID: wireS1, Ring: "canary", Regions: []string{"us-east-1"}, PromotionID: "prom-" + wireS1 + "-canary", Commit: commitFor(wireS1, "canary")})
	w.add(wireSystem, command.CmdSetReleaseState, command.SetReleaseState{ReleaseID: wireS1, State: rings.ReleaseHalted, Reason: "halt halt-scoped holds ring global"})

	// L2: early failed; its rollback landed and looks good, the canary's
	// rollback is retrying.
	w.add(wireRex, command.CmdCreateRelease, command.CreateRelease{ID: wireL2, App: "ledger", Version: "1.9.0", PreviousVersion: "1.8.0"})
	w.add(wireSystem, command.CmdStartRelease, command.ReleaseRef{ReleaseID: wireL2})
	w.baseline(wireL2, "1.8.0")
	w.ring(wireL2, "canary", "us-east-1")
	w.add(wireApril, command.CmdApprove, command.Approve{ReleaseID: wireL2, Ring: "early"})
	w.add(wireSystem, command.CmdPromoted, command.Promoted{ReleaseID: wireL2, Ring: "early", Regions: []string{"eu-west-1"}, PromotionID: "prom-" + wireL2 + "-early", Commit: commitFor(wireL2, "early")})
	w.add(wireSystem, command.CmdObserve, command.Observe{ReleaseID: wireL2, Ring: "early", Region: "eu-west-1", Synced: true, Healthy: true, Check: w.check("eu-west-1", 91.2, false)})
	w.add(wireSystem, command.CmdFailRing, command.RingRef{ReleaseID: wireL2, Ring: "early", Reason: "success-rate 91.2 is below 99 in eu-west-1 for 3 checks"})
	w.add(wireSystem, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-auto-" + wireL2, Scope: rings.HaltScope{Releases: []string{wireL2}, Rings: []string{"global"}}, Reason: "ring early failed", Auto: true})
	w.add(wireSystem, command.CmdRolledBack, command.Promoted{ReleaseID: wireL2, Ring: "early", Regions: []string{"eu-west-1"}, PromotionID: "rb-" + wireL2 + "-early", Commit: commitFor(wireL2, "rb-early")})
	w.add(wireSystem, command.CmdObserve, command.Observe{ReleaseID: wireL2, Ring: "early", Region: "eu-west-1", Synced: true, Healthy: true, Check: w.check("eu-west-1", 99.8, true)})
	w.add(wireSystem, command.CmdPromotionRetry, command.PromotionRetry{ReleaseID: wireL2, Ring: "canary", PromotionID: "rb-" + wireL2 + "-canary", Rollback: true, Attempt: 1,
		Error: "fetch https://git.example.com/platform/deploy.git: connection reset by peer", NextAttemptAt: w.at.Add(time.Minute)})

	// S0: the canary failed, its rollback did not verify: rollback-failed,
	// with an automatic halt on the region.
	w.add(wireRex, command.CmdCreateRelease, command.CreateRelease{ID: wireS0, App: "search", Version: "3.0.0", PreviousVersion: "2.9.1"})
	w.add(wireSystem, command.CmdStartRelease, command.ReleaseRef{ReleaseID: wireS0})
	w.baseline(wireS0, "2.9.1")
	w.add(wireSystem, command.CmdPromoted, command.Promoted{ReleaseID: wireS0, Ring: "canary", Regions: []string{"us-east-1"}, PromotionID: "prom-" + wireS0 + "-canary", Commit: commitFor(wireS0, "canary")})
	w.add(wireSystem, command.CmdObserve, command.Observe{ReleaseID: wireS0, Ring: "canary", Region: "us-east-1", Synced: true, Healthy: false, Reason: "health Degraded"})
	w.add(wireSystem, command.CmdFailRing, command.RingRef{ReleaseID: wireS0, Ring: "canary", Reason: "us-east-1 is Degraded"})
	w.add(wireSystem, command.CmdRolledBack, command.Promoted{ReleaseID: wireS0, Ring: "canary", Regions: []string{"us-east-1"}, PromotionID: "rb-" + wireS0 + "-canary", Commit: commitFor(wireS0, "rb-canary")})
	w.add(wireSystem, command.CmdObserve, command.Observe{ReleaseID: wireS0, Ring: "canary", Region: "us-east-1", Synced: false, Healthy: false, Reason: "sync OutOfSync"})
	w.add(wireSystem, command.CmdRollbackFailed, command.RollbackFailed{ReleaseID: wireS0, Ring: "canary", Regions: []string{"us-east-1"},
		Reason: "us-east-1 did not run 2.9.1 synced and healthy within 15m of the rollback", HaltID: "halt-rollback-" + wireS0, Scope: rings.HaltScope{Regions: []string{"us-east-1"}}})

	// C0: rolled back because a person asked, verified.
	w.add(wireRex, command.CmdCreateRelease, command.CreateRelease{ID: wireC0, App: "checkout", Version: "1.3.9"})
	w.add(wireSystem, command.CmdStartRelease, command.ReleaseRef{ReleaseID: wireC0})
	w.baseline(wireC0, "1.3.8")
	w.add(wireSystem, command.CmdPromoted, command.Promoted{ReleaseID: wireC0, Ring: "canary", Regions: []string{"us-east-1"}, PromotionID: "prom-" + wireC0 + "-canary", Commit: commitFor(wireC0, "canary")})
	w.add(wireRex, command.CmdRequestRollback, command.ReleaseRef{ReleaseID: wireC0, Reason: "customers report wrong totals"})
	w.add(wireSystem, command.CmdRolledBack, command.Promoted{ReleaseID: wireC0, Ring: "canary", Regions: []string{"us-east-1"}, PromotionID: "rb-" + wireC0 + "-canary", Commit: commitFor(wireC0, "rb-canary")})
	w.add(wireSystem, command.CmdObserve, command.Observe{ReleaseID: wireC0, Ring: "canary", Region: "us-east-1", Synced: true, Healthy: true, Check: w.check("us-east-1", 99.9, true)})
	w.add(wireSystem, command.CmdRollbackVerified, command.RingRegions{ReleaseID: wireC0, Ring: "canary", Regions: []string{"us-east-1"}})

	// L3: aborted before it started; C3: scheduled on a train.
	w.add(wireRex, command.CmdCreateRelease, command.CreateRelease{ID: wireL3, App: "ledger", Version: "2.1.0"})
	w.add(wireRex, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: wireL3, Reason: "wrong build"})
	w.add(wireRex, command.CmdCreateRelease, command.CreateRelease{ID: wireC3, App: "checkout", Version: "1.6.0", Train: "tuesday", StartAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)})

	// Halts: resumed and active, of every scope.
	w.add(wireIan, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-drill", Scope: rings.HaltScope{Global: true}, Reason: "game day drill"})
	w.add(wireIan, command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-drill", Reason: "drill over"})
	w.add(wireIan, command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-drill", Reason: "again"}).refused(errKindConflict)
	w.add(wireIan, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-eu-maint", Scope: rings.HaltScope{Regions: []string{"eu-west-1"}}, Reason: "eu-west-1 network maintenance"}).repeat()
	w.add(wireAda, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-scoped", Scope: rings.HaltScope{Regions: []string{"us-west-2"}, Rings: []string{"global"}, Apps: []string{"search"}, Releases: []string{wireS1}}, Reason: "capacity review"})
	w.add(wireAda, command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-scoped", Reason: "capacity added"})

	// Budgets per app, and one written before budgets had an app.
	w.add(wireSystem, command.CmdRecordBudget, rings.Budget{Region: "eu-west-1", RemainingSeconds: 2000, RemainingPercent: 77.2, At: w.at})
	w.add(wireSystem, command.CmdRecordBudget, rings.Budget{App: "checkout", Region: "us-east-1", RemainingSeconds: 1800.5, RemainingPercent: 69.4, At: w.at})
	w.add(wireSystem, command.CmdRecordBudget, rings.Budget{App: "ledger", Region: "us-east-1", RemainingSeconds: 120, RemainingPercent: 4.6, At: w.at})
	w.add(wireSystem, command.CmdRecordBudget, rings.Budget{App: "search", Region: "us-east-1", RemainingSeconds: 2500, RemainingPercent: 96.5, At: w.at})

	// A rejected topology revision, and commands the FSM refuses.
	w.add(wireSystem, command.CmdRejectTopology, command.RejectTopology{Revision: "rev-bad", Path: "topology.yaml", Errors: []string{"line 14: ring canary: region us-east-2 is not defined", "line 20: window weekdays: duration 0s must be > 0"}})
	w.add(wireSystem, command.CmdObserve, command.Observe{ReleaseID: "ledger-0.0.0-000000", Ring: "canary", Region: "us-east-1", Synced: true, Healthy: true}).refused(errKindNotFound)
	w.add(wireApril, command.CmdApprove, command.Approve{ReleaseID: wireL0, Ring: "global"}).refused(errKindTransition)
	w.add(wireAda, command.CmdSetMember, command.MemberMeta{}).refused(errKindInvalid)
	return w.entries
}

// wireWorldLog is the world as Raft log entries: each command encoded the
// way Node.Apply encodes it.
func wireWorldLog(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, e := range wireWorldEntries(t) {
		b, err := json.Marshal(e.cmd)
		if err != nil {
			t.Fatalf("encode world command %s: %v", e.cmd.RequestID, err)
		}
		out = append(out, b)
	}
	return out
}

// splitLines splits a JSON-lines document into its lines.
func splitLines(b []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		out = append(out, l)
	}
	return out
}

// applyWorld applies log entries (1-based indexes) through FSM.Apply, the
// path Raft takes, and checks each outcome against the world's.
func applyWorld(t testing.TB, f *FSM, log [][]byte) {
	t.Helper()
	entries := wireWorldEntries(t)
	if len(log) != len(entries) {
		t.Fatalf("the world log has %d entries, the world %d", len(log), len(entries))
	}
	for i, data := range log {
		resp, ok := f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: data}).(*applyResponse)
		if !ok {
			t.Fatalf("apply world entry %d: not an applyResponse", i+1)
		}
		if got, want := errKindOf(resp.err), entries[i].wantErr; got != want {
			t.Fatalf("apply world entry %d (%s): error kind %q (%v), want %q", i+1, entries[i].cmd.Type, got, resp.err, want)
		}
	}
}

// errKindOf is the request log's kind of err ("" for nil).
func errKindOf(err error) string {
	if err == nil {
		return ""
	}
	return newOutcome("", 0, err).ErrKind
}

// wireWorldFSM is a fresh FSM holding the world.
func wireWorldFSM(t testing.TB) *FSM {
	t.Helper()
	f := NewFSM(0)
	applyWorld(t, f, wireWorldLog(t))
	return f
}

// TestWireWorldLog pins the world's log entries (one JSON envelope a line)
// and replays the golden bytes, not freshly encoded ones, through
// FSM.Apply: an old log still decodes and applies to the same outcomes.
func TestWireWorldLog(t *testing.T) {
	var doc bytes.Buffer
	for _, l := range wireWorldLog(t) {
		doc.Write(l)
		doc.WriteByte('\n')
	}
	wiretest.Check(t, "log/world.jsonl", doc.Bytes())

	golden := splitLines(wiretest.Read(t, "log/world.jsonl"))
	fromGolden, fromCode := NewFSM(0), wireWorldFSM(t)
	applyWorld(t, fromGolden, golden)
	a, b := snapshotJSON(t, fromGolden), snapshotJSON(t, fromCode)
	if !bytes.Equal(a, b) {
		t.Errorf("the golden log replays to another state than the world: %s", wiretest.FirstDiff(b, a))
	}
}
