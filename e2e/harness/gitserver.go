package harness

import (
	"fmt"
	"os"
	"strings"

	"github.com/ringleader-dev/ringleader/internal/gitdaemon"
)

// GitServer is a real `git daemon` (internal/gitdaemon) serving the bare
// repositories under Dir on a loopback port that stays the same across
// Stop and Start, so stopping and starting it is a Git outage.
type GitServer struct {
	*gitdaemon.Daemon
}

// GitEnv is a minimal environment for git commands that ignores the
// user's and the system's configuration.
func GitEnv(home string) []string {
	return gitdaemon.Env(home, "E2E Seeder", "seeder@e2e.invalid")
}

// StartGitServer starts git daemon over dir on a free port.
func StartGitServer(dir string) (*GitServer, error) {
	d, err := gitdaemon.Start(dir)
	if err != nil {
		return nil, err
	}
	return &GitServer{Daemon: d}, nil
}

// Git runs git in dir and returns its trimmed output.
func (s *GitServer) Git(dir string, args ...string) (string, error) {
	return gitdaemon.Run(dir, GitEnv(s.Dir), args...)
}

// NewRepo creates bare repository name whose branch main holds files
// (path → content), written directly on disk (no daemon needed).
func (s *GitServer) NewRepo(name string, files map[string]string) error {
	if _, err := s.Git(s.Dir, "init", "--quiet", "--bare", "--initial-branch=main", s.Path(name)); err != nil {
		return err
	}
	return s.Commit(name, "seed the GitOps repository", files)
}

// Commit writes files into a fresh clone of name (through the file system,
// so it works while the daemon is down), commits and pushes.
func (s *GitServer) Commit(name, message string, files map[string]string) error {
	work, err := os.MkdirTemp("", "e2e-git-work-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if _, err := s.Git(work, "clone", "--quiet", s.Path(name), "."); err != nil {
		return err
	}
	if _, err := s.Git(work, "checkout", "--quiet", "-B", "main"); err != nil {
		return err
	}
	if err := gitdaemon.WriteTree(work, files); err != nil {
		return err
	}
	if _, err := s.Git(work, "add", "-A"); err != nil {
		return err
	}
	if _, err := s.Git(work, "commit", "--quiet", "--allow-empty", "-m", message); err != nil {
		return err
	}
	// Pushing to the path avoids the daemon; a concurrent ringd push makes
	// this fail non-fast-forward, and the caller retries.
	_, err = s.Git(work, "push", "--quiet", "origin", "main")
	return err
}

// Show returns file path at the tip of main ("" when absent).
func (s *GitServer) Show(name, path string) string {
	out, err := s.Git(s.Path(name), "show", "main:"+path)
	if err != nil {
		return ""
	}
	return out
}

// CommitRecord is one commit of the GitOps history with its trailers.
type CommitRecord struct {
	Hash     string
	Subject  string
	Author   string
	Trailers map[string]string
	Unix     int64
	// Promotions are the trailer sets of the promotions the commit
	// carries: Trailers for a one-promotion commit, one per promotion
	// paragraph of a batch commit (Ringleader-Format: 2).
	Promotions []map[string]string
}

// Log returns main's commits, oldest first, with their trailers.
func (s *GitServer) Log(name string) ([]CommitRecord, error) {
	const sep = "\x1e"
	out, err := s.Git(s.Path(name), "log", "--reverse", "--first-parent", "--format=%H%x1f%ct%x1f%an%x1f%s%x1f%B"+sep, "main")
	if err != nil {
		return nil, err
	}
	var recs []CommitRecord
	for _, chunk := range strings.Split(out, sep) {
		chunk = strings.TrimSpace(chunk)
		if chunk == "" {
			continue
		}
		f := strings.SplitN(chunk, "\x1f", 5)
		if len(f) < 4 {
			continue
		}
		r := CommitRecord{Hash: f[0], Author: f[2], Subject: f[3], Trailers: map[string]string{}}
		fmt.Sscan(f[1], &r.Unix)
		if len(f) == 5 {
			paras := strings.Split(strings.TrimSpace(f[4]), "\n\n")
			r.Trailers = trailerLines(paras[len(paras)-1])
			if r.Trailers["Ringleader-Format"] == "2" {
				for _, p := range paras[1 : len(paras)-1] {
					if tr := trailerLines(p); tr["Ringleader-Promotion"] != "" {
						r.Promotions = append(r.Promotions, tr)
					}
				}
			} else if r.Trailers["Ringleader-Promotion"] != "" {
				r.Promotions = []map[string]string{r.Trailers}
			}
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// trailerLines reads the "Key: value" lines of one paragraph (the first
// value of a repeated key).
func trailerLines(para string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(para, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		if _, dup := out[k]; !dup {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}
