package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/wiretest"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The API's wire tests serve the world that store's wire tests build and
// pin: they read it back from the golden Raft log (log/world.jsonl), so
// they depend on the pinned bytes, not on the code that wrote them.

// wireNow is the clock of the API: after the last world command.
var wireNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// Release IDs of the world the exchanges name (store/wire_world_test.go).
const (
	wireL0 = "ledger-1.8.0-a1b2c3"   // completed
	wireC2 = "checkout-1.5.0-0a0b0c" // canary soaking, with checks and progress
	wireL1 = "ledger-2.0.0-112233"   // global promoting, one region retrying
	wireL2 = "ledger-1.9.0-778899"   // early failed; early rolling back
	wireS0 = "search-3.0.0-aabbcc"   // rollback-failed
	wireC3 = "checkout-1.6.0-667788" // scheduled on a train
)

// wireWorldCommands decodes the golden world log, one command a line.
func wireWorldCommands(t testing.TB) []command.Command {
	t.Helper()
	var out []command.Command
	for _, l := range bytes.Split(bytes.TrimSuffix(wiretest.Read(t, "log/world.jsonl"), []byte("\n")), []byte("\n")) {
		var cmd command.Command
		if err := json.Unmarshal(l, &cmd); err != nil {
			t.Fatalf("decode the golden world log: %v", err)
		}
		out = append(out, cmd)
	}
	return out
}

// wireWorldFSM is a fresh FSM holding the world. Refusals are part of the
// world (store's wire tests check each one), so errors are not failures.
func wireWorldFSM(t testing.TB) *store.FSM {
	t.Helper()
	f := store.NewFSM(0)
	for i, cmd := range wireWorldCommands(t) {
		_, _ = f.ApplyCommand(uint64(i+1), cmd)
	}
	return f
}

// wireTopology reads the world's topology document.
func wireTopology(t testing.TB) []byte {
	t.Helper()
	return wiretest.Read(t, "topology.yaml")
}

// wireStore is the world behind the Store interface, in Raft term 7.
// Writes apply at the next index, as a single-node Raft log would.
type wireStore struct{ *coordtest.Store }

func (s wireStore) Apply(ctx context.Context, cmd command.Command) (store.ApplyResult, error) {
	if !s.IsLeader() {
		return store.ApplyResult{}, fmt.Errorf("apply %s: %w", cmd.Type, command.ErrNotLeader)
	}
	return s.FSM.ApplyCommand(s.FSM.AppliedIndex()+1, cmd)
}
func (s wireStore) RaftStats() store.RaftStats {
	st := s.Store.RaftStats()
	st.Term = 7
	return st
}

// newWireStore is the world on a leader (or, with leader unset, on a
// follower that knows no leader).
func newWireStore(t testing.TB, leader bool) wireStore {
	t.Helper()
	s := coordtest.NewStoreOn(wireWorldFSM(t), leader)
	if leader {
		s.SetLeaderAddr("n1", "http://n1.wire.test:7070")
	}
	s.SetMembers(
		apiclient.Member{ID: "n1", RaftAddr: "10.0.0.1:7000", HTTPAddr: "http://n1.wire.test:7070", Voter: true, Leader: leader},
		apiclient.Member{ID: "n2", RaftAddr: "10.0.0.2:7000", HTTPAddr: "http://n2.wire.test:7070", Voter: true},
		apiclient.Member{ID: "n5", RaftAddr: "10.0.0.5:7000", Voter: false},
	)
	return wireStore{s}
}

