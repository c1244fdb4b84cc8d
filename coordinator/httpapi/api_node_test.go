package httpapi

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

// startAPINode starts node id in dir with its API served over real TCP.
func startAPINode(t *testing.T, id, dir string, bootstrap bool) *coordtest.NodeServer {
	t.Helper()
	return coordtest.StartNode(t, id, dir, bootstrap, func(n *store.Node) http.Handler {
		api, err := NewAPI(APIConfig{Store: n, Logger: coordtest.Discard()})
		if err != nil {
			t.Fatal(err)
		}
		return api
	})
}

func TestAPIOverThreeRealNodesForwardsAndSurvivesLeaderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	root := t.TempDir()
	nodes := []*coordtest.NodeServer{startAPINode(t, "n1", filepath.Join(root, "n1"), true)}
	poll.Until(t, coordtest.Wait, "n1 to lead", nodes[0].Node.IsLeader)
	for _, id := range []string{"n2", "n3"} {
		an := startAPINode(t, id, filepath.Join(root, id), false)
		nodes = append(nodes, an)
		body := fmt.Sprintf(`{"id":%q,"raftAddr":%q,"httpAddr":%q}`, id, an.Node.RaftAddr(), strings.TrimPrefix(an.URL, "http://"))
		coordtest.PostUntil(t, nodes[0].URL, "/v1/cluster/join", body, 200)
	}
	for _, an := range nodes[1:] {
		poll.Until(t, coordtest.Wait, "followers to know the leader's HTTP address", func() bool { _, addr := an.Node.Leader(); return addr != "" })
	}

	// A topology and a release, both written through a follower.
	coordtest.PostUntil(t, nodes[1].URL, "/v1/topology", string(coordtest.Topology), 200)
	rel := coordtest.DecodeAs[apiclient.ReleaseDetail](t, coordtest.PostUntil(t, nodes[2].URL, "/v1/releases", `{"app":"checkout","version":"v7"}`, 201))
	leaderSnap := nodes[0].Node.Snapshot()
	if leaderSnap.State.ReleaseByID(rel.ID) == nil {
		t.Fatalf("release %s written through a follower is not on the leader", rel.ID)
	}

	// Kill the leader; a write through a survivor lands on the new leader.
	nodes[0].Kill()
	start := time.Now()
	halt := coordtest.DecodeAs[apiclient.HaltResponse](t, coordtest.PostUntil(t, nodes[1].URL, "/v1/halts", `{"global":true,"reason":"after failover"}`, 201))
	t.Logf("write accepted %s after the leader was killed", time.Since(start).Round(time.Millisecond))
	var newLeader *coordtest.NodeServer
	for _, an := range nodes[1:] {
		if an.Node.IsLeader() {
			newLeader = an
		}
	}
	if newLeader == nil {
		t.Fatal("no survivor leads after the write was accepted")
	}
	snap := newLeader.Node.Snapshot()
	if snap.State.ReleaseByID(rel.ID) == nil || haltByID(snap.State, halt.ID) == nil {
		t.Fatalf("new leader lacks the release %s or the halt %s", rel.ID, halt.ID)
	}
}
