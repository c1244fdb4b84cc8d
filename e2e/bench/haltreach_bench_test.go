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
	"github.com/ringleader-dev/ringleader/internal/gitops"
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
// One commit per promotion (--promotion-batch-max 1): these benchmarks
// measure a halt racing a stream of pushes; batched, the 20 releases'
// promotions of a ring land as one commit and the halt meets none in
// flight (BenchmarkTrain/halt measures a halt against batches).
func (w *haltWorld) gitArgs() []string {
	return []string{"--effects", "git", "--gitops-url", "git://" + w.addr + "/deploy.git", "--reconcile-interval", "200ms", "--promotion-batch-max", "1"}
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
// repository repo before and after the halt's fence commit (branchHistory:
// one per trailer set, so a batch commit counts each of its promotions); a
// branch without a fence fails the trial.
func promotionsAroundFence(b *testing.B, repo string) (before, after int) {
	h := branchHistory(b, repo)
	fence := h.fence()
	if fence < 0 {
		b.Fatalf("no fence commit for the halt on the branch of %s:\n%s", repo, h)
	}
	return h.promotions(0, fence+1), h.promotions(fence+1, len(h))
}

// branchCommit is one commit of a branch as the halt benchmarks read it.
type branchCommit struct {
	hash       string
	promotions int  // trailer sets (a format-2 batch carries several)
	fence      bool // the halt fence with at least one active halt
}

// history is a branch's first-parent history, oldest first.
type history []branchCommit

// branchHistory reads main of the bare repository repo with the Git
// writer's own readers: gitops.PromotionBlocks for the promotions of a
// commit (format 1 and 2; a format it does not know fails the trial
// rather than being miscounted) and gitops.Trailers for the fence's
// Ringleader-Halt-Fence trailer.
func branchHistory(b *testing.B, repo string) history {
	out, err := exec.Command("git", "-C", repo, "log", "--first-parent", "--reverse", "--format=%H%n%B%x00", "main").Output()
	if err != nil {
		b.Fatalf("git log main in %s: %v", repo, err)
	}
	var h history
	for _, rec := range strings.Split(string(out), "\x00") {
		hash, msg, ok := strings.Cut(strings.TrimLeft(rec, "\n"), "\n")
		if !ok {
			continue
		}
		blocks, err := gitops.PromotionBlocks(msg)
		if err != nil {
			b.Fatalf("commit %s: %v", hash, err)
		}
		n, _ := strconv.Atoi(gitops.Trailers(msg)[gitops.TrailerHaltFence])
		h = append(h, branchCommit{hash: hash, promotions: len(blocks), fence: n > 0})
	}
	return h
}

// fence is the index of the first fence commit with an active halt, -1
// when there is none.
func (h history) fence() int {
	for i, c := range h {
		if c.fence {
			return i
		}
	}
	return -1
}

// index is the index of the commit hash, -1 when it is not on the branch.
func (h history) index(hash string) int {
	for i, c := range h {
		if c.hash == hash {
			return i
		}
	}
	return -1
}

// promotions counts the promotions of the commits h[from:to].
func (h history) promotions(from, to int) int {
	n := 0
	for _, c := range h[from:to] {
		n += c.promotions
	}
	return n
}

// String lists the commits, one line each, for a failure message.
func (h history) String() string {
	var s strings.Builder
	for _, c := range h {
		fmt.Fprintf(&s, "%.12s promotions=%d fence=%t\n", c.hash, c.promotions, c.fence)
	}
	return s.String()
}

// pushes reads ringd's count of Git writes with outcome from /metrics.
func pushes(n *ringd, outcome string) int {
	return metricValue(n, `ringleader_gitops_push_duration_seconds_count{outcome="`+outcome+`"} `)
}

// metricValue reads from n's /metrics the sample whose line starts with
// prefix (name, labels and a space), or the sum of every sample whose line
// starts with a shorter prefix (`name{`): 0 when absent, -1 when n does
// not answer.
func metricValue(n *ringd, prefix string) int {
	code, body := call(ctlClient, "GET", n.http+"/metrics", "")
	if code != 200 {
		return -1
	}
	total := 0.0
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, prefix) {
			v, _ := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
			total += v
		}
	}
	return int(total)
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

