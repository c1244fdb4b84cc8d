package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ringleader-dev/ringleader/internal/promserver"
	"github.com/ringleader-dev/ringleader/internal/regionsim"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// RepoName is the generated GitOps repository's name on the Git server;
// TopologyFile is where the topology lives in it.
const (
	RepoName     = "deploy"
	TopologyFile = "rings.yaml"
)

// EnvConfig configures the world around a demo node.
type EnvConfig struct {
	// Dir holds everything the environment writes (created if needed).
	Dir string
	// SoakScale multiplies DefaultSoaks (default 1).
	SoakScale float64
	// NoPrometheus skips Prometheus even when it is installed: health then
	// comes from Argo CD alone and bad versions report Degraded.
	NoPrometheus bool
	// NoApproval drops the manual approval of ring early.
	NoApproval bool
	// SyncDelay is the simulated Argo CD's sync time (default 2s).
	SyncDelay time.Duration
	Logger    *slog.Logger
}

// Env is a running demo world: a Git server with the generated GitOps
// repository, the simulated regions and, when installed, a Prometheus
// scraping them.
type Env struct {
	Dir string
	Git *GitServer
	// RepoURL and Branch are the GitOps repository.
	RepoURL, Branch string
	// TopologyPath is the demo topology on disk; the same file is
	// TopologyFile in the repository (TopologyLocation).
	TopologyPath, TopologyLocation string
	Topology                       *topology.Topology
	Sim                            *regionsim.Simulator
	// Prometheus is nil when not installed or NoPrometheus.
	Prometheus *promserver.Server
	// PrometheusNote says why there is no Prometheus.
	PrometheusNote string
	Mode           regionsim.Mode
	// ArgoCDToken and ArgoCDTokenFile are what the Argo CD API requires.
	ArgoCDToken, ArgoCDTokenFile string
}

// StartEnv starts the Git server, generates and pushes the GitOps
// repository, starts Prometheus (if it can) and the simulated regions (call
// WaitForMetrics before starting a release). On error everything started
// is stopped.
func StartEnv(cfg EnvConfig) (_ *Env, err error) {
	if cfg.SoakScale <= 0 {
		cfg.SoakScale = 1
	}
	if cfg.SyncDelay <= 0 {
		cfg.SyncDelay = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Env{Dir: cfg.Dir, Branch: "main", Mode: regionsim.ModeDegraded}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	// 1. The Git server and the repository's URL (the repository itself
	// comes once the topology naming it is rendered).
	if e.Git, err = StartGitServer(filepath.Join(cfg.Dir, "git")); err != nil {
		return nil, err
	}
	e.RepoURL = e.Git.URL(RepoName)

	// 2. The simulated regions' listeners: the topology needs their
	// addresses before the simulator can read it from Git.
	var ls regionsim.Listeners
	for _, l := range []*net.Listener{&ls.ArgoCD, &ls.Metrics, &ls.Control} {
		if *l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("listen for the simulated regions: %w", err)
		}
	}
	closeListeners := func() {
		for _, l := range []net.Listener{ls.ArgoCD, ls.Metrics, ls.Control} {
			_ = l.Close()
		}
	}

	// 3. Prometheus, scraping the simulator every second.
	switch {
	case cfg.NoPrometheus:
		e.PrometheusNote = "Prometheus skipped (--no-prometheus)"
	default:
		e.Prometheus, err = promserver.Start(promserver.Config{Dir: filepath.Join(cfg.Dir, "prometheus"),
			Targets: []string{ls.Metrics.Addr().String()}, ScrapeInterval: time.Second})
		switch {
		case errors.Is(err, promserver.ErrNoBinary):
			e.PrometheusNote = "prometheus is not installed (Debian: apt-get install prometheus)"
			err = nil
		case err != nil:
			closeListeners()
			return nil, err
		default:
			e.Mode = regionsim.ModeMetrics
		}
	}

	// 4. The topology and the GitOps repository holding it.
	soaks := ScaledSoaks(cfg.SoakScale)
	opts := TopologyOptions{RepoURL: e.RepoURL, Branch: e.Branch, ArgoCDServer: "http://" + ls.ArgoCD.Addr().String(),
		CanarySoak: soaks[0], EarlySoak: soaks[1], GlobalSoak: soaks[2], Approval: !cfg.NoApproval}
	if e.Prometheus != nil {
		opts.PrometheusURL = e.Prometheus.URL
	}
	src, top, err := Topology(opts)
	if err != nil {
		closeListeners()
		return nil, err
	}
	e.Topology = top
	e.TopologyPath = filepath.Join(cfg.Dir, TopologyFile)
	e.TopologyLocation = e.RepoURL + "#" + TopologyFile
	if err := os.WriteFile(e.TopologyPath, src, 0o644); err != nil {
		closeListeners()
		return nil, fmt.Errorf("write the demo topology: %w", err)
	}
	files, err := regionsim.SeedFiles(top, InitialVersions, map[string][]byte{TopologyFile: src})
	if err != nil {
		closeListeners()
		return nil, err
	}
	if _, err := e.Git.CreateRepo(RepoName, e.Branch, files); err != nil {
		closeListeners()
		return nil, err
	}

	// 5. The simulated regions, with a fresh Argo CD token.
	e.ArgoCDToken = randomToken()
	e.ArgoCDTokenFile = filepath.Join(cfg.Dir, "argocd-token")
	if err := os.WriteFile(e.ArgoCDTokenFile, []byte(e.ArgoCDToken+"\n"), 0o600); err != nil {
		closeListeners()
		return nil, fmt.Errorf("write the Argo CD token: %w", err)
	}
	e.Sim, err = regionsim.Start(regionsim.Config{Topology: top, RepoURL: e.RepoURL, Branch: e.Branch, Token: e.ArgoCDToken,
		Mode: e.Mode, SyncDelay: cfg.SyncDelay, Logger: cfg.Logger}, ls)
	if err != nil {
		closeListeners()
		return nil, err
	}

	return e, nil
}

// WaitForMetrics waits until Prometheus has a request rate for the
// simulated regions (analysis fails closed on missing data, so no release
// should start before). Without Prometheus it returns at once.
func (e *Env) WaitForMetrics(ctx context.Context, timeout time.Duration) error {
	if e.Prometheus == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, err := hasData(ctx, e.Prometheus.URL, "sum(rate(http_requests_total[30s])) > 0")
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("prometheus has no request rate for the simulated regions after %s (last error: %v): %w", timeout, err, ctx.Err())
		case <-time.After(250 * time.Millisecond): // polling interval
		}
	}
}

// Close stops what StartEnv started, in reverse order. It does not remove
// Dir.
func (e *Env) Close() {
	if e.Sim != nil {
		e.Sim.Close()
	}
	if e.Prometheus != nil {
		e.Prometheus.Stop()
	}
	if e.Git != nil {
		e.Git.Stop()
	}
}

// randomToken returns 32 random bytes in hex.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
