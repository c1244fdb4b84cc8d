package promserver

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/proc"
	"github.com/ringleader-dev/ringleader/internal/syncbuf"
)

// ErrNoBinary means the prometheus binary is not on PATH.
var ErrNoBinary = errors.New("prometheus binary not found on PATH: install it with `apt-get install prometheus` (Debian) or run `make deps`")

// Defaults for Config.
const (
	DefaultScrapeInterval = time.Second
	DefaultReadyTimeout   = 30 * time.Second
)

// Config says what a Prometheus scrapes and where it keeps its files.
type Config struct {
	// Dir holds prometheus.yml and the data directory (created if needed,
	// kept across Stop and Start, never removed).
	Dir string
	// Targets are host:port addresses scraped at /metrics.
	Targets []string
	// ScrapeInterval defaults to DefaultScrapeInterval (1s).
	ScrapeInterval time.Duration
	// ReadyTimeout bounds one start (default 30s).
	ReadyTimeout time.Duration
	// Binary overrides the prometheus executable (default: looked up on PATH).
	Binary string
}

// Server is a Prometheus process scraping Config.Targets. Stop (an outage:
// its data stays for a restart) and Running come from its process slot.
type Server struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:40123; Addr its
	// host:port. Both are set by the first start and kept by restarts.
	URL  string
	Addr string

	proc.Restartable
	cfg  Config
	logs syncbuf.Buffer // what every start printed
}

// Start writes the configuration under cfg.Dir and starts Prometheus on a
// loopback port it binds itself, waiting until /-/ready answers. Call Stop.
func Start(cfg Config) (*Server, error) {
	if cfg.Binary == "" {
		p, err := exec.LookPath("prometheus")
		if err != nil {
			return nil, ErrNoBinary
		}
		cfg.Binary = p
	}
	if cfg.ScrapeInterval <= 0 {
		cfg.ScrapeInterval = DefaultScrapeInterval
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create prometheus directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Dir, "prometheus.yml"), []byte(config(cfg)), 0o600); err != nil {
		return nil, fmt.Errorf("write prometheus config: %w", err)
	}
	s := &Server{cfg: cfg}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// listening is Prometheus's own log line naming the address it bound.
var listening = regexp.MustCompile(`msg="Listening on" address=(\S+)`)

// Start (re)starts a stopped Prometheus and waits for /-/ready; it does
// nothing while Prometheus runs. The first start listens on 127.0.0.1:0 and
// learns the port from Prometheus's log line "Listening on"; a restart asks
// for that same address again (how tests simulate an outage ending), with
// its data intact.
func (s *Server) Start() error {
	return s.Restartable.Start(s.command, func(exited func() bool) error {
		client := &http.Client{Timeout: time.Second}
		err := poll.For(s.cfg.ReadyTimeout, "prometheus to answer /-/ready", func() bool {
			if exited() {
				return true
			}
			if s.Addr == "" {
				m := listening.FindStringSubmatch(s.logs.String())
				if m == nil {
					return false
				}
				s.Addr, s.URL = m[1], "http://"+m[1]
			}
			resp, err := client.Get(s.URL + "/-/ready")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
		switch {
		case exited():
			return fmt.Errorf("prometheus exited before it was ready; its output:\n%s", s.logs.String())
		case err != nil:
			return fmt.Errorf("%w; prometheus output:\n%s", err, s.logs.String())
		}
		return nil
	})
}

// command is Prometheus's command line, on the known address once there is
// one.
func (s *Server) command() (*exec.Cmd, error) {
	listen := s.Addr
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	cmd := exec.Command(s.cfg.Binary,
		"--config.file="+filepath.Join(s.cfg.Dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(s.cfg.Dir, "data"),
		"--web.listen-address="+listen,
		"--log.level=info", // the "Listening on" line is at info
	)
	cmd.Stdout, cmd.Stderr = &s.logs, &s.logs
	return cmd, nil
}

// Logs returns what Prometheus printed so far, over all its starts (for
// failure messages).
func (s *Server) Logs() string { return s.logs.String() }

// config renders a configuration scraping the targets at /metrics. Labels
// the exporters set win over target labels (honor_labels).
func config(cfg Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", cfg.ScrapeInterval, cfg.ScrapeInterval)
	b.WriteString("scrape_configs:\n  - job_name: ringleader\n    honor_labels: true\n    static_configs:\n      - targets: [")
	for i, t := range cfg.Targets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", t)
	}
	b.WriteString("]\n")
	return b.String()
}
