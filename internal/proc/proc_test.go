package proc

import (
	"errors"
	"os/exec"
	"testing"
)

func sleeper() (*exec.Cmd, error) { return exec.Command("sleep", "60"), nil }

func ready(exited func() bool) error {
	if exited() {
		return errors.New("exited")
	}
	return nil
}

// Start runs one process; a second Start while it runs does nothing; Stop
// ends it; Start runs a new one.
func TestStartStopRestart(t *testing.T) {
	t.Parallel()
	var r Restartable
	if r.Running() {
		t.Fatal("zero value runs")
	}
	if err := r.Start(sleeper, ready); err != nil {
		t.Fatal(err)
	}
	first := r.cmd.Process.Pid
	if err := r.Start(sleeper, ready); err != nil || r.cmd.Process.Pid != first || !r.Running() {
		t.Fatalf("second Start: %v, pid %d (first %d), running %v; want the first process untouched", err, r.cmd.Process.Pid, first, r.Running())
	}
	r.Stop()
	if r.Running() {
		t.Fatal("running after Stop")
	}
	if err := r.Start(sleeper, ready); err != nil || r.cmd.Process.Pid == first {
		t.Fatalf("restart: %v, pid %d; want a new process", err, r.cmd.Process.Pid)
	}
	r.Stop()
	r.Stop() // twice is fine
}

// A failed ready kills the process and returns its error; a failed build
// starts nothing.
func TestFailuresLeaveNothingRunning(t *testing.T) {
	t.Parallel()
	var r Restartable
	boom := errors.New("not ready")
	if err := r.Start(sleeper, func(func() bool) error { return boom }); !errors.Is(err, boom) || r.Running() {
		t.Fatalf("Start = %v, running %v; want the ready error and nothing running", err, r.Running())
	}
	if err := r.Start(func() (*exec.Cmd, error) { return nil, boom }, ready); !errors.Is(err, boom) || r.Running() {
		t.Fatalf("Start = %v, running %v; want the build error", err, r.Running())
	}
}
