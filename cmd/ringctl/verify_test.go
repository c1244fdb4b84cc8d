package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/gittest"
	"github.com/ringleader-dev/ringleader/rings"
)

// pushCommits pushes empty commits with the given messages through the
// daemon.
func pushCommits(t *testing.T, url string, msgs ...string) {
	t.Helper()
	dir := t.TempDir()
	gittest.Run(t, dir, "clone", "--quiet", url, "wc")
	wc := filepath.Join(dir, "wc")
	for _, m := range msgs {
		gittest.Run(t, wc, "commit", "--quiet", "--allow-empty", "-m", m)
	}
	gittest.Run(t, wc, "push", "--quiet", "origin", "main")
}

func runRingctl(args ...string) (string, error) {
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestVerifyHistoryCommand(t *testing.T) {
	t.Parallel()
	srv := gittest.Start(t)
	p := rings.Promotion{ReleaseID: "r1", App: "checkout", Ring: "early", Regions: []string{"eu-west-1"}, Version: "v2", PromotionID: "p1"}
	clean := srv.NewRepo(t, "clean", map[string]string{"README.md": "x\n"})
	pushCommits(t, clean, gitops.CommitMessage(p))
	dup := srv.NewRepo(t, "dup", map[string]string{"README.md": "x\n"})
	pushCommits(t, dup, gitops.CommitMessage(p), gitops.CommitMessage(p))

	example := filepath.Join("..", "..", "manifests", "examples", "rings.yaml")
	cases := []struct {
		name     string
		url      string
		extra    []string
		exit     int
		mentions []string
	}{
		{"clean history", clean, nil, 0, []string{"verified 2 commits, 1 promotions on main", ": ok"}},
		// The example topology starts with ring canary: an "early" promotion
		// without one breaks ring order.
		{"ring order from the topology file", clean, []string{"--topology", example}, 1,
			[]string{"ring-order", "before any promotion of ring canary"}},
		{"duplicate promotion", dup, nil, 1, []string{"duplicate", "promotion p1 already landed", "1 violation(s)"}},
	}
	for _, c := range cases {
		out, err := runRingctl(append([]string{"verify-history", "--repo", c.url, "--branch", "main"}, c.extra...)...)
		code := 0
		var ee exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if code != c.exit {
			t.Errorf("%s: exit %d, want %d (output %q)", c.name, code, c.exit, out)
		}
		for _, m := range c.mentions {
			if !strings.Contains(out, m) {
				t.Errorf("%s: output %q does not mention %q", c.name, out, m)
			}
		}
	}
}

func TestVerifyHistoryJSON(t *testing.T) {
	t.Parallel()
	srv := gittest.Start(t)
	p := rings.Promotion{ReleaseID: "r1", App: "checkout", Ring: "early", Regions: []string{"eu-west-1"}, Version: "v2", PromotionID: "p1"}
	dup := srv.NewRepo(t, "dup", map[string]string{"README.md": "x\n"})
	pushCommits(t, dup, gitops.CommitMessage(p), gitops.CommitMessage(p))
	out, _ := runRingctl("verify-history", "--repo", dup, "-o", "json")
	var rep gitops.VerifyReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if len(rep.Violations) != 1 || rep.Violations[0].Kind != gitops.ViolationDuplicate {
		t.Errorf("violations %+v, want one duplicate", rep.Violations)
	}
}

func TestVerifyHistoryNeedsRepo(t *testing.T) {
	t.Parallel()
	if _, err := runRingctl("verify-history"); err == nil || !strings.Contains(err.Error(), "--repo is required") {
		t.Errorf("err = %v, want a message asking for --repo", err)
	}
}
