package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/rings"
)

// waitDeadline bounds every wait for a cluster condition. Generous: the
// machine is shared and tests may run under -race.
const waitDeadline = 20 * time.Second

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, waitDeadline, what, cond)
}

// cutStream is a raft.StreamLayer whose connections can be cut: Cut closes
// every open connection and refuses new ones in both directions until Heal.
// It isolates a node from the network without stopping it.
type cutStream struct {
	StreamLayer
	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

func newCutStream(t testing.TB, addr string) *cutStream {
	t.Helper()
	inner, err := listenTCP(addr, "")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return &cutStream{StreamLayer: inner, conns: map[net.Conn]struct{}{}}
}

func (s *cutStream) Accept() (net.Conn, error) {
	for {
		c, err := s.StreamLayer.Accept()
		if err != nil {
			return nil, err
		}
		if c = s.track(c); c != nil {
			return c, nil
		}
	}
}

func (s *cutStream) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	s.mu.Lock()
	cut := s.cut
	s.mu.Unlock()
	if cut {
		return nil, errors.New("cutStream: network cut")
	}
	c, err := s.StreamLayer.Dial(addr, timeout)
	if err != nil {
		return nil, err
	}
	if c = s.track(c); c == nil {
		return nil, errors.New("cutStream: network cut")
	}
	return c, nil
}

// track registers c, or closes it and returns nil when the network is cut.
func (s *cutStream) track(c net.Conn) net.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cut {
		c.Close()
		return nil
	}
	s.conns[c] = struct{}{}
	return c
}

// Cut isolates the node.
func (s *cutStream) Cut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut = true
	for c := range s.conns {
		c.Close()
	}
	clear(s.conns)
}

// Heal reconnects the node.
func (s *cutStream) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut = false
}

// testNode is one node of a test cluster and what is needed to restart it.
type testNode struct {
	*Node
	cfg    Config
	stream *cutStream
	alive  bool
}

// testCluster is a cluster of real nodes over TCP on 127.0.0.1.
type testCluster struct {
	t     testing.TB
	nodes []*testNode
}

// nodeConfig is a test node's configuration; addr "" picks a free port.
func nodeConfig(t testing.TB, id, dir string, kind LogStoreKind) Config {
	return Config{
		NodeID:         id,
		DataDir:        dir,
		RaftAddr:       "127.0.0.1:0",
		HTTPAddr:       "http://" + id + ".test:7070",
		LogStore:       kind,
		Logger:         storetest.Logger(id),
		RequestLogSize: 1000,
	}
}

// startNode starts a node, with a cuttable stream when cuttable is set.
func startNode(t testing.TB, cfg Config, cuttable bool) *testNode {
	t.Helper()
	tn := &testNode{cfg: cfg}
	if cuttable {
		tn.stream = newCutStream(t, cfg.RaftAddr)
		cfg.StreamLayer = tn.stream
	}
	n, err := NewNode(cfg)
	if err != nil {
		t.Fatalf("start node %s: %v", cfg.NodeID, err)
	}
	tn.Node, tn.alive = n, true
	// Restarts bind the address the cluster knows this node by.
	tn.cfg.RaftAddr = n.RaftAddr()
	return tn
}

// newTestCluster starts size nodes: the first bootstraps, the others join.
// opts adjust every node's configuration.
func newTestCluster(t testing.TB, size int, kind LogStoreKind, cuttable bool, opts ...func(*Config)) *testCluster {
	t.Helper()
	c := &testCluster{t: t}
	root := t.TempDir()
	for i := range size {
		id := fmt.Sprintf("n%d", i+1)
		cfg := nodeConfig(t, id, filepath.Join(root, id), kind)
		cfg.Bootstrap = i == 0
		for _, o := range opts {
			o(&cfg)
		}
		tn := startNode(t, cfg, cuttable)
		c.nodes = append(c.nodes, tn)
		if i == 0 {
			waitFor(t, "the bootstrap node to lead", tn.IsLeader)
			continue
		}
		c.join(tn)
	}
	t.Cleanup(c.shutdownAll)
	c.waitConverged()
	return c
}

// join adds tn through the current leader, retrying (Join is idempotent)
// when leadership moves during the call.
func (c *testCluster) join(tn *testNode) {
	c.t.Helper()
	deadline := time.Now().Add(waitDeadline)
	for {
		err := c.leader().Join(tn.ID(), tn.RaftAddr(), tn.cfg.HTTPAddr)
		switch {
		case err == nil:
			return
		case !errors.Is(err, ErrLeadershipLost) && !errors.Is(err, command.ErrNotLeader):
			c.t.Fatalf("join %s: %v", tn.ID(), err)
		case time.Now().After(deadline):
			c.t.Fatalf("join %s: no leader accepted it within %s: %v", tn.ID(), waitDeadline, err)
		}
	}
}

// leader waits for one live node to lead and returns it.
func (c *testCluster) leader() *testNode {
	c.t.Helper()
	var l *testNode
	waitFor(c.t, "a leader", func() bool {
		l = c.currentLeader()
		return l != nil
	})
	return l
}

