package gitops_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/gittest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

func TestParseTopologyURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, repo, path string
		bad            bool
	}{
		{in: "https://host/repo.git#path/rings.yaml", repo: "https://host/repo.git", path: "path/rings.yaml"},
		{in: "git@host:org/repo.git#/rings.yaml", repo: "git@host:org/repo.git", path: "rings.yaml"},
		{in: "git://127.0.0.1:9418/x.git#a/./b.yaml", repo: "git://127.0.0.1:9418/x.git", path: "a/b.yaml"},
		{in: "https://host/repo.git", bad: true},
		{in: "https://host/repo.git#", bad: true},
		{in: "#rings.yaml", bad: true},
		{in: "https://host/repo.git#../etc/passwd", bad: true},
	}
	for _, c := range cases {
		repo, path, err := gitops.ParseTopologyURL(c.in)
		if c.bad {
			if !errors.Is(err, gitops.ErrInvalid) {
				t.Errorf("%q: err = %v, want ErrInvalid", c.in, err)
			}
			continue
		}
		if err != nil || repo != c.repo || path != c.path {
			t.Errorf("%q: got (%q, %q, %v), want (%q, %q)", c.in, repo, path, err, c.repo, c.path)
		}
	}
}

func TestTopologySourceReadsAndWatches(t *testing.T) {
	t.Parallel()
	srv := gittest.Start(t)
	url := srv.NewRepo(t, "config", map[string]string{"platform/rings.yaml": "version: 1\n"})
	src, err := gitops.NewTopologySource(gitops.TopologyConfig{Location: url + "#platform/rings.yaml",
		Dir: filepath.Join(t.TempDir(), "topo"), Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	content, rev, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if string(content) != "version: 1\n" || rev != srv.Head(t, "config") {
		t.Errorf("read (%q, %s), want (%q, %s)", content, rev, "version: 1\n", srv.Head(t, "config"))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := make(chan string, 10)
	go func() {
		_ = src.Watch(ctx, func(c []byte, _ string) { changes <- string(c) }, nil)
	}()
	wait := func(want string) {
		t.Helper()
		select {
		case got := <-changes:
			if got != want {
				t.Errorf("change %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no change %q within 10s", want)
		}
	}
	wait("version: 1\n")
	// An unrelated commit does not count as a change; the next edit does.
	dir := t.TempDir()
	gittest.Run(t, dir, "clone", "--quiet", url, "wc")
	wc := filepath.Join(dir, "wc")
	gittest.Run(t, wc, "commit", "--quiet", "--allow-empty", "-m", "unrelated")
	gittest.Run(t, wc, "push", "--quiet", "origin", "main")
	if err := os.WriteFile(filepath.Join(wc, "platform", "rings.yaml"), []byte("version: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Run(t, wc, "commit", "--quiet", "-am", "v2")
	gittest.Run(t, wc, "push", "--quiet", "origin", "main")
	wait("version: 2\n")
}

func TestTopologySourceMissingFile(t *testing.T) {
	t.Parallel()
	srv := gittest.Start(t)
	url := srv.NewRepo(t, "config", map[string]string{"README.md": "x\n"})
	src, err := gitops.NewTopologySource(gitops.TopologyConfig{Location: url + "#rings.yaml", Dir: filepath.Join(t.TempDir(), "topo")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.Read(context.Background()); !errors.Is(err, gitops.ErrInvalid) || !strings.Contains(err.Error(), "rings.yaml does not exist") {
		t.Errorf("err = %v, want a missing-file error", err)
	}
}

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Secrets given by environment or URL never appear in errors.
func TestSecretsStayOutOfErrors(t *testing.T) {
	const token, urlSecret = "tok-s3cr3t-value", "url-s3cr3t-value"
	t.Setenv("RL_TEST_TOKEN", token)
	top := func() *topology.Topology { return testTopology() }
	cases := []struct {
		name string
		cfg  gitops.Config
	}{
		{"token from env", gitops.Config{URL: "http://" + closedPort(t) + "/gitops.git",
			Auth: gitops.Auth{Username: "bot", PasswordEnv: "RL_TEST_TOKEN"}}},
		{"password in url", gitops.Config{URL: "http://bot:" + urlSecret + "@" + closedPort(t) + "/gitops.git"}},
	}
	for _, c := range cases {
		c.cfg.Dir = filepath.Join(t.TempDir(), "wc")
		w, err := gitops.New(c.cfg, top)
		if err == nil {
			_, err = w.Promote(context.Background(), promotion("cart", "main", "v1", "p", "us-east-1"))
		}
		if err == nil {
			t.Errorf("%s: promote against a closed port succeeded", c.name)
			continue
		}
		if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), urlSecret) {
			t.Errorf("%s: error leaks a secret: %v", c.name, err)
		}
		t.Logf("%s: %v", c.name, err)
	}
}

func TestAuthConfigErrors(t *testing.T) {
	t.Setenv("RL_EMPTY", "")
	keyFile := filepath.Join(t.TempDir(), "id")
	if err := os.WriteFile(keyFile, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		auth     gitops.Auth
		mentions string
		leaks    string
	}{
		{"unset env", gitops.Auth{PasswordEnv: "RL_EMPTY"}, "environment variable RL_EMPTY is not set", ""},
		{"missing password file", gitops.Auth{PasswordFile: "/nonexistent/token"}, "read password file /nonexistent/token", ""},
		{"malformed ssh key", gitops.Auth{SSHKeyFile: keyFile}, "parse ssh private key", "bm90IGEga2V5"},
	}
	for _, c := range cases {
		_, err := gitops.New(gitops.Config{URL: "ssh://git@127.0.0.1/x.git", Dir: filepath.Join(t.TempDir(), "wc"), Auth: c.auth},
			func() *topology.Topology { return testTopology() })
		if err == nil || !strings.Contains(err.Error(), c.mentions) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.mentions)
		}
		if c.leaks != "" && err != nil && strings.Contains(err.Error(), c.leaks) {
			t.Errorf("%s: error leaks the key: %v", c.name, err)
		}
	}
}
