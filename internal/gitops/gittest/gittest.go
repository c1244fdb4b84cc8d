package gittest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a running git daemon serving every repository under Dir.
type Server struct {
	// Dir is the daemon's base path; repositories are Dir/<name>.git.
	Dir string
	// Addr is host:port the daemon listens on.
	Addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts `git daemon` on a free loopback port and stops it when the
// test ends. It fails the test if git is missing or the daemon never
// accepts connections.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is not installed (make deps installs it): %v", err)
	}
	dir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		s, err := start(dir)
		if err == nil {
			t.Cleanup(s.stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("start git daemon: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

func start(dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("pick a port: %w", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command("git", "daemon", "--verbose", "--reuseaddr", "--base-path="+dir, "--export-all",
		"--enable=receive-pack", "--listen=127.0.0.1", fmt.Sprintf("--port=%d", port), dir)
	cmd.Env = Env(dir)
	// The daemon forks a child per connection; its own process group lets
	// stop end them all, and a file (not a pipe) for stderr keeps Wait from
	// waiting on children that still hold it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := os.CreateTemp(dir, "daemon-*.log")
	if err != nil {
		return nil, fmt.Errorf("create daemon log: %w", err)
	}
	defer stderr.Close()
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run git daemon: %w", err)
	}
	s := &Server{Dir: dir, Addr: addr, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			log, _ := os.ReadFile(stderr.Name())
			return nil, fmt.Errorf("git daemon exited early: %s", strings.TrimSpace(string(log)))
		default:
		}
		// A connection alone could reach another test's daemon that took
		// the same free port first; "Ready to rumble" in our own log says
		// that this daemon bound it.
		if log, _ := os.ReadFile(stderr.Name()); strings.Contains(string(log), "Ready to rumble") {
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				_ = c.Close()
				return s, nil
			}
		}
		time.Sleep(10 * time.Millisecond) // polling interval while the daemon starts
	}
	s.stop()
	return nil, fmt.Errorf("git daemon did not accept connections on %s within 10s", addr)
}

func (s *Server) stop() {
	if s.cmd.Process != nil {
		// The negative pid is the daemon's own process group (see start).
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-s.done
}

// Env is a minimal environment for git commands that ignores the user's and
// the system's configuration.
func Env(home string) []string {
	return append(os.Environ(),
		"HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Seeder", "GIT_AUTHOR_EMAIL=seeder@example.com",
		"GIT_COMMITTER_NAME=Seeder", "GIT_COMMITTER_EMAIL=seeder@example.com",
	)
}

// URL returns the git:// URL of repository name.
func (s *Server) URL(name string) string { return fmt.Sprintf("git://%s/%s.git", s.Addr, name) }

// Path returns the filesystem path of bare repository name.
func (s *Server) Path(name string) string { return filepath.Join(s.Dir, name+".git") }

// NewRepo creates bare repository name with branch main holding files
// (path → content) in one commit pushed through the daemon, and returns its
// git:// URL.
func (s *Server) NewRepo(t testing.TB, name string, files map[string]string) string {
	t.Helper()
	Run(t, s.Dir, "init", "--quiet", "--bare", "--initial-branch=main", s.Path(name))
	if len(files) == 0 {
		return s.URL(name)
	}
	work := t.TempDir()
	Run(t, work, "init", "--quiet", "--initial-branch=main", ".")
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(files[p]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	Run(t, work, "add", "-A")
	Run(t, work, "commit", "--quiet", "-m", "seed")
	Run(t, work, "push", "--quiet", s.URL(name), "main")
	return s.URL(name)
}

// Git runs git inside bare repository name and returns its trimmed output.
func (s *Server) Git(t testing.TB, name string, args ...string) string {
	t.Helper()
	return Run(t, s.Path(name), args...)
}

// Head returns the commit main points to in repository name.
func (s *Server) Head(t testing.TB, name string) string {
	t.Helper()
	return s.Git(t, name, "rev-parse", "refs/heads/main")
}

// Show returns the content of path at rev in repository name.
func (s *Server) Show(t testing.TB, name, rev, path string) string {
	t.Helper()
	cmd := exec.Command("git", "show", rev+":"+path)
	cmd.Dir = s.Path(name)
	cmd.Env = Env(s.Dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git show %s:%s: %v", rev, path, err)
	}
	return string(out)
}

// Run runs git in dir, failing the test on error, and returns trimmed
// stdout.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := RunErr(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// RunErr is Run returning the error instead of failing a test.
func RunErr(dir string, args ...string) (string, error) { return RunEnv(dir, nil, args...) }

// RunEnv runs git in dir with extra environment variables (for example
// GIT_COMMITTER_DATE) and returns trimmed stdout.
func RunEnv(dir string, extra []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(Env(dir), extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}
