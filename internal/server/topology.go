package server

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/internal/gitops"
)

// topologyConfig says where the topology comes from when it lives in Git.
type topologyConfig struct {
	// Location is "<git url>#<path>".
	Location string
	// Branch to read (default main).
	Branch string
	// Dir holds the topology reader's own working copy.
	Dir string
	// Auth are the Git credentials (the GitOps ones).
	Auth gitops.Auth
	// Interval between fetches (default 30s).
	Interval time.Duration
}

// isGitTopology reports whether --topology names a file in a Git
// repository ("<git url>#<path>") rather than a local file.
func isGitTopology(loc string) bool {
	i := strings.LastIndexByte(loc, '#')
	if i <= 0 {
		return false
	}
	u := loc[:i]
	return strings.Contains(u, "://") || strings.HasPrefix(u, "git@")
}

// topologyFeed keeps the newest topology document read from Git. Every
// node watches; only the leader's loop proposes it (LoopConfig.TopologyFeed),
// so every node ends up with the same revision through the log.
type topologyFeed struct {
	src    *gitops.TopologySource
	file   string
	logger *slog.Logger

	mu       sync.Mutex
	doc      leader.TopologyDoc
	ok       bool
	onUpdate func()
}

// newTopologyFeed opens the topology reader's working copy; nothing is
// fetched until run.
func newTopologyFeed(cfg topologyConfig, logger *slog.Logger) (*topologyFeed, error) {
	_, file, err := gitops.ParseTopologyURL(cfg.Location)
	if err != nil {
		return nil, err
	}
	src, err := gitops.NewTopologySource(gitops.TopologyConfig{Location: cfg.Location, Branch: cfg.Branch, Dir: cfg.Dir,
		Auth: cfg.Auth, Interval: cfg.Interval})
	if err != nil {
		return nil, err
	}
	return &topologyFeed{src: src, file: file, logger: logger}, nil
}

// latest is LoopConfig.TopologyFeed.
func (f *topologyFeed) latest() (leader.TopologyDoc, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.doc, f.ok
}

// notify sets what is called after a new document arrived (the loop's
// Kick, so the leader proposes it at once).
func (f *topologyFeed) notify(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onUpdate = fn
}

// run fetches now and every interval until ctx ends. A failed read is
// logged; the last document read stays.
func (f *topologyFeed) run(ctx context.Context) {
	_ = f.src.Watch(ctx, func(content []byte, revision string) {
		f.mu.Lock()
		f.doc = leader.TopologyDoc{Path: f.file, Revision: revision, Source: content}
		f.ok = true
		kick := f.onUpdate
		f.mu.Unlock()
		f.logger.Info("read a new topology revision from Git", "path", f.file, "revision", revision)
		if kick != nil {
			kick()
		}
	}, func(err error) {
		f.logger.Warn("read topology from Git failed; the last revision read stays", "err", err)
	})
}

// newTopologyWatch returns the Git topology feed for --topology
// <git url>#<path>, or nil when --topology is a local file (or unset).
// The reader keeps its working copy in DATA_DIR/topology and uses the
// GitOps credentials and --gitops-branch (default main).
func newTopologyWatch(cfg Config, logger *slog.Logger) (*topologyFeed, error) {
	if !isGitTopology(cfg.Topology) {
		return nil, nil
	}
	return newTopologyFeed(topologyConfig{
		Location: cfg.Topology, Branch: cfg.Effects.GitOpsBranch, Dir: filepath.Join(cfg.DataDir, "topology"),
		Auth: cfg.Effects.auth(), Interval: cfg.TopologyInterval,
	}, logger)
}
