package demo

import (
	"errors"
	"fmt"
	"os"

	"github.com/ringleader-dev/ringleader/internal/gitdaemon"
)

// ErrNoGit means the git executable is not on PATH. The demo and the
// simulated regions need it for the local Git server (Debian: apt-get
// install git, or `make deps`).
var ErrNoGit = errors.New("git is not installed: install it (Debian: apt-get install git, or make deps) and try again")

// GitServer is a running `git daemon` serving the bare repositories under
// Dir over git:// on a loopback port, with pushes enabled
// (internal/gitdaemon, which the tests' Git servers use too).
type GitServer struct {
	*gitdaemon.Daemon
}

// StartGitServer starts `git daemon` on a free loopback port serving dir
// (created if needed). Stop it with Stop.
func StartGitServer(dir string) (*GitServer, error) {
	d, err := gitdaemon.Start(dir)
	if errors.Is(err, gitdaemon.ErrNoGit) {
		return nil, ErrNoGit
	}
	if err != nil {
		return nil, err
	}
	return &GitServer{Daemon: d}, nil
}

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
	if err := gitdaemon.WriteTree(work, files); err != nil {
		return "", err
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
	return gitdaemon.Env(home, "Ringleader demo", "demo@ringleader.invalid")
}

// RunGit runs git in dir with GitEnv and returns trimmed stdout; the error
// carries git's stderr.
func RunGit(dir string, args ...string) (string, error) {
	return gitdaemon.Run(dir, GitEnv(dir), args...)
}
