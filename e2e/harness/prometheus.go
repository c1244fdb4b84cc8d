package harness

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Prometheus is a real Prometheus (Debian package `prometheus`) on a fixed
// loopback port with a data directory that survives restarts, so a test can
// take it down and bring it back at the same address.
type Prometheus struct {
	URL  string
	addr string
	dir  string

	mu   sync.Mutex
	proc *Proc
}

// StartPrometheus writes a configuration scraping targets every interval
// and starts Prometheus on a free port.
func StartPrometheus(dir string, targets []string, interval time.Duration) (*Prometheus, error) {
	if _, err := exec.LookPath("prometheus"); err != nil {
		return nil, fmt.Errorf("prometheus is not installed (make deps installs it): %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", interval, interval)
	b.WriteString("scrape_configs:\n  - job_name: regions\n    honor_labels: true\n    static_configs:\n      - targets: [")
	for i, t := range targets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", t)
	}
	b.WriteString("]\n")
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		addr, err := FreeAddr()
		if err != nil {
			return nil, err
		}
		p := &Prometheus{URL: "http://" + addr, addr: addr, dir: dir}
		if lastErr = p.Start(); lastErr == nil {
			return p, nil
		}
	}
	return nil, lastErr
}

// Start (re)starts Prometheus on its address and waits for /-/ready.
func (p *Prometheus) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil && !p.proc.Exited() {
		return nil
	}
	proc, err := StartProc("prometheus", "prometheus", []string{
		"--config.file=" + filepath.Join(p.dir, "prometheus.yml"),
		"--storage.tsdb.path=" + filepath.Join(p.dir, "data"),
		"--web.listen-address=" + p.addr, "--log.level=warn",
	}, nil, p.dir)
	if err != nil {
		return err
	}
	p.proc = proc
	client := &http.Client{Timeout: time.Second}
	err = Poll(45*time.Second, func() error {
		if proc.Exited() {
			return fmt.Errorf("prometheus exited: %s", strings.TrimSpace(proc.Output()))
		}
		resp, err := client.Get(p.URL + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/-/ready: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		proc.Kill()
	}
	return err
}

// Stop kills Prometheus (an outage: its data stays for the restart).
func (p *Prometheus) Stop() {
	p.mu.Lock()
	proc := p.proc
	p.mu.Unlock()
	if proc != nil {
		proc.Kill()
	}
}

// Running reports whether Prometheus is up.
func (p *Prometheus) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proc != nil && !p.proc.Exited()
}
