package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/internal/promserver"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// ringSpec is one ring of a test topology.
type ringSpec struct {
	Name    string
	Regions []string
	Soak    time.Duration
}

// topoSpec renders a test topology. Soaks and analysis intervals are
// seconds so a release rolls through three rings in well under a minute.
type topoSpec struct {
	// Repo is the GitOps repository ("" for the in-memory effects).
	Repo string
	// ArgoCD and Prometheus, when set, are every region's health sources.
	ArgoCD, Prometheus string
	Regions            []string
	Rings              []ringSpec
	OnFailure          string
	// RollbackTimeout, when set, is policy.rollback.timeout (default 15m).
	RollbackTimeout time.Duration
}

// defaultRings: canary → early → global with short soaks.
func defaultRings() []ringSpec {
	return []ringSpec{
		// Long enough for two failed analysis checks of a bad version
		// (failureThreshold 2, interval 1s, a 5s rate window).
		{Name: "canary", Regions: []string{"us-east-1"}, Soak: 5 * time.Second},
		{Name: "early", Regions: []string{"eu-west-1"}, Soak: 3 * time.Second},
		{Name: "global", Regions: []string{"ap-south-1", "us-west-2"}, Soak: 0},
	}
}

// errorRatioQuery is the analysis check the simulated regions are read
// with: the share of 5xx answers of the version a region runs.
const errorRatioQuery = `sum(rate(http_requests_total{region="{{region}}",app="{{app}}",code=~"5.."}[5s])) / sum(rate(http_requests_total{region="{{region}}",app="{{app}}"}[5s]))`

// render writes the topology YAML.
func (s topoSpec) render() string {
	if s.Repo == "" {
		s.Repo = "https://git.example.invalid/deploy.git"
	}
	if s.OnFailure == "" {
		s.OnFailure = topology.OnFailureHaltLaterRings
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: ringleader.dev/v1alpha1\nkind: Topology\nmetadata: {name: e2e}\nspec:\n")
	fmt.Fprintf(&b, "  gitops: {repo: %q, branch: main}\n  regions:\n", s.Repo)
	for _, r := range s.Regions {
		fmt.Fprintf(&b, "    - name: %s\n      timezone: UTC\n", r)
		if s.ArgoCD != "" {
			fmt.Fprintf(&b, "      argocd: {server: %q, application: \"{{app}}-{{region}}\"}\n", s.ArgoCD)
		}
		if s.Prometheus != "" {
			fmt.Fprintf(&b, "      prometheus: {url: %q}\n", s.Prometheus)
		}
	}
	b.WriteString("  rings:\n")
	for _, r := range s.Rings {
		fmt.Fprintf(&b, "    - {name: %s, regions: [%s], soak: %s, syncTimeout: 60s}\n", r.Name, strings.Join(r.Regions, ", "), r.Soak)
	}
	fmt.Fprintf(&b, "  policy:\n    onFailure: %s\n", s.OnFailure)
	if s.RollbackTimeout > 0 {
		fmt.Fprintf(&b, "    rollback: {mode: automatic, timeout: %s}\n", s.RollbackTimeout)
	} else {
		b.WriteString("    rollback: automatic\n")
	}
	b.WriteString("    analysis:\n      interval: 1s\n      failureThreshold: 2\n")
	if s.Prometheus != "" {
		fmt.Fprintf(&b, "      metrics:\n        - {name: error-ratio, query: '%s', max: 0.05}\n", errorRatioQuery)
	}
	b.WriteString("    errorBudget: {slo: 0.5, window: 720h, autoApproveAbove: 50, approvalAbove: 25, allowWhenExhausted: [P0]}\n")
	b.WriteString("  apps:\n")
	for _, app := range apps {
		fmt.Fprintf(&b, "    - name: %s\n      targets: [{file: \"apps/%s/{{region}}/values.yaml\", yamlPath: image.tag}]\n", app, app)
	}
	return b.String()
}

// apps are the apps of every test topology.
var apps = []string{"checkout", "ledger", "search"}

// regionsOf lists the regions of the rings.
func regionsOf(rs []ringSpec) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Regions...)
	}
	return out
}

