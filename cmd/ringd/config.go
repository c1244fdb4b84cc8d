package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/store"
)

// config is everything ringd reads from its command line.
type config struct {
	nodeID        string
	dataDir       string
	raftAddr      string
	raftAdvertise string
	httpAddr      string
	httpAdvertise string
	bootstrap     bool
	join          string
	joinTimeout   time.Duration
	topology      string
	logStore      string
	logLevel      string
	debugAddr     string

	// bootstrapID names the node that forms a new cluster (see
	// bootstrap.go); joinProbe is where that node looks for an existing
	// cluster first.
	bootstrapID string
	joinProbe   string
	// notify configures notifications (notify.go).
	notify notifyFlags
	// sec configures tokens, TLS, rate limits and the audit trail
	// (security.go).
	sec securityFlags
	// effects configures Git, Argo CD, Prometheus and the webhooks
	// (effects.go, effects_health.go); topologyInterval is how often a
	// --topology in Git is fetched (topology.go).
	effects          effectsConfig
	topologyInterval time.Duration

	heartbeatTimeout   time.Duration
	electionTimeout    time.Duration
	leaderLeaseTimeout time.Duration
	commitTimeout      time.Duration
	reconcileInterval  time.Duration
	shutdownTimeout    time.Duration
}

// parseFlags reads and validates the command line.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("ringd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.nodeID, "node-id", "", "stable Raft server ID of this node, e.g. n1 (required)")
	fs.StringVar(&c.dataDir, "data-dir", "", "directory for the Raft log, snapshots and addr.json (required)")
	fs.StringVar(&c.raftAddr, "raft-addr", "127.0.0.1:7000", "host:port the Raft transport binds (port 0 picks one)")
	fs.StringVar(&c.raftAdvertise, "raft-advertise", "", "Raft address other nodes dial (default: the bound address)")
	fs.StringVar(&c.httpAddr, "http-addr", "127.0.0.1:7070", "host:port the HTTP API binds (port 0 picks one)")
	fs.StringVar(&c.httpAdvertise, "http-advertise", "", "HTTP address other nodes and clients use (default: the bound address)")
	fs.BoolVar(&c.bootstrap, "bootstrap", false, "form a new cluster of one when the data dir is empty")
	fs.StringVar(&c.join, "join", "", "URL of any cluster member to join through, e.g. http://10.0.0.1:7070")
	fs.StringVar(&c.bootstrapID, "bootstrap-id", "", "node ID that forms a new cluster; that node bootstraps unless --join already answers, every other node joins through --join (one command line for every replica)")
	c.notify.register(fs)
	c.sec.register(fs)
	c.effects.register(fs)
	fs.DurationVar(&c.topologyInterval, "topology-interval", 30*time.Second, "how often a --topology in Git (<git url>#<path>) is fetched")
	fs.DurationVar(&c.joinTimeout, "join-timeout", 2*time.Minute, "how long to keep retrying --join")
	fs.StringVar(&c.topology, "topology", "", "topology: a local file, or <git url>#<path> watched in Git; the leader adopts it through the log when it differs from the one in force")
	fs.StringVar(&c.logStore, "log-store", string(store.DefaultLogStore), "Raft log store: bolt or wal")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.debugAddr, "debug-addr", "", "host:port serving Go profiles at /debug/pprof/ (off when empty; unauthenticated, keep it on loopback)")
	fs.DurationVar(&c.heartbeatTimeout, "heartbeat-timeout", store.DefaultHeartbeatTimeout, "Raft heartbeat timeout (LAN default)")
	fs.DurationVar(&c.electionTimeout, "election-timeout", store.DefaultElectionTimeout, "Raft election timeout")
	fs.DurationVar(&c.leaderLeaseTimeout, "leader-lease-timeout", store.DefaultLeaderLeaseTimeout, "Raft leader lease timeout")
	fs.DurationVar(&c.commitTimeout, "commit-timeout", store.DefaultCommitTimeout, "Raft commit timeout")
	fs.DurationVar(&c.reconcileInterval, "reconcile-interval", 5*time.Second, "longest pause between two leader reconcile passes")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight HTTP requests get on shutdown")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q: ringd takes flags only", fs.Args())
	}
	return c, c.validate()
}

// validate rejects a command line that cannot work, naming every problem.
func (c *config) validate() error {
	var errs []error
	if c.nodeID == "" {
		errs = append(errs, errors.New("--node-id is required"))
	}
	if c.dataDir == "" {
		errs = append(errs, errors.New("--data-dir is required"))
	}
	if c.bootstrapID != "" {
		errs = append(errs, c.resolveBootstrapID()...)
	}
	errs = append(errs, c.notify.validate()...)
	errs = append(errs, c.sec.validate()...)
	errs = append(errs, c.effects.validate(c.dataDir)...)
	if c.topologyInterval <= 0 {
		errs = append(errs, errors.New("--topology-interval must be positive"))
	}
	if c.bootstrap && c.join != "" {
		errs = append(errs, errors.New("--bootstrap and --join exclude each other: bootstrap the first node, join the others"))
	}
	if c.join != "" && !strings.HasPrefix(c.join, "http://") && !strings.HasPrefix(c.join, "https://") {
		if _, _, err := net.SplitHostPort(c.join); err != nil {
			errs = append(errs, fmt.Errorf("--join %q is neither a URL nor host:port", c.join))
		}
	}
	for _, a := range []struct{ flag, v string }{{"--raft-addr", c.raftAddr}, {"--http-addr", c.httpAddr}} {
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", a.flag, a.v, err))
		}
	}
	if c.reconcileInterval <= 0 {
		errs = append(errs, errors.New("--reconcile-interval must be positive"))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}
