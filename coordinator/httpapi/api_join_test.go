package httpapi

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

// TestAPIJoinThroughFollowerIsForwarded: a third node joins by posting to a
// follower's API; the follower forwards the join to the leader, and every
// node then lists the new voter with its HTTP address and replicates to it.
func TestAPIJoinThroughFollowerIsForwarded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	root := t.TempDir()
	n1 := startAPINode(t, "n1", filepath.Join(root, "n1"), true)
	poll.Until(t, coordtest.Wait, "n1 to lead", n1.Node.IsLeader)
	joinBody := func(an *coordtest.NodeServer, id string) string {
		return fmt.Sprintf(`{"id":%q,"raftAddr":%q,"httpAddr":%q}`, id, an.Node.RaftAddr(), strings.TrimPrefix(an.URL, "http://"))
	}
	n2 := startAPINode(t, "n2", filepath.Join(root, "n2"), false)
	coordtest.PostUntil(t, n1.URL, "/v1/cluster/join", joinBody(n2, "n2"), 200)
	poll.Until(t, coordtest.Wait, "n2 to know the leader's HTTP address", func() bool { _, addr := n2.Node.Leader(); return addr != "" })
	if n2.Node.IsLeader() {
		t.Fatal("n2 leads: the join must go through a follower")
	}

	// n3 joins through n2, a follower.
	n3 := startAPINode(t, "n3", filepath.Join(root, "n3"), false)
	got := coordtest.DecodeAs[apiclient.MemberList](t, coordtest.PostUntil(t, n2.URL, "/v1/cluster/join", joinBody(n3, "n3"), 200))
	n3HTTP := strings.TrimPrefix(n3.URL, "http://")
	if !slices.ContainsFunc(got.Members, func(m apiclient.Member) bool { return m.ID == "n3" && m.Voter }) {
		t.Errorf("join answer through the follower lists %+v, want n3 as a voter", got.Members)
	}

	// Every node sees n3 with its HTTP address (a replicated record), and a
	// write on the leader reaches n3.
	for _, an := range []*coordtest.NodeServer{n1, n2, n3} {
		poll.Until(t, coordtest.Wait, an.Node.ID()+" to list n3 with its HTTP address", func() bool {
			ms, err := an.Node.Members()
			return err == nil && slices.ContainsFunc(ms, func(m apiclient.Member) bool { return m.ID == "n3" && m.Voter && m.HTTPAddr == n3HTTP })
		})
	}
	coordtest.PostUntil(t, n2.URL, "/v1/halts", `{"global":true,"reason":"after join"}`, 201)
	poll.Until(t, coordtest.Wait, "n3 to replicate the halt written after it joined", func() bool {
		return len(n3.Node.Snapshot().State.Halts) == 1
	})
}
