package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/store"

	"github.com/hashicorp/go-hclog"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/rings"
)

// newNode starts the Raft node from the command line.
func newNode(cfg Config, httpAdvertise string) (*store.Node, error) {
	stream, err := newRaftStream(cfg)
	if err != nil {
		return nil, err
	}
	return store.NewNode(store.Config{
		StreamLayer:        stream,
		AuditMaxEntries:    cfg.Security.AuditMaxEntries,
		AuditMaxEvidence:   cfg.Security.AuditMaxEvidence,
		AuditMaxAge:        cfg.Security.AuditMaxAge,
		NodeID:             cfg.NodeID,
		DataDir:            cfg.DataDir,
		RaftAddr:           cfg.RaftAddr,
		RaftAdvertise:      cfg.RaftAdvertise,
		HTTPAddr:           httpAdvertise,
		Bootstrap:          cfg.Bootstrap,
		HeartbeatTimeout:   cfg.HeartbeatTimeout,
		ElectionTimeout:    cfg.ElectionTimeout,
		LeaderLeaseTimeout: cfg.LeaderLeaseTimeout,
		CommitTimeout:      cfg.CommitTimeout,
		LogStore:           store.LogStoreKind(cfg.LogStore),
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "ringd", Level: hclog.LevelFromString(cfg.LogLevel), Output: os.Stderr,
		}),
	})
}

// effects are what the leader loop acts on the world through.
type effects struct {
	promoter leader.Promoter
	health   leader.HealthSource
	fence    leader.HaltFence
	// notifier is fed by the leader loop (nil: notifications off).
	notifier leader.Notifier
	// The real effects' extras (effects.go, effects_health.go; nil in
	// memory mode): the pre-promotion and post-ring webhooks, the error
	// budgets, the Git writers (IsAncestor) and the topology read from Git.
	beforePromote  func(ctx context.Context, p rings.Promotion) error
	afterRing      func(ctx context.Context, r leader.RingDone)
	budgets        leader.BudgetSource
	budgetInterval time.Duration
	writers        *gitWriters
	topologyFeed   func() (leader.TopologyDoc, bool)
}

// newEffects returns the in-memory effects, saying so: nothing is written
// to Git and every region reports synced and healthy.
func newEffects(logger *slog.Logger) effects {
	logger.Warn("using in-memory promoter, health source, error budgets and halt fence: nothing is written to Git, every region reports healthy and every error budget whole (--effects memory)")
	return effects{promoter: &leader.MemPromoter{}, health: &leader.MemHealth{}, fence: &leader.MemFence{}, budgets: &leader.MemBudgets{}}
}

// newLoop configures the leader loop; --topology is read on gaining
// leadership.
func newLoop(cfg Config, st leader.Store, fx effects, logger *slog.Logger) (*leader.Loop, error) {
	lc := leader.LoopConfig{
		Store: st, Promoter: fx.promoter, Health: fx.health, Fence: fx.fence,
		Interval: cfg.ReconcileInterval, Logger: logger, Notifier: fx.notifier,
		BeforePromote: fx.beforePromote, AfterRing: fx.afterRing, Budgets: fx.budgets, BudgetInterval: fx.budgetInterval,
		TopologyFeed: fx.topologyFeed,
	}
	if cfg.Topology != "" && fx.topologyFeed == nil {
		path := cfg.Topology
		lc.LoadTopology = func(context.Context) (string, []byte, error) {
			src, err := os.ReadFile(path)
			if err != nil {
				return path, nil, fmt.Errorf("read --topology: %w", err)
			}
			return path, src, nil
		}
	}
	return leader.NewLoop(lc)
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
