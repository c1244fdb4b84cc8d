package coordinator

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/auth"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

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
	api2, err := NewAPI(APIConfig{Store: n2, Logger: discardLogger(), Security: SecurityConfig{Tokens: testTokenSet(t)}})
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
