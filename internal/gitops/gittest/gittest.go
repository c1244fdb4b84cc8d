package gittest

import (
	"os/exec"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/gitdaemon"
)

// Server is a running git daemon serving every repository under Dir
// (internal/gitdaemon), stopped when the test ends.
type Server struct {
	*gitdaemon.Daemon
}

// Start starts `git daemon` on a free loopback port and stops it when the
// test ends. It fails the test if git is missing or the daemon never
// accepts connections.
func Start(t testing.TB) *Server {
	t.Helper()
	d, err := gitdaemon.Start(t.TempDir())
	if err != nil {
		t.Fatalf("start git daemon: %v", err)
	}
	t.Cleanup(d.Stop)
	return &Server{Daemon: d}
}

// Env is a minimal environment for git commands that ignores the user's and
// the system's configuration.
func Env(home string) []string { return gitdaemon.Env(home, "Seeder", "seeder@example.com") }

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
	if err := gitdaemon.WriteTree(work, files); err != nil {
		t.Fatal(err)
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
		t.Fatal(err)
	}
	return out
}

// RunErr is Run returning the error instead of failing a test.
func RunErr(dir string, args ...string) (string, error) { return RunEnv(dir, nil, args...) }

// RunEnv runs git in dir with extra environment variables (for example
// GIT_COMMITTER_DATE) and returns trimmed stdout.
func RunEnv(dir string, extra []string, args ...string) (string, error) {
	return gitdaemon.Run(dir, append(Env(dir), extra...), args...)
}