// trainApps × trainRegions × trainRings is the train's shape: one values
// file per app and region in the repository (100,000 files).
const (
	trainApps    = 2000
	trainRegions = 50
	trainRings   = 4
)

// BenchmarkTrain measures a release train of 2,000 apps on a 3-node ringd
// cluster (--effects git) writing to a real `git daemon` repository with a
// file per app and region. Every app gets a release on one train that
// departs at the next minute; ring 0 holds 13 of the 50 regions, so each
// app's ring-0 promotion edits 13 files. Two sub-benchmarks, each with its
// own cluster and repository:
//
//   - recorded: from the departure until every app's ring-0 promotion is
//     in Git and recorded (ringleader_rings_promotions_total on the
//     leader); the commits on the branch; the leader's peak RSS (VmHWM)
//     and the CPU seconds it spent from departure to the end.
//   - halt: the same train with commits of 50 promotions
//     (--promotion-batch-max 50, 40 commits); as soon as the first batch
//     commit is in Git, a global halt is placed; the branch is read after
//     the train's batch has answered and a 3 s observation window.
//     Reported: the halt's acknowledgement time, the promotions in Git
//     before it and kept out by it, the pushes refused as fenced, and
//     the promotions in Git after the halt, which must be 0. It fails as
//     well when nothing was left to stop (train_halt_bench_test.go).
//
// The regions have no health source (scalegen's NoHealthSources): a
// promoted ring soaks on time alone. No region evidence is read before a
// ring-0 promotion, so this does not change what is measured.
func BenchmarkTrain(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git not installed: run scripts/deps.sh")
	}
	b.Run("recorded", func(b *testing.B) {
		for range b.N {
			w := newTrainWorld(b)
			departure := w.board(b)
			start := cpuSeconds(b, w.leader)
			w.waitPromoted(b, trainApps, departure)
			took := time.Since(departure)
			cpu := cpuSeconds(b, w.leader) - start
			commits := w.commitsSinceSeed(b)
			rss := peakRSS(b, w.leader)
			b.ReportMetric(took.Seconds(), "departure-to-recorded-s")
			b.ReportMetric(float64(commits), "commits")
			b.ReportMetric(rss, "leader-peak-RSS-MiB")
			b.ReportMetric(cpu, "leader-CPU-s")
			b.ReportMetric(0, "ns/op")
			b.Logf("%d apps' ring-0 promotions recorded %.1f s after the departure in %d commits; leader peak RSS %.1f MiB, %.1f CPU s; machine: %s",
				trainApps, took.Seconds(), commits, rss, cpu, machine())
		}
	})
	b.Run("halt", benchTrainHalt)
}

// trainWorld is one train's cluster and repository.
type trainWorld struct {
	repo   string
	leader *ringd
}

