package bench

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/ringdtest"
)

// TestMain removes the binary built for the run; every process a
// benchmark started is killed by that benchmark's cleanup.
func TestMain(m *testing.M) {
	code := m.Run()
	ringdtest.Cleanup()
	os.Exit(code)
}

// proc is one server process that can be killed and started again with
// the same command line (same ports, same data directory). Running it is
// e2e/harness's Proc: its own process group, killed with the benchmark
// binary, output kept for when something goes wrong.
type proc struct {
	name string
	bin  string
	args []string
	p    *harness.Proc
}

// start runs the process; it does not wait for it to serve.
func (p *proc) start() error {
	hp, err := harness.StartProc(p.name, p.bin, p.args, nil, "")
	if err != nil {
		return err
	}
	p.p = hp
	return nil
}

// run starts the process for a benchmark: b fails if it does not start,
// and b's cleanup kills it, logging its output when b failed.
func (p *proc) run(b *testing.B) {
	b.Helper()
	if err := p.start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		p.kill()
		if b.Failed() {
			b.Logf("%s output:\n%s", p.name, p.output())
		}
	})
}

// kill sends SIGKILL and waits until the process is gone.
func (p *proc) kill() {
	if p.p != nil {
		p.p.Kill()
	}
}

// alive reports whether the process still runs.
func (p *proc) alive() bool { return p.p != nil && !p.p.Exited() }

// liveLeader polls until a live member names a live member as leader and
// returns that one: id is a member's own ID, named the ID a member names
// as leader (false when it does not answer).
func liveLeader[M interface{ alive() bool }, ID comparable](what string, members []M, id func(M) ID, named func(M) (ID, bool)) (M, error) {
	var leader M
	err := poll.For(30*time.Second, what, func() bool {
		for _, m := range members {
			if !m.alive() {
				continue
			}
			l, ok := named(m)
			if !ok {
				continue
			}
			for _, x := range members {
				if id(x) == l && x.alive() {
					leader = x
					return true
				}
			}
		}
		return false
	})
	return leader, err
}

// output is everything the process printed since its last start.
func (p *proc) output() string {
	if p.p == nil {
		return ""
	}
	return p.p.Output()
}

// pid is the running process's ID.
func (p *proc) pid() int { return p.p.PID() }

// machine describes where a figure was measured: CPU, cores, memory, Go,
// date and the load average at the moment of the call.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(l[strings.Index(l, ":")+1:])
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.Split(string(b), "\n")[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf(", %d GiB RAM", kb>>20)
	}
	return fmt.Sprintf("%s × %d%s, %s, %s UTC, load %s", cpu, runtime.NumCPU(), mem, runtime.Version(),
		time.Now().UTC().Format("2006-01-02 15:04"), loadAvg())
}

// loadAvg is the 1-minute load average.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// errDead says a process exited while a benchmark waited for it.
var errDead = errors.New("process exited")

// peakRSS is the process's peak resident set (VmHWM) in MiB.
func peakRSS(b *testing.B, n *ringd) float64 {
	b.Helper()
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", n.pid()))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(st), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatalf("no VmHWM in /proc/%d/status", n.pid())
	return 0
}

// cpuSeconds is the user + system CPU time the process used so far.
func cpuSeconds(b *testing.B, n *ringd) float64 {
	b.Helper()
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n.pid()))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are fields 14 and 15 of the line, 12 and 13 after ")".
	f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (ut + stime) / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on Linux).
const clockTicks = 100
