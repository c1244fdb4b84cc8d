package harness

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/ringleader-dev/ringleader/internal/syncbuf"
)

// Proc is one started process. Its stdout and stderr are kept in memory
// (and, when LogPath is set, in a file) for failure messages.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	out  *syncbuf.Buffer
	done chan struct{}
	// stopped is set while the process is SIGSTOPped.
	mu      sync.Mutex
	stopped bool
}

// registry holds every process still running, for KillAll.
var registry = struct {
	sync.Mutex
	procs map[*Proc]struct{}
}{procs: map[*Proc]struct{}{}}

var signalOnce sync.Once

// killOnSignal makes SIGINT/SIGTERM of the test binary stop every child
// before it exits, so an interrupted `go test` leaves nothing behind.
func killOnSignal() {
	signalOnce.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		go func() {
			s := <-ch
			KillAll()
			fmt.Fprintf(os.Stderr, "e2e: stopped every child process on %s\n", s)
			os.Exit(2)
		}()
	})
}

// StartProc starts name with args in its own process group. The kernel
// sends it SIGKILL if the thread that started it dies (Pdeathsig), and
// KillAll stops it otherwise.
func StartProc(name, bin string, args []string, env []string, dir string) (*Proc, error) {
	killOnSignal()
	p := &Proc{Name: name, out: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Dir = dir
	if env != nil {
		p.cmd.Env = env
	}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Children that keep the output pipe open (git daemon's per-connection
	// workers) must not make Wait hang.
	p.cmd.WaitDelay = 2 * time.Second
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	registry.Lock()
	registry.procs[p] = struct{}{}
	registry.Unlock()
	go func() {
		_ = p.cmd.Wait()
		registry.Lock()
		delete(registry.procs, p)
		registry.Unlock()
		close(p.done)
	}()
	return p, nil
}

// PID is the process ID.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Output is everything the process printed so far.
func (p *Proc) Output() string { return p.out.String() }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed when the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// signalGroup sends sig to the process's whole group.
func (p *Proc) signalGroup(sig syscall.Signal) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

// Kill sends SIGKILL to the process group and waits for the process to end.
func (p *Proc) Kill() {
	p.signalGroup(syscall.SIGCONT) // a stopped process group must be able to die cleanly
	p.signalGroup(syscall.SIGKILL)
	<-p.done
}

// Terminate sends SIGTERM and waits up to grace before SIGKILL.
func (p *Proc) Terminate(grace time.Duration) {
	p.signalGroup(syscall.SIGCONT)
	p.signalGroup(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.Kill()
	}
}

// Stop freezes the process group (SIGSTOP).
func (p *Proc) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signalGroup(syscall.SIGSTOP)
	p.stopped = true
}

// Cont thaws the process group (SIGCONT).
func (p *Proc) Cont() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signalGroup(syscall.SIGCONT)
	p.stopped = false
}

// Stopped reports whether the process is frozen by Stop.
func (p *Proc) Stopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

// KillAll stops every process the harness started that is still running.
// TestMain calls it after the tests; the signal handler calls it on
// interrupt.
func KillAll() {
	registry.Lock()
	procs := make([]*Proc, 0, len(registry.procs))
	for p := range registry.procs {
		procs = append(procs, p)
	}
	registry.Unlock()
	for _, p := range procs {
		p.Kill()
	}
}

// Running is how many harness processes are still alive (0 after cleanup).
func Running() int {
	registry.Lock()
	defer registry.Unlock()
	return len(registry.procs)
}
