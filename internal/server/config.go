package server

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Config is everything one ringd node is built from; cmd/ringd fills it
// from the command line.
type Config struct {
	NodeID        string
	DataDir       string
	RaftAddr      string
	RaftAdvertise string
	HTTPAddr      string
	HTTPAdvertise string
	Bootstrap     bool
	Join          string
	JoinTimeout   time.Duration
	Topology      string
	LogStore      string
	LogLevel      string
	DebugAddr     string

	// HTTPAddrFallback binds a free port of HTTPAddr's host when its port
	// is taken (listen.go).
	HTTPAddrFallback bool

	// bootstrapID names the node that forms a new cluster (see
	// bootstrap.go); joinProbe is where that node looks for an existing
	// cluster first.
	BootstrapID string
	joinProbe   string
	// notify configures notifications (notify.go).
	Notify NotifyConfig
	// sec configures tokens, TLS, rate limits and the audit trail
	// (security.go).
	Security SecurityConfig
	// effects configures Git, Argo CD, Prometheus and the webhooks
	// (effects.go, effects_health.go); topologyInterval is how often a
	// --topology in Git is fetched (topology.go).
	Effects          EffectsConfig
	TopologyInterval time.Duration

	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	ReconcileInterval  time.Duration
	ShutdownTimeout    time.Duration
}

// Validate normalises the configuration and rejects one that cannot work,
// naming every problem.
func (c *Config) Validate() error {
	var errs []error
	if c.NodeID == "" {
		errs = append(errs, errors.New("--node-id is required"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir is required"))
	}
	if c.BootstrapID != "" {
		errs = append(errs, c.resolveBootstrapID()...)
	}
	errs = append(errs, c.Notify.validate()...)
	errs = append(errs, c.Security.validate()...)
	errs = append(errs, c.Effects.validate(c.DataDir)...)
	if c.TopologyInterval <= 0 {
		errs = append(errs, errors.New("--topology-interval must be positive"))
	}
	if c.Bootstrap && c.Join != "" {
		errs = append(errs, errors.New("--bootstrap and --join exclude each other: bootstrap the first node, join the others"))
	}
	if c.Join != "" && !strings.HasPrefix(c.Join, "http://") && !strings.HasPrefix(c.Join, "https://") {
		if _, _, err := net.SplitHostPort(c.Join); err != nil {
			errs = append(errs, fmt.Errorf("--join %q is neither a URL nor host:port", c.Join))
		}
	}
	for _, a := range []struct{ flag, v string }{{"--raft-addr", c.RaftAddr}, {"--http-addr", c.HTTPAddr}} {
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", a.flag, a.v, err))
		}
	}
	if c.ReconcileInterval <= 0 {
		errs = append(errs, errors.New("--reconcile-interval must be positive"))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}
