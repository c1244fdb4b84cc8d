package argocd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/regions/argocd/argocdtest"
)

// get reads appName with a client built from cfg (Server filled from srv).
func get(t *testing.T, cfg ClientConfig) (string, error) {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	app, err := c.Application(context.Background(), appName)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s %s", app.Name, app.Status.Sync.Status, app.Status.Health.Status), nil
}

// TestClientTLS: a TLS server is trusted through a CA bundle given as a
// pool, as PEM or as a file; without it (or with the wrong one) the
// certificate is refused, unless verification is explicitly skipped.
func TestClientTLS(t *testing.T) {
	t.Parallel()
	srv := argocdtest.StartHTTPTestTLS(testToken)
	t.Cleanup(srv.Close)
	srv.Set(appName, argocdtest.State{Sync: "Synced", Revision: c1, Health: "Healthy"})
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, srv.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  ClientConfig
		want string // "ok" or the error text the failure contains
	}{
		{"cert pool", ClientConfig{RootCAs: srv.CertPool()}, "ok"},
		{"CA PEM", ClientConfig{CAPEM: srv.CAPEM()}, "ok"},
		{"CA file", ClientConfig{CAFile: caFile}, "ok"},
		{"system roots only", ClientConfig{}, "certificate signed by unknown authority"},
		{"insecure skip verify", ClientConfig{InsecureSkipVerify: true}, "ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			cfg.Server, cfg.Token = srv.URL(), testToken
			got, err := get(t, cfg)
			switch {
			case tc.want == "ok" && (err != nil || got != appName+" Synced Healthy"):
				t.Errorf("got %q, %v; want the Application", got, err)
			case tc.want != "ok" && (err == nil || !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want ErrUnavailable containing %q", err, tc.want)
			}
		})
	}
}

// TestClientAnswers maps server answers to errors.
func TestClientAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    error
		text    string
	}{
		{"503", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "upstream down", 503) }, ErrUnavailable, "status 503: upstream down"},
		{"403", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			fmt.Fprint(w, `{"error":"permission denied","code":7,"message":"permission denied"}`)
		}, ErrUnauthorized, "argocd: unauthorized (check the token): 403 on application"},
		{"redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example.com/api?token=x", http.StatusTemporaryRedirect)
		}, ErrUnavailable, "redirected (307) to https://elsewhere.example.com/api; put the final URL in argocd.server"},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>login</html>") }, ErrBadResponse, "decode Application"},
		{"another application", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"metadata":{"name":"someone-else"}}`)
		}, ErrBadResponse, `the answer is Application "someone-else"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(tc.handler)
			t.Cleanup(ts.Close)
			_, err := get(t, ClientConfig{Server: ts.URL, Token: testToken})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err = %v, want %v containing %q", err, tc.want, tc.text)
			}
		})
	}
}

// TestClientRequest checks what the client sends: the path under a prefix,
// the escaped name and the bearer token.
func TestClientRequest(t *testing.T) {
	t.Parallel()
	var got string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Method + " " + r.URL.EscapedPath() + " " + r.Header.Get("Authorization")
		http.Error(w, "no", 500)
	}))
	t.Cleanup(ts.Close)
	c, err := NewClient(ClientConfig{Server: ts.URL + "/argo-cd/", Token: " " + testToken + "\n"})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Application(context.Background(), "a b")
	if want := "GET /argo-cd/api/v1/applications/a%20b Bearer " + testToken; got != want {
		t.Errorf("request %q, want %q", got, want)
	}
}