// wireAPI serves the world with tokens for every role (auth_test.go) and
// the clock at wireNow.
func wireAPI(t testing.TB, store Store) *API {
	t.Helper()
	api, err := NewAPI(APIConfig{Store: store, Fence: &leader.MemFence{}, Clock: leader.NewManualClock(wireNow), Logger: coordtest.Discard(),
		Security: SecurityConfig{Tokens: testTokenSet(t), WriteRate: -1}})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// wireExchanges records requests and answers as the golden text of one
// exchange: the request line, who asked, the body sent; the status, the
// headers a client reads and the body answered, byte for byte.
type wireExchanges struct {
	t   *testing.T
	api *API
	// name is the golden name of the next exchange the client makes.
	name string
	seq  int
}

// wireSource is the client address every request comes from.
const wireSource = "192.0.2.20:40000"

// randomIDs are the parts of answers the API draws at random (release and
// halt ID suffixes); they are replaced before comparing.
var randomIDs = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(ledger-2\.2\.0)-[0-9a-f]{6}\b`), "$1-RANDOM"},
	{regexp.MustCompile(`\bhalt-[0-9a-f]{8}\b`), "halt-RANDOM"},
}

// withoutRandomIDs replaces the random parts of b.
func withoutRandomIDs(b []byte) []byte {
	for _, r := range randomIDs {
		b = r.re.ReplaceAll(b, []byte(r.with))
	}
	return b
}

// serve answers r in process and pins the exchange under name.
func (x *wireExchanges) serve(name string, r *http.Request) *httptest.ResponseRecorder {
	x.t.Helper()
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.RemoteAddr = wireSource

	// The request as it arrives (serving may add headers, e.g. a
	// follower's forwarding key).
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL.RequestURI())
	fmt.Fprintf(&b, "As: %s\n", callerName(r.Header.Get("Authorization")))
	for _, h := range []string{"Content-Type", apiclient.HeaderActor, apiclient.HeaderIdempotencyKey} {
		if v := r.Header.Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", body)
	rec := httptest.NewRecorder()
	x.api.ServeHTTP(rec, r)
	fmt.Fprintf(&b, "-- %d %s\n", rec.Code, http.StatusText(rec.Code))
	for _, h := range []string{"Content-Type", "Location", "Retry-After", "WWW-Authenticate"} {
		if v := rec.Header().Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	fmt.Fprintf(&b, "\n%s", rec.Body.Bytes())
	x.seq++
	wiretest.Check(x.t, fmt.Sprintf("api/%02d-%s.http", x.seq, name), withoutRandomIDs([]byte(b.String())))
	return rec
}

// raw sends a request the typed client has no method for.
func (x *wireExchanges) raw(name, as, method, path, body string) *httptest.ResponseRecorder {
	x.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body == "" {
		r.Body = nil
	} else {
		r.Header.Set("Content-Type", "application/json")
	}
	if as != "" {
		r.Header.Set("Authorization", "Bearer "+tokenOf(as))
	}
	return x.serve(name, r)
}

// client is the typed client as person as, sending through x: its
// requests are pinned as sent, under the name set before each call.
func (x *wireExchanges) client(as string) *apiclient.Client {
	return &apiclient.Client{BaseURL: "http://n1.wire.test:7070", Token: tokenOf(as), HTTP: &http.Client{Transport: wireTransport{x}}}
}

type wireTransport struct{ x *wireExchanges }

func (tr wireTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := tr.x.serve(tr.x.name, r)
	return rec.Result(), nil
}

// callerName names the identity of an Authorization header.
func callerName(h string) string {
	if h == "" {
		return "(no token)"
	}
	for role, name := range testTokens {
		if h == "Bearer "+tokenOf(name) {
			return name + " (" + string(role) + ")"
		}
	}
	return "(unknown token)"
}

// decodedAgain checks the client's decode side: what it decoded encodes
// back to the answer's JSON (compacted), so no field is lost on the way.
func decodedAgain(t *testing.T, what string, answer []byte, v any) {
	t.Helper()
	var want bytes.Buffer
	if err := json.Compact(&want, answer); err != nil {
		t.Fatalf("%s: the answer is not JSON: %v", what, err)
	}
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got = withoutRandomIDs(got)
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("%s: the client's decoded value encodes to other JSON than the answer: %s", what, wiretest.FirstDiff(want.Bytes(), got))
	}
}

// lastBody is the body of the last answer the transport saw.
func lastBody(t *testing.T, x *wireExchanges) []byte {
	t.Helper()
	b := wiretest.Read(t, fmt.Sprintf("api/%02d-%s.http", x.seq, x.name))
	_, body, ok := bytes.Cut(b, []byte("\n-- "))
	if !ok {
		t.Fatalf("no answer in the golden exchange")
	}
	_, body, _ = bytes.Cut(body, []byte("\n\n"))
	return body
}

// TestWireAPI pins the body of every route of the HTTP API on the world,
// reads and their errors first, then the typed client's writes in order
// (its request bodies as sent, and the answers), each exchange in
// testdata/wire/api/NN-name.http. The client's decoded answers encode back
// to the same JSON.
func TestWireAPI(t *testing.T) {
	store := newWireStore(t, true)
	x := &wireExchanges{t: t, api: wireAPI(t, store)}
	ctx := t.Context()
	vera, rex, april, ian, ada := x.client("vera"), x.client("rex"), x.client("april"), x.client("ian"), x.client("ada")

	// call runs one client call, pinned as name, and checks the decode
	// side of a successful answer.
	call := func(name string, f func() (any, error)) {
		t.Helper()
		x.name = name
		v, err := f()
		if err != nil {
			if _, ok := err.(*apiclient.APIError); !ok {
				t.Fatalf("%s: %v", name, err)
			}
			return
		}
		if v != nil && !wiretest.Update() {
			decodedAgain(t, name, lastBody(t, x), v)
		}
	}

	// Probes and reads.
	x.raw("healthz", "vera", "GET", "/healthz", "")
	x.raw("readyz", "vera", "GET", "/readyz", "")
	call("status", func() (any, error) { return vera.Status(ctx, false) })
	call("status-all", func() (any, error) { return vera.Status(ctx, true) })
	call("releases", func() (any, error) {
		r, err := vera.Releases(ctx, "")
		return apiclient.ReleaseList{Releases: r}, err
	})
	call("releases-of-app", func() (any, error) {
		r, err := vera.Releases(ctx, "ledger")
		return apiclient.ReleaseList{Releases: r}, err
	})
	x.raw("releases-in-state", "vera", "GET", "/v1/releases?state=running", "")
	call("release-soaking", func() (any, error) { return vera.Release(ctx, wireC2) })
	call("release-rolling-back", func() (any, error) { return vera.Release(ctx, wireL2) })
	call("release-rollback-failed", func() (any, error) { return vera.Release(ctx, wireS0) })
	call("release-scheduled", func() (any, error) { return vera.Release(ctx, wireC3) })
	call("halts", func() (any, error) {
		h, err := vera.Halts(ctx, false)
		return apiclient.HaltList{Halts: h}, err
	})
	call("halts-active", func() (any, error) {
		h, err := vera.Halts(ctx, true)
		return apiclient.HaltList{Halts: h}, err
	})
	call("topology", func() (any, error) { return vera.Topology(ctx) })
	x.raw("audit", "vera", "GET", "/v1/audit", "")
	x.raw("audit-filtered", "vera", "GET", "/v1/audit?actor=ian&type=halt.place&since=2026-11-24T09:00:00Z&until=2026-11-24T12:00:00Z&limit=2", "")
	call("members", func() (any, error) {
		m, err := vera.Members(ctx)
		return apiclient.MemberList{Members: m}, err
	})
	call("leader", func() (any, error) { return vera.Leader(ctx) })

	// Errors.
	call("release-unknown", func() (any, error) { return vera.Release(ctx, "ledger-9.9.9-000000") })
	x.raw("audit-bad-since", "vera", "GET", "/v1/audit?since=yesterday", "")
	x.raw("no-route", "vera", "GET", "/v1/nothing", "")
	x.raw("no-token", "", "GET", "/v1/status", "")
	x.raw("viewer-writes", "vera", "POST", "/v1/halts", `{"global":true,"reason":"x"}`)
	x.raw("create-unknown-field", "rex", "POST", "/v1/releases", `{"app":"ledger","version":"2.2.0","colour":"red"}`)
	call("approve-completed", func() (any, error) { return april.Approve(ctx, wireL0, "global", "") })
	call("resume-resumed", func() (any, error) { return ian.Resume(ctx, "halt-drill", "again") })
	call("topology-invalid", func() (any, error) {
		return ada.AdoptTopology(ctx, []byte("apiVersion: ringleader.dev/v1alpha1\nkind: Topology\nmetadata: {name: wire}\nspec:\n  rings: 3\n"), "topology.yaml")
	})

	// Writes through the typed client, in order.
	var created *apiclient.ReleaseDetail
	call("create-release", func() (any, error) {
		var err error
		created, err = rex.CreateRelease(ctx, apiclient.CreateReleaseRequest{App: "ledger", Version: "2.2.0", Priority: topology.PrioritySecurity,
			StartAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Train: "tuesday", PreviousVersion: "2.0.0",
			Risk: &topology.DREAD{Damage: 8, Reproducibility: 7, Exploitability: 9, Affected: 10, Discoverability: 10}})
		return created, err
	})
	call("approve", func() (any, error) { return april.Approve(ctx, wireC2, "early", "canary clean") })
	call("abort", func() (any, error) { return rex.Abort(ctx, wireL1, "superseded") })
	call("rollback", func() (any, error) { return rex.Rollback(ctx, wireC2, "error rate up in us-east-1") })
	var placed *apiclient.HaltResponse
	call("place-halt", func() (any, error) {
		var err error
		placed, err = ian.PlaceHalt(ctx, apiclient.HaltRequest{HaltScope: rings.HaltScope{Regions: []string{"ap-south-1"}, Rings: []string{"global"}, Apps: []string{"checkout"}, Releases: []string{wireC2}}, Reason: "incident 4711"})
		return placed, err
	})
	if placed == nil {
		t.Fatal("place-halt: no halt")
	}
	call("resume-halt", func() (any, error) { return ian.Resume(ctx, placed.ID, "incident 4711 resolved") })
	call("global-halt", func() (any, error) {
		return ian.PlaceHalt(ctx, apiclient.HaltRequest{HaltScope: rings.HaltScope{Global: true}, Reason: "freeze for the audit"})
	})
	call("adopt-topology", func() (any, error) {
		return ada.AdoptTopology(ctx, append(wireTopology(t), "# revision 2\n"...), "topology.yaml")
	})
	call("adopt-topology-again", func() (any, error) {
		return ada.AdoptTopology(ctx, append(wireTopology(t), "# revision 2\n"...), "topology.yaml")
	})
	call("join", func() (any, error) {
		m, err := ada.Join(ctx, apiclient.JoinRequest{ID: "n4", RaftAddr: "10.0.0.4:7000", HTTPAddr: "http://n4.wire.test:7070"})
		return apiclient.MemberList{Members: m}, err
	})
	call("remove", func() (any, error) {
		m, err := ada.Remove(ctx, "n4")
		return apiclient.MemberList{Members: m}, err
	})
	call("status-after-writes", func() (any, error) { return vera.Status(ctx, false) })
	call("set-risk", func() (any, error) {
		return april.SetRisk(ctx, wireC2, &topology.DREAD{Damage: 3, Reproducibility: 2, Exploitability: 2, Affected: 4, Discoverability: 2}, "config-only change")
	})

	if created == nil || !strings.HasPrefix(created.ID, "ledger-2.2.0-") {
		t.Errorf("create-release: created %+v", created)
	}
}

// TestWireAPIOnAFollower pins what a follower that knows no leader answers
// to a write (503, with the leader it knows: none) and to reads (its own
// state).
func TestWireAPIOnAFollower(t *testing.T) {
	x := &wireExchanges{t: t, api: wireAPI(t, newWireStore(t, false))}
	x.seq = 80
	x.raw("follower-write", "ian", "POST", "/v1/halts", `{"global":true,"reason":"incident"}`)
	x.raw("follower-leader", "vera", "GET", "/v1/cluster/leader", "")
	x.raw("follower-readyz", "vera", "GET", "/readyz", "")
}

// TestWireEvents pins the event stream's frames (GET /v1/events) for every
// command of the world, refused ones included.
func TestWireEvents(t *testing.T) {
	t.Parallel()
	f := store.NewFSM(0)
	rec := httptest.NewRecorder()
	for i, cmd := range wireWorldCommands(t) {
		res, err := f.ApplyCommand(uint64(i+1), cmd)
		if err := writeEvent(rec, EventFor(store.AppliedCommand{Index: uint64(i + 1), Command: cmd, ResultID: res.ID, Err: err})); err != nil {
			t.Fatal(err)
		}
	}
	wiretest.Check(t, "events/world.sse", rec.Body.Bytes())
}

// TestWireRouteTableIsPinned fails when the API registers a route no
// golden exchange covers (the route table is auth_routes.go).
func TestWireRouteTableIsPinned(t *testing.T) {
	t.Parallel()
	if wiretest.Update() {
		t.Skip("the golden files are being written")
	}
	// Not JSON, or served by other packages with their own golden files.
	skip := map[string]string{
		"GET /metrics":    "Prometheus text; README's metric list is checked against the registry",
		"GET /v1/events":  "a stream; its frames are pinned by TestWireEvents",
		"GET /{$}":        "the dashboard (internal/ui)",
		"GET /ui/static/": "the dashboard (internal/ui)",
		"GET /ui/board":   "the dashboard (internal/ui)",
	}
	covered := map[string]bool{}
	for _, name := range wiretest.Names(t, "api") {
		b := wiretest.Read(t, "api/"+name)
		line, _, _ := strings.Cut(string(b), "\n")
		method, uri, _ := strings.Cut(line, " ")
		path, _, _ := strings.Cut(uri, "?")
		covered[method+" "+path] = true
	}
	for pattern := range RoutePermissions {
		if _, ok := skip[pattern]; ok {
			continue
		}
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			continue // the catch-all, pinned by no-route
		}
		re := regexp.MustCompile("^" + regexp.MustCompile(`\\\{[a-z]+\\\}`).ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + "$")
		found := false
		for c := range covered {
			m, p, _ := strings.Cut(c, " ")
			if m == method && re.MatchString(p) {
				found = true
			}
		}
		if !found {
			t.Errorf("route %s has no golden exchange in testdata/wire/api: add one to TestWireAPI", pattern)
		}
	}
}
