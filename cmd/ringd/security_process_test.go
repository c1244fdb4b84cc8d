package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/auth"
	"github.com/ringleader-dev/ringleader/internal/certtest"
	"github.com/ringleader-dev/ringleader/internal/poll"
)

// Known secrets planted in the process under test; none may ever appear
// in its output or in an API answer.
const (
	adminToken    = "adm-9f1c7e22b4d04c59a3e1"
	viewerToken   = "vwr-5b0d8e61c2a94f7d8b10"
	icToken       = "inc-c4e9a07b13f2468e9d55"
	unknownToken  = "bad-71aa0c3e9e2f4b8d9c07"
	webhookSecret = "whk-0e8d6c4b2a19f7e5d3c1"
	slackSecret   = "slk-T000B000XXXXXXXXXXXX"
)

// writeTokens writes a tokens file for ada (admin), vera (viewer) and ian
// (incident-commander) and returns its path.
func writeTokens(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "tokens.yaml")
	src := fmt.Sprintf("tokens:\n  - {name: ada, role: admin, sha256: %s}\n  - {name: vera, role: viewer, sha256: %s}\n  - {name: ian, role: incident-commander, sha256: %s}\n",
		auth.HashSHA256(adminToken), auth.HashSHA256(viewerToken), auth.HashSHA256(icToken))
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// call sends one request with an optional bearer token through client.
func call(t *testing.T, client *http.Client, token, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestRingdRefusesUnsafeSecurityFlags: no tokens without the explicit
// opt-out, and half-configured TLS names the missing flag.
func TestRingdRefusesUnsafeSecurityFlags(t *testing.T) {
	base := []string{"--node-id", "n1", "--data-dir", "x"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no tokens", nil, "--tokens-file is required"},
		{"tokens and insecure", []string{"--tokens-file", "t.yaml", "--insecure-no-auth"}, "exclude each other"},
		{"oidc without audience", []string{"--oidc-issuer", "https://id.example.com"}, "--oidc-issuer and --oidc-audience go together"},
		{"cert without key", []string{"--insecure-no-auth", "--tls-cert", "c.pem"}, "--tls-key missing"},
		{"key without cert", []string{"--insecure-no-auth", "--tls-key", "k.pem"}, "--tls-cert missing"},
		{"client CA without cert", []string{"--insecure-no-auth", "--tls-client-ca", "ca.pem"}, "--tls-client-ca needs --tls-cert"},
		{"raft cert only", []string{"--insecure-no-auth", "--raft-tls-cert", "c.pem"}, "--raft-tls-key, --raft-tls-ca missing"},
		{"raft without CA", []string{"--insecure-no-auth", "--raft-tls-cert", "c.pem", "--raft-tls-key", "k.pem"}, "--raft-tls-ca missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseFlags(append(append([]string{}, base...), tc.args...), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseFlags = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestRingdNeverRevealsSecrets runs the real binary with known tokens, a
// webhook signing secret and a Slack URL carrying a secret, exercises it
// (valid, invalid and missing tokens, wrong role, bad input, status, audit,
// a token reload with a broken file) and asserts that none of the secrets
// appears in its output or in any answer.
func TestRingdNeverRevealsSecrets(t *testing.T) {
	dir := t.TempDir()
	tokens := writeTokens(t, dir)
	secretFile := filepath.Join(dir, "webhook.secret")
	if err := os.WriteFile(secretFile, []byte(webhookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer hook.Close()
	p := launch(t, "n1", filepath.Join(dir, "n1"), "http",
		[]string{"RINGD_NOTIFY_SLACK_URL=http://127.0.0.1:1/services/" + slackSecret},
		"--bootstrap", "--tokens-file", tokens, "--tokens-reload-interval", "100ms",
		"--notify-webhook-url", hook.URL, "--notify-webhook-secret-file", secretFile)
	c := &http.Client{Timeout: 10 * time.Second}
	poll.Until(t, 30*time.Second, "the node to be ready", func() bool {
		code, _, _ := call(t, c, viewerToken, "GET", p.http+"/readyz", "")
		return code == 200
	})
	// Ready is not yet adopted: the leader loop adopts --topology on its
	// first pass, and a release created before that is refused (422).
	poll.Until(t, 30*time.Second, "the topology to be adopted", func() bool {
		code, _, body := call(t, c, viewerToken, "GET", p.http+"/v1/status", "")
		return code == 200 && strings.Contains(body, `"topologyRevision"`)
	})

	var answers []string
	steps := []struct {
		token, method, path, body string
		want                      int
	}{
		{"", "GET", "/v1/status", "", 401},
		{unknownToken, "GET", "/v1/status", "", 401},
		{unknownToken, "POST", "/v1/halts", `{"global":true,"reason":"x"}`, 401},
		{viewerToken, "POST", "/v1/halts", `{"global":true,"reason":"x"}`, 403},
		{viewerToken, "GET", "/v1/status", "", 200},
		{adminToken, "POST", "/v1/releases", `{"app":"checkout","version":"v1.0.0"}`, 201},
		{adminToken, "POST", "/v1/releases", `{"app":"checkout","version":"v1","token":"` + adminToken + `"}`, 400},
		{icToken, "POST", "/v1/halts", `{"global":true,"reason":"incident 7"}`, 201},
		{icToken, "POST", "/v1/releases", `{"app":"checkout","version":"v2"}`, 403},
		{adminToken, "GET", "/v1/releases/nope", "", 404},
		{viewerToken, "GET", "/v1/audit", "", 200},
		{viewerToken, "GET", "/v1/halts", "", 200},
		{viewerToken, "GET", "/v1/cluster/members", "", 200},
	}
	for _, s := range steps {
		code, hdr, body := call(t, c, s.token, s.method, p.http+s.path, s.body)
		if code != s.want {
			t.Errorf("%s %s = %d %s; want %d", s.method, s.path, code, body, s.want)
		}
		answers = append(answers, fmt.Sprint(hdr), body)
	}
	// The audit trail names ian and his reason.
	_, _, audit := call(t, c, viewerToken, "GET", p.http+"/v1/audit?actor=ian", "")
	if !strings.Contains(audit, `"role": "incident-commander"`) || !strings.Contains(audit, "incident 7") {
		t.Errorf("audit for ian lacks role or reason: %s", audit)
	}
	// A broken tokens file is reported and the old tokens keep working.
	if err := os.WriteFile(tokens, []byte("tokens:\n  - {name: ada, role: admin, sha256: "+adminToken+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "the bad reload to be logged", func() bool { return strings.Contains(p.out.String(), "tokens file reload failed") })
	if code, _, body := call(t, c, viewerToken, "GET", p.http+"/v1/status", ""); code != 200 {
		t.Errorf("status after a bad reload = %d %s; want 200 with the last good tokens", code, body)
	}

	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
	out := p.out.String()
	for _, secret := range []string{adminToken, viewerToken, icToken, unknownToken, webhookSecret, slackSecret} {
		if strings.Contains(out, secret) {
			t.Errorf("ringd output contains secret %q", secret)
		}
		for _, a := range answers {
			if strings.Contains(a, secret) {
				t.Errorf("an API answer contains secret %q: %s", secret, a)
			}
		}
	}
	if !strings.Contains(out, "api request refused") {
		t.Error("refused requests were not logged")
	}
}

// TestRingdOverTLS: two nodes with an HTTPS API (client certificates
// required) and mutual TLS between Raft nodes; the second joins over HTTPS
// with an admin token from a file, a write sent to the follower is
// forwarded to the leader over TLS, and a client without a certificate is
// refused at the handshake.
func TestRingdOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two ringd processes")
	}
	dir := t.TempDir()
	ca := certtest.NewCA(t, "ringleader-test")
	caFile := ca.WriteCA(t, dir, "ca.pem")
	tokens := writeTokens(t, dir)
	joinToken := filepath.Join(dir, "join.token")
	if err := os.WriteFile(joinToken, []byte(adminToken), 0o600); err != nil {
		t.Fatal(err)
	}
	flags := func(id string) []string {
		cert, key := ca.Issue(t, id).Write(t, dir, id)
		rcert, rkey := ca.Issue(t, id+"-raft").Write(t, dir, id+"-raft")
		return []string{"--tokens-file", tokens, "--tls-cert", cert, "--tls-key", key, "--tls-client-ca", caFile, "--tls-ca", caFile,
			"--raft-tls-cert", rcert, "--raft-tls-key", rkey, "--raft-tls-ca", caFile}
	}
	n1 := launch(t, "n1", filepath.Join(dir, "n1"), "https", nil, append(flags("n1"), "--bootstrap")...)
	n2 := launch(t, "n2", filepath.Join(dir, "n2"), "https", nil, append(flags("n2"), "--join", n1.http, "--join-token-file", joinToken)...)

	client := ca.Issue(t, "ringctl")
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: ca.Pool(), Certificates: []tls.Certificate{client.TLS},
	}}}
	poll.Until(t, 30*time.Second, "two members over TLS", func() bool {
		code, _, body := call(t, c, viewerToken, "GET", n2.http+"/v1/cluster/members", "")
		return code == 200 && strings.Count(body, `"voter": true`) == 2
	})
	code, _, body := call(t, c, icToken, "POST", n2.http+"/v1/halts", `{"global":true,"reason":"tls forward"}`)
	if code != http.StatusCreated {
		t.Fatalf("halt through the follower over TLS = %d %s; want 201", code, body)
	}
	noCert := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	if code, _, body := call(t, noCert, viewerToken, "GET", n1.http+"/v1/status", ""); code != 0 {
		t.Errorf("a client without a certificate got %d %s; want the handshake refused", code, body)
	}
	plain := &http.Client{Timeout: 10 * time.Second}
	if code, _, _ := call(t, plain, viewerToken, "GET", strings.Replace(n1.http, "https://", "http://", 1)+"/v1/status", ""); code == 200 {
		t.Error("the API answered plain HTTP")
	}
}
