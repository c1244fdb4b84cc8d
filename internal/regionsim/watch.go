package regionsim

import (
	"context"
	"errors"
	"fmt"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// watcher follows one branch of the GitOps repository the way Argo CD's
// repo server does: it asks the server for the branch head and fetches only
// when the head moved. Objects live in memory; the demo's repository is
// small.
type watcher struct {
	url, branch string
	repo        *git.Repository
	remote      *git.Remote
}

func newWatcher(url, branch string) (*watcher, error) {
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, fmt.Errorf("init in-memory repository: %w", err)
	}
	remote, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}})
	if err != nil {
		return nil, fmt.Errorf("configure remote %s: %w", url, err)
	}
	return &watcher{url: url, branch: branch, repo: repo, remote: remote}, nil
}

// head returns the branch head the server advertises.
func (w *watcher) head(ctx context.Context) (plumbing.Hash, error) {
	refs, err := w.remote.ListContext(ctx, &git.ListOptions{})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("list refs of %s: %w", w.url, err)
	}
	want := plumbing.NewBranchReferenceName(w.branch)
	for _, r := range refs {
		if r.Name() == want {
			return r.Hash(), nil
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("branch %s does not exist in %s", w.branch, w.url)
}

// tree fetches the branch when commit is not known locally and returns the
// commit's tree.
func (w *watcher) tree(ctx context.Context, commit plumbing.Hash) (*object.Tree, error) {
	c, err := w.repo.CommitObject(commit)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		spec := config.RefSpec(fmt.Sprintf("+refs/heads/%s:refs/remotes/origin/%s", w.branch, w.branch))
		err = w.remote.FetchContext(ctx, &git.FetchOptions{RefSpecs: []config.RefSpec{spec}, Tags: git.NoTags})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil, fmt.Errorf("fetch %s from %s: %w", w.branch, w.url, err)
		}
		c, err = w.repo.CommitObject(commit)
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", commit, err)
	}
	return c.Tree()
}