// currentLeader returns the one live node that believes it leads, or nil
// when none or several do (an old leader not yet stepped down).
func (c *testCluster) currentLeader() *testNode {
	var l *testNode
	for _, n := range c.nodes {
		if n.alive && n.IsLeader() {
			if l != nil {
				return nil
			}
			l = n
		}
	}
	return l
}

// waitConverged waits until every live node knows the same leader and has
// applied everything the leader has. A leadership change on the way (a
// starved machine can cause one) starts the wait over.
func (c *testCluster) waitConverged() {
	c.t.Helper()
	waitFor(c.t, "the cluster to converge", func() bool {
		l := c.currentLeader()
		return l != nil && l.Barrier(2*time.Second) == nil && c.caughtUp(l, 5*time.Second)
	})
}

// caughtUp polls until every live node follows l and its FSM has applied
// what l's FSM has (after l's barrier), or until timeout passes. It reads
// the FSM's index: raft's AppliedIndex runs ahead of the FSM.
func (c *testCluster) caughtUp(l *testNode, timeout time.Duration) bool {
	want := l.AppliedIndex()
	return poll.For(timeout, "every node to follow "+l.ID(), func() bool {
		for _, n := range c.nodes {
			if id, _ := n.Leader(); n.alive && (id != l.ID() || n.AppliedIndex() < want) {
				return false
			}
		}
		return true
	}) == nil
}

// kill stops a node like a crash: no leadership transfer.
func (c *testCluster) kill(n *testNode) {
	c.t.Helper()
	if err := n.shutdown(false); err != nil {
		c.t.Fatalf("kill %s: %v", n.ID(), err)
	}
	n.alive = false
}

// restart starts a stopped node again from its data directory and address.
func (c *testCluster) restart(n *testNode) {
	c.t.Helper()
	cfg := n.cfg
	cfg.Bootstrap = false
	*n = *startNode(c.t, cfg, n.stream != nil)
}

// shutdownAll stops every live node (planned shutdown).
func (c *testCluster) shutdownAll() {
	for _, n := range c.nodes {
		if n.alive {
			_ = n.Shutdown()
			n.alive = false
		}
	}
}

// live returns the running nodes.
func (c *testCluster) live() []*testNode {
	var out []*testNode
	for _, n := range c.nodes {
		if n.alive {
			out = append(out, n)
		}
	}
	return out
}

// applyOn proposes a command on n with a bounded context.
func applyOn(n *Node, typ command.Type, payload any) (ApplyResult, error) {
	cmd, err := command.New(typ, "tester", payload)
	if err != nil {
		return ApplyResult{}, fmt.Errorf("encode %s: %w", typ, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return n.Apply(ctx, cmd)
}

// mustApply proposes a command and fails the test on error.
func mustApply(t testing.TB, n *testNode, typ command.Type, payload any) ApplyResult {
	t.Helper()
	res, err := applyOn(n.Node, typ, payload)
	if err != nil {
		t.Fatalf("%s on %s: %v", typ, n.ID(), err)
	}
	return res
}

// adoptTestTopology puts the test topology in force through n.
func adoptTestTopology(t testing.TB, n *testNode) {
	t.Helper()
	mustApply(t, n, command.CmdAdoptTopology, command.AdoptTopology{Revision: "rev1", Path: "rings.yaml", Source: topologySource(t)})
}

// haltCmd is a global halt with the given ID.
func haltCmd(id string) command.PlaceHalt {
	return command.PlaceHalt{ID: id, Scope: rings.HaltScope{Global: true}, Reason: "test " + id}
}

// hasHalt reports whether n's applied state holds halt id.
func hasHalt(n *testNode, id string) bool {
	for _, h := range n.Snapshot().State.Halts {
		if h.ID == id {
			return true
		}
	}
	return false
}

// hasRelease reports whether n's applied state holds release id.
func hasRelease(n *testNode, id string) bool {
	s := n.Snapshot()
	return s.State.ReleaseByID(id) != nil
}

// mustApply proposes a command at the leader the way a client should: a
// lost or moved leadership is retried at the new leader with the same
// RequestID, so the command is applied exactly once.
func (c *testCluster) mustApply(typ command.Type, payload any) ApplyResult {
	c.t.Helper()
	cmd, err := command.New(typ, "tester", payload)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.RequestID = command.NewRequestID()
	return c.mustApplyCmd(cmd)
}

// mustApplyCmd proposes cmd (its RequestID set) at the leader, retrying at
// the new leader when leadership is lost or moves.
func (c *testCluster) mustApplyCmd(cmd command.Command) ApplyResult {
	c.t.Helper()
	typ := cmd.Type
	deadline := time.Now().Add(waitDeadline)
	for {
		l := c.leader()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := l.Apply(ctx, cmd)
		cancel()
		switch {
		case err == nil:
			return res
		case !errors.Is(err, ErrLeadershipLost) && !errors.Is(err, command.ErrNotLeader) && !errors.Is(err, context.DeadlineExceeded):
			c.t.Fatalf("%s on %s: %v", typ, l.ID(), err)
		case time.Now().After(deadline):
			c.t.Fatalf("%s: no leader acknowledged it within %s: %v", typ, waitDeadline, err)
		}
	}
}
