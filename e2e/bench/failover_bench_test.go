package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/poll"
)

// BenchmarkFailover measures, per trial, the time from SIGKILL of the
// leader until a write is accepted again through a survivor, for ringd and
// for etcd, each with its default timing (ringd: 300 ms heartbeat and
// election timeout, 150 ms lease; etcd: 100 ms heartbeat, 1 s election).
// The killed process is started again (same ports, same data directory)
// and the cluster converges before the next trial. One op is one trial.
//
// The client polls every 2 ms; a ringd write is POST /v1/halts at any
// survivor (a follower forwards to the leader), an etcd write is a Put
// at any survivor (etcd forwards proposals to its leader).
func BenchmarkFailover(b *testing.B) {
	b.Run("ringd", func(b *testing.B) {
		nodes := ringdCluster3(b, 1)
		took := failoverTrials(b, "a ringd survivor to accept a write",
			func() (*proc, error) {
				l, err := ringdLeader(nodes)
				if err != nil {
					return nil, err
				}
				return &l.proc, nil
			},
			func(_ int, dead *proc) bool {
				for _, n := range nodes {
					if &n.proc == dead {
						continue
					}
					if _, _, err := placeHalt(ctlClient, n.http); err == nil {
						return true
					}
				}
				return false
			},
			func() error { return waitRingdConverged(nodes) })
		reportFailover(b, "ringd", took)
	})
	b.Run("etcd", func(b *testing.B) {
		members := etcdCluster3(b)
		took := failoverTrials(b, "an etcd survivor to accept a put",
			func() (*proc, error) {
				l, err := etcdLeader(members)
				if err != nil {
					return nil, err
				}
				return &l.proc, nil
			},
			func(trial int, dead *proc) bool {
				for _, m := range members {
					if &m.proc == dead {
						continue
					}
					ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
					err := m.conn.put(ctx, fmt.Sprintf("/ringleader/failover/%d", trial), []byte(`{"global":true}`))
					cancel()
					if err == nil {
						return true
					}
				}
				return false
			},
			func() error { return waitEtcdConverged(members) })
		reportFailover(b, "etcd", took)
	})
}

// failoverTrials runs b.N trials: find the leader, SIGKILL it, poll
// write (which skips the dead process) until a survivor accepts one, then
// start the killed process again on its ports and data directory and wait
// until the cluster converged. It returns each kill-to-write time.
func failoverTrials(b *testing.B, what string, leader func() (*proc, error), write func(trial int, dead *proc) bool, converged func() error) []time.Duration {
	var took []time.Duration
	for i := range b.N {
		dead, err := leader()
		if err != nil {
			b.Fatal(err)
		}
		killed := time.Now()
		dead.kill()
		var at time.Time
		err = poll.For(30*time.Second, what, func() bool {
			if write(i, dead) {
				at = time.Now()
				return true
			}
			return false
		})
		if err != nil {
			b.Fatalf("trial %d: %v", i, err)
		}
		took = append(took, at.Sub(killed))
		if err := dead.start(); err != nil {
			b.Fatal(err)
		}
		if err := converged(); err != nil {
			b.Fatalf("trial %d: after restarting %s: %v\n%s", i, dead.name, err, dead.output())
		}
	}
	return took
}

func reportFailover(b *testing.B, what string, took []time.Duration) {
	d := newDist(took)
	b.ReportMetric(ms(d[0]), "min-ms")
	b.ReportMetric(ms(d.median()), "median-ms")
	b.ReportMetric(ms(d.max()), "max-ms")
	b.ReportMetric(0, "ns/op")
	b.Logf("%s failover over %d trials: min %.0f ms, median %.0f ms, max %.0f ms; machine: %s",
		what, len(d), ms(d[0]), ms(d.median()), ms(d.max()), machine())
}
