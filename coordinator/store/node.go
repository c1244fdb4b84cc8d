package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Node is one server of the replicated coordinator: a hashicorp/raft
// instance over TCP with a durable log, file snapshots and the FSM. It
// implements Store.
type Node struct {
	cfg       Config
	logger    hclog.Logger
	fsm       *FSM
	raft      *raft.Raft
	transport *raft.NetworkTransport
	store     durableStore
	advertise string
	bound     string

	// notifyCh receives raft's leadership transitions (raft blocks on it,
	// so watchLeadership drains it at all times); leaderCh is what
	// LeaderChanges hands out.
	notifyCh chan bool
	leaderCh chan bool
	stop     chan struct{}
	watching sync.WaitGroup
	// obs are the apply and proposal observers (events_hook.go).
	obs nodeObservers
	// readyTerm is the term in which this node, as leader, completed the
	// barrier that applies every entry of earlier terms (LeaderReady).
	readyTerm atomic.Uint64

	shutdownOnce sync.Once
	shutdownErr  error
}

// Sizes of the leadership channels: transitions are rare, and a full
// consumer channel drops the oldest value, never the newest.
const (
	notifyBuffer  = 16
	leaderChanges = 16
)

// transport settings: connections kept per peer and the I/O timeout.
const (
	transportMaxPool = 3
	transportTimeout = 10 * time.Second
)

// NewNode opens the data directory, starts the Raft transport and Raft
// itself, and bootstraps a single-server cluster when cfg.Bootstrap is set
// and the directory holds no Raft state. A node restarted from its data
// directory restores its latest snapshot and rejoins with its log.
func NewNode(cfg Config) (n *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create raft data dir %s: %w", dir, err)
	}
	n = &Node{
		cfg:      cfg,
		logger:   cfg.Logger.Named("node").With("node", cfg.NodeID),
		fsm:      newFSMFor(cfg),
		notifyCh: make(chan bool, notifyBuffer),
		leaderCh: make(chan bool, leaderChanges),
		stop:     make(chan struct{}),
	}
	// Whatever was opened is closed again when a later step fails.
	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i]()
			}
		}
	}()

	// 1. The stream layer: plain TCP unless the caller brings one (TLS).
	stream := cfg.StreamLayer
	if stream == nil {
		tcp, err := listenTCP(cfg.RaftAddr, cfg.RaftAdvertise)
		if err != nil {
			return nil, err
		}
		stream = tcp
	}
	n.cfg.StreamLayer = stream // Join asks it to verify a new voter
	n.advertise, n.bound = stream.Addr().String(), boundAddr(stream)
	if cfg.RaftAdvertise != "" {
		n.advertise = cfg.RaftAdvertise
	}
	n.transport = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  stream,
		MaxPool: transportMaxPool,
		Timeout: transportTimeout,
		Logger:  cfg.Logger.Named("raft-net"),
	})
	closers = append(closers, n.transport.Close)

	// 2. The durable log and stable store, with a cache in front.
	kind, err := resolveLogStore(cfg.LogStore, dir)
	if err != nil {
		return nil, err
	}
	n.cfg.LogStore = kind
	n.store, err = openLogStore(kind, dir)
	if err != nil {
		return nil, err
	}
	closers = append(closers, n.store.Close)
	logs, err := raft.NewLogCache(logCacheSize, n.store)
	if err != nil {
		return nil, fmt.Errorf("create raft log cache: %w", err)
	}

	// 3. Snapshots: the last two are kept on disk.
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, cfg.Logger.Named("snapshot"))
	if err != nil {
		return nil, fmt.Errorf("open snapshot store in %s: %w", dir, err)
	}

	// 4. Raft itself.
	rc := n.raftConfig()
	if err := raft.ValidateConfig(rc); err != nil {
		return nil, fmt.Errorf("raft config: %w", err)
	}
	existing, err := raft.HasExistingState(logs, n.store, snaps)
	if err != nil {
		return nil, fmt.Errorf("read existing raft state in %s: %w", dir, err)
	}
	n.raft, err = raft.NewRaft(rc, observedFSM{FSM: n.fsm, obs: &n.obs}, logs, n.store, snaps, n.transport)
	if err != nil {
		return nil, fmt.Errorf("start raft: %w", err)
	}
	closers = append(closers, func() error { return n.raft.Shutdown().Error() })

	// 5. Bootstrap a brand-new cluster of one; it elects itself.
	if cfg.Bootstrap && !existing {
		boot := raft.Configuration{Servers: []raft.Server{{
			Suffrage: raft.Voter, ID: raft.ServerID(cfg.NodeID), Address: raft.ServerAddress(n.advertise),
		}}}
		if err := n.raft.BootstrapCluster(boot).Error(); err != nil {
			return nil, fmt.Errorf("bootstrap cluster: %w", err)
		}
	}

	// 6. Drain leadership notifications for the node's whole life.
	n.watching.Add(1)
	go n.watchLeadership()
	n.logger.Info("raft node started", "raft_addr", n.advertise, "log_store", kind, "existing_state", existing)
	return n, nil
}

// raftConfig maps Config onto raft.Config.
func (n *Node) raftConfig() *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.cfg.NodeID)
	rc.HeartbeatTimeout = n.cfg.HeartbeatTimeout
	rc.ElectionTimeout = n.cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = n.cfg.LeaderLeaseTimeout
	rc.CommitTimeout = n.cfg.CommitTimeout
	rc.BatchApplyCh = n.cfg.BatchApply
	rc.SnapshotThreshold = n.cfg.SnapshotThreshold
	rc.SnapshotInterval = n.cfg.SnapshotInterval
	rc.TrailingLogs = n.cfg.TrailingLogs
	rc.NotifyCh = n.notifyCh
	rc.Logger = n.cfg.Logger.Named("raft")
	return rc
}

// ID is this node's Raft server ID.
func (n *Node) ID() string { return n.cfg.NodeID }

// RaftAddr is the Raft address other nodes dial (the listener's real
// address when bound to port 0).
func (n *Node) RaftAddr() string { return n.advertise }

// RaftListenAddr is the address the Raft listener is bound to: RaftAddr
// unless an advertised address (a proxy, a NAT) differs from it.
func (n *Node) RaftListenAddr() string { return n.bound }

// HTTPAddr is this node's advertised HTTP address from its Config.
func (n *Node) HTTPAddr() string { return n.cfg.HTTPAddr }

// Shutdown stops the node for a planned restart: a leader first hands its
// leadership to the most up-to-date follower (a few milliseconds instead
// of an election timeout), then Raft stops, then the transport and the
// stores close. LeaderChanges is closed. Safe to call more than once.
func (n *Node) Shutdown() error { return n.shutdown(true) }

// shutdown stops the node; transfer=false is a crash-like stop for tests.
func (n *Node) shutdown(transfer bool) error {
	n.shutdownOnce.Do(func() {
		var errs []error
		if transfer && n.raft.State() == raft.Leader {
			start := time.Now()
			if err := n.raft.LeadershipTransfer().Error(); err != nil {
				n.logger.Warn("leadership transfer before shutdown failed; followers will elect after the election timeout", "error", err)
			} else {
				n.logger.Info("leadership transferred before shutdown", "took", time.Since(start))
			}
		}
		if err := n.raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("stop raft: %w", err))
		}
		close(n.stop)
		n.watching.Wait()
		close(n.leaderCh)
		if err := n.transport.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close raft transport: %w", err))
		}
		if err := n.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close raft log store: %w", err))
		}
		n.shutdownErr = errors.Join(errs...)
	})
	return n.shutdownErr
}
