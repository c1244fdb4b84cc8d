package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/gittest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// gitTopology is a two-ring topology whose GitOps repository is repo; the
// canary ring soaks for soak. Regions have no health sources, so they
// advance on soak time alone.
func gitTopology(repo, soak string) string {
	return fmt.Sprintf(`apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: git}
spec:
  gitops: {repo: %q, branch: main}
  regions:
    - {name: us-east-1, timezone: UTC}
    - {name: eu-west-1, timezone: UTC}
  rings:
    - {name: canary, regions: [us-east-1], soak: %s}
    - {name: early, regions: [eu-west-1], soak: 0s}
  policy:
    onFailure: halt-later-rings
    rollback: automatic
  apps:
    - name: checkout
      targets: [{file: "apps/checkout/{{region}}/values.yaml", yamlPath: image.tag}]
`, repo, soak)
}

// pushFile commits content at path to main of repository name through a
// fresh clone (the cluster pushes too, so never from a stale one).
func pushFile(t *testing.T, srv *gittest.Server, name, path, content, msg string) string {
	t.Helper()
	work := t.TempDir()
	gittest.Run(t, work, "clone", "--quiet", srv.URL(name), ".")
	if err := os.WriteFile(filepath.Join(work, path), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Run(t, work, "commit", "--quiet", "-am", msg)
	gittest.Run(t, work, "push", "--quiet", "origin", "main")
	return srv.Head(t, name)
}

// nodeStatus is the part of GET /v1/status this test reads.
type nodeStatus struct {
	TopologyRevision string
	TopologyRejected *struct {
		Revision string
		Errors   []string
	}
	Releases []struct {
		ID    string
		State string
	}
}

func statusOf(p *ringdProc) (nodeStatus, bool) {
	var st nodeStatus
	code, b := send("GET", p.http+"/v1/status?all=true", "")
	return st, code == 200 && json.Unmarshal(b, &st) == nil
}

// A production-shaped cluster: three ringd processes read the topology from
// a real git daemon, promote through the same repository, and agree on every
// topology revision through the log, rejected ones included.
func TestRingdPromotesThroughGitAndFollowsTheTopologyInGit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three ringd processes and a git daemon")
	}
	srv := gittest.Start(t)
	url := srv.URL("deploy")
	good := gitTopology(url, "1s")
	if _, err := topology.Parse("rings.yaml", []byte(good)); err != nil {
		t.Fatalf("test topology does not parse: %v", err)
	}
	srv.NewRepo(t, "deploy", map[string]string{
		"rings.yaml":                          good,
		"apps/checkout/us-east-1/values.yaml": "image:\n  tag: v1\n",
		"apps/checkout/eu-west-1/values.yaml": "image:\n  tag: v1\n",
	})
	seed := srv.Head(t, "deploy")

	root := t.TempDir()
	flags := []string{"--topology", url + "#rings.yaml", "--topology-interval", "200ms", "--effects", "git"}
	start := func(id string, extra ...string) *ringdProc {
		p := startRingd(t, id, filepath.Join(root, id), append(extra, flags...)...)
		return p
	}
	n1 := start("n1", "--bootstrap")
	procs := []*ringdProc{n1, start("n2", "--join", n1.http), start("n3", "--join", n1.http)}
	allStatus := func(what string, cond func(nodeStatus) bool) {
		t.Helper()
		pollUntil(t, what+" on every node", func() bool {
			for _, p := range procs {
				st, ok := statusOf(p)
				if !ok || !cond(st) {
					return false
				}
			}
			return true
		})
	}
	allStatus("the seed topology adopted at its commit", func(s nodeStatus) bool { return s.TopologyRevision == seed })

	// A release rolls through both rings by committing to the repository.
	code, body := "", []byte(nil)
	pollUntil(t, "the release to be accepted", func() bool {
		c, b := send("POST", leaderOf(t, procs).http+"/v1/releases", `{"app":"checkout","version":"v2"}`)
		code, body = fmt.Sprint(c), b
		return c == 201
	})
	var created struct{ ID string }
	if err := json.Unmarshal(body, &created); err != nil || created.ID == "" {
		t.Fatalf("create release answered %s %s", code, body)
	}
	allStatus("the release completed", func(s nodeStatus) bool {
		for _, r := range s.Releases {
			if r.ID == created.ID {
				return r.State == "completed"
			}
		}
		return false
	})
	head := srv.Head(t, "deploy")
	early := srv.Git(t, "deploy", "log", "-1", "--format=%H", "--grep=Ringleader-Ring: early", head)
	rep, err := gitops.VerifyHistory(t.Context(), gitops.VerifyOptions{URL: url, Dir: filepath.Join(t.TempDir(), "verify")})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"canary region promoted", srv.Show(t, "deploy", head, "apps/checkout/us-east-1/values.yaml"), "image:\n  tag: v2\n"},
		{"early region promoted", srv.Show(t, "deploy", head, "apps/checkout/eu-west-1/values.yaml"), "image:\n  tag: v2\n"},
		{"early commit carries canary's soak evidence", fmt.Sprint(strings.HasPrefix(
			srv.Git(t, "deploy", "log", "-1", "--format=%(trailers:key=Ringleader-Soaked-Ring,valueonly)", early), "canary@")), "true"},
		{"promotion commits", srv.Git(t, "deploy", "rev-list", "--count", "--grep=Ringleader-Promotion", head), "2"},
		{"verify-history", fmt.Sprint(rep.OK(), rep.Promotions), "true 2"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}

	// An invalid revision is rejected on every node, with line numbers;
	// the last good one stays.
	bad := pushFile(t, srv, "deploy", "rings.yaml", strings.Replace(good, "soak: 1s", "soak: soon", 1), "break the soak")
	allStatus("the bad revision rejected", func(s nodeStatus) bool {
		return s.TopologyRejected != nil && s.TopologyRejected.Revision == bad && s.TopologyRevision == seed
	})
	st, _ := statusOf(procs[2])
	if len(st.TopologyRejected.Errors) == 0 || !strings.HasPrefix(st.TopologyRejected.Errors[0], "rings.yaml:10:") {
		t.Errorf("rejection errors %q; want rings.yaml:10:… first", st.TopologyRejected.Errors)
	}
	_, metrics := send("GET", procs[1].http+"/metrics", "")
	if !strings.Contains(string(metrics), "ringleader_topology_last_rejected 1") {
		t.Errorf("follower metrics lack ringleader_topology_last_rejected 1")
	}

	// The fix is adopted everywhere and clears the rejection.
	fixed := pushFile(t, srv, "deploy", "rings.yaml", strings.Replace(good, "soak: 1s", "soak: 2s", 1), "fix the soak")
	allStatus("the fix adopted", func(s nodeStatus) bool { return s.TopologyRevision == fixed && s.TopologyRejected == nil })
}
