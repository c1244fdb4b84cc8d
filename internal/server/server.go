package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/httpapi"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/addrfile"
)

// Server is one running ringd node: the Raft node, the leader loop, the
// HTTP API and what feeds them.
type Server struct {
	cfg    Config
	logger *slog.Logger

	sec           *security
	node          *store.Node
	notifications *notifier
	http          *http.Server
	httpAddr      string // the bound listener
	httpAdvertise string
	debugAddr     string
	// serveErr receives the HTTP server's failure, if it has one.
	serveErr chan error

	stopReload, stopLoop, stopNotify context.CancelFunc
	loopDone                         chan struct{}
}

// Start builds and starts one node from cfg (validated with Validate), in
// the order below; it returns once every listener is bound, and stops
// what it started when a step fails. Joining a cluster is a separate
// step (Join), so the caller can publish the addresses first.
func Start(cfg Config, logger *slog.Logger) (_ *Server, err error) {
	s := &Server{cfg: cfg, logger: logger, serveErr: make(chan error, 1),
		stopReload: func() {}, stopLoop: func() {}, stopNotify: func() {}}
	var httpLn net.Listener
	defer func() {
		if err != nil {
			if httpLn != nil {
				_ = httpLn.Close()
			}
			s.Shutdown()
		}
	}()

	// 1. The profiler, on its own listener when --debug-addr asks for it
	// (debug.go).
	if s.debugAddr, err = startDebug(cfg.DebugAddr, logger); err != nil {
		return nil, fmt.Errorf("start the profiler listener: %w", err)
	}

	// 2. Security: the token set (reloaded on change), TLS for the API and
	// the client that forwards and joins (security.go).
	if s.sec, err = newSecurity(cfg.Security, logger); err != nil {
		return nil, fmt.Errorf("configure security: %w", err)
	}
	var reloadCtx context.Context
	reloadCtx, s.stopReload = context.WithCancel(context.Background())
	go s.sec.run(reloadCtx)

	// 3. Bind the HTTP listener before the node starts: with --http-addr
	// HOST:0 the real port must be known before the node records its
	// address in the log. With --http-addr-fallback a taken port gives
	// way to a free one of the same host (listen.go).
	httpLn, err = listenHTTP(cfg.HTTPAddr, cfg.HTTPAddrFallback, logger)
	if err != nil {
		return nil, fmt.Errorf("listen for HTTP on %s: %w", cfg.HTTPAddr, err)
	}
	s.httpAddr = httpLn.Addr().String()
	s.httpAdvertise = cfg.HTTPAdvertise
	if s.httpAdvertise == "" {
		s.httpAdvertise = s.httpAddr
	}
	s.httpAdvertise, httpLn = s.sec.advertise(s.httpAdvertise), s.sec.listen(httpLn)
	s.http = &http.Server{ReadHeaderTimeout: 10 * time.Second}

	// 4. The Raft node: durable log, snapshots, transport. With
	// --bootstrap-id the forming node first checks that no cluster answers
	// at --join (bootstrap.go).
	preferJoin(context.Background(), &s.cfg, s.sec.probeClient(), logger)
	if s.node, err = newNode(s.cfg, s.httpAdvertise); err != nil {
		return nil, fmt.Errorf("start the raft node: %w", err)
	}

	// 5. What people see: the event stream, the metrics and the dashboard,
	// fed by the node's apply path on every node (operator.go).
	ops, err := newOperator(cfg.NodeID, s.node, logger)
	if err != nil {
		return nil, fmt.Errorf("set up events, metrics and the dashboard: %w", err)
	}

	// 6. The effects the leader loop drives: the Git writer as promoter
	// and halt fence, the regions' evidence (Argo CD, Prometheus, webhooks)
	// and error budgets; all in memory with --effects memory (effects.go).
	fx, err := newEffectsFor(cfg.Effects, s.node.Topology, ops.metrics, logger)
	if err != nil {
		return nil, fmt.Errorf("configure the effects (Git, Argo CD, Prometheus, webhooks): %w", err)
	}

	// 7. A --topology in Git is watched on every node; only the leader
	// proposes a new revision, so all adopt it through the log (topology.go).
	topoFeed, err := newTopologyWatch(cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("open the topology in Git: %w", err)
	}
	if topoFeed != nil {
		fx.topologyFeed = topoFeed.latest
	}

	// 8. Notifications (Slack, signed webhook), fed by the leader loop
	// while this node leads; delivery runs on its own goroutines (notify.go).
	var notifyCtx context.Context
	notifyCtx, s.stopNotify = context.WithCancel(context.Background())
	if s.notifications, err = newNotifier(notifyCtx, cfg.Notify, logger); err != nil {
		return nil, fmt.Errorf("configure notifications: %w", err)
	}
	fx.notifier = s.notifications.watcher
	if d := s.notifications.dispatcher; d != nil {
		if err := ops.registry.Register(d.Collector()); err != nil {
			return nil, fmt.Errorf("register the notification metrics: %w", err)
		}
	}

	// 9. The leader loop: runs only while this node leads.
	loop, err := newLoop(cfg, s.node, fx, logger)
	if err != nil {
		return nil, fmt.Errorf("configure the leader loop: %w", err)
	}
	var loopCtx context.Context
	loopCtx, s.stopLoop = context.WithCancel(context.Background())
	s.loopDone = make(chan struct{})
	go func() {
		defer close(s.loopDone)
		_ = loop.Run(loopCtx)
	}()
	if topoFeed != nil {
		topoFeed.notify(loop.Kick)
		go topoFeed.run(loopCtx)
	}

	// 10. The HTTP API, served on the listener from step 3.
	api, err := httpapi.NewAPI(httpapi.APIConfig{Store: s.node, Fence: fx.fence, OnWrite: loop.Kick, OnHaltChange: loop.HaltsChanged, Logger: logger,
		Security: s.sec.api, Forwarder: s.sec.client,
		Events: ops.events, Metrics: ops.scrape, Dashboard: ops.dashboard})
	if err != nil {
		return nil, fmt.Errorf("configure the HTTP API: %w", err)
	}
	s.http.Handler = api
	// Event streams never go idle: end them when shutdown starts.
	s.http.RegisterOnShutdown(ops.events.Close)
	go func() {
		if err := s.http.Serve(httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- fmt.Errorf("serve HTTP: %w", err)
		}
	}()
	return s, nil
}

