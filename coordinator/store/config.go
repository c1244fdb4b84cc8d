package store

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
)

// LogStoreKind selects the durable Raft log and stable store.
type LogStoreKind string

// Log stores. Both fsync every append; both are wrapped in raft.NewLogCache.
// DESIGN.md has the measurements that chose the default.
const (
	// LogStoreBolt is raft-boltdb v2 (bbolt with NoFreelistSync): one B+tree
	// file, the store Consul and Nomad ran for years.
	LogStoreBolt LogStoreKind = "bolt"
	// LogStoreWAL is raft-wal: segment files appended with one fsync per
	// batch, faster commits, still labelled experimental upstream.
	LogStoreWAL LogStoreKind = "wal"
)

// DefaultLogStore is the log store of a new data directory when
// Config.LogStore is empty: raft-wal commits in about half the time of
// BoltDB (DESIGN.md). A data directory that already holds a log keeps the
// store it was written with.
const DefaultLogStore = LogStoreWAL

// Timing defaults tuned for a LAN: a follower notices a dead leader after
// one to two heartbeat timeouts, so a new leader serves within about a second
// (DESIGN.md has the measured failover).
const (
	DefaultHeartbeatTimeout   = 300 * time.Millisecond
	DefaultElectionTimeout    = 300 * time.Millisecond
	DefaultLeaderLeaseTimeout = 150 * time.Millisecond
	DefaultCommitTimeout      = 50 * time.Millisecond
	DefaultSnapshotThreshold  = 8192
	DefaultSnapshotInterval   = 2 * time.Minute
	DefaultTrailingLogs       = 10240
	DefaultApplyTimeout       = 10 * time.Second
	DefaultRequestLogSize     = 10000
)

// Config configures one replicated node. Validate normalises it; NewNode
// calls Validate itself.
type Config struct {
	// NodeID is this server's stable Raft ID (e.g. "n1"). Required.
	NodeID string
	// DataDir holds the Raft log, the stable store and the snapshots.
	// Required; created if missing.
	DataDir string
	// RaftAddr is the address the Raft transport binds ("127.0.0.1:0" picks
	// a free port). Required unless StreamLayer is set.
	RaftAddr string
	// RaftAdvertise is the address other nodes dial. Empty means the
	// listener's real address, which must then not be unspecified (0.0.0.0).
	RaftAdvertise string
	// StreamLayer, when set, replaces the plain TCP stream layer (for
	// example with mutual TLS). Its Addr() is the advertised address unless
	// RaftAdvertise is set. The node closes it on shutdown.
	StreamLayer StreamLayer
	// HTTPAddr is this node's advertised HTTP API address, recorded in the
	// replicated state so that any node can point clients at the leader.
	HTTPAddr string
	// Bootstrap makes this node form a new single-server cluster when its
	// data directory holds no Raft state. Ignored when state exists.
	Bootstrap bool

	// Raft timing; zero means the default above. Must satisfy
	// LeaderLeaseTimeout <= HeartbeatTimeout <= ElectionTimeout.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	// BatchApply lets Raft group proposals that arrive together into one
	// log write (raft.Config.BatchApplyCh; group commit of concurrent halts).
	BatchApply bool

	// SnapshotThreshold is how many log entries since the last snapshot
	// trigger a new one; SnapshotInterval how often that is checked;
	// TrailingLogs how many entries are kept after a snapshot so slow
	// followers catch up from the log.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64

	// LogStore chooses the durable log. Empty means the store the data
	// directory already holds, or DefaultLogStore for a new one. Naming a
	// store other than the one on disk is an error, never an empty log.
	LogStore LogStoreKind
	// ApplyTimeout bounds Apply when the context has no deadline.
	ApplyTimeout time.Duration
	// RequestLogSize is how many recent RequestIDs the state machine
	// remembers for idempotency (default 10,000). Every node of a cluster
	// must use the same value.
	RequestLogSize int
	// AuditMaxEntries, AuditMaxEvidence and AuditMaxAge bound the audit
	// trail (AuditRetention; zero means the default, no age limit). Every
	// node of a cluster must use the same values.
	AuditMaxEntries  int
	AuditMaxEvidence int
	AuditMaxAge      time.Duration

	// Logger receives Raft's and the node's logs. Nil logs at Info to stderr.
	Logger hclog.Logger
	// Now is the clock used only when proposing commands (it stamps
	// Command.At). Nil means time.Now.
	Now func() time.Time
}

// Validate fills defaults and rejects a configuration that cannot work.
func (c *Config) Validate() error {
	var errs []error
	if c.NodeID == "" {
		errs = append(errs, errors.New("node ID is empty: set a stable ID such as n1"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir is empty: set a directory for the Raft log and snapshots"))
	}
	if c.StreamLayer == nil {
		if c.RaftAddr == "" {
			errs = append(errs, errors.New("raft address is empty: set host:port to bind, e.g. 127.0.0.1:7000"))
		} else if _, _, err := net.SplitHostPort(c.RaftAddr); err != nil {
			errs = append(errs, fmt.Errorf("raft address %q: %w", c.RaftAddr, err))
		}
	}
	if c.RaftAdvertise != "" {
		if err := checkAdvertise(c.RaftAdvertise); err != nil {
			errs = append(errs, err)
		}
	}
	setDur(&c.HeartbeatTimeout, DefaultHeartbeatTimeout)
	setDur(&c.ElectionTimeout, DefaultElectionTimeout)
	setDur(&c.LeaderLeaseTimeout, DefaultLeaderLeaseTimeout)
	setDur(&c.CommitTimeout, DefaultCommitTimeout)
	setDur(&c.SnapshotInterval, DefaultSnapshotInterval)
	setDur(&c.ApplyTimeout, DefaultApplyTimeout)
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = DefaultSnapshotThreshold
	}
	if c.TrailingLogs == 0 {
		c.TrailingLogs = DefaultTrailingLogs
	}
	if c.RequestLogSize == 0 {
		c.RequestLogSize = DefaultRequestLogSize
	}
	if c.RequestLogSize < 0 {
		errs = append(errs, fmt.Errorf("request log size %d is negative", c.RequestLogSize))
	}
	if c.LeaderLeaseTimeout > c.HeartbeatTimeout || c.HeartbeatTimeout > c.ElectionTimeout {
		errs = append(errs, fmt.Errorf("raft timing: need leader lease (%s) <= heartbeat (%s) <= election (%s)",
			c.LeaderLeaseTimeout, c.HeartbeatTimeout, c.ElectionTimeout))
	}
	switch c.LogStore {
	case "", LogStoreBolt, LogStoreWAL:
	default:
		errs = append(errs, fmt.Errorf("log store %q is unknown: use %q or %q", c.LogStore, LogStoreBolt, LogStoreWAL))
	}
	if c.Logger == nil {
		c.Logger = hclog.New(&hclog.LoggerOptions{Name: "ringleader", Level: hclog.Info, Output: os.Stderr})
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if len(errs) > 0 {
		return fmt.Errorf("coordinator config: %w", errors.Join(errs...))
	}
	return nil
}

func setDur(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// checkAdvertise rejects an address other nodes could not dial.
func checkAdvertise(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("raft advertise address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return fmt.Errorf("raft advertise address %q is not dialable: bind a specific address or set RaftAdvertise", addr)
	}
	return nil
}
