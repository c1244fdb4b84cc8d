package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

// TestClusterLeaderKilledAcknowledgedWritesSurvive: every release and halt
// the leader acknowledged is on the survivors after it crashes, the
// survivors elect a new leader that accepts writes, and the crashed node
// catches up when it restarts from its data directory.
func TestClusterLeaderKilledAcknowledgedWritesSurvive(t *testing.T) {
	c := newTestCluster(t, 3, DefaultLogStore, false)
	c.mustApply(command.CmdAdoptTopology, command.AdoptTopology{Revision: "rev1", Path: "rings.yaml", Source: topologySource(t)})
	var releases, halts []string
	for i := range 5 {
		r := fmt.Sprintf("r%d", i)
		c.mustApply(command.CmdCreateRelease, command.CreateRelease{ID: r, App: "checkout", Version: fmt.Sprintf("v%d", i)})
		releases = append(releases, r)
		h := fmt.Sprintf("h%d", i)
		c.mustApply(command.CmdPlaceHalt, haltCmd(h))
		halts = append(halts, h)
	}

	// A command whose acknowledgement the client "lost": it will be
	// re-sent to the new leader with the same RequestID.
	resent, _ := command.New(command.CmdPlaceHalt, "tester", haltCmd("resent"))
	resent.RequestID = "client-retry-1"
	first := c.mustApplyCmd(resent)
	old := c.leader()
	c.kill(old)
	leader := c.leader()
	if leader.ID() == old.ID() {
		t.Fatalf("the killed node %s is still the leader", old.ID())
	}
	waitFor(t, "the new leader to announce itself on LeaderChanges", func() bool {
		for {
			select {
			case v := <-leader.LeaderChanges():
				if v {
					return true
				}
			default:
				return false
			}
		}
	})
	again, err := leader.Apply(context.Background(), resent)
	if err != nil || again != first {
		t.Errorf("re-sent command on the new leader = %+v, %v; want the first result %+v", again, err, first)
	}
	c.mustApply(command.CmdPlaceHalt, haltCmd("after-failover"))
	c.waitConverged()
	for _, n := range c.live() {
		for _, r := range releases {
			if !hasRelease(n, r) {
				t.Errorf("%s lost acknowledged release %s", n.ID(), r)
			}
		}
		for _, h := range halts {
			if !hasHalt(n, h) {
				t.Errorf("%s lost acknowledged halt %s", n.ID(), h)
			}
		}
		// The audit trail is replicated state too: every acknowledged
		// write is in every survivor's trail once, with its actor.
		got := auditCounts(n.Audit(apiclient.AuditQuery{Limit: apiclient.MaxAuditLimit}))
		for _, r := range releases {
			if k := (auditKey{command.CmdCreateRelease, "release", r, "tester"}); got[k] != 1 {
				t.Errorf("%s audit trail holds release %s by tester %d times, want 1", n.ID(), r, got[k])
			}
		}
		for _, h := range append(slices.Clone(halts), "resent", "after-failover") {
			if k := (auditKey{command.CmdPlaceHalt, "halt", h, "tester"}); got[k] != 1 {
				t.Errorf("%s audit trail holds halt %s by tester %d times, want 1", n.ID(), h, got[k])
			}
		}
	}

	c.restart(old)
	waitFor(t, "the restarted node to catch up", func() bool { return hasHalt(old, "after-failover") })
	if got, want := stateJSON(t, old.Snapshot()), stateJSON(t, leader.Snapshot()); got != want {
		t.Errorf("restarted node's state differs from the leader's:\n got %s\nwant %s", got, want)
	}
}

// auditKey identifies an audit entry by type, one detail and actor.
type auditKey struct {
	typ        command.Type
	detail, id string
	actor      string
}

// auditCounts counts a trail's release and halt entries by auditKey.
func auditCounts(entries []apiclient.AuditEntry) map[auditKey]int {
	out := map[auditKey]int{}
	for _, e := range entries {
		for _, d := range []string{"release", "halt"} {
			if id, ok := e.Details[d]; ok {
				out[auditKey{e.Type, d, id, e.Actor}]++
			}
		}
	}
	return out
}

