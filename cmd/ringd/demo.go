package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ringleader-dev/ringleader/internal/demo"
)

// demoFlags is the command line of `ringd demo`.
type demoFlags struct {
	httpAddr     string
	soakScale    float64
	syncDelay    time.Duration
	noPrometheus bool
	noApproval   bool
	keep         bool
	dir          string
	logLevel     string
	ringsim      string
	scenario     string
	list         bool
}

func parseDemoFlags(args []string, stderr io.Writer) (demoFlags, error) {
	var f demoFlags
	fs := flag.NewFlagSet("ringd demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ringd demo [flags]\n\nRuns the whole system on this machine: one ringd node, a local Git server with a generated\nGitOps repository, simulated regions (Argo CD API and metrics), Prometheus when installed,\nand a first release already rolling. Ctrl-C stops everything it started.\n\nflags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.httpAddr, "http-addr", "127.0.0.1:8080", "dashboard and API address (the node binds a free port instead when it is taken, and the banner says which)")
	fs.Float64Var(&f.soakScale, "soak-scale", 1, "multiply the soaks (canary 20s, early 30s, global 10s) by this")
	fs.DurationVar(&f.syncDelay, "sync-delay", 2*time.Second, "how long a simulated region takes to sync a new version")
	fs.BoolVar(&f.noPrometheus, "no-prometheus", false, "do not start Prometheus even when installed (bad versions then report Degraded)")
	fs.BoolVar(&f.noApproval, "no-approval", false, "drop the manual approval of ring early")
	fs.BoolVar(&f.keep, "keep", false, "keep the demo directory (Git repository, Raft data, logs) on exit")
	fs.StringVar(&f.dir, "dir", "", "directory for everything the demo writes (default: a new temporary directory); kept on exit")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level of the demo node (its log goes to a file)")
	fs.StringVar(&f.scenario, "scenario", "", "run this guided tour once the demo is up, saying step by step what it does and what to watch, then keep running (--list-scenarios names them)")
	fs.BoolVar(&f.list, "list-scenarios", false, "describe every scenario in one line and exit")
	fs.StringVar(&f.ringsim, "ringsim", "", "the ringsim executable that runs the simulated regions (default: ringsim beside this ringd, as make build puts it)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments %q: ringd demo takes flags only", fs.Args())
	}
	if f.soakScale <= 0 || f.soakScale > 1000 {
		return f, fmt.Errorf("--soak-scale %v: want a number above 0 (1 is canary 20s, early 30s, global 10s)", f.soakScale)
	}
	if host, _, err := net.SplitHostPort(f.httpAddr); err != nil {
		return f, fmt.Errorf("--http-addr %q: %w", f.httpAddr, err)
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return f, fmt.Errorf("--http-addr %q: the demo serves its API without authentication, so it listens on loopback only (127.0.0.1 or ::1)", f.httpAddr)
	}
	if f.syncDelay <= 0 {
		return f, errors.New("--sync-delay must be positive")
	}
	if f.scenario != "" {
		if _, err := demo.FindScenario(f.scenario); err != nil {
			return f, fmt.Errorf("--scenario: %w", err)
		}
	}
	return f, nil
}

// demoNodeArgs is the demo node's command line: a cluster of one on
// loopback (the wanted HTTP port, or a free one when it is taken), open
// API (the demo says so), the topology read from the
// generated repository, real Git effects and the simulated Argo CD.
func demoNodeArgs(logLevel string) func(env *demo.Env, dataDir, httpAddr string) []string {
	return func(env *demo.Env, dataDir, httpAddr string) []string {
		return []string{
			"--node-id", "demo", "--data-dir", dataDir, "--bootstrap",
			"--http-addr", httpAddr, "--http-addr-fallback", "--raft-addr", "127.0.0.1:0",
			"--insecure-no-auth",
			"--topology", env.TopologyLocation, "--topology-interval", "2s",
			"--argocd-token-file", env.ArgoCDTokenFile,
			"--reconcile-interval", "1s", "--budget-interval", "2s",
			"--heartbeat-timeout", "500ms", "--election-timeout", "500ms", "--leader-lease-timeout", "250ms",
			"--log-level", logLevel,
		}
	}
}

// runDemo is `ringd demo`: it starts the demo, prints where everything is
// and what to try, and runs until SIGINT or SIGTERM, then stops everything
// it started. It returns the process exit code.
func runDemo(args []string, stdout, stderr io.Writer) int {
	f, err := parseDemoFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "ringd demo: %v\n", err)
		return 2
	}
	if f.list {
		fmt.Fprintln(stdout, "Scenarios (ringd demo --scenario NAME, or make demo DEMO_FLAGS=--scenario=NAME):")
		demo.ListScenarios(stdout)
		return 0
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "ringd demo: find the ringd executable to run the node: %v\n", err)
		return 1
	}
	// The simulated regions are a test fake production ringd does not
	// link: they run as the ringsim binary, beside this one by default.
	if f.ringsim == "" {
		f.ringsim = filepath.Join(filepath.Dir(self), "ringsim")
	}
	stopped, stopSignals := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stopSignals()

	fmt.Fprintln(stdout, "ringd demo: starting a Git server, the simulated regions, Prometheus (when installed) and one ringd node…")
	d, err := demo.StartDemo(stopped, demo.DemoConfig{
		Binary: self, NodeArgs: demoNodeArgs(f.logLevel), Dir: f.dir, Keep: f.keep || f.dir != "", HTTPAddr: f.httpAddr,
		Env: demo.EnvConfig{Ringsim: f.ringsim, SoakScale: f.soakScale, NoPrometheus: f.noPrometheus, NoApproval: f.noApproval, SyncDelay: f.syncDelay},
	})
	if err != nil {
		fmt.Fprintf(stderr, "ringd demo: %v\n", err)
		return 1
	}
	d.PrintBanner(stdout)

	// The guided tour, if one was asked for, runs beside the demo; the
	// demo keeps running when it ends, whatever its outcome.
	if f.scenario != "" {
		sc, _ := demo.FindScenario(f.scenario) // checked with the flags
		go func() {
			tour := &demo.Tour{Demo: d, Out: stdout}
			if err := tour.Run(stopped, sc); err != nil && stopped.Err() == nil {
				fmt.Fprintf(stdout, "\nringd demo: %v; the demo keeps running\n", err)
			}
		}()
	}

	// Run until a signal, or until the node dies (then say where its log is).
	code := 0
	select {
	case <-stopped.Done():
		fmt.Fprintln(stdout, "\nringd demo: stopping the node, the simulated regions, Prometheus and the Git server…")
	case <-d.Node.Done():
		fmt.Fprintf(stderr, "ringd demo: the ringd node exited (%v); its log is %s\n", d.Node.Err(), d.Node.LogPath)
		code = 1
	}
	d.Close()
	fmt.Fprintln(stdout, "ringd demo: stopped")
	return code
}
