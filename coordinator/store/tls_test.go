package store

import (
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/certtest"
)

// startTLSNode starts a node whose Raft transport is mutual TLS with cert
// and trusting ca.
func startTLSNode(t *testing.T, id, dir string, ca *certtest.CA, cert certtest.Leaf, bootstrap bool) *Node {
	t.Helper()
	sl, err := NewTLSStreamLayer("127.0.0.1:0", "", MutualTLS{Cert: cert.TLS, CA: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNode(Config{NodeID: id, DataDir: dir, StreamLayer: sl, Bootstrap: bootstrap, Logger: storetest.Logger(id)})
	if err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	t.Cleanup(func() { _ = n.shutdown(false) })
	return n
}

// tlsCluster starts three nodes with certificates from ca and returns them
// with the leader first.
func tlsCluster(t *testing.T, ca *certtest.CA) []*Node {
	t.Helper()
	root := t.TempDir()
	n1 := startTLSNode(t, "n1", filepath.Join(root, "n1"), ca, ca.Issue(t, "n1"), true)
	waitFor(t, "n1 to lead", n1.IsLeader)
	nodes := []*Node{n1}
	for _, id := range []string{"n2", "n3"} {
		n := startTLSNode(t, id, filepath.Join(root, id), ca, ca.Issue(t, id), false)
		if err := n1.Join(id, n.RaftAddr(), ""); err != nil {
			t.Fatalf("join %s over mutual TLS: %v", id, err)
		}
		nodes = append(nodes, n)
	}
	waitFor(t, "three voters replicating", func() bool {
		for _, n := range nodes {
			if n.raft.Stats()["num_peers"] != "2" || n.AppliedIndex() < n1.AppliedIndex() {
				return false
			}
		}
		return true
	})
	return nodes
}

func term(n *Node) uint64 {
	v, _ := strconv.ParseUint(n.raft.Stats()["term"], 10, 64)
	return v
}

func configIDs(t *testing.T, n *Node) []string {
	t.Helper()
	ss, err := n.servers()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range ss {
		ids = append(ids, string(s.ID))
	}
	slices.Sort(ids)
	return ids
}

// TestTLSClusterReplicatesOverMutualTLS: three nodes with certificates from
// the cluster CA elect a leader and replicate a command to every node.
func TestTLSClusterReplicatesOverMutualTLS(t *testing.T) {
	ca := certtest.NewCA(t, "cluster")
	nodes := tlsCluster(t, ca)
	res, err := applyOn(nodes[0], command.CmdPlaceHalt, haltCmd("h-tls"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every node to apply the halt", func() bool {
		for _, n := range nodes {
			if n.AppliedIndex() < res.Index {
				return false
			}
		}
		return true
	})
	for _, n := range nodes {
		if got := len(n.Snapshot().State.Halts); got != 1 {
			t.Errorf("%s holds %d halts, want 1", n.ID(), got)
		}
	}
}

// TestTLSRogueNodeCannotJoinOrDisturb: a node whose certificate comes from
// another CA is refused by Join, its direct RequestVote and AppendEntries
// RPCs fail at the handshake, and while it campaigns (it believes it is in
// a cluster with the three real nodes) the real cluster keeps its leader
// and term and never lists it.
func TestTLSRogueNodeCannotJoinOrDisturb(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node TLS cluster")
	}
	ca := certtest.NewCA(t, "cluster")
	nodes := tlsCluster(t, ca)
	leader := nodes[0]
	wantTerm := term(leader)
	wantIDs := []string{"n1", "n2", "n3"}

	foreign := certtest.NewCA(t, "foreign")
	rogueCert := foreign.Issue(t, "rogue")
	// The rogue trusts both CAs, so only the cluster's refusal stops it.
	pool := foreign.Pool()
	pool.AddCert(ca.Cert)
	rogueStream, err := NewTLSStreamLayer("127.0.0.1:0", "", MutualTLS{Cert: rogueCert.TLS, CA: pool})
	if err != nil {
		t.Fatal(err)
	}

	// 1. Join through the leader (as an admin would): refused, not added.
	rogueAddr := rogueStream.Addr().String()
	rogueDir := t.TempDir()
	counting := &countingStream{StreamLayer: rogueStream, n: map[string]int{}}
	rogue, err := NewNode(Config{NodeID: "rogue", DataDir: rogueDir, StreamLayer: counting, Bootstrap: true, Logger: storetest.Logger("rogue")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rogue.shutdown(false) })
	if err := leader.Join("rogue", rogueAddr, ""); err == nil {
		t.Fatal("the leader accepted a node with a foreign-CA certificate")
	}
	if got := configIDs(t, leader); !slices.Equal(got, wantIDs) {
		t.Fatalf("configuration after the refused join = %v, want %v", got, wantIDs)
	}

	// 2. Raw Raft RPCs from the rogue's transport fail.
	trans := raft.NewNetworkTransport(rogueStream2(t, foreign, rogueCert), 1, time.Second, nil)
	t.Cleanup(func() { _ = trans.Close() })
	for _, n := range nodes {
		var vr raft.RequestVoteResponse
		err := trans.RequestVote(raft.ServerID(n.ID()), raft.ServerAddress(n.RaftAddr()), &raft.RequestVoteRequest{
			RPCHeader: raft.RPCHeader{ID: []byte("rogue"), Addr: []byte(rogueAddr)},
			Term:      wantTerm + 100, LastLogIndex: 1 << 40, LastLogTerm: wantTerm + 100,
		}, &vr)
		if err == nil {
			t.Errorf("RequestVote to %s succeeded (granted=%v); want a handshake failure", n.ID(), vr.Granted)
		}
		var ar raft.AppendEntriesResponse
		err = trans.AppendEntries(raft.ServerID(n.ID()), raft.ServerAddress(n.RaftAddr()), &raft.AppendEntriesRequest{
			RPCHeader: raft.RPCHeader{ID: []byte("rogue"), Addr: []byte(rogueAddr)},
			Term:      wantTerm + 100, Leader: []byte(rogueAddr),
		}, &ar)
		if err == nil {
			t.Errorf("AppendEntries to %s succeeded; want a handshake failure", n.ID())
		}
	}

	// 3. The rogue leads a cluster of its own, adds the real nodes to it
	// (heartbeats and entries go out to them), loses its quorum and
	// campaigns (pre-vote, then RequestVote) to each of them, again and
	// again: every attempt dials them.
	waitFor(t, "the rogue to lead its own cluster", rogue.IsLeader)
	for _, n := range nodes {
		_ = rogue.raft.AddVoter(raft.ServerID(n.ID()), raft.ServerAddress(n.RaftAddr()), 0, 200*time.Millisecond).Error()
	}
	waitFor(t, "the rogue to have dialed every real node in several rounds", func() bool {
		reached := 0
		for _, n := range nodes {
			if counting.dials(n.RaftAddr()) >= 3 {
				reached++
			}
		}
		return reached >= 2
	})
	if st := rogue.raft.State(); st == raft.Leader {
		t.Errorf("the rogue is %s, want it stuck without a quorum", st)
	}

	for _, n := range nodes {
		if got := term(n); got != wantTerm {
			t.Errorf("%s term = %d after the rogue campaigned, want %d", n.ID(), got, wantTerm)
		}
		if id, _ := n.Leader(); id != leader.ID() {
			t.Errorf("%s sees leader %q, want %q", n.ID(), id, leader.ID())
		}
		if got := configIDs(t, n); !slices.Equal(got, wantIDs) {
			t.Errorf("%s configuration = %v, want %v", n.ID(), got, wantIDs)
		}
	}
	if !leader.IsLeader() {
		t.Error("n1 lost leadership while the rogue campaigned")
	}
	if _, err := applyOn(leader, command.CmdPlaceHalt, haltCmd("after-rogue")); err != nil {
		t.Errorf("the cluster no longer commits after the rogue's attempts: %v", err)
	}
}

// countingStream counts dials per address.
type countingStream struct {
	StreamLayer
	mu sync.Mutex
	n  map[string]int
}

func (c *countingStream) Dial(a raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	c.mu.Lock()
	c.n[string(a)]++
	c.mu.Unlock()
	return c.StreamLayer.Dial(a, timeout)
}

func (c *countingStream) dials(a string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[a]
}

// rogueStream2 is a second foreign-CA stream layer for raw RPCs.
func rogueStream2(t *testing.T, foreign *certtest.CA, cert certtest.Leaf) raft.StreamLayer {
	t.Helper()
	sl, err := NewTLSStreamLayer("127.0.0.1:0", "", MutualTLS{Cert: cert.TLS, CA: foreign.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	return sl
}

// TestTLSStreamLayerRefusesHalfConfig: a stream layer needs both a
// certificate and a CA.
func TestTLSStreamLayerRefusesHalfConfig(t *testing.T) {
	if _, err := NewTLSStreamLayer("127.0.0.1:0", "", MutualTLS{}); err == nil {
		t.Fatal("NewTLSStreamLayer accepted a config without certificate and CA")
	}
}
