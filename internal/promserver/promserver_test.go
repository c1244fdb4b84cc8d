package promserver

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMissingBinaryFails: no prometheus on PATH is an error naming the fix,
// never a skip.
func TestMissingBinaryFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(Options{})
	if !errors.Is(err, ErrNoBinary) || !strings.Contains(err.Error(), "apt-get install prometheus") {
		t.Fatalf("Start = %v, want ErrNoBinary with the install hint", err)
	}
}

// TestBinaryThatExitsIsReported: a process that dies before /-/ready is an
// error carrying its output, not a hang until the deadline.
func TestBinaryThatExitsIsReported(t *testing.T) {
	t.Parallel()
	script := t.TempDir() + "/fake-prometheus"
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'boom: bad flag' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Start(Options{Binary: script, ReadyTimeout: 20 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "boom: bad flag") || time.Since(start) > 10*time.Second {
		t.Fatalf("Start = %v after %s, want a quick error with the process output", err, time.Since(start))
	}
}

// TestPortTakenIsRetried: a fake binary that reports the port as taken is
// started again with a new port, startAttempts times in all.
func TestPortTakenIsRetried(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := dir + "/fake-prometheus"
	body := "#!/bin/sh\necho x >> " + dir + "/runs\necho 'listen tcp: address already in use' >&2\nexit 1\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Start(Options{Binary: script})
	runs, _ := os.ReadFile(dir + "/runs")
	if !errors.Is(err, errPortTaken) || strings.Count(string(runs), "x") != startAttempts {
		t.Fatalf("Start = %v after %d runs, want errPortTaken after %d", err, strings.Count(string(runs), "x"), startAttempts)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	got := config(Options{Targets: []string{"127.0.0.1:1", "127.0.0.1:2"}, ScrapeInterval: time.Second})
	want := "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: promtest\n    honor_labels: true\n    static_configs:\n      - targets: [\"127.0.0.1:1\", \"127.0.0.1:2\"]\n"
	if got != want {
		t.Fatalf("config:\n%s\nwant:\n%s", got, want)
	}
}
