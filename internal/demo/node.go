package demo

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Node is a ringd process started by the demo (or a test) with its own
// data directory, its output going to a log file.
type Node struct {
	// HTTP and Raft are the addresses the node announced in addr.json.
	HTTP, Raft string
	// LogPath holds the node's stdout and stderr.
	LogPath string

	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// nodeAddrFile is the part of DATA_DIR/addr.json the demo reads.
type nodeAddrFile struct {
	HTTP string `json:"http"`
	Raft string `json:"raft"`
	PID  int    `json:"pid"`
}

// StartNode runs binary with args (which must include --data-dir dataDir)
// and waits up to timeout until the process announces its addresses in
// dataDir/addr.json.
func StartNode(binary string, args []string, dataDir string, timeout time.Duration) (*Node, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create node data directory: %w", err)
	}
	logPath := filepath.Join(filepath.Dir(dataDir), filepath.Base(dataDir)+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create node log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Pdeathsig: a demo killed with -9 takes its node with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", binary, err)
	}
	n := &Node{LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { n.err = cmd.Wait(); close(n.done) }()
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(filepath.Join(dataDir, "addr.json"))
		var a nodeAddrFile
		if err == nil && json.Unmarshal(b, &a) == nil && a.PID == cmd.Process.Pid && a.HTTP != "" {
			n.HTTP, n.Raft = a.HTTP, a.Raft
			return n, nil
		}
		select {
		case <-n.done:
			out, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("ringd exited before it listened (%v); its output:\n%s", n.err, tail(out, 40))
		case <-time.After(50 * time.Millisecond): // polling interval while ringd starts
		}
		if time.Now().After(deadline) {
			n.Stop(5 * time.Second)
			return nil, fmt.Errorf("ringd did not announce its addresses within %s; see %s", timeout, logPath)
		}
	}
}

// Done is closed when the process has exited.
func (n *Node) Done() <-chan struct{} { return n.done }

// Err is the process's exit error once Done is closed.
func (n *Node) Err() error { return n.err }

// Stop sends SIGTERM (ringd hands over leadership and shuts down cleanly)
// and kills the process if it has not exited within grace.
func (n *Node) Stop(grace time.Duration) {
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(grace):
		_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-n.done
	}
}

// tail returns the last lines of out.
func tail(out []byte, lines int) string {
	end := len(out)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] == '\n' && i != len(out)-1 {
			lines--
			if lines == 0 {
				return string(out[i+1 : end])
			}
		}
	}
	return string(out)
}