// env is one scenario's world: a real git daemon serving the GitOps
// repository (which also holds the topology), optionally the simulated
// regions with a real Prometheus scraping them, and a 3-node cluster.
type env struct {
	t        *testing.T
	dir      string
	c        *harness.Cluster
	topo     topoSpec
	topoFile string // the topology as last written (also in Git)
	git      *harness.GitServer
	// gitProxy fronts the git daemon, so Git can be made slow.
	gitProxy *harness.Proxy
	repoURL  string
	sim      *simRegions
	prom     *promserver.Server
	// cutOff, while set, is a node on the minority side of a partition:
	// reads skip it (its local state is stale by design).
	cutOff *harness.Node
}

// live are the nodes to talk to: alive and not cut off.
func (e *env) live() []*harness.Node {
	var out []*harness.Node
	for _, n := range e.c.Alive() {
		if n != e.cutOff {
			out = append(out, n)
		}
	}
	return out
}

// envOptions say what a scenario needs.
type envOptions struct {
	rings []ringSpec
	// sim adds the simulated regions and Prometheus as every region's
	// health sources.
	sim bool
	// extraRegions exist in the simulator (and the repository) but not in
	// the first topology: a topology change adds them.
	extraRegions []string
	// rollbackTimeout sets policy.rollback.timeout (default 15m).
	rollbackTimeout time.Duration
}

const (
	repoName     = "deploy"
	topologyPath = "ringleader/rings.yaml"
)

