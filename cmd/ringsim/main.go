// Command ringsim runs simulated regions for tests and demos: regions that
// follow a GitOps branch like Argo CD with auto-sync, serve Argo CD's
// Application API and http_requests_total, and take a control endpoint
// (internal/regionsim). It is a test fake, so production ringd does not
// link it: `ringd demo` runs this binary (found beside ringd) as a child
// process, and the end-to-end suite runs it as a process of its own.
//
// main is wiring only: parse the flags, read the topology and the token,
// listen, start the simulator, say where it listens, serve until SIGINT or
// SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ringleader-dev/ringleader/internal/addrfile"
	"github.com/ringleader-dev/ringleader/internal/regionsim"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// simFlags is the command line of ringsim.
type simFlags struct {
	repo, branch, topology               string
	argocdAddr, metricsAddr, controlAddr string
	tokenFile, addrFile, mode, logLevel  string
	syncDelay, pollInterval              time.Duration
	badErrorRatio                        float64
}

func parseSimFlags(args []string, stderr io.Writer) (simFlags, error) {
	var f simFlags
	fs := flag.NewFlagSet("ringsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.repo, "repo", "", "GitOps repository URL the regions sync from (required)")
	fs.StringVar(&f.branch, "branch", "main", "GitOps branch")
	fs.StringVar(&f.topology, "topology", "", "topology file naming the regions, apps and targets (required)")
	fs.StringVar(&f.argocdAddr, "argocd-addr", "127.0.0.1:0", "host:port of the Argo CD Application API")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "127.0.0.1:0", "host:port of /metrics (http_requests_total)")
	fs.StringVar(&f.controlAddr, "control-addr", "127.0.0.1:0", "host:port of the control endpoint (pause, degrade, errors, sync delay)")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the bearer token the Argo CD API requires (required)")
	fs.StringVar(&f.addrFile, "addr-file", "", "write the addresses to this JSON file once serving")
	fs.StringVar(&f.mode, "mode", string(regionsim.ModeMetrics), "how a version containing \"bad\" fails: metrics (Healthy, 5xx in the metrics) or degraded (Argo CD health Degraded)")
	fs.DurationVar(&f.syncDelay, "sync-delay", regionsim.DefaultSyncDelay, "how long an Application stays OutOfSync/Progressing after its version changes")
	fs.DurationVar(&f.pollInterval, "poll-interval", regionsim.DefaultPollInterval, "how often the branch head is checked")
	fs.Float64Var(&f.badErrorRatio, "bad-error-ratio", regionsim.DefaultBadErrorRatio, "5xx fraction of a bad version in mode metrics")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q: ringsim takes flags only", fs.Args()))
	}
	for _, r := range []struct{ flag, v string }{{"--repo", f.repo}, {"--topology", f.topology}, {"--token-file", f.tokenFile}} {
		if r.v == "" {
			errs = append(errs, fmt.Errorf("%s is required", r.flag))
		}
	}
	if m := regionsim.Mode(f.mode); m != regionsim.ModeMetrics && m != regionsim.ModeDegraded {
		errs = append(errs, fmt.Errorf("--mode %q: want metrics or degraded", f.mode))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", f.logLevel))
	}
	return f, errors.Join(errs...)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is ringsim: the simulated regions as a process of their own. It
// prints its addresses on one line, writes them to --addr-file, and serves
// until ctx ends (main ends it on SIGINT or SIGTERM). It returns the exit
// code: 0 after ctx ends, 1 when it could not start, 2 for a bad command
// line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parseSimFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "ringsim: %v\n", err)
		return 2
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(f.logLevel)) // checked by parseSimFlags
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	fail := func(what string, err error) int {
		fmt.Fprintf(stderr, "ringsim: %s: %v\n", what, err)
		return 1
	}

	// 1. The topology and the token.
	src, err := os.ReadFile(f.topology)
	if err != nil {
		return fail("read --topology", err)
	}
	top, err := topology.Parse(f.topology, src)
	if err != nil {
		return fail("parse --topology", err)
	}
	tok, err := os.ReadFile(f.tokenFile)
	if err != nil {
		return fail("read --token-file", err)
	}

	// 2. The listeners.
	var ls regionsim.Listeners
	for _, l := range []struct {
		ln   *net.Listener
		addr string
	}{{&ls.ArgoCD, f.argocdAddr}, {&ls.Metrics, f.metricsAddr}, {&ls.Control, f.controlAddr}} {
		if *l.ln, err = net.Listen("tcp", l.addr); err != nil {
			return fail("listen on "+l.addr, err)
		}
	}

	// 3. The regions, synced from Git.
	sim, err := regionsim.Start(regionsim.Config{Topology: top, RepoURL: f.repo, Branch: f.branch, Token: strings.TrimSpace(string(tok)),
		Mode: regionsim.Mode(f.mode), SyncDelay: f.syncDelay, PollInterval: f.pollInterval, BadErrorRatio: f.badErrorRatio, Logger: logger}, ls)
	if err != nil {
		return fail("start", err)
	}
	defer sim.Close()

	// 4. Say where we listen.
	a := sim.Addrs()
	fmt.Fprintf(stdout, "ringsim: argocd=%s metrics=%s control=%s pid=%d\n", a.ArgoCD, a.Metrics, a.Control, os.Getpid())
	if f.addrFile != "" {
		if err := addrfile.WriteSim(f.addrFile, addrfile.Sim{ArgoCD: a.ArgoCD, Metrics: a.Metrics, Control: a.Control, PID: os.Getpid()}); err != nil {
			return fail("write --addr-file", err)
		}
	}

	// 5. Serve until told to stop.
	<-ctx.Done()
	return 0
}
