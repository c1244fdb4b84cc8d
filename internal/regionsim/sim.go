package regionsim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/regions/argocd"
	"github.com/ringleader-dev/ringleader/regions/argocd/argocdtest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// Mode says how a region running a bad version (one whose name contains
// "bad") shows it.
type Mode string

const (
	// ModeMetrics: Argo CD reports Healthy, but the region's requests fail
	// (BadErrorRatio of them answer 5xx), so Prometheus analysis fails the
	// ring. The default when a Prometheus scrapes the simulator.
	ModeMetrics Mode = "metrics"
	// ModeDegraded: Argo CD reports health Degraded, which fails the ring at
	// once without any Prometheus.
	ModeDegraded Mode = "degraded"
)

// Defaults of Config.
const (
	DefaultSyncDelay         = time.Second
	DefaultPollInterval      = 300 * time.Millisecond
	DefaultBadErrorRatio     = 0.5
	DefaultRequestsPerSecond = 100
)

// ErrUnknownRegion: a control named a region the topology does not have.
var ErrUnknownRegion = errors.New("unknown region")

// IsBad reports whether version is one the simulated regions fail.
func IsBad(version string) bool { return strings.Contains(strings.ToLower(version), "bad") }

// Config configures a Simulator.
type Config struct {
	// Topology lists the regions and apps to simulate; each region's
	// Application name comes from its argocd.application template
	// ("{{app}}-{{region}}" when the region has none).
	Topology *topology.Topology
	// RepoURL and Branch are the GitOps repository the regions sync from.
	RepoURL, Branch string
	// Token is the bearer token the Argo CD API requires.
	Token string
	// Mode is how a bad version shows (default ModeMetrics).
	Mode Mode
	// SyncDelay is how long an Application stays OutOfSync/Progressing
	// after a commit changes its version (default DefaultSyncDelay).
	SyncDelay time.Duration
	// PollInterval is how often the branch head is checked (default
	// DefaultPollInterval).
	PollInterval time.Duration
	// BadErrorRatio is the 5xx fraction of a bad version in ModeMetrics.
	BadErrorRatio float64
	// RequestsPerSecond each region serves per app.
	RequestsPerSecond float64
	Logger            *slog.Logger
}

// Validate fills defaults and rejects a config that cannot work.
func (c *Config) Validate() error {
	var errs []error
	if c.Topology == nil || len(c.Topology.Spec.Regions) == 0 || len(c.Topology.Spec.Apps) == 0 {
		errs = append(errs, errors.New("topology with regions and apps is required"))
	}
	if c.RepoURL == "" {
		errs = append(errs, errors.New("GitOps repository URL is required"))
	}
	if c.Branch == "" {
		c.Branch = "main"
	}
	if c.Token == "" {
		errs = append(errs, errors.New("Argo CD API token is required"))
	}
	switch c.Mode {
	case "":
		c.Mode = ModeMetrics
	case ModeMetrics, ModeDegraded:
	default:
		errs = append(errs, fmt.Errorf("mode %q is not valid; use %q or %q", c.Mode, ModeMetrics, ModeDegraded))
	}
	if c.SyncDelay < 0 || c.PollInterval < 0 || c.BadErrorRatio < 0 || c.BadErrorRatio > 1 || c.RequestsPerSecond < 0 {
		errs = append(errs, errors.New("sync delay, poll interval and requests per second must not be negative, bad error ratio must be within 0..1"))
	}
	c.SyncDelay = cmp.Or(c.SyncDelay, DefaultSyncDelay)
	c.PollInterval = cmp.Or(c.PollInterval, DefaultPollInterval)
	c.BadErrorRatio = cmp.Or(c.BadErrorRatio, DefaultBadErrorRatio)
	c.RequestsPerSecond = cmp.Or(c.RequestsPerSecond, DefaultRequestsPerSecond)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return errors.Join(errs...)
}

// Listeners are where the simulator serves; a nil listener is not served.
type Listeners struct {
	ArgoCD, Metrics, Control net.Listener
}

