package poll

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestForReturnsOnceTheConditionHolds(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	err := For(5*time.Second, "the third call", func() bool { return calls.Add(1) >= 3 })
	if err != nil {
		t.Fatalf("For: %v", err)
	}
	if got := calls.Load(); got != 3 {
		t.Fatalf("cond called %d times, want 3", got)
	}
}

func TestForNamesWhatItWaitedForOnTimeout(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	err := For(20*time.Millisecond, "the leader", func() bool { calls.Add(1); return false })
	if err == nil || !strings.Contains(err.Error(), "waiting for the leader") {
		t.Fatalf("err = %v, want a timeout naming the leader", err)
	}
	if calls.Load() < 2 {
		t.Fatalf("cond called %d times, want it checked again before giving up", calls.Load())
	}
}

func TestUntilChecksAtTheDeadline(t *testing.T) {
	t.Parallel()
	start := time.Now()
	Until(t, time.Nanosecond, "a condition already true", func() bool { return time.Since(start) >= 0 })
}
