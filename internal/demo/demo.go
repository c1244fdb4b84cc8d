package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
)

// FirstRelease is the release the demo starts with, rolling from
// InitialVersions["checkout"].
const (
	FirstApp     = "checkout"
	FirstVersion = "v1.4.2"
	BadVersion   = "v1.5.0-bad"
)

// DemoConfig configures `ringd demo`.
type DemoConfig struct {
	// Binary is the ringd executable run as the demo's node.
	Binary string
	// NodeArgs returns ringd's command line for the demo node.
	NodeArgs func(env *Env, dataDir, httpAddr string) []string
	// Dir holds everything; empty makes a temporary directory, removed on
	// Close unless Keep.
	Dir  string
	Keep bool
	// HTTPAddr is the dashboard and API address the node is asked to bind;
	// NodeArgs must let it fall back to a free port of the same host when
	// that one is taken (ringd --http-addr-fallback), and the node reports
	// what it bound.
	HTTPAddr string
	Env      EnvConfig
}

// Demo is a running `ringd demo`: its world and its node.
type Demo struct {
	Env  *Env
	Node *Node
	// URL is the node's base URL (dashboard and API).
	URL string
	// Client talks to the node.
	Client *apiclient.Client
	// ReleaseID is the first release.
	ReleaseID string
	// PortNote says why HTTPAddr was not used ("" when it was).
	PortNote string

	dir       string
	removeDir bool
}

// StartDemo starts the world, the node, waits until the node leads with the
// demo topology adopted and creates the first release. On error everything
// started is stopped.
func StartDemo(ctx context.Context, cfg DemoConfig) (_ *Demo, err error) {
	d := &Demo{dir: cfg.Dir}
	if d.dir == "" {
		if d.dir, err = os.MkdirTemp("", "ringleader-demo-"); err != nil {
			return nil, fmt.Errorf("create the demo directory: %w", err)
		}
		d.removeDir = !cfg.Keep
	}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	cfg.Env.Dir = d.dir

	// 1. The world: Git server and repository, Prometheus, regions.
	if d.Env, err = StartEnv(cfg.Env); err != nil {
		return nil, err
	}

	// 2. The node, on the asked address or, when that is taken, on a free
	// port it binds itself: the address is bound once, by the node.
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:8080"
	}
	dataDir := filepath.Join(d.dir, "ringd")
	if d.Node, err = StartNode(cfg.Binary, cfg.NodeArgs(d.Env, dataDir, cfg.HTTPAddr), dataDir, 30*time.Second); err != nil {
		return nil, err
	}
	d.PortNote = portNote(cfg.HTTPAddr, d.Node.HTTP)
	d.URL = "http://" + d.Node.HTTP
	d.Client = apiclient.NewClient(d.URL, "")
	d.Client.Actor = "ringd-demo"

	// 3. Wait until the node leads with the topology adopted and
	// Prometheus has the regions' request rates, then start the first
	// release from the version the repository holds.
	if err := d.waitReady(ctx, 60*time.Second); err != nil {
		return nil, err
	}
	if err := d.Env.WaitForMetrics(ctx, 30*time.Second); err != nil {
		return nil, err
	}
	rel, err := d.createRelease(ctx, apiclient.CreateReleaseRequest{App: FirstApp, Version: FirstVersion,
		PreviousVersion: InitialVersions[FirstApp]})
	if err != nil {
		return nil, fmt.Errorf("create the first release: %w", err)
	}
	d.ReleaseID = rel.ID
	return d, nil
}

// portNote says why the node is not on the wanted address ("" when it
// is, or when any port was wanted).
func portNote(wanted, bound string) string {
	_, want, err := net.SplitHostPort(wanted)
	if _, got, _ := net.SplitHostPort(bound); err != nil || want == "0" || got == want {
		return ""
	}
	return fmt.Sprintf("%s is taken, so the node bound a free port", wanted)
}

// waitReady polls until the node reports a topology in force.
func (d *Demo) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		t, err := d.Client.Topology(ctx)
		if err == nil && t.Topology != nil {
			return nil
		}
		if err == nil {
			err = errors.New("no topology adopted yet")
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("ringd did not adopt the demo topology within %s (last: %v); see %s", timeout, last, d.Node.LogPath)
		case <-d.Node.Done():
			return fmt.Errorf("ringd exited (%v); see %s", d.Node.Err(), d.Node.LogPath)
		case <-time.After(100 * time.Millisecond): // polling interval
		}
	}
}