// Simulator runs every region of a topology like a cluster with Argo CD:
// it syncs each Application from Git after SyncDelay, serves Argo CD's
// Application API for all of them, exposes the request metrics Prometheus
// scrapes, and takes test controls (pause, degrade, errors, delay).
type Simulator struct {
	cfg     Config
	watch   *watcher
	argo    *argocdtest.Server
	metrics *requestMetrics
	apps    []*simApp // in topology order: region, then app
	regions map[string]*regionControl

	mu        sync.Mutex
	delay     time.Duration
	head      plumbing.Hash
	lastErr   error
	servers   []*http.Server
	addrs     Addrs
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

// Addrs are where a started Simulator listens ("" when not served).
type Addrs struct {
	// ArgoCD is the base URL of the Argo CD API (a region's argocd.server).
	ArgoCD string `json:"argocd"`
	// Metrics is the host:port Prometheus scrapes at /metrics.
	Metrics string `json:"metrics"`
	// Control is the base URL of the control endpoint.
	Control string `json:"control"`
}

// simApp is one Application: one app in one region.
type simApp struct {
	region, app, name string
	targets           []topology.Target
	// version runs; revision is the commit it was synced at.
	version, revision string
	// pending: target at targetRev is waiting to be applied since since.
	pending           bool
	target, targetRev string
	since             time.Time
}

// regionControl holds what tests set for one region.
type regionControl struct {
	paused     bool
	degraded   map[string]bool // app → forced Degraded; "" means every app
	errorRatio float64         // forced 5xx ratio; negative: none
}

// Start reads the branch head, puts every Application at the version Git
// holds for it (synced and healthy), serves on ls and follows the branch
// until Close.
func Start(cfg Config, ls Listeners) (*Simulator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("simulated regions: %w", err)
	}
	w, err := newWatcher(cfg.RepoURL, cfg.Branch)
	if err != nil {
		return nil, err
	}
	s := &Simulator{cfg: cfg, watch: w, argo: argocdtest.New(cfg.Token), regions: map[string]*regionControl{},
		delay: cfg.SyncDelay, done: make(chan struct{})}
	for _, r := range cfg.Topology.Spec.Regions {
		s.regions[r.Name] = &regionControl{degraded: map[string]bool{}, errorRatio: -1}
		tmpl := "{{app}}-{{region}}"
		if r.ArgoCD != nil && r.ArgoCD.Application != "" {
			tmpl = r.ArgoCD.Application
		}
		for _, a := range cfg.Topology.Spec.Apps {
			name, err := argocd.ApplicationName(tmpl, a.Name, r.Name)
			if err != nil {
				return nil, fmt.Errorf("simulated regions: %w", err)
			}
			s.apps = append(s.apps, &simApp{region: r.Name, app: a.Name, name: name, targets: a.Targets})
		}
	}
	s.metrics = newRequestMetrics(prometheus.NewRegistry())
	// The first read must work: a simulator that cannot see the repository
	// would report nothing useful.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = s.poll(ctx, time.Now(), true)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("simulated regions: first read of %s: %w", cfg.RepoURL, err)
	}
	s.serve(ls)
	runCtx, stop := context.WithCancel(context.Background())
	s.cancel = stop
	go s.run(runCtx)
	return s, nil
}

// Addrs returns where the simulator listens.
func (s *Simulator) Addrs() Addrs {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs
}

// ArgoCD returns the Argo CD API server, for tests that stall it or make it
// fail (argocdtest.Server.Stall, FailWith).
func (s *Simulator) ArgoCD() *argocdtest.Server { return s.argo }

// Close stops following Git and serving.
func (s *Simulator) Close() {
	s.closeOnce.Do(func() {
		if s.cancel != nil {
			s.cancel()
			<-s.done
		}
		s.argo.Close()
		for _, srv := range s.servers {
			_ = srv.Close()
		}
	})
}

// run polls the branch and advances the Applications and the request
// counters until ctx ends. Traffic has its own goroutine: a poll can wait
// up to its timeout on a Git server that hangs, and the regions must keep
// serving requests meanwhile, or every rate window over that stretch would
// be empty (0/0) and judged as failing evidence.
func (s *Simulator) run(ctx context.Context) {
	defer close(s.done)
	served := make(chan struct{})
	go func() {
		defer close(served)
		s.runTraffic(ctx)
	}()
	defer func() { <-served }()
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-poll.C:
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := s.poll(pctx, now, false)
			cancel()
			s.mu.Lock()
			changed := (err == nil) != (s.lastErr == nil)
			s.lastErr = err
			s.mu.Unlock()
			if err != nil && changed && ctx.Err() == nil {
				s.cfg.Logger.Warn("simulated regions cannot read the GitOps repository; Applications keep their last state", "err", err)
			}
		}
	}
}

// runTraffic counts requests every 200 ms until ctx ends.
func (s *Simulator) runTraffic(ctx context.Context) {
	traffic := time.NewTicker(200 * time.Millisecond)
	defer traffic.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-traffic.C:
			s.serveTraffic(now.Sub(last))
			last = now
		}
	}
}

