package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/ringdtest"
	"github.com/ringleader-dev/ringleader/regions/argocd/argocdtest"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// sameCommit answers ancestry for a history of one commit.
type sameCommit struct{}

func (sameCommit) IsAncestor(context.Context, string, string) (bool, error) { return false, nil }

// TestHealthAdapterCarriesInProgress: an Argo Rollouts canary paused
// between steps (a real v1alpha1 Application with Suspended health, served
// over HTTP) reaches the coordinator as a region in progress, not as a
// plain unhealthy one; a Degraded Application does not.
func TestHealthAdapterCarriesInProgress(t *testing.T) {
	t.Parallel()
	const token = "argocd-test-token-0123456789"
	commit := strings.Repeat("ab", 20)
	srv := argocdtest.StartHTTPTest(token)
	t.Cleanup(srv.Close)
	srv.Set("checkout-us-east-1", argocdtest.State{Sync: argocdtest.SyncSynced, Revision: commit,
		Health: argocdtest.HealthSuspended, HealthMessage: "Rollout is paused", Operation: argocdtest.OperationSucceeded})
	srv.Set("checkout-eu-west-1", argocdtest.State{Sync: argocdtest.SyncSynced, Revision: commit,
		Health: argocdtest.HealthDegraded, HealthMessage: "Rollout aborted", Operation: argocdtest.OperationSucceeded})
	tokenFile := filepath.Join(t.TempDir(), "argocd-token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := ringdtest.GitTopology("https://git.example.com/deploy.git", "1h")
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		src = strings.Replace(src, "- {name: "+region+", timezone: UTC}",
			`- {name: `+region+`, timezone: UTC, argocd: {server: "`+srv.URL()+`", application: "{{app}}-{{region}}"}}`, 1)
	}
	top, err := topology.Parse("rings.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var fx effects
	cfg := HealthConfig{ArgoCDTokenFile: tokenFile, ArgoCDTimeout: 5 * time.Second, BudgetInterval: time.Minute}
	if err := addHealth(&fx, cfg, func() *topology.Topology { return top }, sameCommit{}, quietLogger); err != nil {
		t.Fatal(err)
	}
	got, err := fx.health.Observe(context.Background(), rings.HealthQuery{ReleaseID: "r", App: "checkout", Version: "v2", Ring: "canary",
		Regions: []rings.RegionTarget{{Region: "us-east-1", Commit: commit}, {Region: "eu-west-1", Commit: commit}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []rings.RegionHealth{
		{Region: "us-east-1", Synced: true, Reason: "Suspended: Rollout is paused", InProgress: true},
		{Region: "eu-west-1", Synced: true, Reason: "Degraded at " + commit[:12] + ": Rollout aborted"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v; want %+v", got, want)
	}
	for i := range want {
		g := got[i]
		if g.Region != want[i].Region || g.Synced != want[i].Synced || g.Healthy != want[i].Healthy || g.Reason != want[i].Reason || g.InProgress != want[i].InProgress {
			t.Errorf("region %d: got %+v; want %+v", i, g, want[i])
		}
	}
}