// TestClientTokenFile: the file is read on every request, so a rotated
// token takes effect, and an emptied file is an unauthorized error.
func TestClientTokenFile(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "old-token")
	srv.Set(appName, argocdtest.State{Sync: "Synced", Revision: c1, Health: "Healthy"})
	file := filepath.Join(t.TempDir(), "token")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("old-token\n")
	c, err := NewClient(ClientConfig{Server: srv.URL(), TokenFile: file})
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, step := range []struct{ serverToken, fileToken string }{{"old-token", "old-token"}, {"new-token", "old-token"}, {"new-token", "new-token"}, {"new-token", ""}} {
		srv.SetToken(step.serverToken)
		write(step.fileToken)
		_, err := c.Application(context.Background(), appName)
		results = append(results, fmt.Sprintf("%t", errors.Is(err, ErrUnauthorized)))
	}
	if got, want := strings.Join(results, ","), "false,true,false,true"; got != want {
		t.Errorf("unauthorized per step = %s, want %s", got, want)
	}
}

// TestTokenNeverShown: the token appears in no error and no printed config.
func TestTokenNeverShown(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "the-server-token")
	cfg := ClientConfig{Server: srv.URL(), Token: testToken}
	_, err := get(t, cfg)
	texts := []string{fmt.Sprint(err), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg)}
	for _, s := range texts {
		if strings.Contains(s, testToken) {
			t.Errorf("token leaked: %s", s)
		}
	}
}

// wantConfigErr fails t unless err is ErrConfig and its message contains
// text (what the operator is told to fix).
func wantConfigErr(t *testing.T, err error, text string) {
	t.Helper()
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), text) {
		t.Errorf("err = %v, want ErrConfig containing %q", err, text)
	}
}

// TestClientConfigErrors: bad configurations are refused before anything is
// contacted, with a message saying what to fix.
func TestClientConfigErrors(t *testing.T) {
	t.Parallel()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  ClientConfig
		text string
	}{
		{"not a URL", ClientConfig{Server: "argocd.example.com", Token: "t"}, `server "argocd.example.com" is not an http(s) URL`},
		{"credentials in URL", ClientConfig{Server: "https://admin:pw@argocd.example.com", Token: "t"}, "must not carry credentials"},
		{"no token", ClientConfig{Server: "https://argocd.example.com"}, "no token for https://argocd.example.com"},
		{"blank token", ClientConfig{Server: "https://argocd.example.com", Token: "  "}, "is blank"},
		{"two tokens", ClientConfig{Server: "https://argocd.example.com", Token: "t", TokenFile: empty}, "keep one"},
		{"empty token file", ClientConfig{Server: "https://argocd.example.com", TokenFile: empty}, "is empty"},
		{"missing token file", ClientConfig{Server: "https://argocd.example.com", TokenFile: empty + ".nope"}, "no such file"},
		{"negative timeout", ClientConfig{Server: "https://argocd.example.com", Token: "t", Timeout: -1}, "negative"},
		{"CA without certificates", ClientConfig{Server: "https://argocd.example.com", Token: "t", CAPEM: []byte("junk")}, "holds no PEM certificate"},
		{"CA and insecure", ClientConfig{Server: "https://argocd.example.com", Token: "t", CAPEM: []byte("junk"), InsecureSkipVerify: true}, "keep the CA bundle"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewClient(tc.cfg)
			wantConfigErr(t, err, tc.text)
		})
	}
}

// TestSourceConfigErrors: NewSource refuses what cannot work.
func TestSourceConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  SourceConfig
		text string
	}{
		{"server twice", SourceConfig{Servers: []ClientConfig{{Server: "https://a.example.com", Token: "t"}, {Server: "https://a.example.com/", Token: "u"}}}, "configured twice"},
		{"bad server", SourceConfig{Servers: []ClientConfig{{Server: "ftp://a", Token: "t"}}}, "argocd server 1:"},
		{"default names a server", SourceConfig{Default: &ClientConfig{Server: "https://a.example.com", Token: "t"}}, "leave it empty"},
		{"default without token", SourceConfig{Default: &ClientConfig{}}, "default argocd settings:"},
		{"negative concurrency", SourceConfig{Concurrency: -2}, "concurrency -2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewSource(tc.cfg)
			wantConfigErr(t, err, tc.text)
		})
	}
}
