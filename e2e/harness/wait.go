package harness

import (
	"fmt"
	"testing"
	"time"
)

// PollInterval is how often Eventually checks its condition.
const PollInterval = 20 * time.Millisecond

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
func Poll(timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(PollInterval) // poll interval, not synchronisation
	}
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
		time.Sleep(PollInterval) // poll interval, not synchronisation
	}
}

// errorf is fmt.Errorf, short.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
