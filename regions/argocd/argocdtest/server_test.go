package argocdtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

func do(t *testing.T, method, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// TestServe checks the answers of a server started on a listener.
func TestServe(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := Start(l, "tok")
	t.Cleanup(s.Close)
	s.Set("web-eu", State{Sync: SyncSynced, Revision: "abc", Health: HealthDegraded, HealthMessage: "crash", Operation: OperationFailed, OperationMessage: "apply failed"})
	app := s.URL() + "/api/v1/applications/"
	cases := []struct {
		name, method, url, token string
		want                     string // status and a fragment of the body
	}{
		{"no token", "GET", app + "web-eu", "", `401 {"code":16,"error":"no session information","message":"no session information"}`},
		{"wrong token", "GET", app + "web-eu", "nope", `401 {"code":16`},
		{"unknown application", "GET", app + "web-us", "tok", `404 {"code":5,"error":"applications.argoproj.io \"web-us\" not found"`},
		{"not a read", "DELETE", app + "web-eu", "tok", `405 `},
		{"other path", "GET", s.URL() + "/api/v1/session", "tok", `404 `},
		{"status as Argo CD writes it", "GET", app + "web-eu", "tok",
			`200 {"kind":"Application","apiVersion":"argoproj.io/v1alpha1","metadata":{"name":"web-eu","namespace":"argocd","creationTimestamp":null},`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, tc.method, tc.url, tc.token)
			if got := fmt.Sprintf("%d %s", code, body); !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %s\nwant prefix %s", got, tc.want)
			}
		})
	}
}

// TestRoundTrip: what Set stores comes back as the same v1alpha1 status.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	s := StartHTTPTest("tok")
	t.Cleanup(s.Close)
	s.Set("web-eu", State{Sync: SyncOutOfSync, Revision: "abc", Health: HealthProgressing, Operation: OperationRunning, OperationRevision: "def"})
	_, body := do(t, "GET", s.URL()+"/api/v1/applications/web-eu", "tok")
	var app v1alpha1.Application
	if err := json.Unmarshal([]byte(body), &app); err != nil {
		t.Fatal(err)
	}
	st := app.Status
	got := fmt.Sprintf("%s %s %s %s %s %t", st.Sync.Status, st.Sync.Revision, st.Health.Status, st.OperationState.Phase, st.OperationState.Operation.Sync.Revision, st.OperationState.SyncResult == nil)
	if want := "OutOfSync abc Progressing Running def true"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestStallAndFail: a stalled request ends when its client gives up; FailWith
// answers the status; Requests counts both.
func TestStallAndFail(t *testing.T) {
	t.Parallel()
	s := StartHTTPTest("tok")
	t.Cleanup(s.Close)
	s.Set("a", State{Sync: SyncSynced})
	s.Stall(true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/api/v1/applications/a", nil)
	req.Header.Set("Authorization", "Bearer tok")
	_, err := http.DefaultClient.Do(req)
	s.Stall(false)
	s.FailWith(http.StatusServiceUnavailable)
	code, _ := do(t, "GET", s.URL()+"/api/v1/applications/a", "tok")
	if got := fmt.Sprintf("%t %d %d", err != nil, code, s.Requests()); got != "true 503 2" {
		t.Errorf("got %s, want stalled request failed, 503, 2 requests", got)
	}
}

// TestCloseReleasesStalledRequests: Close does not wait for a client that
// never gives up.
func TestCloseReleasesStalledRequests(t *testing.T) {
	t.Parallel()
	s := StartHTTPTest("tok")
	s.Stall(true)
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("GET", s.URL()+"/api/v1/applications/a", nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	poll.Until(t, 5*time.Second, "the stalled request to arrive", func() bool { return s.Requests() > 0 })
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close still waits for the stalled request after 5s")
	}
	<-done
}
