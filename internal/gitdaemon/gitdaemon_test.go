package gitdaemon

import (
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = Env(dir, "Tester", "tester@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// A daemon serves pushes and clones over git://, stops with its children,
// and starts again on the same address (how tests stage a Git outage).
func TestDaemonServesStopsAndRestartsOnItsAddress(t *testing.T) {
	t.Parallel()
	d, err := Start(filepath.Join(t.TempDir(), "repos"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	git(t, d.Dir, "init", "--quiet", "--bare", "--initial-branch=main", d.Path("deploy"))
	work := t.TempDir()
	git(t, work, "init", "--quiet", "--initial-branch=main", ".")
	git(t, work, "commit", "--quiet", "--allow-empty", "-m", "first")
	git(t, work, "push", "--quiet", d.URL("deploy"), "main")
	head := git(t, work, "rev-parse", "HEAD")
	if got := git(t, d.Path("deploy"), "rev-parse", "main"); got != head {
		t.Fatalf("pushed %s, the bare repository has %s", head, got)
	}

	addr := d.Addr
	d.Stop()
	if d.Running() {
		t.Fatal("Running after Stop")
	}
	if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Stop", addr)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	if !d.Running() || d.Addr != addr {
		t.Fatalf("after Start: running %v at %s, want running at %s", d.Running(), d.Addr, addr)
	}
	clone := t.TempDir()
	git(t, clone, "clone", "--quiet", d.URL("deploy"), ".")
	if got := git(t, clone, "rev-parse", "HEAD"); got != head {
		t.Fatalf("clone after the restart has %s, want %s", got, head)
	}
}
