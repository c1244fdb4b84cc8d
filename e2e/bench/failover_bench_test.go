package bench

import (
	"context"
	"fmt"
	"testing"
	"time"
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
		var took []time.Duration
		for i := range b.N {
			leader, err := ringdLeader(nodes)
			if err != nil {
				b.Fatal(err)
			}
			killed := time.Now()
			leader.kill()
			var at time.Time
			err = pollUntil(30*time.Second, "a ringd survivor to accept a write", func() bool {
				for _, n := range nodes {
					if n == leader {
						continue
					}
					if _, _, err := placeHalt(ctlClient, n.http); err == nil {
						at = time.Now()
						return true
					}
				}
				return false
			})
			if err != nil {
				b.Fatalf("trial %d: %v", i, err)
			}
			took = append(took, at.Sub(killed))
			if err := leader.start(); err != nil {
				b.Fatal(err)
			}
			if err := waitRingdConverged(nodes); err != nil {
				b.Fatalf("trial %d: after restarting %s: %v\n%s", i, leader.name, err, leader.output())
			}
		}
		reportFailover(b, "ringd", took)
	})
	b.Run("etcd", func(b *testing.B) {
		members := etcdCluster3(b)
		var took []time.Duration
		for i := range b.N {
			leader, err := etcdLeader(members)
			if err != nil {
				b.Fatal(err)
			}
			killed := time.Now()
			leader.kill()
			var at time.Time
			err = pollUntil(30*time.Second, "an etcd survivor to accept a put", func() bool {
				for _, m := range members {
					if m == leader {
						continue
					}
					ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
					err := m.conn.put(ctx, fmt.Sprintf("/ringleader/failover/%d", i), []byte(`{"global":true}`))
					cancel()
					if err == nil {
						at = time.Now()
						return true
					}
				}
				return false
			})
			if err != nil {
				b.Fatalf("trial %d: %v", i, err)
			}
			took = append(took, at.Sub(killed))
			if err := leader.start(); err != nil {
				b.Fatal(err)
			}
			if err := waitEtcdConverged(members); err != nil {
				b.Fatalf("trial %d: after restarting %s: %v\n%s", i, leader.name, err, leader.output())
			}
		}
		reportFailover(b, "etcd", took)
	})
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
