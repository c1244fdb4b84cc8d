package demo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartNodeReportsAnEarlyExitWithItsOutput(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "node")
	_, err := StartNode("/bin/sh", []string{"-c", "echo 'ringd: bad command line: --topology is wrong' >&2; exit 2"}, dir, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "--topology is wrong") {
		t.Errorf("got %v, want an error carrying the node's output", err)
	}
}

func TestStartNodeReadsTheAnnouncedAddresses(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "node")
	// A stand-in node: announces like ringd (with its own pid), then waits.
	script := `printf '{"http":"127.0.0.1:1234","raft":"127.0.0.1:5678","pid":%d}' $$ > "$0/addr.json"; exec sleep 60`
	n, err := StartNode("/bin/sh", []string{"-c", script, dir}, dir, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop(time.Second)
	if n.HTTP != "127.0.0.1:1234" || n.Raft != "127.0.0.1:5678" {
		t.Errorf("got http %q raft %q, want the announced 127.0.0.1:1234 and 127.0.0.1:5678", n.HTTP, n.Raft)
	}
	if _, err := os.Stat(n.LogPath); err != nil {
		t.Errorf("node log: %v", err)
	}
}
