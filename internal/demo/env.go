package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/ringleader-dev/ringleader/internal/promserver"
	"github.com/ringleader-dev/ringleader/internal/seedrepo"
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
	// Ringsim is the ringsim executable that runs the simulated regions.
	Ringsim string
	// SoakScale multiplies DefaultSoaks (default 1).
	SoakScale float64
	// NoPrometheus skips Prometheus even when it is installed: health then
	// comes from Argo CD alone and bad versions report Degraded.
	NoPrometheus bool
	// NoApproval drops the manual approval of ring early.
	NoApproval bool
	// SyncDelay is the simulated Argo CD's sync time (default 2s).
	SyncDelay time.Duration
}

// Env is a running demo world: a Git server with the generated GitOps
// repository, the simulated regions (a ringsim child) and, when installed,
// a Prometheus scraping them.
type Env struct {
	Dir string
	Git *GitServer
	// RepoURL and Branch are the GitOps repository.
	RepoURL, Branch string
	// TopologyPath is the demo topology on disk; the same file is
	// TopologyFile in the repository (TopologyLocation).
	TopologyPath, TopologyLocation string
	Topology                       *topology.Topology
	Sim                            *SimRegions
	// Prometheus is nil when not installed or NoPrometheus.
	Prometheus *promserver.Server
	// PrometheusNote says why there is no Prometheus.
	PrometheusNote string
	// Mode is how a bad version shows: ModeMetrics with Prometheus,
	// ModeDegraded without.
	Mode string
	// ArgoCDToken and ArgoCDTokenFile are what the Argo CD API requires.
	ArgoCDToken, ArgoCDTokenFile string
}

// simPlaceholder stands for the simulated regions' Argo CD address in the
// topology the repository is seeded from and ringsim reads: ringsim binds
// its ports itself, so the real address exists only once it runs, and it
// reads only the regions, apps and targets.
const simPlaceholder = "http://ringsim.invalid"

// StartEnv starts the Git server, seeds the GitOps repository, starts the
// simulated regions (ringsim), Prometheus (if it can) and commits the
// demo topology naming their addresses (call WaitForMetrics before
// starting a release). On error everything started is stopped.
func StartEnv(cfg EnvConfig) (_ *Env, err error) {
	if cfg.SoakScale <= 0 {
		cfg.SoakScale = 1
	}
	if cfg.SyncDelay <= 0 {
		cfg.SyncDelay = 2 * time.Second
	}
	if err := checkRingsim(cfg.Ringsim); err != nil {
		return nil, err
	}
	e := &Env{Dir: cfg.Dir, Branch: "main", Mode: ModeDegraded}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	soaks := ScaledSoaks(cfg.SoakScale)
	opts := TopologyOptions{Branch: e.Branch, ArgoCDServer: simPlaceholder,
		CanarySoak: soaks[0], EarlySoak: soaks[1], GlobalSoak: soaks[2], Approval: !cfg.NoApproval,
		RollbackTimeout: max(20*time.Second, time.Duration(float64(30*time.Second)*cfg.SoakScale).Round(time.Second))}

	// 1. The Git server and the repository, seeded with InitialVersions of
	// every app in every region.
	if e.Git, err = StartGitServer(filepath.Join(cfg.Dir, "git")); err != nil {
		return nil, err
	}
	e.RepoURL = e.Git.URL(RepoName)
	opts.RepoURL = e.RepoURL
	seedSrc, seedTop, err := Topology(opts)
	if err != nil {
		return nil, err
	}
	files, err := seedrepo.Files(seedTop, InitialVersions, nil)
	if err != nil {
		return nil, err
	}
	if _, err := e.Git.CreateRepo(RepoName, e.Branch, files); err != nil {
		return nil, err
	}

	// 2. The simulated regions, a ringsim child on ports it binds itself,
	// with a fresh Argo CD token. Bad versions fail in the metrics when a
	// Prometheus will scrape them, else in Argo CD's health.
	e.ArgoCDToken = randomToken()
	e.ArgoCDTokenFile = filepath.Join(cfg.Dir, "argocd-token")
	if err := os.WriteFile(e.ArgoCDTokenFile, []byte(e.ArgoCDToken+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write the Argo CD token: %w", err)
	}
	if _, lookErr := exec.LookPath("prometheus"); lookErr == nil && !cfg.NoPrometheus {
		e.Mode = ModeMetrics
	}
	e.Sim, err = StartSimRegions(SimConfig{Binary: cfg.Ringsim, Dir: cfg.Dir, RepoURL: e.RepoURL, Branch: e.Branch,
		Topology: seedSrc, TokenFile: e.ArgoCDTokenFile, Mode: e.Mode, SyncDelay: cfg.SyncDelay}, 30*time.Second)
	if err != nil {
		return nil, err
	}
	// BurntRegion starts spending its error budget before Prometheus first
	// scrapes it, so every figure Prometheus has of it is burnt.
	if e.Mode == ModeMetrics {
		if err := e.Sim.SetErrorRatio(context.Background(), BurntRegion, BurntErrorRatio); err != nil {
			return nil, fmt.Errorf("burn the error budget of %s: %w", BurntRegion, err)
		}
	}

	// 3. Prometheus, scraping the simulated regions every second.
	switch {
	case cfg.NoPrometheus:
		e.PrometheusNote = "Prometheus skipped (--no-prometheus)"
	default:
		e.Prometheus, err = promserver.Start(promserver.Config{Dir: filepath.Join(cfg.Dir, "prometheus"),
			Targets: []string{e.Sim.Metrics}, ScrapeInterval: time.Second})
		switch {
		case errors.Is(err, promserver.ErrNoBinary):
			e.PrometheusNote = "prometheus is not installed (Debian: apt-get install prometheus)"
			err = nil
		case err != nil:
			return nil, err
		}
	}

	// 4. The demo topology, naming the simulated regions and Prometheus,
	// on disk and committed to the repository, where ringd reads it.
	opts.ArgoCDServer = e.Sim.ArgoCD
	if e.Prometheus != nil {
		opts.PrometheusURL = e.Prometheus.URL
	}
	src, top, err := Topology(opts)
	if err != nil {
		return nil, err
	}
	e.Topology = top
	e.TopologyPath = filepath.Join(cfg.Dir, TopologyFile)
	e.TopologyLocation = e.RepoURL + "#" + TopologyFile
	if err := os.WriteFile(e.TopologyPath, src, 0o644); err != nil {
		return nil, fmt.Errorf("write the demo topology: %w", err)
	}
	if err := e.Git.CommitFiles(RepoName, e.Branch, "add the demo topology", map[string][]byte{TopologyFile: src}); err != nil {
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
		e.Sim.Stop()
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