// TestClusterPartitionedLeaderCannotAcknowledge: a leader cut off from both
// followers refuses the write, and after healing the write is nowhere.
func TestClusterPartitionedLeaderCannotAcknowledge(t *testing.T) {
	c := newTestCluster(t, 3, DefaultLogStore, true)
	c.mustApply(command.CmdPlaceHalt, haltCmd("before"))
	c.waitConverged()
	old := c.leader()

	old.stream.Cut()
	res, err := applyOn(old.Node, command.CmdPlaceHalt, haltCmd("lost"))
	if err == nil {
		t.Fatalf("isolated leader acknowledged a write: %+v", res)
	}
	t.Logf("isolated leader refused the write: %v", err)

	waitFor(t, "the majority side to elect a new leader", func() bool {
		for _, n := range c.live() {
			if n != old && n.IsLeader() {
				return true
			}
		}
		return false
	})
	c.mustApply(command.CmdPlaceHalt, haltCmd("after"))

	old.stream.Heal()
	waitFor(t, "the old leader to rejoin and catch up", func() bool { return hasHalt(old, "after") && !old.IsLeader() })
	c.waitConverged()
	for _, n := range c.live() {
		if hasHalt(n, "lost") {
			t.Errorf("%s applied the write the isolated leader refused", n.ID())
		}
		if !hasHalt(n, "before") {
			t.Errorf("%s lost the acknowledged halt", n.ID())
		}
	}
}

// TestClusterFullRestart: the whole cluster stops and starts from disk,
// one node with a snapshot, and keeps every write.
func TestClusterFullRestart(t *testing.T) {
	c := newTestCluster(t, 3, DefaultLogStore, false)
	c.mustApply(command.CmdAdoptTopology, command.AdoptTopology{Revision: "rev1", Path: "rings.yaml", Source: topologySource(t)})
	c.mustApply(command.CmdCreateRelease, command.CreateRelease{ID: "r1", App: "checkout", Version: "v1"})
	c.mustApply(command.CmdPlaceHalt, haltCmd("h1"))
	c.waitConverged()
	// One node snapshots; more entries follow the snapshot.
	if err := c.nodes[1].raft.Snapshot().Error(); err != nil {
		t.Fatalf("snapshot on %s: %v", c.nodes[1].ID(), err)
	}
	c.mustApply(command.CmdPlaceHalt, haltCmd("h2"))
	c.waitConverged()
	want := stateJSON(t, c.leader().Snapshot())

	c.shutdownAll()
	for _, n := range c.nodes {
		c.restart(n)
	}
	c.waitConverged()
	for _, n := range c.nodes {
		if got := stateJSON(t, n.Snapshot()); got != want {
			t.Errorf("%s after full restart:\n got %s\nwant %s", n.ID(), got, want)
		}
	}
	c.mustApply(command.CmdPlaceHalt, haltCmd("h3"))
}

// TestClusterMembers: Members lists every server with its HTTP address and
// the leader; Leader names the leader's HTTP address on every node; Remove
// takes a server out.
func TestClusterMembers(t *testing.T) {
	c := newTestCluster(t, 3, DefaultLogStore, false)
	l := c.leader()
	for _, n := range c.nodes {
		t.Run("leader seen from "+n.ID(), func(t *testing.T) {
			id, addr := n.Leader()
			if id != l.ID() || addr != l.cfg.HTTPAddr {
				t.Errorf("Leader() = %s, %s; want %s, %s", id, addr, l.ID(), l.cfg.HTTPAddr)
			}
		})
	}
	members, err := l.Members()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]apiclient.Member{}
	for _, m := range members {
		got[m.ID] = m
	}
	for _, n := range c.nodes {
		t.Run("member "+n.ID(), func(t *testing.T) {
			want := apiclient.Member{ID: n.ID(), RaftAddr: n.RaftAddr(), HTTPAddr: n.cfg.HTTPAddr, Voter: true, Leader: n == l}
			if got[n.ID()] != want {
				t.Errorf("member = %+v, want %+v", got[n.ID()], want)
			}
		})
	}

	var gone *testNode
	for _, n := range c.nodes {
		if n != l {
			gone = n
			break
		}
	}
	if err := l.Remove(gone.ID()); err != nil {
		t.Fatalf("remove %s: %v", gone.ID(), err)
	}
	members, err = l.Members()
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 {
		t.Errorf("members after remove = %+v, want 2", members)
	}
	if addr := l.Snapshot().Members[gone.ID()]; addr != "" {
		t.Errorf("HTTP address of removed %s still recorded: %s", gone.ID(), addr)
	}
}