// newTrainWorld seeds the repository, writes the topology with the train
// and starts the cluster; extra flags go to every node after the others.
func newTrainWorld(b *testing.B, extra ...string) *trainWorld {
	b.Helper()
	root := b.TempDir()
	base, addr := startGitDaemon(b, filepath.Join(root, "git"))
	w := &trainWorld{repo: filepath.Join(base, "deploy.git")}
	seedRepo(b, w.repo, trainApps, trainRegions)
	src, err := scalegen.Topology(scalegen.Shape{Apps: trainApps, Regions: trainRegions, Rings: trainRings, Soak: "1h", NoHealthSources: true})
	if err != nil {
		b.Fatal(err)
	}
	apps := make([]string, trainApps)
	for i := range apps {
		apps[i] = scalegen.AppName(i)
	}
	// Every minute: the release boards the next departure.
	src = fmt.Appendf(src, "  trains:\n    - {name: tuesday, apps: [%s], schedule: \"* * * * *\"}\n", strings.Join(apps, ", "))
	top := filepath.Join(root, "topology.yaml")
	if err := os.WriteFile(top, src, 0o644); err != nil {
		b.Fatal(err)
	}
	// The later --effects wins over modeArgs' "memory". The timing is
	// section 6b's advice for shared hosts: with the default 150 ms lease
	// a starved leader steps down mid-train.
	nodes := ringdCluster3With(b, top, append([]string{"--effects", "git", "--gitops-url", "git://" + addr + "/deploy.git", "--reconcile-interval", "200ms",
		"--heartbeat-timeout", "500ms", "--election-timeout", "500ms", "--leader-lease-timeout", "250ms"}, extra...)...)
	if w.leader, err = ringdLeader(nodes); err != nil {
		b.Fatal(err)
	}
	if err := poll.For(2*time.Minute, "the topology to be adopted", func() bool {
		code, body := call(ctlClient, "GET", w.leader.http+"/v1/topology", "")
		return code == 200 && strings.Contains(string(body), fmt.Sprintf("scale-%d", trainApps))
	}); err != nil {
		b.Fatal(err)
	}
	return w
}

// board creates a release of every app on the train and returns the
// departure it boards: the next minute. Creating takes seconds, so it
// starts right after a minute begins, and all releases board the same one.
func (w *trainWorld) board(b *testing.B) time.Time {
	b.Helper()
	if s := time.Now().Second(); s > 5 {
		time.Sleep(time.Duration(60-s) * time.Second) // wait for the next minute to begin
	}
	departure := time.Now().Truncate(time.Minute).Add(time.Minute)
	for i := range trainApps {
		body := fmt.Sprintf(`{"app":%q,"version":"v2","train":"tuesday"}`, scalegen.AppName(i))
		if code, out := call(fastClient, "POST", w.leader.http+"/v1/releases", body); code != 201 {
			b.Fatalf("create release %d: status %d: %s", i, code, out)
		}
	}
	if time.Now().After(departure) {
		b.Fatalf("creating %d releases ran past the departure at %s", trainApps, departure.Format(time.TimeOnly))
	}
	return departure
}

// trainPoll is how often waitPromoted reads the leader's /metrics: each
// scrape plans over 2,000 releases (the gate-wait gauge, 7d), so polling
// every few milliseconds took a core from the leader it measures. The
// time measured is late by at most this much.
const trainPoll = 200 * time.Millisecond

// waitPromoted waits until the leader recorded n ring-0 promotions.
func (w *trainWorld) waitPromoted(b *testing.B, n int, departure time.Time) {
	b.Helper()
	deadline := departure.Add(30 * time.Minute)
	for promotionsRecorded(w.leader, "ring0") < n {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %d ring-0 promotions recorded (recorded %d)", n, promotionsRecorded(w.leader, "ring0"))
		}
		time.Sleep(trainPoll)
	}
}

// commitsSinceSeed counts the commits on main after the seed commit.
func (w *trainWorld) commitsSinceSeed(b *testing.B) int {
	b.Helper()
	out, err := exec.Command("git", "-C", w.repo, "rev-list", "--count", "--first-parent", "main").Output()
	if err != nil {
		b.Fatalf("git rev-list: %v", err)
	}
	var n int
	if _, err := fmt.Sscan(string(out), &n); err != nil {
		b.Fatalf("git rev-list: %q: %v", out, err)
	}
	return n - 1
}

// promotionsRecorded reads the leader's count of recorded promotions of
// ring from /metrics (-1 when it does not answer).
func promotionsRecorded(n *ringd, ring string) int {
	return metricValue(n, `ringleader_rings_promotions_total{ring="`+ring+`"} `)
}
