package coordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

// Wait bounds every wait in the coordinator's tests: a leader elected, a
// pass run, a write accepted.
const Wait = 10 * time.Second

// NodeServer is a real store.Node with a handler (its API) served over
// real TCP on 127.0.0.1.
type NodeServer struct {
	Node *store.Node
	Srv  *httptest.Server
	// URL is the handler's base URL.
	URL  string
	dead bool
}

// StartNode binds the HTTP listener first, so the node records its real
// address, then starts node id in dir (bootstrapping a cluster when
// bootstrap is set) and serves what handler builds from it. The node is
// killed when the test ends; handler may register more cleanups.
func StartNode(t testing.TB, id, dir string, bootstrap bool, handler func(n *store.Node) http.Handler) *NodeServer {
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
		_ = ln.Close()
		t.Fatalf("start node %s: %v", id, err)
	}
	srv := httptest.NewUnstartedServer(handler(n))
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	tn := &NodeServer{Node: n, Srv: srv, URL: srv.URL}
	t.Cleanup(tn.Kill)
	return tn
}

// Kill stops the node without handing over leadership, like a crash.
func (n *NodeServer) Kill() {
	if n.dead {
		return
	}
	n.dead = true
	n.Srv.Close()
	_ = n.Node.Shutdown()
}

// NewRequest builds a request to url with body and headers (hdr: name,
// value, …), bound to ctx.
func NewRequest(t testing.TB, ctx context.Context, method, url, body string, hdr ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

// Call sends a request (hdr: name, value, …) and returns the status, body
// and headers.
func Call(t testing.TB, base, method, path, body string, hdr ...string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(NewRequest(t, context.Background(), method, base+path, body, hdr...))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// PostUntil repeats a write until it answers want or Wait passes; 503 (no
// leader yet, leadership moving) is what it waits out.
func PostUntil(t testing.TB, base, path, body string, want int) []byte {
	t.Helper()
	var (
		code int
		out  []byte
	)
	poll.Until(t, Wait, fmt.Sprintf("POST %s to answer %d", path, want), func() bool {
		code, out, _ = Call(t, base, http.MethodPost, path, body)
		return code == want
	})
	return out
}

// DecodeAs decodes a JSON body into a T or fails the test.
func DecodeAs[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, b, err)
	}
	return v
}

// Logger logs through t when -v is set, and discards otherwise.
func Logger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return Discard()
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Discard is a logger that drops everything.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
