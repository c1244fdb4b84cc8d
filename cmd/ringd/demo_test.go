package main

import (
	"context"
	"net"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/internal/demo"
	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/ringdtest"
	"github.com/ringleader-dev/ringleader/internal/syncbuf"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
)

// demoProc is a running `ringd demo`.
type demoProc struct {
	cmd    *exec.Cmd
	out    *syncbuf.Buffer
	exited chan struct{}
	dir    string
}

// startDemo runs `ringd demo` with short soaks and waits for its banner.
func startDemo(t *testing.T, extra ...string) *demoProc {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	args := append([]string{"demo", "--http-addr", "127.0.0.1:0", "--soak-scale", "0.5", "--sync-delay", "300ms", "--dir", dir}, extra...)
	cmd := exec.Command(ringdtest.Ringd(t), args...)
	p := &demoProc{cmd: cmd, out: &syncbuf.Buffer{}, exited: make(chan struct{}), dir: dir}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		// SIGINT lets the demo stop what it started; SIGKILL if it hangs.
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-p.exited
		}
		if t.Failed() {
			t.Logf("ringd demo printed:\n%s", p.out.String())
		}
	})
	waitDemo(t, "the demo banner", 90*time.Second, func() bool {
		select {
		case <-p.exited:
			t.Fatalf("ringd demo exited early:\n%s", p.out.String())
		default:
		}
		return strings.Contains(p.out.String(), "Ctrl-C stops everything")
	})
	return p
}

// field returns the value printed after label in the banner.
func (p *demoProc) field(t *testing.T, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(label) + `\s+(\S+)`).FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("the banner has no %q line:\n%s", label, p.out.String())
	}
	return strings.TrimSuffix(m[1], "/")
}

// waitDemo polls cond every 100 ms until it holds or timeout passes.
func waitDemo(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond) // poll interval, not synchronisation
	}
}

// release fetches a release (nil while it cannot).
func release(c *apiclient.Client, id string) *rings.Release {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := c.Release(ctx, id)
	if err != nil {
		return nil
	}
	return r.Release
}

// TestDemoRollsAReleaseThroughAndRollsBackABadOne runs `ringd demo` as a
// person would (with Prometheus, so the bad version fails on its 5xx
// rate), sees the first release through every ring (approving early), then
// releases a bad version and checks it fails in canary, is rolled back in
// Git and never reaches a later ring, and that the history verifies clean.
func TestDemoRollsAReleaseThroughAndRollsBackABadOne(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo for about a minute; skipped with -short")
	}
	start := time.Now()
	p := startDemo(t)
	base, repo := p.field(t, "Dashboard"), p.field(t, "GitOps repo")
	if !strings.Contains(p.out.String(), "Prometheus      http://") {
		t.Fatalf("the demo runs without Prometheus although it is installed:\n%s", p.out.String())
	}
	c := apiclient.NewClient(base, "")
	id := regexp.MustCompile(`Release (\S+) of checkout v1.4.2 is rolling`).FindStringSubmatch(p.out.String())
	if id == nil {
		t.Fatalf("the banner names no first release:\n%s", p.out.String())
	}
	first := id[1]

	// The first release completes canary and waits for approval of early.
	waitDemo(t, "the first release to await approval of early", 60*time.Second, func() bool {
		r := release(c, first)
		return r != nil && r.State == rings.ReleaseAwaitingApproval
	})
	if r := release(c, first); r.Ring("canary").State != rings.RingDone {
		t.Fatalf("awaiting approval with canary %s, want done", r.Ring("canary").State)
	}
	if _, err := c.Approve(context.Background(), first, "early", "demo test"); err != nil {
		t.Fatalf("approve early: %v", err)
	}
	waitDemo(t, "the first release to complete", 60*time.Second, func() bool {
		r := release(c, first)
		return r != nil && r.State == rings.ReleaseCompleted
	})
	completed := time.Since(start)

	// A bad release fails in canary and is rolled back.
	bad, err := c.CreateRelease(context.Background(), apiclient.CreateReleaseRequest{App: "checkout", Version: demo.BadVersion})
	if err != nil {
		t.Fatalf("create the bad release: %v", err)
	}
	waitDemo(t, "the bad release to be rolled back", 60*time.Second, func() bool {
		r := release(c, bad.ID)
		return r != nil && r.State == rings.ReleaseRolledBack
	})
	r := release(c, bad.ID)
	for _, tc := range []struct {
		ring string
		want rings.RingState
	}{{"canary", rings.RingRolledBack}, {"early", rings.RingPending}, {"global", rings.RingPending}} {
		if got := r.Ring(tc.ring).State; got != tc.want {
			t.Errorf("bad release: ring %s is %s, want %s", tc.ring, got, tc.want)
		}
	}

	// Git: canary holds the previous version again, a rollback commit
	// exists, no later ring ever saw the bad version, the history verifies.
	bare := filepath.Join(p.dir, "git", demo.RepoName+".git")
	for _, tc := range []struct{ region, want string }{
		{"us-east-1", "tag: v1.4.2"}, {"eu-west-1", "tag: v1.4.2"}, {"us-west-2", "tag: v1.4.2"},
	} {
		got, err := demo.RunGit(bare, "show", "main:apps/checkout/"+tc.region+"/values.yaml")
		if err != nil || !strings.Contains(got, tc.want) {
			t.Errorf("%s values.yaml at head = %q (%v), want it to hold %q", tc.region, got, err, tc.want)
		}
	}
	trailers, err := demo.RunGit(bare, "log", "--format=%(trailers:only,unfold)", "main")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(trailers, "Ringleader-Rollback: true") {
		t.Errorf("no commit carries Ringleader-Rollback: true; trailers:\n%s", trailers)
	}
	for _, region := range []string{"eu-west-1", "ap-northeast-1", "us-west-2"} {
		if log, _ := demo.RunGit(bare, "log", "-p", "--format=%H", "main", "--", "apps/checkout/"+region+"/values.yaml"); strings.Contains(log, demo.BadVersion) {
			t.Errorf("region %s was promoted to %s: its values.yaml history mentions it", region, demo.BadVersion)
		}
	}
	top := ringstest.ParseFile(t, filepath.Join(p.dir, "rings.yaml"))
	rep, err := gitops.VerifyHistory(context.Background(), gitops.VerifyOptions{URL: repo, Topology: top})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("verify-history: %s: %+v", rep.Summary(), rep.Violations)
	}
	t.Logf("first release completed after %s, bad release rolled back after %s in all", completed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	// Ctrl-C stops everything the demo started.
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("ringd demo did not stop within 30s of SIGINT")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("ringd demo exited %d after SIGINT, want 0", code)
	}
	u, _ := url.Parse(repo)
	if conn, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		conn.Close()
		t.Errorf("the Git server still accepts connections on %s after the demo stopped", u.Host)
	}
}

func TestDemoRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"soak scale", []string{"--soak-scale", "0"}, "--soak-scale"},
		{"arguments", []string{"now"}, "takes flags only"},
		{"open to the network", []string{"--http-addr", "0.0.0.0:8080"}, "loopback only"},
		{"not host:port", []string{"--http-addr", "8080"}, "--http-addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			if code := runDemo(tc.args, &strings.Builder{}, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and a message naming %q", code, stderr.String(), tc.want)
			}
		})
	}
}
