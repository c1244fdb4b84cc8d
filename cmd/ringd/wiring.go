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
func newNode(cfg config, httpAdvertise string) (*coordinator.Node, error) {
	return coordinator.NewNode(coordinator.Config{
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
		LogStore:           coordinator.LogStoreKind(cfg.logStore),
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "ringd", Level: hclog.LevelFromString(cfg.logLevel), Output: os.Stderr,
		}),
	})
}

// effects are what the leader loop acts on the world through.
type effects struct {
	promoter coordinator.Promoter
	health   coordinator.HealthSource
	fence    coordinator.HaltFence
}

// newEffects returns the in-memory effects, saying so: nothing is written
// to Git and every region reports synced and healthy.
func newEffects(logger *slog.Logger) effects {
	logger.Warn("using in-memory promoter, health source and halt fence: nothing is written to Git and every region reports healthy (the Git writer and region adapters are not wired in yet)")
	return effects{promoter: &coordinator.MemPromoter{}, health: &coordinator.MemHealth{}, fence: &coordinator.MemFence{}}
}

// newLoop configures the leader loop; --topology is read on gaining
// leadership.
func newLoop(cfg config, store coordinator.Store, fx effects, logger *slog.Logger) (*coordinator.Loop, error) {
	lc := coordinator.LoopConfig{
		Store: store, Promoter: fx.promoter, Health: fx.health, Fence: fx.fence,
		Interval: cfg.reconcileInterval, Logger: logger,
	}
	if cfg.topology != "" {
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
}

// announce prints the bound addresses and writes them to addr.json
// (atomically, so a reader never sees half a file).
func announce(dataDir, nodeID, httpAddr, raftAddr string) error {
	fmt.Printf("ringd: node=%s http=%s raft=%s\n", nodeID, httpAddr, raftAddr)
	b, err := json.MarshalIndent(addrFile{NodeID: nodeID, HTTP: httpAddr, Raft: raftAddr, PID: os.Getpid()}, "", "  ")
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
func joinCluster(ctx context.Context, url string, req coordinator.JoinRequest, logger *slog.Logger) error {
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	c := coordinator.NewClient(url, "")
	c.Actor = req.ID
	backoff := 200 * time.Millisecond
	for {
		_, err := c.Join(ctx, req)
		if err == nil {
			logger.Info("joined the cluster", "via", url)
			return nil
		}
		if !coordinator.IsRetryable(err) {
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
