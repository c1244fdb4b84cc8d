package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
)

// BenchmarkHaltCommitConcurrent measures place-halt commits from 8 clients
// at once on a 3-node cluster (raft-wal, fsync on), with and without
// BatchApply (group commit: proposals that arrive together share one log
// write on the leader and one AppendEntries to each follower). One op is
// one command; p50/p99 are per command, commits-per-s the throughput.
func BenchmarkHaltCommitConcurrent(b *testing.B) {
	const clients = 8
	for _, batch := range []bool{false, true} {
		b.Run(fmt.Sprintf("batch=%t", batch), func(b *testing.B) {
			c := newTestCluster(b, 3, LogStoreWAL, false, func(cfg *Config) { cfg.BatchApply = batch })
			l := c.leader()
			lat := make([][]time.Duration, clients)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for k := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := k; i < b.N; i += clients {
						cmd, _ := command.New(command.CmdPlaceHalt, "bench", haltCmd(fmt.Sprintf("c%d", i)))
						t0 := time.Now()
						if _, err := l.Apply(context.Background(), cmd); err != nil {
							b.Errorf("command %d: %v", i, err)
							return
						}
						lat[k] = append(lat[k], time.Since(t0))
					}
				}()
			}
			wg.Wait()
			took := time.Since(start)
			b.StopTimer()
			var all []time.Duration
			for _, l := range lat {
				all = append(all, l...)
			}
			b.ReportMetric(float64(len(all))/took.Seconds(), "commits-per-s")
			storetest.ReportPercentiles(b, all)
		})
	}
}
