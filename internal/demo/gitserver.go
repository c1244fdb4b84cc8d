package demo

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// ErrNoGit means the git executable is not on PATH. The demo and the
// simulated regions need it for the local Git server (Debian: apt-get
// install git, or `make deps`).
var ErrNoGit = errors.New("git is not installed: install it (Debian: apt-get install git, or make deps) and try again")

// GitServer is a running `git daemon` process serving the bare repositories
// under Dir over git:// on a loopback port, with pushes enabled. It is the
// non-test counterpart of internal/gitops/gittest.
type GitServer struct {
	// Dir is the daemon's base path; repositories are Dir/<name>.git.
	Dir string
	// Addr is host:port the daemon listens on.
	Addr string

	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// StartGitServer starts `git daemon` on a free loopback port serving dir
// (created if needed). Stop it with Stop.
func StartGitServer(dir string) (*GitServer, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, ErrNoGit
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create git server directory: %w", err)
	}
	var lastErr error
	// A port picked free can be taken before the daemon binds it: retry.
	for attempt := 0; attempt < 5; attempt++ {
		s, err := startDaemon(dir)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("start git daemon: %w", lastErr)
}

func startDaemon(dir string) (*GitServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pick a loopback port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logf, err := os.CreateTemp(dir, "daemon-*.log")
	if err != nil {
		return nil, fmt.Errorf("create daemon log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command("git", "daemon", "--verbose", "--reuseaddr", "--base-path="+dir, "--export-all",
		"--enable=receive-pack", "--listen=127.0.0.1", fmt.Sprintf("--port=%d", port), dir)
	// `git daemon` runs git-daemon as a child; run that directly so
	// Pdeathsig below reaches the process that listens.
	if execPath, err := RunGit(dir, "--exec-path"); err == nil {
		if bin := filepath.Join(execPath, "git-daemon"); isExecutable(bin) {
			cmd.Path, cmd.Args[0] = bin, bin
			cmd.Args = append(cmd.Args[:1], cmd.Args[2:]...)
		}
	}
	cmd.Env = GitEnv(dir)
	// Its own process group lets Stop end the per-connection children too;
	// Pdeathsig ends the daemon if this process dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = logf
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run git daemon: %w", err)
	}
	s := &GitServer{Dir: dir, Addr: addr, cmd: cmd, done: make(chan struct{}), log: logf.Name()}
	go func() { _ = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			out, _ := os.ReadFile(s.log)
			return nil, fmt.Errorf("git daemon exited early: %s", strings.TrimSpace(string(out)))
		default:
		}
		// A connection alone could reach another daemon that took the same
		// free port first; "Ready to rumble" in our own log says this one
		// bound it.
		if out, _ := os.ReadFile(s.log); strings.Contains(string(out), "Ready to rumble") {
			if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
				_ = c.Close()
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond) // polling interval while the daemon starts
	}
	s.Stop()
	return nil, fmt.Errorf("git daemon did not accept connections on %s within 10s", addr)
}

// isExecutable reports whether path is a regular executable file.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Stop kills the daemon and its children and waits for it to exit.
func (s *GitServer) Stop() {
	if s.cmd.Process != nil {
		// The negative pid is the daemon's process group (see startDaemon).
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-s.done
}

// URL returns the git:// URL of repository name.
func (s *GitServer) URL(name string) string { return fmt.Sprintf("git://%s/%s.git", s.Addr, name) }

// Path returns the filesystem path of bare repository name.
func (s *GitServer) Path(name string) string { return filepath.Join(s.Dir, name+".git") }

// CreateRepo creates bare repository name whose branch holds files
// (path → content) in one commit, pushed through the daemon, and returns
// its git:// URL. An existing repository is an error.
func (s *GitServer) CreateRepo(name, branch string, files map[string][]byte) (string, error) {
	if _, err := os.Stat(s.Path(name)); err == nil {
		return "", fmt.Errorf("create repository %s: it already exists in %s", name, s.Dir)
	}
	if _, err := RunGit(s.Dir, "init", "--quiet", "--bare", "--initial-branch="+branch, s.Path(name)); err != nil {
		return "", fmt.Errorf("create repository %s: %w", name, err)
	}
	work, err := os.MkdirTemp(s.Dir, "seed-")
	if err != nil {
		return "", fmt.Errorf("create seed work tree: %w", err)
	}
	defer os.RemoveAll(work)
	if _, err := RunGit(work, "init", "--quiet", "--initial-branch="+branch, "."); err != nil {
		return "", fmt.Errorf("create seed work tree: %w", err)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.WriteFile(full, files[p], 0o644); err != nil {
			return "", fmt.Errorf("write %s: %w", p, err)
		}
	}
	for _, args := range [][]string{
		{"add", "-A"},
		{"commit", "--quiet", "--allow-empty", "-m", "seed the demo GitOps repository"},
		{"push", "--quiet", s.URL(name), branch},
	} {
		if _, err := RunGit(work, args...); err != nil {
			return "", fmt.Errorf("seed repository %s: %w", name, err)
		}
	}
	return s.URL(name), nil
}

// Git runs git inside bare repository name and returns trimmed stdout.
func (s *GitServer) Git(name string, args ...string) (string, error) {
	return RunGit(s.Path(name), args...)
}

// GitEnv is a minimal environment for git commands that ignores the user's
// and the system's configuration.
func GitEnv(home string) []string {
	return append(os.Environ(),
		"HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Ringleader demo", "GIT_AUTHOR_EMAIL=demo@ringleader.invalid",
		"GIT_COMMITTER_NAME=Ringleader demo", "GIT_COMMITTER_EMAIL=demo@ringleader.invalid",
	)
}

// RunGit runs git in dir with GitEnv and returns trimmed stdout; the error
// carries git's stderr.
func RunGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = GitEnv(dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}
