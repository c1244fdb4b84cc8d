package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// ErrNoPrometheus means the prometheus executable is not on PATH (Debian
// package "prometheus"; `make deps` installs it).
var ErrNoPrometheus = errors.New("prometheus is not installed")

// Prometheus is a running Prometheus process scraping the simulated
// regions.
type Prometheus struct {
	// URL is the server's base URL.
	URL string

	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *lockedBuffer
	once   sync.Once
}

// StartPrometheus launches Prometheus on a free loopback port, scraping
// target (host:port, at /metrics) every interval, with its data under dir,
// and waits until it is ready.
func StartPrometheus(dir, target string, interval time.Duration) (*Prometheus, error) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		return nil, ErrNoPrometheus
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create prometheus directory: %w", err)
	}
	cfg := fmt.Sprintf("global:\n  scrape_interval: %s\n  evaluation_interval: %s\nscrape_configs:\n  - job_name: simulated-regions\n    honor_labels: true\n    static_configs:\n      - targets: [%q]\n", interval, interval, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, fmt.Errorf("write prometheus config: %w", err)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		p, err := launchPrometheus(bin, dir, cfgPath, attempt)
		if err == nil {
			return p, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func launchPrometheus(bin, dir, cfgPath string, attempt int) (*Prometheus, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pick a loopback port: %w", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	logs := &lockedBuffer{}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, fmt.Sprintf("data-%d", attempt)),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL} // gone with us, even on kill -9
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	p := &Prometheus{URL: "http://" + addr, dir: dir, cmd: cmd, exited: make(chan struct{}), logs: logs}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("prometheus exited before it was ready: %s", logs.String())
		default:
		}
		resp, err := http.Get(p.URL + "/-/ready")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		time.Sleep(100 * time.Millisecond) // polling interval while Prometheus starts
	}
	p.Stop()
	return nil, fmt.Errorf("prometheus was not ready within 30s: %s", logs.String())
}

// HasData reports whether query returns at least one sample now.
func (p *Prometheus) HasData(ctx context.Context, query string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("query prometheus: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return false, fmt.Errorf("decode prometheus answer: %w", err)
	}
	return len(out.Data.Result) > 0, nil
}

// Stop kills Prometheus and waits for it to exit.
func (p *Prometheus) Stop() {
	p.once.Do(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	})
}

// Logs is what Prometheus printed so far.
func (p *Prometheus) Logs() string { return p.logs.String() }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