// Addrs says where the node listens, for the address file.
func (s *Server) Addrs() addrfile.Addrs {
	return addrfile.Addrs{NodeID: s.cfg.NodeID, HTTP: s.httpAddr, Raft: s.node.RaftAddr(),
		RaftListen: s.node.RaftListenAddr(), Debug: s.debugAddr}
}

// Join asks the cluster at --join (any member; it forwards to the leader)
// to add this node, retrying until accepted, --join-timeout passes or ctx
// ends. Without --join it does nothing.
func (s *Server) Join(ctx context.Context) error {
	if s.cfg.Join == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.JoinTimeout)
	defer cancel()
	req := apiclient.JoinRequest{ID: s.cfg.NodeID, RaftAddr: s.node.RaftAddr(), HTTPAddr: s.httpAdvertise}
	if err := joinCluster(ctx, s.cfg.Join, req, s.sec, s.logger); err != nil {
		return fmt.Errorf("through %s: %w", s.cfg.Join, err)
	}
	return nil
}

// Failed receives an error when the HTTP server stops serving on its own.
func (s *Server) Failed() <-chan error { return s.serveErr }

// Shutdown stops the node in reverse order of Start. Leadership goes
// first: the node hands it to the most up-to-date follower (milliseconds,
// not an election timeout), then stops Raft and closes its stores; the
// loop sees the leadership end and cancels in-flight work.
func (s *Server) Shutdown() {
	if s.node != nil {
		if err := s.node.Shutdown(); err != nil {
			s.logger.Error("raft node shutdown", "err", err)
		}
	}
	// The loop has nothing left to lead.
	s.stopLoop()
	if s.loopDone != nil {
		<-s.loopDone
	}
	// Nothing feeds notifications any more; stop sending.
	s.stopNotify()
	if s.notifications != nil {
		s.notifications.close()
	}
	// In-flight HTTP requests get a grace period; new ones are refused.
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			s.logger.Error("http shutdown", "err", err)
		}
	}
	s.stopReload()
}
