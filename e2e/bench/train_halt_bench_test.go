package bench

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/poll"
)

// trainHaltBatch is --promotion-batch-max for the halt sub-benchmark: the
// train's 2,000 promotions go out as 40 commits, so a halt placed after
// the first one has up to 39 left to stop. With the default (500) the
// train is 4 commits, and a halt after the first races the other three.
const trainHaltBatch = 50

// trainHaltClient places the train's halt: its answer waits for the fence
// commit, which waits for the batch commit being written, so it gets far
// longer than fastClient's 10 s to answer; how long it took is the
// figure.
var trainHaltClient = &http.Client{Timeout: 5 * time.Minute}

// benchTrainHalt is BenchmarkTrain's halt sub-benchmark: a halt placed in
// the middle of a train's pushes, as judged by what is in Git (see
// trainHaltTrial). It fails when a promotion lands after the halt, and
// when the halt had nothing left to stop.
func benchTrainHalt(b *testing.B) {
	for range b.N {
		t := trainHaltTrial(b)
		if t.after != 0 {
			b.Fatalf("%d promotions landed in Git after the halt (its fence commit or the head at its acknowledgement, whichever came first); want 0; the branch:\n%s", t.after, t.history)
		}
		if t.before >= trainApps || t.before == 0 {
			b.Fatalf("INCONCLUSIVE: %d of %d promotions in Git before the halt's fence commit (placed after %d promotion commits): the halt was not in the middle of the pushes; the branch:\n%s", t.before, trainApps, t.commitsBefore, t.history)
		}
		b.ReportMetric(ms(t.ack), "halt-ack-ms")
		b.ReportMetric(float64(t.before), "promoted-before-halt")
		b.ReportMetric(float64(trainApps-t.before), "kept-out")
		b.ReportMetric(float64(t.after), "landed-after-halt")
		b.ReportMetric(float64(t.fenced), "fenced-in-flight")
		b.ReportMetric(0, "ns/op")
		b.Logf("the branch, oldest first (commit, committer time, subject):\n%s", t.timeline)
		b.Logf("halt requested at %s, placed %.0f ms after the first batch commit was seen in Git, acknowledged in %.1f ms (fence commit included); in Git before the halt: %d promotions in %d commits of up to %d; kept out: %d; refused as fenced by the writer: %d; after the halt: %d; machine: %s",
			t.haltAt.UTC().Format("15:04:05.000"), ms(t.placed), ms(t.ack), t.before, t.commitsBefore, trainHaltBatch, trainApps-t.before, t.fenced, t.after, machine())
	}
}

// trainHalt is what one halt-during-a-train trial saw.
type trainHalt struct {
	placed        time.Duration // from seeing the first batch commit in Git to the halt request
	haltAt        time.Time     // when the halt was requested
	ack           time.Duration // the halt's acknowledgement
	before, after int           // promotions in Git before and after the halt
	commitsBefore int           // promotion commits before the halt
	fenced        int           // promotions the leader's writer refused as fenced
	history       history       // the branch, read after the observation window
	timeline      string        // the branch's commits with their times and subjects
}

// trainHaltTrial runs the train with commits of trainHaltBatch promotions
// and places a global halt as soon as the first commit with promotions
// is on the branch: the first batch commit has landed and the others are
// being built or pushed. It then waits until the leader has answered every
// promotion of the train (landed, fenced or failed) plus a 3 s
// observation window, and reads the branch. "After the halt" is every
// commit after the halt's fence commit (the first commit whose
// Ringleader-Halt-Fence trailer counts an active halt; the branch only
// moves by compare-and-swap fast-forwards, so first-parent order is push
// order) or after the head read right after the acknowledgement, whichever
// comes first: a fence written late (the answer's fenceError) does not
// hide a promotion that landed after the ack.
func trainHaltTrial(b *testing.B) trainHalt {
	w := newTrainWorld(b, "--promotion-batch-max", strconv.Itoa(trainHaltBatch))
	departure := w.board(b)
	// The branch moves before the train does (the fence file, written
	// once at start-up with no halt): wait for a commit with promotions,
	// reading the history only when the head moves.
	var moved time.Time
	last := ""
	if err := poll.For(time.Until(departure)+30*time.Minute, "the first batch commit in Git", func() bool {
		head := branchHead(b, w.repo)
		if head == last {
			return false
		}
		last = head
		if h := branchHistory(b, w.repo); h.promotions(0, len(h)) == 0 {
			return false
		}
		moved = time.Now()
		return true
	}); err != nil {
		b.Fatalf("%v (recorded %d)", err, promotionsRecorded(w.leader, "ring0"))
	}
	var t trainHalt
	t.haltAt = time.Now()
	start := t.haltAt
	_, body, err := placeHalt(trainHaltClient, w.leader.http)
	t.ack = time.Since(start)
	t.placed = start.Sub(moved)
	if err != nil {
		b.Fatal(err)
	}
	atAck := branchHead(b, w.repo)
	if bytes.Contains(body, []byte("fenceError")) {
		b.Logf("halt answered with a fence error: %s", body)
	}
	if err := poll.For(time.Minute, "the leader to answer every promotion of the train", func() bool {
		return pushOutcomes(w.leader) >= trainApps
	}); err != nil {
		b.Logf("%v: %d answered; the branch is read anyway", err, pushOutcomes(w.leader))
	}
	time.Sleep(3 * time.Second) // observation window: anything still in flight lands or is refused
	t.fenced = pushes(w.leader, "fenced")
	h := branchHistory(b, w.repo)
	t.history = h
	out, err := exec.Command("git", "-C", w.repo, "log", "--first-parent", "--reverse", "--format=%h %cI %s", "main").Output()
	if err != nil {
		b.Fatalf("git log main in %s: %v", w.repo, err)
	}
	t.timeline = string(out)
	cut := h.fence()
	if cut < 0 {
		b.Fatalf("no fence commit for the halt on the branch of %s:\n%s", w.repo, h)
	}
	if i := h.index(atAck); i >= 0 && i < cut {
		cut = i
	}
	t.before, t.after = h.promotions(0, cut+1), h.promotions(cut+1, len(h))
	for _, c := range h[:cut+1] {
		if c.promotions > 0 {
			t.commitsBefore++
		}
	}
	return t
}

// pushOutcomes is the number of promotions n's writer has answered, all
// outcomes together (-1 when n does not answer).
func pushOutcomes(n *ringd) int {
	return metricValue(n, "ringleader_gitops_push_duration_seconds_count{")
}

// branchHead reads the commit main of the bare repository repo points at:
// the loose ref file when there is one (no process per poll, so polling
// it costs ringd no CPU), else git rev-parse (packed refs).
func branchHead(b *testing.B, repo string) string {
	if ref, err := os.ReadFile(repo + "/refs/heads/main"); err == nil {
		return strings.TrimSpace(string(ref))
	}
	out, err := exec.Command("git", "-C", repo, "rev-parse", "--verify", "refs/heads/main").Output()
	if err != nil {
		b.Fatalf("git rev-parse main in %s: %v", repo, err)
	}
	return strings.TrimSpace(string(out))
}
