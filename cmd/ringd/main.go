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
	"os"
	"os/signal"
	"syscall"

	"github.com/ringleader-dev/ringleader/internal/addrfile"
	"github.com/ringleader-dev/ringleader/internal/server"
)

func main() {
	// 0. Subcommand: the demo (demo.go). The simulated regions are a
	// binary of their own, ringsim.
	if len(os.Args) > 1 && os.Args[1] == "demo" {
		os.Exit(runDemo(os.Args[2:], os.Stdout, os.Stderr))
	}

	// 1. Read and validate the command line (flags.go).
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fatal("bad command line", err)
	}
	logger := newLogger(opts.LogLevel)
	slog.SetDefault(logger)

	// 2. Assemble and start the node: listeners, Raft, the leader loop,
	// the HTTP API and what feeds them (internal/server). Every listener
	// is bound when it returns.
	srv, err := server.Start(opts.Config, logger)
	if err != nil {
		fatal("start the node", err)
	}

	// 3. Tell whoever started us where we listen: with 127.0.0.1:0 ports
	// the address file is the only way to know.
	addrs := srv.Addrs()
	addrs.PID = os.Getpid()
	fmt.Printf("ringd: node=%s http=%s raft=%s\n", addrs.NodeID, addrs.HTTP, addrs.Raft)
	if err := addrfile.Write(opts.addrFile, addrs); err != nil {
		srv.Shutdown()
		fatal("write the address file", err)
	}

	// 4. Join an existing cluster through any member (it forwards to the
	// leader), retrying until accepted. A signal ends the wait.
	stopped, stopSignals := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stopSignals()
	if err := srv.Join(stopped); err != nil {
		srv.Shutdown()
		fatal("join the cluster", err)
	}

	// 5. Run until SIGTERM or SIGINT, or until the API cannot serve.
	select {
	case <-stopped.Done():
		logger.Info("shutting down on signal")
	case err := <-srv.Failed():
		logger.Error("shutting down: the HTTP API stopped", "err", err)
		srv.Shutdown()
		fatal("serve HTTP", err)
	}

	// 6. Shut down in reverse order, leadership first (server.Shutdown).
	srv.Shutdown()
	logger.Info("stopped")
}

// newLogger returns the process logger at level.
func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// fatal prints what could not be done and why, and exits 1.
func fatal(what string, err error) {
	fmt.Fprintf(os.Stderr, "ringd: %s: %v\n", what, err)
	os.Exit(1)
}
