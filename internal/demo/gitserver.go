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
	err := s.commit(name, branch, "seed the demo GitOps repository", files, "init", "--quiet", "--initial-branch="+branch, ".")
	if err != nil {
		return "", err
	}
	return s.URL(name), nil
}

// CommitFiles adds files (path → content) to branch of repository name in
// one commit with message, pushed through the daemon like any writer's.
func (s *GitServer) CommitFiles(name, branch, message string, files map[string][]byte) error {
	return s.commit(name, branch, message, files, "clone", "--quiet", "--branch", branch, s.URL(name), ".")
}

// commit makes a work tree with git start (init or clone), writes files
// into it, commits them with message and pushes branch to name.
func (s *GitServer) commit(name, branch, message string, files map[string][]byte, start ...string) error {
	work, err := os.MkdirTemp(s.Dir, "work-")
	if err != nil {
		return fmt.Errorf("create a work tree for %s: %w", name, err)
	}
	defer os.RemoveAll(work)
	if _, err := RunGit(work, start...); err != nil {
		return fmt.Errorf("create a work tree for %s: %w", name, err)
	}
	if err := gitdaemon.WriteTree(work, files); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"add", "-A"},
		{"commit", "--quiet", "--allow-empty", "-m", message},
		{"push", "--quiet", s.URL(name), branch},
	} {
		if _, err := RunGit(work, args...); err != nil {
			return fmt.Errorf("%s in repository %s: %w", message, name, err)
		}
	}
	return nil
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
