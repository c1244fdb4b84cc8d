package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	valid := func() Config { return Config{NodeID: "n1", DataDir: "/tmp/x", RaftAddr: "127.0.0.1:0"} }
	cases := []struct {
		name    string
		mutate  func(c *Config)
		wantErr string // "" means valid
	}{
		{"minimal is valid", func(c *Config) {}, ""},
		{"no node ID", func(c *Config) { c.NodeID = "" }, "node ID is empty"},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "data dir is empty"},
		{"no raft address", func(c *Config) { c.RaftAddr = "" }, "raft address is empty"},
		{"raft address without port", func(c *Config) { c.RaftAddr = "localhost" }, "missing port"},
		{"stream layer replaces the address", func(c *Config) { c.RaftAddr = ""; c.StreamLayer = &cutStream{} }, ""},
		{"unspecified advertise", func(c *Config) { c.RaftAdvertise = "0.0.0.0:7000" }, "not dialable"},
		{"lease above heartbeat", func(c *Config) { c.LeaderLeaseTimeout = time.Second }, "need leader lease"},
		{"heartbeat above election", func(c *Config) {
			c.HeartbeatTimeout, c.ElectionTimeout = time.Second, 500*time.Millisecond
		}, "need leader lease"},
		{"unknown log store", func(c *Config) { c.LogStore = "sqlite" }, `log store "sqlite" is unknown`},
		{"negative request log", func(c *Config) { c.RequestLogSize = -1 }, "request log size -1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mutate(&c)
			err := c.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestConfigValidateFillsDefaults(t *testing.T) {
	t.Parallel()
	c := Config{NodeID: "n1", DataDir: "/tmp/x", RaftAddr: "127.0.0.1:0"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	got := []any{c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout, c.RequestLogSize, c.Now != nil, c.Logger != nil}
	want := []any{DefaultHeartbeatTimeout, DefaultElectionTimeout, DefaultLeaderLeaseTimeout, DefaultRequestLogSize, true, true}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("default #%d = %v, want %v", i, got[i], want[i])
		}
	}
}

// startSingle starts a bootstrapped one-node cluster and waits for it to lead.
func startSingle(t *testing.T, dir string, kind LogStoreKind) *testNode {
	t.Helper()
	cfg := nodeConfig(t, "n1", dir, kind)
	cfg.Bootstrap = true
	n := startNode(t, cfg, false)
	t.Cleanup(func() { _ = n.Shutdown() })
	waitFor(t, "the single node to lead", n.IsLeader)
	return n
}

// restartSingle shuts n down and starts it again from its data directory.
func restartSingle(t *testing.T, n *testNode) *testNode {
	t.Helper()
	if err := n.Shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	cfg := n.cfg
	cfg.Bootstrap = false
	m := startNode(t, cfg, false)
	t.Cleanup(func() { _ = m.Shutdown() })
	waitFor(t, "the restarted node to lead", m.IsLeader)
	if err := m.Barrier(waitDeadline); err != nil {
		t.Fatalf("barrier: %v", err)
	}
	return m
}

// TestNodeSnapshotRestoreAfterRestart: a node restarted from disk has the
// same state, whether it restores a snapshot alone or a snapshot followed
// by later log entries, with either log store.
func TestNodeSnapshotRestoreAfterRestart(t *testing.T) {
	for _, kind := range []LogStoreKind{LogStoreBolt, LogStoreWAL} {
		for _, later := range []bool{false, true} {
			name := string(kind) + "/snapshot only"
			if later {
				name = string(kind) + "/snapshot and later entries"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				n := startSingle(t, dir, kind)
				adoptTestTopology(t, n)
				mustApply(t, n, command.CmdCreateRelease, command.CreateRelease{ID: "r1", App: "checkout", Version: "v1"})
				dup, _ := command.New(command.CmdPlaceHalt, "tester", haltCmd("h1"))
				dup.RequestID = "dup-1"
				first, err := n.Apply(context.Background(), dup)
				if err != nil {
					t.Fatal(err)
				}
				if err := n.raft.Snapshot().Error(); err != nil {
					t.Fatalf("snapshot: %v", err)
				}
				if later {
					mustApply(t, n, command.CmdPlaceHalt, haltCmd("h2"))
					mustApply(t, n, command.CmdStartRelease, command.ReleaseRef{ReleaseID: "r1"})
				}
				want := stateJSON(t, n.Snapshot())

				snaps, err := raft.NewFileSnapshotStore(filepath.Join(dir, "raft"), 2, nil)
				if err != nil {
					t.Fatal(err)
				}
				if metas, err := snaps.List(); err != nil || len(metas) != 1 {
					t.Fatalf("snapshots on disk = %d (%v), want 1", len(metas), err)
				}
				m := restartSingle(t, n)
				if got := stateJSON(t, m.Snapshot()); got != want {
					t.Errorf("state after restart:\n got %s\nwant %s", got, want)
				}
				// The request log came back with the snapshot: the repeat is
				// answered with the first result, not refused as a duplicate halt.
				again, err := m.Apply(context.Background(), dup)
				if err != nil || again != first {
					t.Errorf("repeat after restart = %+v, %v; want %+v, nil", again, err, first)
				}
			})
		}
	}
}