// createRelease retries while the node has no leader yet.
func (d *Demo) createRelease(ctx context.Context, req apiclient.CreateReleaseRequest) (*apiclient.ReleaseDetail, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		rel, err := d.Client.CreateRelease(ctx, req)
		if err == nil || !apiclient.IsRetryable(err) || time.Now().After(deadline) {
			return rel, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond): // retry interval
		}
	}
}

// Dir is where the demo keeps everything.
func (d *Demo) Dir() string { return d.dir }

// Close stops the node, then the world, and removes the directory unless
// it was kept or given.
func (d *Demo) Close() {
	if d.Node != nil {
		d.Node.Stop(10 * time.Second)
	}
	if d.Env != nil {
		d.Env.Close()
	}
	if d.removeDir {
		_ = os.RemoveAll(d.dir)
	}
}

// PrintBanner writes what is running and what to try.
func (d *Demo) PrintBanner(w io.Writer) {
	e := d.Env
	top := e.Topology
	soak := func(i int) string { return top.Spec.Rings[i].Soak.D().String() }
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("")
	p("Ringleader demo is running: one ringd node, a local Git server, 4 simulated regions.")
	p("")
	p("  Dashboard       %s/", d.URL)
	p("  API             %s   (no authentication: loopback only, for this demo)", d.URL)
	if d.PortNote != "" {
		p("                  (%s)", d.PortNote)
	}
	p("  GitOps repo     %s   (branch %s)", e.RepoURL, e.Branch)
	p("  Argo CD (sim)   %s   (token in %s)", e.Sim.ArgoCD, e.ArgoCDTokenFile)
	if e.Prometheus != nil {
		p("  Prometheus      %s   (bad versions answer 5xx; analysis fails the ring)", e.Prometheus.URL)
	} else {
		p("  Prometheus      none: %s; bad versions report Degraded in Argo CD instead", e.PrometheusNote)
	}
	p("  Region control  %s/v1/apps   (ringsim, log %s)", e.Sim.Control, e.Sim.LogPath)
	p("  Data dir        %s", d.dir)
	p("  ringd log       %s", d.Node.LogPath)
	p("")
	approval := ""
	if top.Spec.Rings[1].ApprovalRequired() {
		approval = ", needs approval"
	}
	exposure := top.CumulativeExposure(FirstApp)
	p("Release %s of %s %s is rolling (from %s):", d.ReleaseID, FirstApp, FirstVersion, InitialVersions[FirstApp])
	p("  canary (us-east-1, soak %s, exposure %.0f%%) → early (eu-west-1, soak %s%s, exposure %.0f%%) → global (ap-northeast-1, us-west-2, soak %s, exposure %.0f%%)",
		soak(0), 100*exposure[0], soak(1), approval, 100*exposure[1], soak(2), 100*exposure[2])
	if e.Prometheus != nil {
		p("Error budgets: SLO %.0f%% over %s per app and region, measured in Prometheus; %s serves %.1f%% errors from the start,",
			100*BudgetSLO, BudgetWindow, BurntRegion, 100*BurntErrorRatio)
		p("  so about 40%% of its budget remains (the approval band): the release asks for an approval before global.")
	} else {
		p("Error budgets: none without Prometheus (no budget gate; the dashboard's budget panel stays empty).")
	}
	p("")
	p("Try, in another shell (make build puts ringctl in ./bin):")
	p("")
	p("  export RINGLEADER_ADDR=%s", d.URL)
	p("  ringctl status")
	p("  ringctl release show %s", d.ReleaseID)
	p("  ringctl release approve %s --ring early --reason \"canary looks good\"", d.ReleaseID)
	if e.Prometheus != nil {
		p("  ringctl release approve %s --ring global --reason \"budget ok\"   # %s's budget asks", d.ReleaseID, BurntRegion)
	}
	p("  ringctl halt --global --reason \"incident 42\"      # stops every promotion at once")
	p("  ringctl resume HALT_ID --reason \"incident over\"   # HALT_ID is printed by halt and status")
	p("")
	p("  # once %s has completed: a version whose name contains \"bad\" fails in canary,", FirstVersion)
	p("  # the later rings are halted and canary is rolled back to %s in Git", FirstVersion)
	p("  ringctl release create --app %s --version %s", FirstApp, BadVersion)
	p("")
	p("  # guided tours: ringd demo --list-scenarios, ringd demo --scenario NAME")
	p("")
	p("  ringctl verify-history --repo %s --topology %s", e.RepoURL, e.TopologyPath)
	p("  git clone %s && git -C deploy log --format='%%h %%s'", e.RepoURL)
	p("")
	if d.removeDir {
		p("Ctrl-C stops everything the demo started and removes %s (--keep keeps it).", d.dir)
	} else {
		p("Ctrl-C stops everything the demo started; %s is kept.", d.dir)
	}
}
