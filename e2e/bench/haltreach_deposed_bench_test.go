package bench

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/poll"
)

// BenchmarkHaltReachDeposed measures halt reach across a change of leader
// with real processes: per trial a 3-node ringd cluster (--effects git)
// promotes 20 releases through 4 rings into a bare repository served by
// `git daemon`; once 5 promotions have landed the leader is frozen with
// SIGSTOP (likely in the middle of a push), a global halt is placed through
// a survivor (the new leader writes the fence), and the old leader is let
// go with SIGCONT, still holding whatever push it had prepared. After a 3 s
// observation window the branch is read: promotion commits after the
// halt's fence commit must be 0. Reported per trial: how long the halt
// took to be acknowledged after the freeze (an election included), and the
// pushes the deposed leader refused as fenced. One op is one trial.
func BenchmarkHaltReachDeposed(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git not installed: run scripts/deps.sh")
	}
	var after int
	var old [3]int // the deposed leader's pushes after it resumed: landed, fenced, failed
	var acks []time.Duration
	for range b.N {
		a, o, ack := deposedTrial(b)
		after += a
		for i := range old {
			old[i] += o[i]
		}
		acks = append(acks, ack)
	}
	d := newDist(acks)
	b.ReportMetric(float64(after), "landed-after-halt")
	b.ReportMetric(float64(old[0]), "deposed-landed")
	b.ReportMetric(float64(old[1])/float64(b.N), "deposed-fenced/op")
	b.ReportMetric(float64(old[2])/float64(b.N), "deposed-failed/op")
	b.ReportMetric(ms(d.median()), "halt-ack-after-freeze-median-ms")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d trials: %d promotion commits after the halt's fence commit; the deposed leader's writes after it resumed: %d landed, %d fenced, %d failed; halt acknowledged %.0f ms (median), %.0f ms (max) after the leader froze; machine: %s",
		b.N, after, old[0], old[1], old[2], ms(d.median()), ms(d.max()), machine())
}

func deposedTrial(b *testing.B) (after int, old [3]int, ack time.Duration) {
	w := newHaltWorld(b)
	nodes := ringdCluster3With(b, w.topology, w.gitArgs()...)
	leader, err := ringdLeader(nodes)
	if err != nil {
		b.Fatal(err)
	}
	w.release(b, leader)
	if err := poll.For(2*time.Minute, "5 promotions to land", func() bool { return pushes(leader, "landed") >= 5 }); err != nil {
		b.Fatal(err)
	}
	outcomes := []string{"landed", "fenced", "failed"}
	var before [3]int
	for i, o := range outcomes {
		before[i] = max(pushes(leader, o), 0)
	}
	pid := leader.pid()
	frozen := time.Now()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		b.Fatal(err)
	}
	var survivors []*ringd
	for _, n := range nodes {
		if n != leader {
			survivors = append(survivors, n)
		}
	}
	// A careful client: ask the survivors who leads and send the halt
	// there, each attempt bounded by 1 s. (A halt sent to a follower is
	// forwarded to the leader it knows; while that leader is frozen the
	// forward waits up to the API's ForwardTimeout, 15 s.)
	quick := &http.Client{Timeout: time.Second}
	err = poll.For(30*time.Second, "a survivor to acknowledge the halt", func() bool {
		for _, n := range survivors {
			code, body := call(quick, "GET", n.http+"/v1/cluster/leader", "")
			var li struct{ ID string }
			if code != 200 || json.Unmarshal(body, &li) != nil {
				continue
			}
			for _, m := range survivors {
				if m.id != li.ID {
					continue
				}
				if _, _, err := placeHalt(quick, m.http); err == nil {
					return true
				}
			}
		}
		return false
	})
	ack = time.Since(frozen)
	_ = syscall.Kill(pid, syscall.SIGCONT)
	if err != nil {
		b.Fatal(err)
	}
	time.Sleep(3 * time.Second) // observation window: the deposed leader's prepared push lands or is refused
	for i, o := range outcomes {
		old[i] = max(pushes(leader, o), 0) - before[i]
	}
	_, after = promotionsAroundFence(b, w.repo)
	return after, old, ack
}
