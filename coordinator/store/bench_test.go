package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/rings"
)

// Benchmarks of the replicated node on real TCP over loopback with fsync.
// Run them alone, on a quiet machine:
//
//	go test -run '^$' -bench 'HaltCommit' -benchtime 2000x ./coordinator/
//	go test -run '^$' -bench 'Failover' -benchtime 10x ./coordinator/
//
// DESIGN.md records the numbers.

// BenchmarkHaltCommit measures the commit latency of place-halt and
// resume-halt commands from one client on a 3-node cluster: proposal on
// the leader → quorum fsync → applied on the leader. One operation is one
// command; p50 and p99 are reported in milliseconds.
func BenchmarkHaltCommit(b *testing.B) {
	for _, kind := range []LogStoreKind{LogStoreBolt, LogStoreWAL} {
		b.Run(string(kind), func(b *testing.B) {
			c := newTestCluster(b, 3, kind, false)
			l := c.leader()
			place, resume := make([]command.Command, b.N), make([]command.Command, b.N)
			for i := range b.N {
				id := fmt.Sprintf("h%d", i)
				place[i], _ = command.New(command.CmdPlaceHalt, "bench", haltCmd(id))
				resume[i], _ = command.New(command.CmdResumeHalt, "bench", command.ResumeHalt{HaltID: id, Reason: "bench"})
			}
			lat := make([]time.Duration, 0, b.N)
			retries := 0
			b.ResetTimer()
			for i := range b.N {
				cmd := place[i/2]
				if i%2 == 1 {
					cmd = resume[i/2]
				}
				cmd.RequestID = fmt.Sprintf("bench-%d", i)
				start := time.Now()
				// A spurious election on a starved machine loses the
				// leader: retry at the new one with the same RequestID,
				// which is exactly-once by the FSM's request log.
				for {
					_, err := l.Apply(context.Background(), cmd)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrLeadershipLost) && !errors.Is(err, command.ErrNotLeader) {
						b.Fatalf("command %d: %v", i, err)
					}
					retries++
					l = c.leader()
				}
				lat = append(lat, time.Since(start))
			}
			b.ReportMetric(float64(retries), "retries")
			b.StopTimer()
			storetest.ReportPercentiles(b, lat)
		})
	}
}

// BenchmarkFailover measures, per trial, the time from a hard stop of the
// leader (no leadership transfer) until a survivor accepts a write. The
// stopped node is restarted between trials. Reports median and max.
func BenchmarkFailover(b *testing.B) {
	benchLeaderLoss(b, "fo", func(c *testCluster, old *testNode) { c.kill(old) })
}

// BenchmarkPlannedHandover measures Shutdown on the leader (leadership
// transfer first) until a survivor accepts a write.
func BenchmarkPlannedHandover(b *testing.B) {
	benchLeaderLoss(b, "ho", func(_ *testCluster, old *testNode) {
		if err := old.Shutdown(); err != nil {
			b.Fatal(err)
		}
		old.alive = false
	})
}

// benchLeaderLoss runs one trial per iteration on a 3-node cluster: stop
// takes the leader away, a survivor must then accept halt <prefix><i>, and
// the old leader is restarted before the next trial. It reports the median
// and the max time from stop to the first accepted write.
func benchLeaderLoss(b *testing.B, prefix string, stop func(*testCluster, *testNode)) {
	c := newTestCluster(b, 3, DefaultLogStore, false)
	times := make([]time.Duration, 0, b.N)
	for i := range b.N {
		old := c.leader()
		start := time.Now()
		stop(c, old)
		times = append(times, firstAcceptedWrite(b, c, fmt.Sprintf("%s%d", prefix, i)).Sub(start))
		c.restart(old)
		c.waitConverged()
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(storetest.Millis(times[len(times)/2]), "median-ms")
	b.ReportMetric(storetest.Millis(times[len(times)-1]), "max-ms")
	b.ReportMetric(0, "ns/op")
}

// firstAcceptedWrite polls the live nodes until one accepts a halt and
// returns when that write was acknowledged.
func firstAcceptedWrite(b *testing.B, c *testCluster, haltID string) time.Time {
	b.Helper()
	deadline := time.Now().Add(waitDeadline)
	for time.Now().Before(deadline) {
		for _, n := range c.live() {
			if !n.IsLeader() {
				continue
			}
			if _, err := applyOn(n.Node, command.CmdPlaceHalt, haltCmd(haltID)); err == nil {
				return time.Now()
			}
		}
		time.Sleep(time.Millisecond) // poll interval
	}
	b.Fatalf("no survivor accepted a write within %s", waitDeadline)
	return time.Time{}
}

// BenchmarkObservedApply measures what the observer hook adds to one FSM
// apply of a constant-cost command: decoding the entry again and calling
// two observers (what the observers themselves cost, the event broker and
// the metrics, is measured by their own benchmarks).
func BenchmarkObservedApply(b *testing.B) {
	for _, observed := range []bool{false, true} {
		b.Run(fmt.Sprintf("observed=%t", observed), func(b *testing.B) {
			var obs nodeObservers
			seen := 0
			if observed {
				count := func(AppliedCommand) { seen++ }
				fns := []ApplyObserver{count, count}
				obs.applied.Store(&fns)
			}
			fsm := observedFSM{FSM: NewFSM(0), obs: &obs}
			cmd, err := command.New(command.CmdRecordBudget, command.ActorSystem, rings.Budget{Region: "us-east-1", RemainingPercent: 70})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				cmd.RequestID = "" // no request-log bookkeeping
				data, _ := json.Marshal(cmd)
				fsm.Apply(&raft.Log{Index: uint64(i + 1), Data: data})
			}
			if observed && seen != 2*b.N {
				b.Fatalf("the observers saw %d entries, want %d", seen, 2*b.N)
			}
		})
	}
}
