package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
)

// The FuzzAPI targets drive the real API handler (guard, routing, body
// decoding, validation, the real FSM behind an in-memory store) with
// arbitrary bodies and path IDs. Whatever arrives, the answer is never a
// 5xx and nothing panics. `make fuzz` runs each briefly; see README
// "Security" for longer runs.

// fuzzAPI is an API over the in-memory store with the test topology, with
// tokens (the admin token is sent) so the guard is on the path too.
func fuzzAPI(f *testing.F) *API {
	f.Helper()
	st := coordtest.NewStore(true).WithTopology(f)
	api, err := NewAPI(APIConfig{Store: st, Logger: coordtest.Discard(), Security: SecurityConfig{Tokens: testTokenSet(f), WriteRate: -1}})
	if err != nil {
		f.Fatal(err)
	}
	return api
}

// serveFuzz sends one request as the admin and fails on a 5xx.
func serveFuzz(t *testing.T, api *API, method, path string, body []byte) {
	req := httptest.NewRequest(method, "http://n1.test"+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tokenOf("ada"))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s with body %q = %d %s", method, path, body, rec.Code, rec.Body.String())
	}
}

// fuzzPath builds a path with an arbitrary ID segment.
func fuzzPath(prefix, id, suffix string) string {
	return prefix + url.PathEscape(id) + suffix
}

func FuzzAPICreateRelease(f *testing.F) {
	for _, s := range []string{
		`{"app":"checkout","version":"v1.2.3"}`,
		`{"app":"checkout","version":"v1","priority":"p0","startAt":"2026-11-24T10:00:00Z","train":"t1"}`,
		`{"app":"","version":""}`, `{"app":"checkout","version":"v1","extra":1}`, `[]`, `{}{}`, `null`, "",
	} {
		f.Add([]byte(s))
	}
	api := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		serveFuzz(t, api, http.MethodPost, "/v1/releases", body)
	})
}

func FuzzAPIReleaseAction(f *testing.F) {
	for _, s := range []struct {
		action uint8
		id     string
		body   string
	}{
		{0, "checkout-v1-abcdef", `{"ring":"canary","reason":"ok"}`},
		{1, "checkout-v1-abcdef", `{"reason":"bad canary"}`},
		{2, "x", `{"reason":""}`},
		{1, "../../etc", `{"reason":1}`},
	} {
		f.Add(s.action, s.id, []byte(s.body))
	}
	api := fuzzAPI(f)
	actions := []string{"/approve", "/abort", "/rollback"}
	f.Fuzz(func(t *testing.T, action uint8, id string, body []byte) {
		serveFuzz(t, api, http.MethodPost, fuzzPath("/v1/releases/", id, actions[int(action)%len(actions)]), body)
	})
}

func FuzzAPIHalt(f *testing.F) {
	for _, s := range []struct {
		resume bool
		id     string
		body   string
	}{
		{false, "", `{"global":true,"reason":"incident"}`},
		{false, "", `{"regions":["eu-west-1"],"rings":["canary"],"apps":["checkout"],"releases":["r1"],"reason":"x"}`},
		{true, "halt-00000000", `{"reason":"fixed"}`},
		{false, "", `{"regions":[""],"reason":"x"}`},
	} {
		f.Add(s.resume, s.id, []byte(s.body))
	}
	api := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, resume bool, id string, body []byte) {
		path := "/v1/halts"
		if resume {
			path = fuzzPath("/v1/halts/", id, "/resume")
		}
		serveFuzz(t, api, http.MethodPost, path, body)
	})
}

func FuzzAPITopology(f *testing.F) {
	src := coordtest.Topology
	f.Add(src)
	f.Add([]byte("apiVersion: v1\nrings: [\n"))
	f.Add([]byte("{}"))
	api := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		serveFuzz(t, api, http.MethodPost, "/v1/topology", body)
	})
}

func FuzzAPICluster(f *testing.F) {
	f.Add(false, []byte(`{"id":"n4","raftAddr":"127.0.0.1:7004","httpAddr":"127.0.0.1:8004"}`))
	f.Add(true, []byte(`{"id":"n4"}`))
	f.Add(false, []byte(`{"id":"n4","raftAddr":"0.0.0.0:1","httpAddr":"https://h:1"}`))
	api := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, remove bool, body []byte) {
		path := "/v1/cluster/join"
		if remove {
			path = "/v1/cluster/remove"
		}
		serveFuzz(t, api, http.MethodPost, path, body)
	})
}
