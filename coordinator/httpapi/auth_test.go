package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/auth"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

// testTokens are one identity per role; the token is "tok-<name>".
var testTokens = map[auth.Role]string{
	auth.RoleViewer:            "vera",
	auth.RoleReleaser:          "rex",
	auth.RoleApprover:          "april",
	auth.RoleIncidentCommander: "ian",
	auth.RoleAdmin:             "ada",
}

func tokenOf(name string) string { return "tok-" + name + "-7f3a9c" }

// testTokenSet is the token set of testTokens.
func testTokenSet(t testing.TB) *auth.Set {
	t.Helper()
	var b strings.Builder
	b.WriteString("tokens:\n")
	for _, r := range auth.Roles {
		n := testTokens[r]
		fmt.Fprintf(&b, "  - {name: %s, role: %s, sha256: %s}\n", n, r, auth.HashSHA256(tokenOf(n)))
	}
	s, err := auth.Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// secureNode is a real single-server Node behind a secured API.
type secureNode struct {
	node *store.Node
	api  *API
	url  string
}

// startSecureNode starts a bootstrapped node with the API secured by
// testTokens and the test topology adopted.
func startSecureNode(t *testing.T, sec SecurityConfig) *secureNode {
	t.Helper()
	if sec.Tokens == nil {
		sec.Tokens = testTokenSet(t)
	}
	n, api := startNodeAPI(t, "n1", t.TempDir(), true, func(_ *store.Node, c *APIConfig) {
		c.Security = sec
		*c = withOptionalRoutes(*c)
	})
	poll.Until(t, 20*time.Second, "n1 to lead", n.Node.IsLeader)
	sn := &secureNode{node: n.Node, api: api, url: n.URL}
	src := coordtest.Topology
	if code, body := sn.do(t, "ada", "POST", "/v1/topology", string(src)); code != http.StatusOK {
		t.Fatalf("adopt topology: %d %s", code, body)
	}
	return sn
}

// do sends one request as the identity name ("" = no token, "!bad" = a
// token nobody has) and returns status and body.
func (s *secureNode) do(t testing.TB, who, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	switch who {
	case "":
	case "!bad":
		req.Header.Set("Authorization", "Bearer not-a-known-token")
	default:
		req.Header.Set("Authorization", "Bearer "+tokenOf(who))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// createRelease makes a fresh release as ada and returns its ID.
func (s *secureNode) createRelease(t testing.TB) string {
	t.Helper()
	code, body := s.do(t, "ada", "POST", "/v1/releases", `{"app":"checkout","version":"v1.2.3"}`)
	if code != http.StatusCreated {
		t.Fatalf("create release: %d %s", code, body)
	}
	var rel struct{ ID string }
	if err := json.Unmarshal([]byte(body), &rel); err != nil {
		t.Fatal(err)
	}
	return rel.ID
}

// placeHalt places a fresh halt as ada and returns its ID.
func (s *secureNode) placeHalt(t testing.TB) string {
	t.Helper()
	code, body := s.do(t, "ada", "POST", "/v1/halts", `{"apps":["checkout"],"reason":"matrix"}`)
	if code != http.StatusCreated {
		t.Fatalf("place halt: %d %s", code, body)
	}
	var h struct{ ID string }
	_ = json.Unmarshal([]byte(body), &h)
	return h.ID
}

// routeSample is a request that exercises one route, and the status an
// authorized caller gets.
type routeSample struct {
	path func(t testing.TB, s *secureNode) string
	body string
	want int
}

func fixed(p string) func(testing.TB, *secureNode) string {
	return func(testing.TB, *secureNode) string { return p }
}

// routeSamples covers the routes registered here. A route another change
// registers without a sample is still checked for 401/403 with a generic
// request (see TestRouteRoleMatrix).
var routeSamples = map[string]routeSample{
	"GET /healthz":          {path: fixed("/healthz"), want: 200},
	"GET /readyz":           {path: fixed("/readyz"), want: 200},
	"GET /v1/releases":      {path: fixed("/v1/releases"), want: 200},
	"POST /v1/releases":     {path: fixed("/v1/releases"), body: `{"app":"checkout","version":"v2.0.0"}`, want: 201},
	"GET /v1/releases/{id}": {path: func(t testing.TB, s *secureNode) string { return "/v1/releases/" + s.createRelease(t) }, want: 200},
	"POST /v1/releases/{id}/approve": {path: func(t testing.TB, s *secureNode) string {
		return "/v1/releases/" + s.createRelease(t) + "/approve"
	}, body: `{"ring":"no-such-ring"}`, want: 404},
	"POST /v1/releases/{id}/abort": {path: func(t testing.TB, s *secureNode) string {
		return "/v1/releases/" + s.createRelease(t) + "/abort"
	}, body: `{"reason":"matrix"}`, want: 200},
	"POST /v1/releases/{id}/rollback": {path: func(t testing.TB, s *secureNode) string {
		return "/v1/releases/" + s.createRelease(t) + "/rollback"
	}, body: `{"reason":"matrix"}`, want: 200},
	"GET /v1/halts":  {path: fixed("/v1/halts"), want: 200},
	"POST /v1/halts": {path: fixed("/v1/halts"), body: `{"regions":["eu-west-1"],"reason":"matrix"}`, want: 201},
	"POST /v1/halts/{id}/resume": {path: func(t testing.TB, s *secureNode) string {
		return "/v1/halts/" + s.placeHalt(t) + "/resume"
	}, body: `{"reason":"matrix"}`, want: 200},
	"GET /v1/topology":        {path: fixed("/v1/topology"), want: 200},
	"POST /v1/topology":       {path: fixed("/v1/topology"), body: "not: [a topology", want: 400},
	"GET /v1/status":          {path: fixed("/v1/status"), want: 200},
	"GET /v1/audit":           {path: fixed("/v1/audit?limit=5"), want: 200},
	"GET /v1/cluster/members": {path: fixed("/v1/cluster/members"), want: 200},
	"GET /v1/cluster/leader":  {path: fixed("/v1/cluster/leader"), want: 200},
	"POST /v1/cluster/join":   {path: fixed("/v1/cluster/join"), body: `{"id":"n9"}`, want: 400},
	"POST /v1/cluster/remove": {path: fixed("/v1/cluster/remove"), body: `{"id":"ghost"}`, want: 404},
	"/v1/":                    {path: fixed("/v1/no-such-route"), want: 404},
	// Optional handlers, served by okHandler here.
	"GET /v1/events":  {path: fixed("/v1/events"), want: 200},
	"GET /metrics":    {path: fixed("/metrics"), want: 200},
	"GET /{$}":        {path: fixed("/"), want: 200},
	"GET /ui/static/": {path: fixed("/ui/static/app.js"), want: 200},
	"GET /ui/board":   {path: fixed("/ui/board"), want: 200},
}

// okHandler stands in for the optional handlers (events, metrics,
// dashboard) so their routes are registered and checked.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

// withOptionalRoutes sets every optional handler of cfg.
func withOptionalRoutes(cfg APIConfig) APIConfig {
	cfg.Events, cfg.Metrics, cfg.Dashboard = okHandler, okHandler, okHandler
	return cfg
}

// genericSample builds a request for a route without a sample: the
// pattern's method (GET when none), wildcards filled in, an empty object.
func genericSample(pattern string) (method, path, body string) {
	method, path = "GET", pattern
	if m, p, ok := strings.Cut(pattern, " "); ok {
		method, path = m, p
	}
	var b strings.Builder
	for seg := range strings.SplitSeq(path, "/") {
		if b.Len() > 0 || strings.HasPrefix(path, "/") {
			b.WriteString("/")
		}
		switch {
		case seg == "{$}":
			seg = ""
		case strings.HasPrefix(seg, "{"):
			seg = "x1"
		}
		b.WriteString(seg)
	}
	path = strings.TrimPrefix(b.String(), "/")
	if method != "GET" {
		body = "{}"
	}
	return method, path, body
}

// TestEveryRouteHasAPermission: every route the API registers has an entry
// in RoutePermissions (otherwise it silently requires admin).
func TestEveryRouteHasAPermission(t *testing.T) {
	api, err := NewAPI(withOptionalRoutes(APIConfig{Store: coordtest.NewStore(true), Logger: coordtest.Discard()}))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range api.Routes() {
		if _, ok := RoutePermissions[p]; !ok {
			t.Errorf("route %q has no entry in RoutePermissions (coordinator/httpapi/auth_routes.go): declare the permission it needs", p)
		}
	}
}

// TestRouteRoleMatrix sends every registered route as every role, without
// a token and with an unknown token, through the real HTTP server of a
// real node: 401 without or with a bad token, 403 for a role without the
// route's permission, the route's own answer otherwise.
func TestRouteRoleMatrix(t *testing.T) {
	s := startSecureNode(t, SecurityConfig{WriteRate: -1})
	for _, pattern := range s.api.Routes() {
		perm := permissionFor(pattern)
		sample, hasSample := routeSamples[pattern]
		callers := []string{"", "!bad"}
		for _, r := range auth.Roles {
			callers = append(callers, testTokens[r])
		}
		for _, who := range callers {
			name := who
			if name == "" {
				name = "no-token"
			}
			t.Run(pattern+"/"+name, func(t *testing.T) {
				method, path, body := genericSample(pattern)
				if hasSample {
					path, body = sample.path(t, s), sample.body
				}
				code, out := s.do(t, who, method, path, body)
				var want int
				switch {
				case perm == auth.PermPublic:
					want = sample.want // the route's own answer for anyone
				case who == "" || who == "!bad":
					want = http.StatusUnauthorized
				default:
					if !roleOf(who).Grants(perm) {
						want = http.StatusForbidden
					} else if hasSample {
						want = sample.want
					}
				}
				if want == 0 { // an allowed call to a route without a sample
					if code == 401 || code == 403 || code >= 500 {
						t.Errorf("%s %s as %s = %d %s; want the route's own answer", method, path, name, code, out)
					}
					return
				}
				if code != want {
					t.Errorf("%s %s as %s = %d %s; want %d", method, path, name, code, out, want)
				}
				if code == http.StatusForbidden && !strings.Contains(out, string(auth.RolesWith(perm)[0])) {
					t.Errorf("403 body %s does not name the role needed (%s)", out, auth.Describe(perm))
				}
				for _, tok := range testTokens {
					if strings.Contains(out, tokenOf(tok)) || strings.Contains(out, "not-a-known-token") {
						t.Errorf("answer contains a token: %s", out)
					}
				}
			})
		}
	}
}

func roleOf(name string) auth.Role {
	for r, n := range testTokens {
		if n == name {
			return r
		}
	}
	return ""
}

// TestOpenProbesServeWithoutToken: --open-healthz and --open-metrics style
// options serve the probes without a token; everything else still needs one.
func TestOpenProbesServeWithoutToken(t *testing.T) {
	nodes := map[string]*secureNode{
		"none":        startSecureNode(t, SecurityConfig{}),
		"OpenHealth":  startSecureNode(t, SecurityConfig{OpenHealth: true}),
		"OpenMetrics": startSecureNode(t, SecurityConfig{OpenMetrics: true}),
	}
	cases := []struct {
		option, path string
		want         int
	}{
		{"OpenHealth", "/healthz", 200},
		{"OpenHealth", "/readyz", 200},
		{"OpenHealth", "/metrics", 401},
		{"OpenHealth", "/v1/status", 401},
		{"OpenMetrics", "/metrics", 200},
		{"OpenMetrics", "/healthz", 401},
		{"OpenMetrics", "/v1/status", 401},
		{"none", "/metrics", 401},
		{"none", "/healthz", 401},
	}
	for _, c := range cases {
		if code, _ := nodes[c.option].do(t, "", "GET", c.path, ""); code != c.want {
			t.Errorf("with %s: GET %s without token = %d, want %d", c.option, c.path, code, c.want)
		}
	}
}

// TestRateLimitIsPerIdentity: a releaser flooding writes gets 429 with
// Retry-After, while an incident commander's halt still goes through.
func TestRateLimitIsPerIdentity(t *testing.T) {
	s := startSecureNode(t, SecurityConfig{WriteRate: 0.01, WriteBurst: 3})
	var got429 bool
	var retry string
	for range 10 {
		req, _ := http.NewRequest("POST", s.url+"/v1/releases", strings.NewReader(`{"app":"checkout","version":"v9"}`))
		req.Header.Set("Authorization", "Bearer "+tokenOf("rex"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			got429, retry = true, resp.Header.Get("Retry-After")
			break
		}
	}
	if !got429 {
		t.Fatal("the releaser's flood was never limited")
	}
	if retry == "" || retry == "0" {
		t.Errorf("429 without a usable Retry-After (%q)", retry)
	}
	if code, body := s.do(t, "ian", "POST", "/v1/halts", `{"global":true,"reason":"incident 42"}`); code != http.StatusCreated {
		t.Errorf("incident commander's halt during the flood = %d %s, want 201", code, body)
	}
	if code, _ := s.do(t, "rex", "GET", "/v1/status", ""); code != http.StatusOK {
		t.Errorf("reads are not rate-limited: GET /v1/status = %d, want 200", code)
	}
}

// TestForwardedHeaderGrantsNothing: a request that claims to have been
// forwarded by a follower is authenticated like any other.
func TestForwardedHeaderGrantsNothing(t *testing.T) {
	s := startSecureNode(t, SecurityConfig{})
	req, _ := http.NewRequest("POST", s.url+"/v1/halts", strings.NewReader(`{"global":true,"reason":"x"}`))
	req.Header.Set(HeaderForwarded, "n2:7070")
	req.Header.Set(apiclient.HeaderActor, "ada")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged forwarded write without token = %d, want 401", resp.StatusCode)
	}
}

// TestTokenReloadTakesEffect: a token added to the file works after a
// reload; a broken file keeps the previous tokens.
func TestTokenReloadTakesEffect(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf("tokens:\n  - {name: ada, role: admin, sha256: %s}\n", auth.HashSHA256(tokenOf("ada"))))
	rl, err := auth.NewReloader(path, time.Hour, coordtest.Discard())
	if err != nil {
		t.Fatal(err)
	}
	s := startSecureNode(t, SecurityConfig{Tokens: rl})
	if code, _ := s.do(t, "vera", "GET", "/v1/status", ""); code != 401 {
		t.Fatalf("vera before reload = %d, want 401", code)
	}
	write(fmt.Sprintf("tokens:\n  - {name: ada, role: admin, sha256: %s}\n  - {name: vera, role: viewer, sha256: %s}\n",
		auth.HashSHA256(tokenOf("ada")), auth.HashSHA256(tokenOf("vera"))))
	if changed, err := rl.Check(); !changed || err != nil {
		t.Fatalf("reload = %v, %v", changed, err)
	}
	if code, _ := s.do(t, "vera", "GET", "/v1/status", ""); code != 200 {
		t.Errorf("vera after reload = %d, want 200", code)
	}
	write("tokens: [{name: broken")
	if _, err := rl.Check(); err == nil {
		t.Fatal("a broken tokens file reloaded without error")
	}
	if code, _ := s.do(t, "vera", "GET", "/v1/status", ""); code != 200 {
		t.Errorf("vera after a bad reload = %d, want 200 (last good set)", code)
	}
}
