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

	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/scalegen"
)

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
//   - halt: once half of the promotions are recorded, a global halt is
//     placed; after a 3 s observation window the branch is read. Reported:
//     the halt's acknowledgement time (after it nothing may land) and the
//     promotions in Git after the halt's fence commit, which must be 0: the
//     benchmark fails otherwise.
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
	b.Run("halt", func(b *testing.B) {
		for range b.N {
			w := newTrainWorld(b)
			departure := w.board(b)
			w.waitPromoted(b, trainApps/2, departure)
			start := time.Now()
			_, body, err := placeHalt(fastClient, w.leader.http)
			ack := time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if strings.Contains(string(body), "fenceError") {
				b.Logf("halt answered with a fence error: %s", body)
			}
			time.Sleep(3 * time.Second) // observation window: whatever was in flight lands or is refused
			before, after := promotionsAroundFence(b, w.repo)
			if after != 0 {
				b.Fatalf("%d promotions landed in Git after the halt's fence commit; want 0", after)
			}
			b.ReportMetric(ms(ack), "halt-ack-ms")
			b.ReportMetric(float64(before), "promoted-before-halt")
			b.ReportMetric(float64(after), "landed-after-halt")
			b.ReportMetric(float64(pushes(w.leader, "fenced")), "fenced-in-flight")
			b.ReportMetric(0, "ns/op")
			b.Logf("halt at %d of %d promotions: acknowledged in %.1f ms; %d promotions in Git before the fence, %d after; machine: %s",
				before, trainApps, ms(ack), before, after, machine())
		}
	})
}

// trainWorld is one train's cluster and repository.
type trainWorld struct {
	repo   string
	leader *ringd
}

// newTrainWorld seeds the repository, writes the topology with the train
// and starts the cluster.
func newTrainWorld(b *testing.B) *trainWorld {
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
	// The later --effects wins over modeArgs' "memory".
	nodes := ringdCluster3With(b, top, "--effects", "git", "--gitops-url", "git://"+addr+"/deploy.git", "--reconcile-interval", "200ms")
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

// waitPromoted waits until the leader recorded n ring-0 promotions.
func (w *trainWorld) waitPromoted(b *testing.B, n int, departure time.Time) {
	b.Helper()
	if err := poll.For(time.Until(departure)+10*time.Minute, fmt.Sprintf("%d ring-0 promotions recorded", n), func() bool {
		return promotionsRecorded(w.leader, "ring0") >= n
	}); err != nil {
		b.Fatalf("%v (recorded %d)", err, promotionsRecorded(w.leader, "ring0"))
	}
}

// commitsSinceSeed counts the commits on main after the seed commit.
func (w *trainWorld) commitsSinceSeed(b *testing.B) int {
	b.Helper()
	out, err := exec.Command("git", "-C", w.repo, "rev-list", "--count", "--first-parent", "main").Output()
	if err != nil {
		b.Fatalf("git rev-list: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		b.Fatalf("git rev-list: %q: %v", out, err)
	}
	return n - 1
}

// promotionsRecorded reads the leader's count of recorded promotions of
// ring from /metrics (-1 when it does not answer).
func promotionsRecorded(n *ringd, ring string) int {
	return metricValue(n, `ringleader_rings_promotions_total{ring="`+ring+`"} `)
}

// peakRSS is the process's peak resident set (VmHWM) in MiB.
func peakRSS(b *testing.B, n *ringd) float64 {
	b.Helper()
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", n.pid()))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(st), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatalf("no VmHWM in /proc/%d/status", n.pid())
	return 0
}

// cpuSeconds is the user + system CPU time the process used so far.
func cpuSeconds(b *testing.B, n *ringd) float64 {
	b.Helper()
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n.pid()))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are fields 14 and 15 of the line, 12 and 13 after ")".
	f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (ut + stime) / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on Linux).
const clockTicks = 100
