package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ringleader-dev/ringleader/coordinator"
	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/store"
)

// newLogger returns the process logger at level.
func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// newNode starts the Raft node from the command line.
func newNode(cfg config, httpAdvertise string) (*store.Node, error) {
	stream, err := newRaftStream(cfg)
	if err != nil {
		return nil, err
	}
	return store.NewNode(store.Config{
		StreamLayer:        stream,
		AuditMaxEntries:    cfg.sec.auditMaxEntries,
		AuditMaxEvidence:   cfg.sec.auditMaxEvidence,
		AuditMaxAge:        cfg.sec.auditMaxAge,
		NodeID:             cfg.nodeID,
		DataDir:            cfg.dataDir,
		RaftAddr:           cfg.raftAddr,
		RaftAdvertise:      cfg.raftAdvertise,
		HTTPAddr:           httpAdvertise,
		Bootstrap:          cfg.bootstrap,
		HeartbeatTimeout:   cfg.heartbeatTimeout,
		ElectionTimeout:    cfg.electionTimeout,
		LeaderLeaseTimeout: cfg.leaderLeaseTimeout,
		CommitTimeout:      cfg.commitTimeout,
		LogStore:           store.LogStoreKind(cfg.logStore),
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "ringd", Level: hclog.LevelFromString(cfg.logLevel), Output: os.Stderr,
		}),
	})
}

// effects are what the leader loop acts on the world through.
type effects struct {
	promoter coordinator.Promoter
	// baseline reads what the regions run now from Git (nil: the loop
	// falls back to the promoter when it can read).
	baseline coordinator.BaselineReader
	health   coordinator.HealthSource
	fence    coordinator.HaltFence
	// notifier is fed by the leader loop (nil: notifications off).
	notifier coordinator.Notifier
	// The real effects' extras (effects.go, effects_health.go; nil in
	// memory mode): the pre-promotion and post-ring webhooks, the error
	// budgets, the Git writers (IsAncestor) and the topology read from Git.
	beforePromote  func(ctx context.Context, p coordinator.Promotion) error
	afterRing      func(ctx context.Context, r coordinator.RingDone)
	budgets        coordinator.BudgetSource
	budgetInterval time.Duration
	writers        *gitWriters
	topologyFeed   func() (coordinator.TopologyDoc, bool)
}

// newEffects returns the in-memory effects, saying so: nothing is written
// to Git and every region reports synced and healthy.
func newEffects(logger *slog.Logger) effects {
	logger.Warn("using in-memory promoter, health source, error budgets and halt fence: nothing is written to Git, every region reports healthy and every error budget whole (the Git writer and region adapters are not wired in yet)")
	return effects{promoter: &coordinator.MemPromoter{}, health: &coordinator.MemHealth{}, fence: &coordinator.MemFence{}, budgets: &coordinator.MemBudgets{}}
}

// newLoop configures the leader loop; --topology is read on gaining
// leadership.
func newLoop(cfg config, store coordinator.Store, fx effects, logger *slog.Logger) (*coordinator.Loop, error) {
	lc := coordinator.LoopConfig{
		Store: store, Promoter: fx.promoter, Baseline: fx.baseline, Health: fx.health, Fence: fx.fence,
		Interval: cfg.reconcileInterval, Logger: logger, Notifier: fx.notifier,
		BeforePromote: fx.beforePromote, AfterRing: fx.afterRing, Budgets: fx.budgets, BudgetInterval: fx.budgetInterval,
		TopologyFeed: fx.topologyFeed,
	}
	if cfg.topology != "" && fx.topologyFeed == nil {
		path := cfg.topology
		lc.LoadTopology = func(context.Context) (string, []byte, error) {
			src, err := os.ReadFile(path)
			if err != nil {
				return path, nil, fmt.Errorf("read --topology: %w", err)
			}
			return path, src, nil
		}
	}
	return coordinator.NewLoop(lc)
}

// addrFile is DATA_DIR/addr.json: where this node listens.
type addrFile struct {
	NodeID string `json:"nodeId"`
	HTTP   string `json:"http"`
	Raft   string `json:"raft"`
	PID    int    `json:"pid"`
	// Debug is the --debug-addr listener, when one is on.
	Debug string `json:"debug,omitempty"`
}

// announce prints the bound addresses and writes them to addr.json
// (atomically, so a reader never sees half a file).
func announce(dataDir string, a addrFile) error {
	fmt.Printf("ringd: node=%s http=%s raft=%s\n", a.NodeID, a.HTTP, a.Raft)
	a.PID = os.Getpid()
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dataDir, "addr.json.tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dataDir, "addr.json"))
}

// joinCluster asks the member at url to add this node, retrying while the
// cluster has no leader or the member is unreachable.
func joinCluster(ctx context.Context, url string, req apiclient.JoinRequest, sec *security, logger *slog.Logger) error {
	if !strings.Contains(url, "://") {
		url = sec.scheme() + "://" + url
	}
	c := apiclient.NewClient(url, sec.joinToken)
	c.HTTP = sec.client
	c.Actor = req.ID
	backoff := 200 * time.Millisecond
	for {
		_, err := c.Join(ctx, req)
		if err == nil {
			logger.Info("joined the cluster", "via", url)
			return nil
		}
		if !apiclient.IsRetryable(err) {
			return err
		}
		logger.Info("join not accepted yet; retrying", "via", url, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up after --join-timeout: %w", errors.Join(err, ctx.Err()))
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}
