package coordinator

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
)

// apiNode is a real Node with its API served over real TCP.
type apiNode struct {
	node *store.Node
	srv  *httptest.Server
	dead bool
}

// startAPINode binds the HTTP listener first (so the node can record its
// real address), then starts the node and serves the API.
func startAPINode(t *testing.T, id, dir string, bootstrap bool) *apiNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n, err := store.NewNode(store.Config{
		NodeID: id, DataDir: dir, RaftAddr: "127.0.0.1:0", HTTPAddr: ln.Addr().String(),
		Bootstrap: bootstrap, Logger: storetest.Logger(id),
	})
	if err != nil {
		t.Fatalf("start node %s: %v", id, err)
	}
	api, err := NewAPI(APIConfig{Store: n, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(api)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	an := &apiNode{node: n, srv: srv}
	t.Cleanup(an.kill)
	return an
}

// kill stops the node without handing over leadership, like a crash.
func (a *apiNode) kill() {
	if a.dead {
		return
	}
	a.dead = true
	a.srv.Close()
	_ = a.node.Shutdown()
}

// postUntil repeats a write until it gets want or the deadline passes;
// 503 (no leader yet, leadership moving) is retried.
func postUntil(t *testing.T, base, path, body string, want int) []byte {
	t.Helper()
	var (
		code int
		out  []byte
	)
	waitUntil(t, fmt.Sprintf("POST %s to answer %d", path, want), func() bool {
		code, out, _ = call(t, base, http.MethodPost, path, body)
		return code == want
	})
	return out
}

func TestAPIOverThreeRealNodesForwardsAndSurvivesLeaderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	root := t.TempDir()
	nodes := []*apiNode{startAPINode(t, "n1", filepath.Join(root, "n1"), true)}
	waitUntil(t, "n1 to lead", nodes[0].node.IsLeader)
	for _, id := range []string{"n2", "n3"} {
		an := startAPINode(t, id, filepath.Join(root, id), false)
		nodes = append(nodes, an)
		body := fmt.Sprintf(`{"id":%q,"raftAddr":%q,"httpAddr":%q}`, id, an.node.RaftAddr(), strings.TrimPrefix(an.srv.URL, "http://"))
		postUntil(t, nodes[0].srv.URL, "/v1/cluster/join", body, 200)
	}
	for _, an := range nodes[1:] {
		waitUntil(t, "followers to know the leader's HTTP address", func() bool { _, addr := an.node.Leader(); return addr != "" })
	}

	// A topology and a release, both written through a follower.
	postUntil(t, nodes[1].srv.URL, "/v1/topology", string(mustRead(t, "testdata/api-topology.yaml")), 200)
	rel := decodeAs[apiclient.ReleaseDetail](t, postUntil(t, nodes[2].srv.URL, "/v1/releases", `{"app":"checkout","version":"v7"}`, 201))
	leaderSnap := nodes[0].node.Snapshot()
	if leaderSnap.State.ReleaseByID(rel.ID) == nil {
		t.Fatalf("release %s written through a follower is not on the leader", rel.ID)
	}

	// Kill the leader; a write through a survivor lands on the new leader.
	nodes[0].kill()
	start := time.Now()
	halt := decodeAs[apiclient.HaltResponse](t, postUntil(t, nodes[1].srv.URL, "/v1/halts", `{"global":true,"reason":"after failover"}`, 201))
	t.Logf("write accepted %s after the leader was killed", time.Since(start).Round(time.Millisecond))
	var newLeader *apiNode
	for _, an := range nodes[1:] {
		if an.node.IsLeader() {
			newLeader = an
		}
	}
	if newLeader == nil {
		t.Fatal("no survivor leads after the write was accepted")
	}
	snap := newLeader.node.Snapshot()
	if snap.State.ReleaseByID(rel.ID) == nil || haltByID(snap.State, halt.ID) == nil {
		t.Fatalf("new leader lacks the release %s or the halt %s", rel.ID, halt.ID)
	}
}
