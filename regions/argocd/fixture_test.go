package argocd

import (
	"context"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/regions"
	"github.com/ringleader-dev/ringleader/regions/argocd/argocdtest"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// Commits of the fake GitOps history: c0 ← c1 ← c2, and cx on another branch.
var (
	c0 = strings.Repeat("0a", 20)
	c1 = strings.Repeat("1b", 20)
	c2 = strings.Repeat("2c", 20)
	cx = strings.Repeat("ef", 20)
)

const testToken = "s3cr3t-argocd-token-0123456789"

// fakeAncestry answers from the edges of c0 ← c1 ← c2 (transitively).
func fakeAncestry(ctx context.Context, ancestor, descendant string) (bool, error) {
	order := map[string]int{c0: 0, c1: 1, c2: 2}
	a, okA := order[ancestor]
	d, okD := order[descendant]
	return okA && okD && a < d, nil
}

// startServer starts a test Argo CD and stops it with the test.
func startServer(t *testing.T, token string) *argocdtest.Server {
	t.Helper()
	srv := argocdtest.StartHTTPTest(token)
	t.Cleanup(srv.Close)
	return srv
}

// topology is a topology with one ring over the given regions.
func topology(regs ...ringtopology.Region) *ringtopology.Topology {
	t := &ringtopology.Topology{Metadata: ringtopology.Metadata{Name: "test"}}
	t.Spec.Regions = regs
	return t
}

// argoRegion is a region whose Applications live on server.
func argoRegion(name, server, tmpl string) ringtopology.Region {
	return ringtopology.Region{Name: name, Timezone: "UTC", ArgoCD: &ringtopology.ArgoCDSource{Server: server, Application: tmpl}}
}

// query asks about app "checkout" in the given regions, all promoted at commit.
func query(commit string, names ...string) regions.Query {
	q := regions.Query{ReleaseID: "r1", App: "checkout", Version: "v2", Ring: "canary"}
	for _, n := range names {
		q.Regions = append(q.Regions, regions.Target{Region: n, Commit: commit})
	}
	return q
}

// newSource builds a Source or fails the test.
func newSource(t *testing.T, cfg SourceConfig) *Source {
	t.Helper()
	s, err := NewSource(cfg)
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	return s
}