// TestNodeApplyStampsCommands: Apply fills At from the leader's clock,
// a random RequestID and the version, and a repeated RequestID through
// Raft is applied once.
func TestNodeApplyStampsCommands(t *testing.T) {
	dir := t.TempDir()
	cfg := nodeConfig(t, "n1", dir, DefaultLogStore)
	cfg.Bootstrap = true
	fixed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("X", 3600))
	cfg.Now = func() time.Time { return fixed }
	n := startNode(t, cfg, false)
	t.Cleanup(func() { _ = n.Shutdown() })
	waitFor(t, "leader", n.IsLeader)

	cmd, _ := command.New(command.CmdPlaceHalt, "bob", haltCmd("h1"))
	cmd.Version = 0
	ctx := context.Background()
	first, err := n.Apply(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	h := n.Snapshot().State.Halts[0]
	if !h.CreatedAt.Equal(fixed) || h.CreatedAt.Location() != time.UTC || h.Author != "bob" {
		t.Errorf("halt = %+v, want created at %s UTC by bob", h, fixed)
	}

	cmd.RequestID = "req-1"
	cmd.Payload, _ = payloadOf(haltCmd("h2"))
	a, err := n.Apply(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.Apply(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a.Index <= first.Index {
		t.Errorf("repeat = %+v, want the first result %+v", b, a)
	}
	if got := len(n.Snapshot().State.Halts); got != 2 {
		t.Errorf("halts = %d, want 2", got)
	}
}

// payloadOf encodes a payload.
func payloadOf(p any) ([]byte, error) {
	c, err := command.New(command.CmdPlaceHalt, "", p)
	return c.Payload, err
}

// TestNodeApplyMapsStateErrors: the state machine's refusals reach the
// proposer with both sentinels.
func TestNodeApplyMapsStateErrors(t *testing.T) {
	n := startSingle(t, t.TempDir(), DefaultLogStore)
	cases := []struct {
		name       string
		typ        command.Type
		payload    any
		coord, rng error
	}{
		{"not found", command.CmdResumeHalt, command.ResumeHalt{HaltID: "nope", Reason: "x"}, command.ErrNotFound, rings.ErrNotFound},
		{"invalid", command.CmdPlaceHalt, command.PlaceHalt{ID: "h", Reason: "empty scope"}, command.ErrInvalid, rings.ErrTransition},
		{"unknown type", "halt.explode", haltCmd("h"), command.ErrInvalid, command.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := applyOn(n.Node, tc.typ, tc.payload)
			if !errors.Is(err, tc.coord) || !errors.Is(err, tc.rng) {
				t.Errorf("err = %v, want %v and %v", err, tc.coord, tc.rng)
			}
		})
	}
}

// TestNodeLeaderChanges: the bootstrap node reports true once it leads
// (after its barrier) and the channel closes on shutdown.
func TestNodeLeaderChanges(t *testing.T) {
	cfg := nodeConfig(t, "n1", t.TempDir(), DefaultLogStore)
	cfg.Bootstrap = true
	n := startNode(t, cfg, false)
	select {
	case v := <-n.LeaderChanges():
		if !v {
			t.Errorf("first leadership change = false, want true")
		}
	case <-time.After(waitDeadline):
		t.Fatal("no leadership change delivered")
	}
	// The bootstrap node recorded its own HTTP address on gaining leadership.
	if _, addr := n.Leader(); addr != cfg.HTTPAddr {
		t.Errorf("leader HTTP address = %q, want %q", addr, cfg.HTTPAddr)
	}
	if err := n.Shutdown(); err != nil {
		t.Fatal(err)
	}
	for range n.LeaderChanges() { // drains, then ends because the channel is closed
	}
}

// TestNodePlannedShutdownHandsOverLeadership: Shutdown on the leader
// transfers leadership so a follower leads without an election timeout.
func TestNodePlannedShutdownHandsOverLeadership(t *testing.T) {
	c := newTestCluster(t, 3, DefaultLogStore, false)
	old := c.leader()
	if err := old.Shutdown(); err != nil {
		t.Fatal(err)
	}
	old.alive = false
	c.mustApply(command.CmdPlaceHalt, haltCmd("after-handover"))
	if l := c.leader(); l.ID() == old.ID() {
		t.Errorf("leader is still %s", old.ID())
	}
}

func TestResolveLogStore(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		onDisk  []string // files or dirs present in the raft dir
		kind    LogStoreKind
		want    LogStoreKind
		wantErr string
	}{
		{"new dir takes the default", nil, "", DefaultLogStore, ""},
		{"new dir takes the configured store", nil, LogStoreBolt, LogStoreBolt, ""},
		{"existing bolt log is kept", []string{"raft.db"}, "", LogStoreBolt, ""},
		{"existing wal log is kept", []string{"wal/"}, "", LogStoreWAL, ""},
		{"configured store matches the disk", []string{"wal/"}, LogStoreWAL, LogStoreWAL, ""},
		{"configured store differs from the disk", []string{"raft.db"}, LogStoreWAL, "", "holds a bolt raft log"},
		{"both on disk", []string{"raft.db", "wal/"}, "", "", "holds both"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.onDisk {
				p := filepath.Join(dir, f)
				var err error
				if strings.HasSuffix(f, "/") {
					err = os.Mkdir(p, 0o750)
				} else {
					err = os.WriteFile(p, nil, 0o600)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			got, err := resolveLogStore(tc.kind, dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("resolveLogStore = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestNodeRestartKeepsItsLogStore: a node written with BoltDB restarted
// with an empty LogStore opens the BoltDB log again, data intact.
func TestNodeRestartKeepsItsLogStore(t *testing.T) {
	n := startSingle(t, t.TempDir(), LogStoreBolt)
	mustApply(t, n, command.CmdPlaceHalt, haltCmd("h1"))
	n.cfg.LogStore = ""
	m := restartSingle(t, n)
	if m.cfg.LogStore != "" || m.Node.cfg.LogStore != LogStoreBolt || !hasHalt(m, "h1") {
		t.Errorf("restarted with store %q, halt present %v; want bolt and true", m.Node.cfg.LogStore, hasHalt(m, "h1"))
	}
}
