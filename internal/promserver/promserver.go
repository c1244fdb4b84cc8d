package promserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/syncbuf"
)

// ErrNoBinary means the prometheus binary is not on PATH.
var ErrNoBinary = errors.New("prometheus binary not found on PATH: install it with `apt-get install prometheus` (Debian) or run `make deps`")

// Defaults for Options.
const (
	DefaultScrapeInterval = time.Second
	DefaultReadyTimeout   = 30 * time.Second
	startAttempts         = 5
)

// Options configure a test Prometheus.
type Options struct {
	// Targets are host:port addresses scraped at /metrics.
	Targets []string
	// ScrapeInterval defaults to DefaultScrapeInterval (1s).
	ScrapeInterval time.Duration
	// ReadyTimeout bounds the wait for /-/ready (default 30s).
	ReadyTimeout time.Duration
	// Binary overrides the prometheus executable (default: looked up on PATH).
	Binary string
}

// Server is a running Prometheus process.
type Server struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:40123.
	URL string

	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *syncbuf.Buffer
	once   sync.Once
}

// New starts a Prometheus for one test and stops it in t.Cleanup. It fails the
// test (never skips) when the binary is missing or does not become ready.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Start launches Prometheus on a free loopback port with a temporary
// configuration and data directory and waits until it reports ready. A port
// taken between choosing and binding is retried with a new port. Call Stop.
func Start(opts Options) (*Server, error) {
	bin := opts.Binary
	if bin == "" {
		p, err := exec.LookPath("prometheus")
		if err != nil {
			return nil, ErrNoBinary
		}
		bin = p
	}
	if opts.ScrapeInterval <= 0 {
		opts.ScrapeInterval = DefaultScrapeInterval
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	dir, err := os.MkdirTemp("", "ringleader-promtest-")
	if err != nil {
		return nil, fmt.Errorf("create prometheus directory: %w", err)
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config(opts)), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("write prometheus config: %w", err)
	}
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		s, err := launch(bin, dir, cfgPath, attempt, opts.ReadyTimeout)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// errPortTaken marks a start that lost the race for its port.
var errPortTaken = errors.New("port taken")

func launch(bin, dir, cfgPath string, attempt int, readyTimeout time.Duration) (*Server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, fmt.Sprintf("data-%d", attempt))
	logs := &syncbuf.Buffer{}
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+data,
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = logs, logs
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	s := &Server{URL: "http://" + addr, dir: dir, cmd: cmd, exited: make(chan struct{}), logs: logs}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(readyTimeout); err != nil {
		s.kill()
		out := logs.String()
		if strings.Contains(out, "address already in use") {
			return nil, fmt.Errorf("listen on %s: %w", addr, errPortTaken)
		}
		return nil, fmt.Errorf("%w; prometheus output:\n%s", err, out)
	}
	return s, nil
}

// waitReady polls /-/ready until it answers 200, the process exits or the
// deadline passes.
func (s *Server) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/-/ready", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("prometheus exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("prometheus at %s not ready after %s", s.URL, timeout)
		case <-tick.C:
		}
	}
}

// Stop kills the process and removes its files. It is safe to call twice.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.kill()
		os.RemoveAll(s.dir)
	})
}

func (s *Server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Logs returns what the process printed so far (for failure messages).
func (s *Server) Logs() string { return s.logs.String() }

// freeAddr picks a free loopback port by listening on port 0 and closing.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick a free loopback port: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}

// config renders a configuration scraping the targets at /metrics. Labels
// the exporter sets win over target labels (honor_labels).
func config(opts Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", opts.ScrapeInterval, opts.ScrapeInterval)
	b.WriteString("scrape_configs:\n  - job_name: promtest\n    honor_labels: true\n    static_configs:\n      - targets: [")
	for i, t := range opts.Targets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", t)
	}
	b.WriteString("]\n")
	return b.String()
}
