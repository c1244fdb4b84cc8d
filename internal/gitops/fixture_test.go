package gitops_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/appset"
	"github.com/ringleader-dev/ringleader/internal/gitops/gittest"
	"github.com/ringleader-dev/ringleader/internal/golden"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// testTopology has two rings and two apps: checkout writes all three target
// kinds, cart writes one YAML field.
func testTopology() *topology.Topology {
	return &topology.Topology{
		APIVersion: topology.APIVersion, Kind: topology.KindTopology,
		Metadata: topology.Metadata{Name: "test"},
		Spec: topology.TopologySpec{
			Regions: []topology.Region{{Name: "eu-west-1"}, {Name: "us-east-1"}, {Name: "us-west-2"}},
			Rings: []topology.Ring{
				{Name: "early", Regions: []string{"eu-west-1"}, Soak: topology.Duration(time.Hour)},
				{Name: "main", Regions: []string{"us-east-1", "us-west-2"}, Soak: topology.Duration(time.Hour)},
			},
			Apps: []topology.App{
				{Name: "checkout", Targets: []topology.Target{
					{File: "envs/{{region}}/{{app}}/values.yaml", YAMLPath: "image.tag"},
					{File: "envs/{{region}}/{{app}}/kustomization.yaml", KustomizeImage: "ghcr.io/acme/checkout"},
					{File: "appsets/{{app}}.yaml", ApplicationSetElement: &topology.ApplicationSetElement{Field: "targetRevision"}},
				}},
				{Name: "cart", Targets: []topology.Target{
					{File: "envs/{{region}}/cart/values.yaml", YAMLPath: "image.tag"},
				}},
				{Name: "ghost", Targets: []topology.Target{
					{File: "envs/{{region}}/ghost/values.yaml", YAMLPath: "image.tag"},
				}},
				{Name: "nofield", Targets: []topology.Target{
					{File: "envs/{{region}}/cart/values.yaml", YAMLPath: "image.digest"},
				}},
			},
		},
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seedFiles is the GitOps repository every test starts from.
func seedFiles(t *testing.T) map[string]string {
	files := map[string]string{
		"README.md":             "# gitops\n",
		"appsets/checkout.yaml": readTestdata(t, "seed/appset.yaml"),
	}
	for _, r := range []string{"eu-west-1", "us-east-1", "us-west-2"} {
		files["envs/"+r+"/checkout/values.yaml"] = readTestdata(t, "seed/values.yaml")
		files["envs/"+r+"/checkout/kustomization.yaml"] = readTestdata(t, "seed/kustomization.yaml")
		files["envs/"+r+"/cart/values.yaml"] = strings.ReplaceAll(readTestdata(t, "seed/values.yaml"), "checkout", "cart")
	}
	return files
}

type env struct {
	srv  *gittest.Server
	url  string
	name string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := gittest.Start(t)
	url := srv.NewRepo(t, "gitops", seedFiles(t))
	return &env{srv: srv, url: url, name: "gitops"}
}

// writer returns a Writer with its own working copy, as one ringd node has.
func (e *env) writer(t *testing.T, mod ...func(*gitops.Config)) *gitops.Writer {
	t.Helper()
	backoff := func(c *gitops.Config) { c.Backoff = 5 * time.Millisecond }
	return writerAt(t, e.url, testTopology(), append([]func(*gitops.Config){backoff}, mod...)...)
}

// writerAt is a writer for the repository at url under topology top;
// mod changes its configuration.
func writerAt(t *testing.T, url string, top *topology.Topology, mod ...func(*gitops.Config)) *gitops.Writer {
	t.Helper()
	cfg := gitops.Config{
		URL: url, Branch: "main", Dir: filepath.Join(t.TempDir(), "wc"),
		Author:             gitops.Identity{Name: "Ringleader Test", Email: "rl@example.com"},
		Backoff:            time.Millisecond,
		EditApplicationSet: appset.Edit,
		Now:                func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
	}
	for _, m := range mod {
		m(&cfg)
	}
	w, err := gitops.New(cfg, func() *topology.Topology { return top })
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (e *env) head(t *testing.T) string { return e.srv.Head(t, e.name) }

func (e *env) show(t *testing.T, rev, path string) string { return e.srv.Show(t, e.name, rev, path) }

func (e *env) git(t *testing.T, args ...string) string { return e.srv.Git(t, e.name, args...) }

func promotion(app, ring, version, id string, regions ...string) rings.Promotion {
	return rings.Promotion{ReleaseID: "rel-" + app + "-" + version, App: app, Ring: ring, Regions: regions,
		Version: version, PromotionID: id}
}

// checkGolden compares got with testdata/<name>, rewriting it under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), []byte(got))
}

// check is one named observation of a test: what it got and what it wants.
type check struct {
	name      string
	got, want any
}

// expect reports every check whose got differs from its want.
func expect(t *testing.T, checks []check) {
	t.Helper()
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
}
