// Package proc owns the child process behind a restartable test server
// (the git daemon, Prometheus): at most one runs at a time, in its own
// process group so a stop also ends its children, and the kernel kills it
// when the process that started it dies (Linux), so none outlives a test
// binary that was killed.
package proc

import (
	"fmt"
	"os/exec"
	"sync"
	"syscall"
)

// Restartable is the slot of a server's process: Start, Stop and Start
// again. The zero value is stopped. It is safe for concurrent use.
type Restartable struct {
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs the command build returns, unless a process already runs
// (then it does nothing), and waits for ready: ready is given exited, which
// reports whether the process has ended, and returns nil once the server
// serves. When ready fails the process is killed and the error returned.
func (r *Restartable) Start(build func() (*exec.Cmd, error), ready func(exited func() bool) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running() {
		return nil
	}
	cmd, err := build()
	if err != nil {
		return err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.cmd, r.done = cmd, done
	if err := ready(func() bool { return closed(done) }); err != nil {
		r.kill()
		return err
	}
	return nil
}

// Stop kills the process and its group and waits for it. It does nothing
// when no process runs.
func (r *Restartable) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kill()
}

// Running reports whether the process is up.
func (r *Restartable) Running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running()
}

func (r *Restartable) running() bool { return r.cmd != nil && !closed(r.done) }

func (r *Restartable) kill() {
	if r.cmd == nil {
		return
	}
	// The negative pid is the process's own group (see Start).
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	<-r.done
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
