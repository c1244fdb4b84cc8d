package main

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestFailoverTime measures, with real processes, how long after SIGKILL of
// the leader a survivor accepts a write. It runs only when asked:
//
//	RINGD_FAILOVER_TRIALS=10 go test -run TestFailoverTime -v ./cmd/ringd
//
// Goal (default timing flags): median < 0.75 s, max < 1 s.
func TestFailoverTime(t *testing.T) {
	trials, _ := strconv.Atoi(os.Getenv("RINGD_FAILOVER_TRIALS"))
	if trials <= 0 {
		t.Skip("set RINGD_FAILOVER_TRIALS=N to measure failover over N trials")
	}
	var took []time.Duration
	for i := range trials {
		t.Run("trial"+strconv.Itoa(i+1), func(t *testing.T) {
			procs := cluster3(t)
			leader := leaderOf(t, procs)
			writeThrough(t, procs, "warm-up")
			killed := time.Now()
			leader.kill()
			accepted := writeThrough(t, without(procs, leader), "after-kill")
			took = append(took, accepted.Sub(killed))
			t.Logf("write accepted %s after SIGKILL of %s", accepted.Sub(killed).Round(time.Millisecond), leader.id)
		})
	}
	slices.Sort(took)
	median := took[len(took)/2]
	if len(took)%2 == 0 {
		median = (took[len(took)/2-1] + took[len(took)/2]) / 2
	}
	t.Logf("failover over %d trials: min %s, median %s, max %s", len(took),
		took[0].Round(time.Millisecond), median.Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	if median >= 750*time.Millisecond || took[len(took)-1] >= time.Second {
		t.Errorf("failover median %s, max %s; goal median < 750ms, max < 1s", median, took[len(took)-1])
	}
}