// poll reads the branch head; when it moved, it reads every Application's
// version there. Then it applies the syncs whose delay is over and
// publishes every Application to the Argo CD API.
func (s *Simulator) poll(ctx context.Context, now time.Time, initial bool) error {
	head, err := s.watch.head(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	moved := head != s.head
	s.mu.Unlock()
	if moved {
		tree, err := s.watch.tree(ctx, head)
		if err != nil {
			return err
		}
		versions, err := s.read(tree)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.head = head
		for i, a := range s.apps {
			s.observe(a, versions[i], head.String(), now, initial)
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.apps {
		if a.pending && !s.regions[a.region].paused && now.Sub(a.since) >= s.delay {
			a.version, a.revision, a.pending = a.target, a.targetRev, false
		}
		s.argo.Set(a.name, s.stateLocked(a))
	}
	return nil
}

// read returns each Application's version at tree, in s.apps order: the
// first of its app's targets that holds one.
func (s *Simulator) read(tree *object.Tree) ([]string, error) {
	out := make([]string, len(s.apps))
	for i, a := range s.apps {
		var errs []error
		for _, t := range a.targets {
			file := TargetFile(t, a.app, a.region)
			content, ok, err := gitops.ReadFile(tree, file)
			if err != nil {
				return nil, err
			}
			if !ok {
				errs = append(errs, fmt.Errorf("%s: file missing: %w", file, ErrNoVersion))
				continue
			}
			region, _ := s.cfg.Topology.RegionByName(a.region)
			v, err := ReadVersionIn(content, t, region)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", file, err))
				continue
			}
			out[i] = v
			break
		}
		if out[i] == "" {
			return nil, fmt.Errorf("app %s in region %s: %w", a.app, a.region, errors.Join(errs...))
		}
	}
	return out, nil
}

// observe records that Git now wants version at commit for a. Called with
// s.mu held.
func (s *Simulator) observe(a *simApp, version, commit string, now time.Time, initial bool) {
	switch {
	case initial:
		a.version, a.revision = version, commit
	case version == a.version:
		// Nothing to apply: Argo CD compares the new commit and finds the
		// live state equal, so it reports Synced there.
		a.revision, a.pending = commit, false
	case a.pending && version == a.target:
		// Still applying the same version; the comparison moves on.
		a.targetRev = commit
	default:
		a.pending, a.target, a.targetRev, a.since = true, version, commit, now
	}
}

// stateLocked is what Argo CD reports for a. Called with s.mu held.
func (s *Simulator) stateLocked(a *simApp) argocdtest.State {
	rc := s.regions[a.region]
	health, msg := argocdtest.HealthHealthy, ""
	switch {
	case rc.degraded[a.app] || rc.degraded[""]:
		health, msg = argocdtest.HealthDegraded, "Deployment "+a.app+" exceeded its progress deadline (forced by the simulator)"
	case s.cfg.Mode == ModeDegraded && IsBad(a.version):
		health, msg = argocdtest.HealthDegraded, "Deployment "+a.app+" has pods in CrashLoopBackOff (version "+a.version+")"
	}
	switch {
	case a.pending && rc.paused:
		return argocdtest.State{Sync: argocdtest.SyncOutOfSync, Revision: a.targetRev, Health: health, HealthMessage: msg,
			Operation: argocdtest.OperationSucceeded, OperationRevision: a.revision}
	case a.pending:
		st := argocdtest.State{Sync: argocdtest.SyncOutOfSync, Revision: a.targetRev,
			Health: argocdtest.HealthProgressing, HealthMessage: "rolling out " + a.target,
			Operation: argocdtest.OperationRunning, OperationMessage: "syncing " + a.target, OperationRevision: a.targetRev}
		if a.generated() {
			st.TargetRevision, st.OperationTargetRevision = a.version, a.target
		}
		return st
	}
	st := argocdtest.State{Sync: argocdtest.SyncSynced, Revision: a.revision, Health: health, HealthMessage: msg,
		Operation: argocdtest.OperationSucceeded, OperationMessage: "successfully synced " + a.version}
	if a.generated() {
		st.TargetRevision = a.version
	}
	return st
}

// generated reports whether the Application is generated by an
// ApplicationSet whose list element carries the version: its own
// targetRevision is then the version it runs, which is what the health
// gate judges such an app by (regions/argocd EvaluateValue).
func (a *simApp) generated() bool {
	return slices.ContainsFunc(a.targets, func(t topology.Target) bool { return t.ApplicationSetElement != nil })
}
