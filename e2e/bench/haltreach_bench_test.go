package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/gitdaemon"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/scalegen"
)

// BenchmarkHaltReachGit measures what an acknowledged halt reaches with the
// real Git writer: per trial a ringd (one node, --effects git) promotes 20
// releases through 4 rings of one region each (soak 0 s: 80 promotions in a
// row) into a bare repository served by a real `git daemon`; once 10
// promotions have landed, a global halt is placed through the API. After a
// 2 s observation window the benchmark reads the branch: promotion commits
// after the halt's fence commit (must be 0), and from /metrics the pushes
// the writer refused as fenced (the promotions in flight at the halt).
// One op is one trial.
func BenchmarkHaltReachGit(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git not installed: run scripts/deps.sh")
	}
	var after, before, fenced int
	var acks []time.Duration
	for range b.N {
		a, bf, f, ack := haltReachTrial(b)
		after, before, fenced = after+a, before+bf, fenced+f
		acks = append(acks, ack)
	}
	d := newDist(acks)
	b.ReportMetric(float64(after), "landed-after-halt")
	b.ReportMetric(float64(fenced)/float64(b.N), "fenced-in-flight/op")
	b.ReportMetric(float64(before)/float64(b.N), "landed-before-halt/op")
	b.ReportMetric(ms(d.median()), "halt-ack-with-fence-median-ms")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d trials: %d promotion commits after the halt's fence commit, %.1f fenced pushes per trial, %.1f promotions landed before the halt per trial; halt ack (fence commit included) median %.1f ms, max %.1f ms; machine: %s",
		b.N, after, float64(fenced)/float64(b.N), float64(before)/float64(b.N), ms(d.median()), ms(d.max()), machine())
}

func haltReachTrial(b *testing.B) (after, before, fenced int, ack time.Duration) {
	w := newHaltWorld(b)
	// The later --effects wins over modeArgs' "memory".
	n := startRingd(b, "n1", filepath.Join(w.root, "n1"), w.topology, append([]string{"--bootstrap"}, w.gitArgs()...)...)
	w.release(b, n)
	if err := poll.For(2*time.Minute, "10 promotions to land", func() bool {
		return pushes(n, "landed") >= 10
	}); err != nil {
		b.Fatalf("%v\n%s", err, n.output())
	}
	start := time.Now()
	_, body, err := placeHalt(fastClient, n.http)
	ack = time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if strings.Contains(string(body), "fenceError") {
		b.Logf("halt answered with a fence error: %s", body)
	}
	time.Sleep(2 * time.Second) // observation window: anything still in flight lands or is refused
	fenced = pushes(n, "fenced")
	before, after = promotionsAroundFence(b, w.repo)
	return after, before, fenced, ack
}

// haltWorld is what a halt-reach trial runs against: a bare GitOps
// repository behind a real git daemon, seeded for haltApps apps in 4
// regions, and a topology file rolling them through 4 rings without soak.
type haltWorld struct {
	root, repo, addr, topology string
}

const haltApps = 20

func newHaltWorld(b *testing.B) *haltWorld {
	root := b.TempDir()
	base, addr := startGitDaemon(b, filepath.Join(root, "git"))
	w := &haltWorld{root: root, repo: filepath.Join(base, "deploy.git"), addr: addr, topology: filepath.Join(root, "topology.yaml")}
	seedRepo(b, w.repo, haltApps, 4)
	src, err := scalegen.Topology(scalegen.Shape{Apps: haltApps, Regions: 4, Rings: 4, Soak: "0s", NoHealthSources: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(w.topology, src, 0o644); err != nil {
		b.Fatal(err)
	}
	return w
}

// gitArgs make ringd write promotions to the world's repository (the
// later --effects wins over modeArgs' "memory").
func (w *haltWorld) gitArgs() []string {
	return []string{"--effects", "git", "--gitops-url", "git://" + w.addr + "/deploy.git", "--reconcile-interval", "200ms"}
}

// release waits until leader has adopted the topology and creates a
// release of every app.
func (w *haltWorld) release(b *testing.B, leader *ringd) {
	if err := poll.For(60*time.Second, "the topology to be adopted", func() bool {
		code, body := call(ctlClient, "GET", leader.http+"/v1/topology", "")
		return code == 200 && strings.Contains(string(body), "scale-20")
	}); err != nil {
		b.Fatal(err)
	}
	for i := range haltApps {
		body := fmt.Sprintf(`{"app":%q,"version":"v2"}`, scalegen.AppName(i))
		if code, out := call(fastClient, "POST", leader.http+"/v1/releases", body); code != 201 {
			b.Fatalf("create release %d: status %d: %s", i, code, out)
		}
	}
}

// promotionsAroundFence counts the promotions on main of the bare
// repository repo before and after the halt's fence commit (one per
// Ringleader-Promotion trailer value, so a commit that carries several
// counts each); a branch without a fence fails the trial.
func promotionsAroundFence(b *testing.B, repo string) (before, after int) {
	log, err := exec.Command("git", "-C", repo, "log", "--first-parent", "--reverse",
		"--format=%(trailers:key=Ringleader-Promotion,valueonly,separator=%x2C)|%(trailers:key=Ringleader-Halt-Fence,valueonly)", "main").Output()
	if err != nil {
		b.Fatalf("git log: %v", err)
	}
	halted := false
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		prom, fence, _ := strings.Cut(line, "|")
		if v, _ := strconv.Atoi(strings.TrimSpace(fence)); v > 0 {
			halted = true
		}
		if strings.TrimSpace(prom) == "" {
			continue
		}
		n := len(strings.Split(prom, ","))
		if halted {
			after += n
		} else {
			before += n
		}
	}
	if !halted {
		b.Fatalf("no fence commit for the halt on the branch:\n%s", log)
	}
	return before, after
}

// pushes reads ringd's count of Git writes with outcome from /metrics.
func pushes(n *ringd, outcome string) int {
	return metricValue(n, `ringleader_gitops_push_duration_seconds_count{outcome="`+outcome+`"} `)
}

// metricValue reads the sample whose line starts with prefix (name, labels
// and a space) from n's /metrics: 0 when absent, -1 when n does not answer.
func metricValue(n *ringd, prefix string) int {
	code, body := call(ctlClient, "GET", n.http+"/metrics", "")
	if code != 200 {
		return -1
	}
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, prefix) {
			v, _ := strconv.ParseFloat(strings.TrimPrefix(l, prefix), 64)
			return int(v)
		}
	}
	return 0
}

// startGitDaemon serves bare repositories under dir (push enabled) on a
// free loopback port (internal/gitdaemon) and returns dir and host:port.
func startGitDaemon(b *testing.B, dir string) (string, string) {
	b.Helper()
	d, err := gitdaemon.Start(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(d.Stop)
	return dir, d.Addr
}

// seedRepo creates the bare repository bare with one values file per app
// and region (image.tag v1) on main.
func seedRepo(b *testing.B, bare string, apps, regions int) {
	b.Helper()
	work := b.TempDir()
	git := func(dir string, args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.name=Seeder", "-c", "user.email=seeder@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(work, "init", "--quiet", "--bare", "--initial-branch=main", bare)
	git(work, "init", "--quiet", "--initial-branch=main", ".")
	for a := range apps {
		for r := range regions {
			p := filepath.Join(work, "apps", scalegen.AppName(a), scalegen.RegionName(r), "values.yaml")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("image:\n  repository: example/app\n  tag: v1\n"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	git(work, "add", ".")
	git(work, "commit", "--quiet", "-m", "seed")
	git(work, "push", "--quiet", bare, "main")
}
