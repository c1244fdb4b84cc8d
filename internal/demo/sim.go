package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/internal/addrfile"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/proc"
)

// How a region running a bad version shows it (ringsim --mode).
const (
	// ModeMetrics: healthy in Argo CD, 5xx in the metrics (Prometheus
	// analysis fails the ring).
	ModeMetrics = "metrics"
	// ModeDegraded: health Degraded in Argo CD (no Prometheus needed).
	ModeDegraded = "degraded"
)

// SimConfig configures the simulated regions, run as a ringsim child.
type SimConfig struct {
	// Binary is the ringsim executable.
	Binary string
	// Dir receives the topology ringsim reads, its address file and its log.
	Dir string
	// RepoURL and Branch are the GitOps repository the regions sync from;
	// it must exist (ringsim reads it before it serves).
	RepoURL, Branch string
	// Topology names the regions, apps and targets to simulate; its
	// Argo CD and Prometheus addresses are not read.
	Topology []byte
	// TokenFile holds the bearer token the Argo CD API requires.
	TokenFile string
	// Mode is ModeMetrics or ModeDegraded; SyncDelay how long a sync takes.
	Mode      string
	SyncDelay time.Duration
}

// SimRegions is a running ringsim child: it serves the regions' Argo CD
// API, their metrics and a control endpoint on ports it bound itself
// (127.0.0.1:0), read back from its address file. It dies with the demo
// (proc.Restartable: own process group, killed when the demo dies).
type SimRegions struct {
	// ArgoCD and Control are base URLs, Metrics is host:port.
	addrfile.Sim
	// LogPath holds ringsim's output.
	LogPath string

	proc proc.Restartable
}

// StartSimRegions runs ringsim and waits up to timeout until it has
// written its address file. On error nothing is left running.
func StartSimRegions(cfg SimConfig, timeout time.Duration) (*SimRegions, error) {
	if err := checkRingsim(cfg.Binary); err != nil {
		return nil, err
	}
	topologyFile := filepath.Join(cfg.Dir, "ringsim-topology.yaml")
	if err := os.WriteFile(topologyFile, cfg.Topology, 0o644); err != nil {
		return nil, fmt.Errorf("write the simulated regions' topology: %w", err)
	}
	addrFile := filepath.Join(cfg.Dir, "ringsim-addr.json")
	s := &SimRegions{LogPath: filepath.Join(cfg.Dir, "ringsim.log")}
	logf, err := os.Create(s.LogPath)
	if err != nil {
		return nil, fmt.Errorf("create the simulated regions' log: %w", err)
	}
	defer logf.Close() // the child holds its own copy
	build := func() (*exec.Cmd, error) {
		cmd := exec.Command(cfg.Binary, "--repo", cfg.RepoURL, "--branch", cfg.Branch, "--topology", topologyFile,
			"--token-file", cfg.TokenFile, "--addr-file", addrFile, "--mode", cfg.Mode, "--sync-delay", cfg.SyncDelay.String(),
			"--argocd-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--control-addr", "127.0.0.1:0")
		cmd.Stdout, cmd.Stderr = logf, logf
		return cmd, nil
	}
	ready := func(exited func() bool) error {
		var readErr error
		err := poll.For(timeout, "the simulated regions' address file "+addrFile, func() bool {
			s.Sim, readErr = addrfile.ReadSim(addrFile)
			return readErr == nil || exited()
		})
		if err == nil && readErr == nil {
			return nil
		}
		out, _ := os.ReadFile(s.LogPath)
		if err == nil {
			return fmt.Errorf("ringsim exited before it served; its output:\n%s", tail(out, 40))
		}
		return fmt.Errorf("ringsim: %w (last read: %w); its output:\n%s", err, readErr, tail(out, 40))
	}
	if err := s.proc.Start(build, ready); err != nil {
		return nil, err
	}
	return s, nil
}

// checkRingsim fails, naming the file and how to build it, when the
// ringsim executable is not at path.
func checkRingsim(path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("the simulated regions run as %s, which is missing (make build puts ringsim beside ringd, or pass --ringsim PATH): %w", path, err)
	}
	return nil
}

// Stop ends ringsim. It holds no state worth a graceful stop: the regions
// are rebuilt from Git on the next start.
func (s *SimRegions) Stop() { s.proc.Stop() }

// Running reports whether ringsim is up.
func (s *SimRegions) Running() bool { return s.proc.Running() }

// Degrade forces app ("" for every app) in region to report health
// Degraded (on) or lifts that (off).
func (s *SimRegions) Degrade(ctx context.Context, region, app string, on bool) error {
	q := url.Values{"on": {strconv.FormatBool(on)}}
	if app != "" {
		q.Set("app", app)
	}
	return s.control(ctx, "/v1/regions/"+url.PathEscape(region)+"/degrade", q)
}

// SetErrorRatio forces the 5xx fraction (0..1) of every app in region; a
// negative ratio returns to the version's own behaviour.
func (s *SimRegions) SetErrorRatio(ctx context.Context, region string, ratio float64) error {
	return s.control(ctx, "/v1/regions/"+url.PathEscape(region)+"/errors", url.Values{"ratio": {strconv.FormatFloat(ratio, 'g', -1, 64)}})
}

// Pause stops region from applying new commits; Resume lets it apply
// again.
func (s *SimRegions) Pause(ctx context.Context, region string) error {
	return s.control(ctx, "/v1/regions/"+url.PathEscape(region)+"/pause", nil)
}

// Resume lets a paused region apply commits again.
func (s *SimRegions) Resume(ctx context.Context, region string) error {
	return s.control(ctx, "/v1/regions/"+url.PathEscape(region)+"/resume", nil)
}

// errSimControl is a refusal of ringsim's control endpoint.
var errSimControl = errors.New("the simulated regions refused the control")

// control POSTs to ringsim's control endpoint (internal/regionsim
// control.go lists the routes); anything but 204 is an error carrying
// ringsim's message.
func (s *SimRegions) control(ctx context.Context, path string, q url.Values) error {
	u := s.Control + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return fmt.Errorf("simulated regions control %s: %w", path, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("simulated regions control %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%w: POST %s: %s %s", errSimControl, path, resp.Status, strings.TrimSpace(string(b)))
	}
	return nil
}
