package harness

import (
	"fmt"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/poll"
)

// neverInterval is how often Never samples its condition.
const neverInterval = 20 * time.Millisecond

// Eventually polls cond until it returns nil or timeout passes, then fails
// the test with the last error. It is a poll with a deadline, never a
// sleep standing in for synchronisation.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	if err := Poll(timeout, cond); err != nil {
		t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
	}
}

// Poll is Eventually without a test: it returns the last error on timeout.
// It waits the way every test does (internal/poll).
func Poll(timeout time.Duration, cond func() error) error {
	var last error
	if poll.For(timeout, "the condition", func() bool { last = cond(); return last == nil }) != nil {
		return last
	}
	return nil
}

// Never checks cond for the whole of d and fails the test the first time it
// returns an error: for "nothing happens while ..." properties.
func Never(t testing.TB, d time.Duration, what string, bad func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if err := bad(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(neverInterval) // sampling interval of a "nothing happens" check
	}
}

// errorf is fmt.Errorf, short.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
