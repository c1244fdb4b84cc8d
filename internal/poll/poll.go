// Package poll waits for a condition with a deadline. It is the one way the
// project's tests wait for real processes, servers and goroutines to reach a
// state: no test sleeps for a fixed time and hopes.
package poll

import (
	"fmt"
	"testing"
	"time"
)

// first and most are the bounds of the pause between two checks: it starts
// short, so a condition that is almost true costs little, and doubles up to
// most, so a slow one does not spin.
const (
	first = 2 * time.Millisecond
	most  = 50 * time.Millisecond
)

// Until checks cond until it returns true and fails the test, naming what it
// waited for, when timeout passes first. cond is always checked once more at
// the deadline, so a timeout shorter than one pause still sees the state.
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := For(timeout, what, cond); err != nil {
		t.Fatal(err)
	}
}

// For is Until for code that is not a test (benchmark drivers, tools): it
// returns an error naming what it waited for instead of failing a test.
func For(timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	pause := first
	for {
		if cond() {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(min(pause, left))
		pause = min(2*pause, most)
	}
}
