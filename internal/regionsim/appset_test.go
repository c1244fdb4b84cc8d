package regionsim_test

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"

	"github.com/ringleader-dev/ringleader/internal/demo"
	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/regionsim"
	"github.com/ringleader-dev/ringleader/regions/argocd"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// appsetTopology has one app whose version lives in an ApplicationSet's
// list elements, keyed by cluster.
const appsetTopology = `apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: appset}
spec:
  gitops: {repo: https://git.example.com/deploy.git}
  regions:
    - {name: us-east-1, timezone: UTC, labels: {cluster: use1}, argocd: {server: "http://127.0.0.1:1", application: "{{app}}-{{region}}"}}
    - {name: eu-west-1, timezone: UTC, labels: {cluster: euw1}, argocd: {server: "http://127.0.0.1:1", application: "{{app}}-{{region}}"}}
  rings:
    - {name: canary, regions: [us-east-1], soak: 1m}
    - {name: main, regions: [eu-west-1], soak: 1m}
  policy: {}
  apps:
    - name: guestbook
      targets: [{file: appsets/guestbook.yaml, applicationSetElement: {field: targetRevision, key: cluster}}]
`

// The simulator's Applications of an ApplicationSet-element app carry the
// version as their own targetRevision, so the health gate that judges such
// apps by value (argocd.EvaluateValue) passes once the region runs the
// promoted version, and not before.
func TestApplicationSetAppsPassTheValueGate(t *testing.T) {
	t.Parallel()
	top, err := topology.Parse("appset.yaml", []byte(appsetTopology))
	if err != nil {
		t.Fatal(err)
	}
	gs, err := demo.StartGitServer(filepath.Join(t.TempDir(), "git"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gs.Stop)
	files, err := regionsim.SeedFiles(top, map[string]string{"guestbook": "v1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gs.CreateRepo("deploy", "main", files); err != nil {
		t.Fatal(err)
	}
	var ls regionsim.Listeners
	for _, l := range []*net.Listener{&ls.ArgoCD, &ls.Metrics, &ls.Control} {
		if *l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	sim, err := regionsim.Start(regionsim.Config{Topology: top, RepoURL: gs.URL("deploy"), Token: "tok",
		SyncDelay: 300 * time.Millisecond, PollInterval: 50 * time.Millisecond}, ls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	verdict := func(region, version string) argocd.Verdict {
		req, _ := http.NewRequest(http.MethodGet, sim.Addrs().ArgoCD+"/api/v1/applications/guestbook-"+region, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var app v1alpha1.Application
		if err := json.NewDecoder(resp.Body).Decode(&app); err != nil {
			t.Fatal(err)
		}
		return argocd.EvaluateValue(t.Context(), &app, version)
	}
	if v := verdict("us-east-1", "v1"); !v.Synced || !v.Healthy {
		t.Fatalf("seeded v1: %+v, want synced and healthy", v)
	}

	// Promote v2 to us-east-1 the way ringd does: edit the element.
	work := t.TempDir()
	if _, err := demo.RunGit(work, "clone", "--quiet", gs.URL("deploy"), "."); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(work, "appsets", "guestbook.yaml")
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited, err := gitops.EditApplicationSetElement(content, "cluster", "use1", "targetRevision", "v2")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"commit", "--quiet", "-am", "guestbook v2 in us-east-1"}, {"push", "--quiet", "origin", "main"}} {
		if _, err := demo.RunGit(work, args...); err != nil {
			t.Fatal(err)
		}
	}
	poll.Until(t, 15*time.Second, "us-east-1 to run v2 as its targetRevision", func() bool {
		v := verdict("us-east-1", "v2")
		return v.Synced && v.Healthy
	})
	if v := verdict("eu-west-1", "v2"); v.Synced {
		t.Fatalf("eu-west-1 still runs v1 but passed the gate for v2: %+v", v)
	}
}