// TestClusterFollowerRefusesWrites: Apply, Join and Remove on a follower
// return ErrNotLeader naming the leader, and nothing is proposed.
func TestClusterFollowerRefusesWrites(t *testing.T) {
	c := newTestCluster(t, 3, DefaultLogStore, false)
	l := c.leader()
	var f *testNode
	for _, n := range c.nodes {
		if n != l {
			f = n
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	cmd, _ := command.New(command.CmdPlaceHalt, "tester", haltCmd("h1"))
	cases := []struct {
		name string
		call func() error
	}{
		{"apply", func() error { _, err := f.Apply(ctx, cmd); return err }},
		{"join", func() error { return f.Join("n9", "127.0.0.1:1", "") }},
		{"remove", func() error { return f.Remove(l.ID()) }},
		{"verify leader", f.VerifyLeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, command.ErrNotLeader) {
				t.Errorf("err = %v, want ErrNotLeader", err)
			}
		})
	}
	if hasHalt(l, "h1") {
		t.Error("a follower's refused write was applied")
	}
}

// TestClusterLaggingFollowerInstallsSnapshot: a follower that was down
// while the leader compacted its log past the follower's index receives the
// leader's snapshot over the network (FSM.Restore on a live node) and ends
// with the same state. BoltDB: raft-wal truncates its head by whole
// segments and still serves compacted entries from a live segment, so with
// it the leader would send entries instead of the snapshot.
func TestClusterLaggingFollowerInstallsSnapshot(t *testing.T) {
	c := newTestCluster(t, 3, LogStoreBolt, false, func(cfg *Config) { cfg.TrailingLogs = 1 })
	c.mustApply(command.CmdAdoptTopology, command.AdoptTopology{Revision: "rev1", Path: "rings.yaml", Source: topologySource(t)})
	c.waitConverged()
	var lagging *testNode
	for _, n := range c.nodes {
		if !n.IsLeader() {
			lagging = n
			break
		}
	}
	c.kill(lagging)
	for i := range 20 {
		c.mustApply(command.CmdPlaceHalt, haltCmd(fmt.Sprintf("h%d", i)))
	}
	// Compact both survivors: under load leadership may move between them
	// before the follower returns, and whichever leads must no longer hold
	// the entries the follower lacks.
	for _, n := range c.nodes {
		if n == lagging {
			continue
		}
		if err := n.raft.Snapshot().Error(); err != nil {
			t.Fatalf("snapshot on %s: %v", n.ID(), err)
		}
		if first, err := n.store.FirstIndex(); err != nil || first <= lagging.AppliedIndex() {
			t.Fatalf("%s log starts at %d (%v); want it compacted past the follower's %d", n.ID(), first, err, lagging.AppliedIndex())
		}
	}

	c.restart(lagging)
	c.waitConverged()
	// Poll raft's own view too: the follower counts as back only once it
	// has heard from a leader and applied past the compaction point.
	// A timeout is reported by the checks below.
	_ = poll.For(waitDeadline, "the lagging follower's snapshot install", func() bool {
		st := lagging.raft.Stats()
		return st["last_contact"] != "never" && st["last_snapshot_index"] != "0"
	})
	if got := lagging.raft.Stats()["last_snapshot_index"]; got == "0" {
		t.Errorf("the lagging follower caught up without installing the leader's snapshot: stats %v", lagging.raft.Stats())
	}
	if got, want := stateJSON(t, lagging.Snapshot()), stateJSON(t, c.leader().Snapshot()); got != want {
		t.Errorf("lagging follower after snapshot install:\n got %s\nwant %s", got, want)
	}
}

// TestClusterLeaderReadyAfterItsBarrier: only the leader reports
// LeaderReady, and only once its post-election barrier has run; after a new
// election the new leader becomes ready in turn.
func TestClusterLeaderReadyAfterItsBarrier(t *testing.T) {
	c := newTestCluster(t, 3, LogStoreWAL, false)
	c.waitConverged()
	waitReady := func() *testNode {
		t.Helper()
		var ready *testNode
		waitFor(t, "a ready leader", func() bool {
			for _, n := range c.live() {
				if n.LeaderReady() {
					ready = n
					return true
				}
			}
			return false
		})
		return ready
	}
	l := waitReady()
	for _, n := range c.live() {
		if n != l && n.LeaderReady() {
			t.Errorf("follower %s reports LeaderReady", n.ID())
		}
	}
	c.kill(l)
	if l2 := waitReady(); l2 == l {
		t.Errorf("the killed leader is still the ready leader")
	}
}
