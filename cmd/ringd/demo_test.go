package main

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
	"github.com/ringleader-dev/ringleader/rings/planner"
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
	p := launchDemo(t, extra...)
	p.waitBanner(t)
	return p
}

// launchDemo runs `ringd demo` (ringd and ringsim built side by side, as
// make build puts them) with short soaks, and stops it when the test ends.
func launchDemo(t *testing.T, extra ...string) *demoProc {
	t.Helper()
	bins, err := ringdtest.Build("ringd", "ringsim")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "demo")
	args := append([]string{"demo", "--http-addr", "127.0.0.1:0", "--soak-scale", "0.5", "--sync-delay", "300ms", "--dir", dir}, extra...)
	cmd := exec.Command(bins[0], args...)
	p := &demoProc{cmd: cmd, out: &syncbuf.Buffer{}, exited: make(chan struct{}), dir: dir}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("ringd demo printed:\n%s", p.out.String())
		}
	})
	return p
}

// waitBanner waits until the demo has printed its banner.
func (p *demoProc) waitBanner(t *testing.T) {
	t.Helper()
	waitDemo(t, "the demo banner", 90*time.Second, func() bool {
		select {
		case <-p.exited:
			t.Fatalf("ringd demo exited early:\n%s", p.out.String())
		default:
		}
		return strings.Contains(p.out.String(), "Ctrl-C stops everything")
	})
}

// stop sends SIGINT, which lets the demo stop what it started, and kills
// it if it has not exited within 30s; it reports whether SIGINT was enough.
func (p *demoProc) stop(t *testing.T) bool {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.exited:
		return true
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		return false
	}
}

// bareRepo is the demo's GitOps repository on disk.
func (p *demoProc) bareRepo() string { return filepath.Join(p.dir, "git", demo.RepoName+".git") }

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
// rate and error budgets), sees every region's budget measured and the
// first release through every ring (approving early, and global for
// ap-northeast-1's burnt budget), then
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
	// Every region's budget is measured from the start, and
	// ap-northeast-1's, burnt from the start, is in the approval band.
	st, err := c.Status(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{"us-east-1", "eu-west-1", "ap-northeast-1", "us-west-2"} {
		b, ok := st.Budgets[demo.FirstApp+"/"+region]
		if band := b.RemainingPercent > 25 && b.RemainingPercent <= 50; !ok || band != (region == demo.BurntRegion) {
			t.Errorf("budget of %s in %s: %+v (measured: %t); want it in the approval band exactly for %s", demo.FirstApp, region, b, ok, demo.BurntRegion)
		}
	}
	if _, err := c.Approve(context.Background(), first, "early", "demo test"); err != nil {
		t.Fatalf("approve early: %v", err)
	}
	// Global waits for an approval: ap-northeast-1's budget asks for one.
	waitDemo(t, "the first release to await approval of global", 60*time.Second, func() bool {
		r, err := c.Release(context.Background(), first)
		return err == nil && r.State == rings.ReleaseAwaitingApproval && slices.ContainsFunc(r.Waits, func(w planner.Wait) bool {
			return w.Ring == "global" && w.Reason == planner.WaitErrorBudget && slices.Contains(w.Regions, demo.BurntRegion)
		})
	})
	if _, err := c.Approve(context.Background(), first, "global", "demo test"); err != nil {
		t.Fatalf("approve global: %v", err)
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
	bare := p.bareRepo()
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
	p.stopCleanly(t, repo)
}

// stopCleanly sends SIGINT and checks the demo exits 0 and that the node,
// the simulated regions (the ringsim child) and the Git server no longer
// accept connections.
func (p *demoProc) stopCleanly(t *testing.T, repo string) {
	t.Helper()
	servers := map[string]string{"the node": p.field(t, "Dashboard"), "the simulated regions": p.field(t, "Region control"), "the Git server": repo}
	if !p.stop(t) {
		t.Fatal("ringd demo did not stop within 30s of SIGINT")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("ringd demo exited %d after SIGINT, want 0", code)
	}
	for what, addr := range servers {
		u, err := url.Parse(addr)
		if err != nil {
			t.Fatal(err)
		}
		if conn, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections on %s after the demo stopped", what, u.Host)
		}
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
		{"unknown scenario", []string{"--scenario", "no-such-tour"}, "--list-scenarios"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			if code := runDemo(tc.args, &strings.Builder{}, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and a message naming %q", code, stderr.String(), tc.want)
			}
		})
	}
}

func TestDemoNamesAMissingRingsim(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "ringsim")
	var stderr strings.Builder
	code := runDemo([]string{"--ringsim", missing, "--dir", t.TempDir()}, &strings.Builder{}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), missing) || !strings.Contains(stderr.String(), "make build") {
		t.Errorf("exit %d, stderr %q; want 1 and a message naming %s and how to build it", code, stderr.String(), missing)
	}
}

// TestTwoDemosAtOnceServeTheirOwnDashboards starts two `ringd demo` at the
// same time, both asking for the same free port, as two `make demo` both
// ask for 8080: one node may bind it, the other binds a free port itself
// on the bind error (a demo that checked the port first and bound it later
// died here with "address already in use"). Each banner prints its own
// real URL, and says why when it is not the one asked for; both dashboards
// and APIs answer; both demos then stop cleanly with every child.
func TestTwoDemosAtOnceServeTheirOwnDashboards(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two whole demos; skipped with -short")
	}
	// A port free a moment ago, released on purpose: the race needs a port
	// both demos can hope to get. Should a third process take it meanwhile,
	// both demos fall back and the test still holds.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	want := l.Addr().String()
	l.Close()

	// Both start before either has bound anything.
	demos := []*demoProc{
		launchDemo(t, "--http-addr", want, "--no-prometheus"),
		launchDemo(t, "--http-addr", want, "--no-prometheus"),
	}
	seen := map[string]bool{}
	for i, p := range demos {
		p.waitBanner(t)
		base := p.field(t, "Dashboard")
		host := strings.TrimPrefix(base, "http://")
		if seen[host] {
			t.Errorf("demo %d serves on %s, as the other demo does", i, host)
		}
		seen[host] = true
		if noted := strings.Contains(p.out.String(), want+" is taken"); noted == (host == want) {
			t.Errorf("demo %d serves on %s, asked for %s, and its banner says it is taken: %v; want a note exactly when it is elsewhere:\n%s",
				i, host, want, noted, p.out.String())
		}
		for _, path := range []string{"/", "/v1/status"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatalf("demo %d: GET %s: %v", i, path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("demo %d: GET %s = %s, want 200", i, path, resp.Status)
			}
		}
	}
	for _, p := range demos {
		p.stopCleanly(t, p.field(t, "GitOps repo"))
	}
}

// TestBinaryLinksNoSimulator keeps the test fakes out of production ringd:
// `ringd demo` runs the simulated regions as the ringsim binary, so ringd
// must not link internal/regionsim (nor the fake Argo CD it serves).
func TestBinaryLinksNoSimulator(t *testing.T) {
	t.Parallel()
	linked := ringdtest.Linked(t)
	for _, fake := range []string{"internal/regionsim", "regions/argocd/argocdtest"} {
		if slices.Contains(linked, "github.com/ringleader-dev/ringleader/"+fake) {
			t.Errorf("ringd links %s, a test fake; ringd demo runs it as the ringsim binary instead", fake)
		}
	}
}
