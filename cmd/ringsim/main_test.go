package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/demo"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/regionsim"
	"github.com/ringleader-dev/ringleader/internal/seedrepo"
	"github.com/ringleader-dev/ringleader/internal/syncbuf"
)

// TestRingsimServesTheRegions runs ringsim with the flags the end-to-end
// suite passes, reads an Application through its Argo CD API, and stops it
// the way SIGTERM does.
func TestRingsimServesTheRegions(t *testing.T) {
	dir := t.TempDir()
	gs, err := demo.StartGitServer(filepath.Join(dir, "git"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gs.Stop)
	src, top, err := demo.Topology(demo.TopologyOptions{RepoURL: gs.URL(demo.RepoName), ArgoCDServer: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := seedrepo.Files(top, demo.InitialVersions, nil)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := gs.CreateRepo(demo.RepoName, "main", files)
	if err != nil {
		t.Fatal(err)
	}
	topoFile, tokenFile, addrFile := filepath.Join(dir, "rings.yaml"), filepath.Join(dir, "token"), filepath.Join(dir, "sim.json")
	if err := os.WriteFile(topoFile, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	out := &syncbuf.Buffer{}
	exited, code := make(chan struct{}), -1
	go func() {
		defer close(exited)
		code = run(ctx, []string{"--repo", repo, "--branch", "main", "--topology", topoFile,
			"--argocd-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--control-addr", "127.0.0.1:0",
			"--token-file", tokenFile, "--addr-file", addrFile, "--mode", "degraded", "--sync-delay", "200ms"}, out, out)
	}()
	t.Cleanup(func() { stop(); <-exited })

	var addrs regionsim.Addrs
	printed := regexp.MustCompile(`(?m)^ringsim: argocd=(\S+) metrics=(\S+) control=(\S+) pid=\d+$`)
	// The line is printed around the time the file is written and may
	// still be in the pipe: wait for both.
	poll.Until(t, 30*time.Second, "the addr file and the printed addresses", func() bool {
		b, err := os.ReadFile(addrFile)
		return err == nil && json.Unmarshal(b, &addrs) == nil && addrs.ArgoCD != "" && printed.MatchString(out.String())
	})
	line := printed.FindStringSubmatch(out.String())
	if line == nil || line[1] != addrs.ArgoCD || line[2] != addrs.Metrics || line[3] != addrs.Control {
		t.Errorf("printed %q, want one line with the addresses of %+v", out.String(), addrs)
	}

	req, _ := http.NewRequest(http.MethodGet, addrs.ArgoCD+"/api/v1/applications/checkout-us-east-1", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var app struct {
		Status struct {
			Sync struct {
				Status   string `json:"status"`
				Revision string `json:"revision"`
			} `json:"sync"`
			Health struct {
				Status string `json:"status"`
			} `json:"health"`
		} `json:"status"`
	}
	err = json.NewDecoder(resp.Body).Decode(&app)
	resp.Body.Close()
	head, _ := gs.Git(demo.RepoName, "rev-parse", "main")
	if err != nil || app.Status.Sync.Status != "Synced" || app.Status.Sync.Revision != head || app.Status.Health.Status != "Healthy" {
		t.Errorf("checkout-us-east-1: %+v (%v), want Synced at %s and Healthy", app.Status, err, head)
	}

	stop()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("ringsim did not stop within 10s of being told to")
	}
	if code != 0 {
		t.Errorf("ringsim returned %d after being told to stop, want 0; output:\n%s", code, out)
	}
}

func TestRingsimRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"nothing", nil, "--repo is required"},
		{"bad mode", []string{"--repo", "git://x/y.git", "--topology", "t", "--token-file", "f", "--mode", "loud"}, `--mode "loud": want metrics or degraded`},
		{"bad log level", []string{"--repo", "git://x/y.git", "--topology", "t", "--token-file", "f", "--log-level", "loud"}, `--log-level "loud"`},
		{"arguments", []string{"--repo", "git://x/y.git", "--topology", "t", "--token-file", "f", "now"}, "takes flags only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr strings.Builder
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and a message saying %q", code, stderr.String(), tc.want)
			}
		})
	}
}