// newEnv starts everything a scenario needs, each a separate process.
func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	if miss := bins.Caps.Missing(true, o.sim); miss != "" {
		t.Skipf("needs %s", miss)
	}
	dir := t.TempDir()
	e := &env{t: t, dir: dir, topo: topoSpec{Regions: regionsOf(o.rings), Rings: o.rings, RollbackTimeout: o.rollbackTimeout}}
	var err error
	if e.git, err = harness.StartGitServer(mkdir(t, dir, "git")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.git.Stop)
	if e.gitProxy, err = harness.NewProxy("git", nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.gitProxy.Close)
	e.gitProxy.SetTarget(e.git.Addr)
	e.repoURL = "git://" + e.gitProxy.Addr() + "/" + repoName + ".git"
	e.topo.Repo = e.repoURL
	files := map[string]string{}
	for _, r := range append(regionsOf(o.rings), o.extraRegions...) {
		for _, app := range apps {
			files["apps/"+app+"/"+r+"/values.yaml"] = "image:\n  tag: v1.0.0\n"
		}
	}
	if o.sim {
		// The simulator needs the final list of regions up front.
		all := e.topo
		all.Regions = append(slices.Clone(all.Regions), o.extraRegions...)
		all.Rings = slices.Clone(all.Rings)
		last := &all.Rings[len(all.Rings)-1]
		last.Regions = append(slices.Clone(last.Regions), o.extraRegions...)
		simTopo := filepath.Join(dir, "sim-topology.yaml")
		if err := os.WriteFile(simTopo, []byte(all.render()), 0o644); err != nil {
			t.Fatal(err)
		}
		files[topologyPath] = all.render() // provisional; replaced below
		if err := e.git.NewRepo(repoName, files); err != nil {
			t.Fatal(err)
		}
		if e.sim, err = startSimRegions(mkdir(t, dir, "sim"), e.repoURL, simTopo); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.sim.proc.Kill)
		if e.prom, err = promserver.Start(promserver.Config{Dir: mkdir(t, dir, "prometheus"), Targets: []string{hostPort(e.sim.Metrics)}}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.prom.Stop)
		e.topo.ArgoCD, e.topo.Prometheus = url(e.sim.ArgoCD), e.prom.URL
		e.writeTopology("e2e: the topology in force")
	} else {
		files[topologyPath] = e.topo.render()
		if err := e.git.NewRepo(repoName, files); err != nil {
			t.Fatal(err)
		}
		e.topoFile = filepath.Join(dir, "rings.yaml")
		if err := os.WriteFile(e.topoFile, []byte(e.topo.render()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	extra := []string{"--topology-interval", "500ms", "--budget-interval", "2s", "--git-author-email", "ringd@e2e.invalid"}
	if e.sim != nil {
		extra = append(extra, "--argocd-token-file", e.sim.TokenFile)
	}
	e.c = harness.StartCluster(t, harness.ClusterOptions{Bin: bins, Dir: filepath.Join(dir, "cluster"),
		Topology: e.repoURL + "#" + topologyPath, Extra: extra,
		PerNode: func(id string) []string { return []string{"--git-author-name", "ringd-" + id} }})
	e.waitTopology()
	if e.prom != nil {
		e.waitMetrics(append(regionsOf(o.rings), o.extraRegions...))
	}
	return e
}

// waitMetrics waits until Prometheus has a request rate for every app in
// every region: before that, analysis fails closed on missing data.
func (e *env) waitMetrics(regions []string) {
	e.t.Helper()
	q := neturl.Values{"query": {`sum by (region, app) (rate(http_requests_total[10s]))`}}
	harness.Eventually(e.t, 60*time.Second, "Prometheus to have request rates for every region", func() error {
		resp, err := http.Get(e.prom.URL + "/api/v1/query?" + q.Encode())
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var body struct {
			Data struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return err
		}
		have := map[string]bool{}
		for _, r := range body.Data.Result {
			have[r.Metric["region"]+"/"+r.Metric["app"]] = true
		}
		for _, r := range regions {
			for _, app := range apps {
				if !have[r+"/"+app] {
					return fmt.Errorf("no rate yet for %s in %s", app, r)
				}
			}
		}
		return nil
	})
}

// writeTopology commits the current e.topo to Git (and keeps a copy for
// verify-history).
func (e *env) writeTopology(msg string) {
	e.t.Helper()
	e.topoFile = filepath.Join(e.dir, "rings.yaml")
	src := e.topo.render()
	if err := os.WriteFile(e.topoFile, []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.commit(msg, map[string]string{topologyPath: src})
}

// commit writes files to the GitOps repository, retrying while ringd's
// pushes race it.
func (e *env) commit(msg string, files map[string]string) {
	e.t.Helper()
	harness.Eventually(e.t, 30*time.Second, "commit "+msg, func() error { return e.git.Commit(repoName, msg, files) })
}

// waitTopology waits until the cluster has adopted a topology with every
// ring of e.topo.
func (e *env) waitTopology() {
	e.t.Helper()
	e.waitTopologyWhere("the topology from Git to be adopted", func(top *topology.Topology) error {
		if len(top.Spec.Regions) != len(e.topo.Regions) {
			return fmt.Errorf("it has %d regions", len(top.Spec.Regions))
		}
		return nil
	})
}

// waitTopologyWhere waits until the topology in force passes ok.
func (e *env) waitTopologyWhere(what string, ok func(*topology.Topology) error) {
	e.t.Helper()
	harness.Eventually(e.t, 60*time.Second, what, func() error {
		c, cancel := ctx()
		defer cancel()
		tr, err := e.admin().Topology(c)
		if err != nil {
			return err
		}
		if tr.Topology == nil {
			return fmt.Errorf("no topology in force yet")
		}
		if err := ok(tr.Topology); err != nil {
			return fmt.Errorf("topology in force %s: %w", tr.Revision, err)
		}
		return nil
	})
}

func mkdir(t *testing.T, parts ...string) string {
	t.Helper()
	d := filepath.Join(parts...)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// ctx is a context bounded for one API call.
func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// admin returns an admin client on any live node.
func (e *env) admin() *apiclient.Client {
	alive := e.live()
	if len(alive) == 0 {
		e.t.Fatal("no live node to talk to")
	}
	return alive[0].Client(e.c.AdminToken)
}

// create starts a release, retrying while the cluster has no leader.
func (e *env) create(app, version string) string {
	e.t.Helper()
	var id string
	harness.Eventually(e.t, 30*time.Second, "release "+app+" "+version+" to be accepted", func() error {
		c, cancel := ctx()
		defer cancel()
		for _, n := range e.c.Alive() {
			d, err := n.Client(e.c.AdminToken).CreateRelease(c, apiclient.CreateReleaseRequest{App: app, Version: version, PreviousVersion: "v1.0.0"})
			if err == nil {
				id = d.ID
				return nil
			}
			if !apiclient.IsRetryable(err) {
				e.t.Fatalf("create release %s %s: %v", app, version, err)
			}
		}
		return fmt.Errorf("no node accepted the release")
	})
	return id
}

// release reads a release from any live node that answers.
func (e *env) release(id string) (*rings.Release, error) {
	var lastErr error = fmt.Errorf("no live node")
	for _, n := range e.live() {
		c, cancel := ctx()
		d, err := n.Client(e.c.AdminToken).Release(c, id)
		cancel()
		if err == nil {
			return d.Release, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// waitState polls until release id is in state want (failing early on a
// different terminal state).
func (e *env) waitState(id string, want rings.ReleaseState, timeout time.Duration) *rings.Release {
	e.t.Helper()
	var r *rings.Release
	harness.Eventually(e.t, timeout, fmt.Sprintf("release %s to be %s", id, want), func() error {
		got, err := e.release(id)
		if err != nil {
			return err
		}
		r = got
		if got.State != want && got.State.Terminal() {
			e.t.Fatalf("release %s ended %s (%s), want %s; rings: %s", id, got.State, got.Reason, want, ringStates(got))
		}
		if got.State != want {
			return fmt.Errorf("state %s, rings %s", got.State, ringStates(got))
		}
		return nil
	})
	return r
}

// waitRing polls until ring of release id is in state want.
func (e *env) waitRing(id, ring string, want rings.RingState, timeout time.Duration) *rings.Release {
	e.t.Helper()
	var r *rings.Release
	harness.Eventually(e.t, timeout, fmt.Sprintf("ring %s of %s to be %s", ring, id, want), func() error {
		got, err := e.release(id)
		if err != nil {
			return err
		}
		r = got
		if p := got.Ring(ring); p == nil || p.State != want {
			return fmt.Errorf("release %s, rings %s", got.State, ringStates(got))
		}
		return nil
	})
	return r
}

// ringStates renders "canary=done early=soaking …".
func ringStates(r *rings.Release) string {
	var b strings.Builder
	for _, p := range r.Rings {
		fmt.Fprintf(&b, "%s=%s ", p.Name, p.State)
		if p.Reason != "" && (p.State == rings.RingFailed || p.State == rings.RingRolledBack) {
			fmt.Fprintf(&b, "(%s) ", p.Reason)
		}
	}
	return strings.TrimSpace(b.String())
}

// soakingCanary starts a world on opts with the simulated regions, creates a
// release of checkout at version and waits (up to timeout) until canary
// soaks. It returns the world, the release ID and when canary's soak started.
func soakingCanary(t *testing.T, opts envOptions, version string, timeout time.Duration) (*env, string, time.Time) {
	t.Helper()
	opts.sim = true
	e := newEnv(t, opts)
	id := e.create("checkout", version)
	r := e.waitRing(id, "canary", rings.RingSoaking, timeout)
	return e, id, r.Ring("canary").SoakStartedAt
}

// checkReleased asserts what every finished release keeps: ring order and
// full soaks in its own record, and in Git one forward promotion of version
// per region, in ring order.
func (e *env) checkReleased(t *testing.T, r *rings.Release, rs []ringSpec, version string) {
	t.Helper()
	checkSoakOrder(t, r, rs)
	e.checkGitMatches(t, r, rs, version)
}

// checkSoakOrder asserts ring order and full soaks from the release's own
// record: every ring was promoted only after the previous ring was done,
// and every ring was done only after soaking its full window.
func checkSoakOrder(t errorfer, r *rings.Release, rs []ringSpec) {
	t.Helper()
	var prevDone time.Time
	for i, spec := range rs {
		p := r.Ring(spec.Name)
		if p == nil {
			t.Errorf("ring %s missing from release %s", spec.Name, r.ID)
			continue
		}
		if p.State != rings.RingDone {
			t.Errorf("ring %s is %s, want done", spec.Name, p.State)
		}
		for _, reg := range p.Regions {
			if reg.PromotedAt.IsZero() {
				t.Errorf("ring %s region %s was never promoted", spec.Name, reg.Name)
			}
			if i > 0 && reg.PromotedAt.Before(prevDone) {
				t.Errorf("ring %s region %s promoted at %s, before ring %s was done at %s",
					spec.Name, reg.Name, reg.PromotedAt.Format(time.RFC3339Nano), rs[i-1].Name, prevDone.Format(time.RFC3339Nano))
			}
		}
		if soaked := p.DoneAt.Sub(p.SoakStartedAt); soaked < spec.Soak {
			t.Errorf("ring %s soaked %s (from %s to %s), want at least %s", spec.Name, soaked,
				p.SoakStartedAt.Format(time.RFC3339Nano), p.DoneAt.Format(time.RFC3339Nano), spec.Soak)
		}
		prevDone = p.DoneAt
	}
}
