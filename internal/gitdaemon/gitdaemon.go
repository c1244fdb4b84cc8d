// Package gitdaemon runs a real `git daemon` on a loopback port, serving
// the bare repositories under one directory with pushes enabled: the Git
// server of `ringd demo`, of the gitops tests and of the end-to-end suite.
//
// The daemon gets its own process group, so Stop ends the per-connection
// children too, and (Linux) is killed when the process that started it
// dies. A daemon counts as started only when its own log says "Ready to
// rumble" and its port accepts a connection: a port picked free can be
// taken by another daemon first, and a connection alone would not tell.
package gitdaemon

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/proc"
)

// ErrNoGit means git is not installed.
var ErrNoGit = errors.New("git is not installed (make deps installs it)")

// startTimeout bounds one start of the daemon.
const startTimeout = 10 * time.Second

// Daemon is a git daemon serving Dir/<name>.git at Addr. Stop and
// Running come from its process slot.
type Daemon struct {
	// Dir is the base path; repositories are Dir/<name>.git.
	Dir string
	// Addr is the loopback host:port the daemon listens on; it stays the
	// same across Stop and Start.
	Addr string
	port int

	proc.Restartable
	log string
}

// Start starts a daemon over dir (created if needed) on a free loopback
// port, trying a few ports when another process takes the one picked.
func Start(dir string) (*Daemon, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, ErrNoGit
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create git daemon directory: %w", err)
	}
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("pick a loopback port: %w", err)
		}
		d := &Daemon{Dir: dir, port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port)}
		if lastErr = d.Start(); lastErr == nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("start git daemon: %w", lastErr)
}

// freePort picks a port by listening and closing, which the project avoids
// elsewhere: git daemon takes a --port but, given 0, never says which port
// it bound, and a stopped daemon must come back on the same port (the tests
// stop and restart the Git server under a running cluster). ringd, ringsim
// and Prometheus bind 127.0.0.1:0 themselves and report their address; the
// only other exception is etcd in e2e/bench, whose members need each
// other's addresses before any of them starts.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

// Start (re)starts a stopped daemon on its port; it does nothing while
// the daemon runs. A restart is how tests simulate a Git outage ending.
func (d *Daemon) Start() error {
	var logf *os.File
	defer func() {
		if logf != nil {
			_ = logf.Close() // the daemon has its own descriptor
		}
	}()
	command := func() (*exec.Cmd, error) {
		var err error
		logf, err = os.CreateTemp(d.Dir, "daemon-*.log")
		if err != nil {
			return nil, fmt.Errorf("create git daemon log: %w", err)
		}
		d.log = logf.Name()
		return d.command(logf), nil
	}
	return d.Restartable.Start(command, func(exited func() bool) error {
		err := poll.For(startTimeout, "git daemon to accept connections on "+d.Addr, func() bool {
			if exited() || !strings.Contains(d.logText(), "Ready to rumble") {
				return exited()
			}
			c, err := net.DialTimeout("tcp", d.Addr, 200*time.Millisecond)
			if err == nil {
				_ = c.Close()
			}
			return err == nil
		})
		switch {
		case exited():
			return fmt.Errorf("git daemon exited early: %s", d.logText())
		case err != nil:
			return fmt.Errorf("%w: %s", err, d.logText())
		}
		return nil
	})
}

// command is the daemon's command line, logging to logf.
func (d *Daemon) command(logf *os.File) *exec.Cmd {
	cmd := exec.Command("git", "daemon", "--verbose", "--reuseaddr", "--base-path="+d.Dir, "--export-all",
		"--enable=receive-pack", "--listen=127.0.0.1", fmt.Sprintf("--port=%d", d.port), d.Dir)
	// `git daemon` runs git-daemon as a child; run that directly so the
	// kernel's death signal reaches the process that listens.
	if out, err := exec.Command("git", "--exec-path").Output(); err == nil {
		if bin := filepath.Join(strings.TrimSpace(string(out)), "git-daemon"); isExecutable(bin) {
			cmd.Path = bin
			cmd.Args = append([]string{bin}, cmd.Args[2:]...)
		}
	}
	cmd.Env = Env(d.Dir, "Git Daemon", "git-daemon@ringleader.invalid")
	// A file, not a pipe: Wait must not wait for per-connection children
	// that inherited stderr.
	cmd.Stderr = logf
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// URL is the git:// URL of repository name.
func (d *Daemon) URL(name string) string { return fmt.Sprintf("git://%s/%s.git", d.Addr, name) }

// Path is the bare repository directory of name.
func (d *Daemon) Path(name string) string { return filepath.Join(d.Dir, name+".git") }

func (d *Daemon) logText() string {
	out, _ := os.ReadFile(d.log)
	return strings.TrimSpace(string(out))
}

// isExecutable reports whether path is a regular executable file.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Env is the environment for git commands that ignores the user's and the
// system's configuration, with home as HOME and name and email as the
// author and committer.
func Env(home, name, email string) []string {
	return append(os.Environ(),
		"HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email,
		"GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+email,
	)
}

// Run runs git in dir with env and returns its trimmed stdout; the error
// names the command and carries git's stderr.
func Run(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// WriteTree writes files (slash path → content) under dir, creating
// directories, in path order: how every Git server here seeds a work tree.
func WriteTree[T string | []byte](dir string, files map[string]T) error {
	for _, p := range slices.Sorted(maps.Keys(files)) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.WriteFile(full, []byte(files[p]), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}
