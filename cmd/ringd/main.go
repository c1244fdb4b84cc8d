// Command ringd is Ringleader's server: one node of the replicated
// coordinator, serving the HTTP API and, while it leads, running the
// reconcile loop that rolls releases through the rings.
//
// main is wiring only, a linear script: each step builds one component
// from plain config and stops with a clear message when it cannot.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/httpapi"
)

func main() {
	// 0. Subcommand: the demo (demo.go). The simulated regions are a
	// binary of their own, ringsim.
	if len(os.Args) > 1 && os.Args[1] == "demo" {
		os.Exit(runDemo(os.Args[2:], os.Stdout, os.Stderr))
	}

	// 1. Read and validate the command line.
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fatal("bad command line", err)
	}
	logger := newLogger(cfg.logLevel)
	slog.SetDefault(logger)
	debugAddr, err := startDebug(cfg.debugAddr, logger)
	if err != nil {
		fatal("start the profiler listener", err)
	}

	// 1b. Security: the token set (reloaded on change), TLS for the API
	// and the client that forwards and joins (security.go).
	sec, err := newSecurity(cfg.sec, logger)
	if err != nil {
		fatal("configure security", err)
	}
	reloadCtx, stopReload := context.WithCancel(context.Background())
	defer stopReload()
	go sec.run(reloadCtx)

	// 2. Bind the HTTP listener first: with --http-addr HOST:0 the real
	// port must be known before the node records its address in the log.
	httpLn, err := net.Listen("tcp", cfg.httpAddr)
	if err != nil {
		fatal("listen for HTTP on "+cfg.httpAddr, err)
	}
	httpAdvertise := cfg.httpAdvertise
	if httpAdvertise == "" {
		httpAdvertise = httpLn.Addr().String()
	}
	httpAdvertise, httpLn = sec.advertise(httpAdvertise), sec.listen(httpLn)

	// 3. Start the Raft node: durable log, snapshots, transport. With
	// --bootstrap-id the forming node first checks that no cluster answers
	// at --join (bootstrap.go).
	preferJoin(context.Background(), &cfg, sec.probeClient(), logger)
	node, err := newNode(cfg, httpAdvertise)
	if err != nil {
		fatal("start the raft node", err)
	}

	// 3b. What people see: the event stream, the metrics and the dashboard,
	// fed by the node's apply path on every node.
	ops, err := newOperator(cfg.nodeID, node, logger)
	if err != nil {
		fatal("set up events, metrics and the dashboard", err)
	}

	// 4. The effects the leader loop drives: the Git writer as promoter
	// and halt fence, the regions' evidence (Argo CD, Prometheus, webhooks)
	// and error budgets; all in memory with --effects memory (effects.go).
	effects, err := newEffectsFor(cfg.effects, node.Topology, ops.metrics, logger)
	if err != nil {
		fatal("configure the effects (Git, Argo CD, Prometheus, webhooks)", err)
	}

	// 4a. A --topology in Git is watched on every node; only the leader
	// proposes a new revision, so all adopt it through the log (topology.go).
	topoFeed, err := newTopologyWatch(cfg, logger)
	if err != nil {
		fatal("open the topology in Git", err)
	}
	if topoFeed != nil {
		effects.topologyFeed = topoFeed.latest
	}

	// 4b. Notifications (Slack, signed webhook), fed by the leader loop
	// while this node leads; delivery runs on its own goroutines.
	notifyCtx, stopNotify := context.WithCancel(context.Background())
	notifications, err := newNotifier(notifyCtx, cfg.notify, logger)
	if err != nil {
		fatal("configure notifications", err)
	}
	effects.notifier = notifications.watcher
	if notifications.dispatcher != nil {
		if err := ops.registry.Register(notifications.dispatcher.Collector()); err != nil {
			fatal("register the notification metrics", err)
		}
	}

	// 5. The leader loop: runs only while this node leads.
	loop, err := newLoop(cfg, node, effects, logger)
	if err != nil {
		fatal("configure the leader loop", err)
	}
	loopCtx, stopLoop := context.WithCancel(context.Background())
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		_ = loop.Run(loopCtx)
	}()
	if topoFeed != nil {
		topoFeed.notify(loop.Kick)
		go topoFeed.run(loopCtx)
	}

	// 6. The HTTP API, served on the listener from step 2.
	api, err := httpapi.NewAPI(httpapi.APIConfig{Store: node, Fence: effects.fence, OnWrite: loop.Kick, Logger: logger,
		Security: sec.api, Forwarder: sec.client,
		Events: ops.events, Metrics: ops.scrape, Dashboard: ops.dashboard})
	if err != nil {
		fatal("configure the HTTP API", err)
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	// Event streams never go idle: end them when shutdown starts.
	srv.RegisterOnShutdown(ops.events.Close)
	go func() {
		if err := srv.Serve(httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fatal("serve HTTP", err)
		}
	}()

	// 7. Tell whoever started us where we listen (tests bind port 0).
	if err := announce(cfg.dataDir, addrFile{NodeID: cfg.nodeID, HTTP: httpLn.Addr().String(), Raft: node.RaftAddr(), Debug: debugAddr}); err != nil {
		fatal("write addr.json", err)
	}

	// 8. Join an existing cluster through any member (it forwards to the
	// leader), retrying until accepted. A signal ends the wait.
	stopped, stopSignals := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stopSignals()
	if cfg.join != "" {
		joinCtx, cancelJoin := context.WithTimeout(stopped, cfg.joinTimeout)
		err := joinCluster(joinCtx, cfg.join, apiclient.JoinRequest{ID: cfg.nodeID, RaftAddr: node.RaftAddr(), HTTPAddr: httpAdvertise}, sec, logger)
		cancelJoin()
		if err != nil {
			_ = node.Shutdown()
			fatal("join the cluster through "+cfg.join, err)
		}
	}

	// 9. Run until SIGTERM or SIGINT.
	<-stopped.Done()
	logger.Info("shutting down on signal")

	// Shut down in reverse order. Leadership goes first: the node hands
	// it to the most up-to-date follower (milliseconds, not an election
	// timeout), then stops Raft and closes its stores; the loop sees the
	// leadership end and cancels in-flight work.
	if err := node.Shutdown(); err != nil {
		logger.Error("raft node shutdown", "err", err)
	}
	// The loop has nothing left to lead.
	stopLoop()
	<-loopDone
	// Nothing feeds notifications any more; stop sending.
	stopNotify()
	notifications.close()
	// In-flight HTTP requests get a grace period; new ones are refused.
	ctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		logger.Error("http shutdown", "err", err)
	}
	logger.Info("stopped")
}

// fatal prints what could not be done and why, and exits 1.
func fatal(what string, err error) {
	fmt.Fprintf(os.Stderr, "ringd: %s: %v\n", what, err)
	os.Exit(1)
}
