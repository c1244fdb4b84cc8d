package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/demo"
	"github.com/ringleader-dev/ringleader/internal/syncbuf"
)

// TestSimRegionsProcess runs `ringd sim-regions` the way the end-to-end
// suite does and reads an Application through its Argo CD API.
func TestSimRegionsProcess(t *testing.T) {
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
	files, err := demo.SeedFiles(top, demo.InitialVersions, nil)
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
	cmd := exec.Command(ringdBinary(t), "sim-regions", "--repo", repo, "--branch", "main", "--topology", topoFile,
		"--argocd-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--control-addr", "127.0.0.1:0",
		"--token-file", tokenFile, "--addr-file", addrFile, "--mode", "degraded", "--sync-delay", "200ms")
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })

	var addrs demo.Addrs
	printed := regexp.MustCompile(`(?m)^sim-regions: argocd=(\S+) metrics=(\S+) control=(\S+) pid=\d+$`)
	// The line is printed around the time the file is written and may
	// still be in the pipe: wait for both.
	pollUntil(t, "the addr file and the printed addresses", func() bool {
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

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("sim-regions did not stop within 10s of SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("sim-regions exited %d after SIGTERM, want 0", code)
	}
}

func TestSimRegionsRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"nothing", nil, "--repo is required"},
		{"bad mode", []string{"--repo", "git://x/y.git", "--topology", "t", "--token-file", "f", "--mode", "loud"}, `--mode "loud": want metrics or degraded`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command(ringdBinary(t), append([]string{"sim-regions"}, tc.args...)...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Errorf("got %v: %s; want a failure saying %q", err, out, tc.want)
			}
		})
	}
}

func TestDemoRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"soak scale", []string{"--soak-scale", "0"}, "--soak-scale"},
		{"arguments", []string{"now"}, "takes flags only"},
		{"open to the network", []string{"--http-addr", "0.0.0.0:8080"}, "loopback only"},
		{"not host:port", []string{"--http-addr", "8080"}, "--http-addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			if code := runDemo(tc.args, &strings.Builder{}, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and a message naming %q", code, stderr.String(), tc.want)
			}
		})
	}
}
