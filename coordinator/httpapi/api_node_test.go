package httpapi

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/auth"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

// startAPINode starts node id in dir with its API served over real TCP.
func startAPINode(t *testing.T, id, dir string, bootstrap bool) *coordtest.NodeServer {
	t.Helper()
	n, _ := startNodeAPI(t, id, dir, bootstrap, nil)
	return n
}

// startNodeAPI starts node id in dir (bootstrapping when bootstrap is set)
// with its API served over real TCP; mod, when set, hooks the node and
// adjusts the API's config before the API is built.
func startNodeAPI(t *testing.T, id, dir string, bootstrap bool, mod func(n *store.Node, c *APIConfig)) (*coordtest.NodeServer, *API) {
	t.Helper()
	var api *API
	n := coordtest.StartNode(t, id, dir, bootstrap, func(n *store.Node) http.Handler {
		cfg := APIConfig{Store: n, Logger: coordtest.Discard()}
		if mod != nil {
			mod(n, &cfg)
		}
		var err error
		if api, err = NewAPI(cfg); err != nil {
			t.Fatal(err)
		}
		return api
	})
	return n, api
}

// joinBody is the /v1/cluster/join request that adds an as voter id.
func joinBody(an *coordtest.NodeServer, id string) string {
	return fmt.Sprintf(`{"id":%q,"raftAddr":%q,"httpAddr":%q}`, id, an.Node.RaftAddr(), strings.TrimPrefix(an.URL, "http://"))
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
		coordtest.PostUntil(t, nodes[0].URL, "/v1/cluster/join", joinBody(an, id), 200)
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

// TestAuditOverAPIRecordsForwardedSource: a halt sent to a follower is
// forwarded with the caller's token, re-checked on the leader and audited
// there with the incident commander's identity, role, reason and
// "<client> via <follower>"; a viewer's write is refused by the follower
// before anything is forwarded.
func TestAuditOverAPIRecordsForwardedSource(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 2-node cluster")
	}
	leader := startSecureNode(t, SecurityConfig{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n2, err := store.NewNode(store.Config{NodeID: "n2", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0", HTTPAddr: ln.Addr().String(), Logger: storetest.Logger("n2")})
	if err != nil {
		t.Fatal(err)
	}
	api2, err := NewAPI(APIConfig{Store: n2, Logger: coordtest.Discard(), Security: SecurityConfig{Tokens: testTokenSet(t)}})
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewUnstartedServer(api2)
	srv2.Listener.Close()
	srv2.Listener = ln
	srv2.Start()
	t.Cleanup(func() { srv2.Close(); _ = n2.Shutdown() })
	if err := leader.node.Join("n2", n2.RaftAddr(), ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	follower := &secureNode{node: n2, api: api2, url: srv2.URL}
	poll.Until(t, 20*time.Second, "n2 to know the leader", func() bool { _, a := n2.Leader(); return a != "" })

	if code, body := follower.do(t, "vera", "POST", "/v1/halts", `{"global":true,"reason":"not mine"}`); code != http.StatusForbidden {
		t.Fatalf("viewer's halt through the follower = %d %s, want 403", code, body)
	}
	code, body := follower.do(t, "ian", "POST", "/v1/halts", `{"regions":["eu-west-1"],"reason":"error rate up in eu"}`)
	if code != http.StatusCreated {
		t.Fatalf("ian's halt through the follower = %d %s, want 201", code, body)
	}
	code, body = leader.do(t, "vera", "GET", "/v1/audit?actor=ian&type=halt.place", "")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/audit = %d %s", code, body)
	}
	var list apiclient.AuditList
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Entries) != 1 {
		t.Fatalf("audit entries for ian = %d, want 1: %s", len(list.Entries), body)
	}
	e := list.Entries[0]
	if e.Role != string(auth.RoleIncidentCommander) || e.Reason != "error rate up in eu" || e.Details["scope"] != "regions=eu-west-1" {
		t.Errorf("audit entry = %+v", e)
	}
	if !strings.Contains(e.Source, " via 127.0.0.1:") || !strings.HasPrefix(e.Source, "127.0.0.1:") {
		t.Errorf("source = %q, want <client> via <follower>", e.Source)
	}
	if code, body := leader.do(t, "vera", "GET", "/v1/audit?since=yesterday", ""); code != http.StatusBadRequest {
		t.Errorf("bad since = %d %s, want 400", code, body)
	}
}
