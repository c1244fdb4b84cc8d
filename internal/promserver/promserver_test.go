package promserver

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMissingBinaryFails: no prometheus on PATH is an error naming the fix,
// never a skip.
func TestMissingBinaryFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(Config{Dir: t.TempDir()})
	if !errors.Is(err, ErrNoBinary) || !strings.Contains(err.Error(), "apt-get install prometheus") {
		t.Fatalf("Start = %v, want ErrNoBinary with the install hint", err)
	}
}

// TestBinaryThatExitsIsReported: a process that dies before /-/ready is an
// error carrying its output, not a hang until the deadline.
func TestBinaryThatExitsIsReported(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := dir + "/fake-prometheus"
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'boom: bad flag' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Start(Config{Dir: dir, Binary: script, ReadyTimeout: 20 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "boom: bad flag") || time.Since(start) > 10*time.Second {
		t.Fatalf("Start = %v after %s, want a quick error with the process output", err, time.Since(start))
	}
}

// TestBindsItsOwnPortAndRestartsThere: the real Prometheus binds :0, the
// address comes from its log, and a restart after Stop answers at the same
// URL (what the outage tests rely on).
func TestBindsItsOwnPortAndRestartsThere(t *testing.T) {
	t.Parallel()
	s, err := Start(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Stop)
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") || strings.HasSuffix(s.Addr, ":0") || s.URL != "http://"+s.Addr {
		t.Fatalf("Addr %q, URL %q: want the bound loopback port", s.Addr, s.URL)
	}
	ready := func() bool {
		resp, err := http.Get(s.URL + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	if !s.Running() || !ready() {
		t.Fatalf("not ready after Start:\n%s", s.Logs())
	}
	url := s.URL
	s.Stop()
	if s.Running() || ready() {
		t.Fatal("still answering after Stop")
	}
	if err := s.Start(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if s.URL != url || !ready() {
		t.Fatalf("restarted at %s (ready=%v), want %s", s.URL, ready(), url)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	got := config(Config{Targets: []string{"127.0.0.1:1", "127.0.0.1:2"}, ScrapeInterval: time.Second})
	want := "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: ringleader\n    honor_labels: true\n    static_configs:\n      - targets: [\"127.0.0.1:1\", \"127.0.0.1:2\"]\n"
	if got != want {
		t.Fatalf("config:\n%s\nwant:\n%s", got, want)
	}
}
