package gitops

import (
	"context"
	"errors"
	"fmt"
	"os"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// workingCopy is one node's persistent bare clone of the GitOps repository.
// It is created once and fetched afterwards; the branch is tracked as
// refs/remotes/origin/<branch>, which only fetches and our own successful
// pushes move.
type workingCopy struct {
	url     string
	branch  string
	auth    transport.AuthMethod
	secrets []string
	repo    *git.Repository
}

const remoteName = "origin"

func (wc *workingCopy) remoteRef() plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName(remoteName, wc.branch)
}

func (wc *workingCopy) branchRef() plumbing.ReferenceName {
	return plumbing.NewBranchReferenceName(wc.branch)
}

// openWorkingCopy opens the bare clone in dir, creating it (init + remote)
// when dir holds none. It does not fetch.
func openWorkingCopy(dir, url, branch string, auth Auth) (*workingCopy, error) {
	method, secrets, err := auth.method(url)
	if err != nil {
		return nil, fmt.Errorf("gitops auth: %w", err)
	}
	wc := &workingCopy{url: url, branch: branch, auth: method, secrets: secrets}
	repo, err := git.PlainOpen(dir)
	switch {
	case errors.Is(err, git.ErrRepositoryNotExists):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create working copy directory %s: %w", dir, err)
		}
		repo, err = git.PlainInit(dir, true)
		if err != nil {
			return nil, fmt.Errorf("init working copy in %s: %w", dir, err)
		}
		if _, err := repo.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{url},
			Fetch: []config.RefSpec{wc.refSpec()}}); err != nil {
			return nil, fmt.Errorf("configure remote in %s: %w", dir, scrub(err, secrets))
		}
	case err != nil:
		return nil, fmt.Errorf("open working copy %s: %w (remove the directory to re-clone)", dir, err)
	default:
		rem, err := repo.Remote(remoteName)
		if err != nil {
			return nil, fmt.Errorf("working copy %s has no remote %q: %w (remove the directory to re-clone)", dir, remoteName, err)
		}
		if got := rem.Config().URLs; len(got) == 0 || got[0] != url {
			return nil, fmt.Errorf("working copy %s tracks another repository; remove the directory or point the config at it: %w", dir, ErrInvalid)
		}
	}
	wc.repo = repo
	return wc, nil
}

func (wc *workingCopy) refSpec() config.RefSpec {
	return config.RefSpec(fmt.Sprintf("+%s:%s", wc.branchRef(), wc.remoteRef()))
}

// fetch brings the branch up to date and returns its head (the zero hash
// when the remote has no such branch yet).
func (wc *workingCopy) fetch(ctx context.Context) (plumbing.Hash, error) {
	err := wc.repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remoteName,
		RemoteURL:  wc.url,
		RefSpecs:   []config.RefSpec{wc.refSpec()},
		Auth:       wc.auth,
		Tags:       git.NoTags,
	})
	var noMatch git.NoMatchingRefSpecError
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
	case errors.Is(err, transport.ErrEmptyRemoteRepository), errors.As(err, &noMatch):
		return plumbing.ZeroHash, nil
	default:
		return plumbing.ZeroHash, fmt.Errorf("fetch %s from %s: %w", wc.branch, Redact(wc.url), scrub(err, wc.secrets))
	}
	return wc.head()
}

// head returns the locally known head of the branch.
func (wc *workingCopy) head() (plumbing.Hash, error) {
	ref, err := wc.repo.Storer.Reference(wc.remoteRef())
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read %s: %w", wc.remoteRef(), err)
	}
	return ref.Hash(), nil
}

// setHead records a head we pushed ourselves.
func (wc *workingCopy) setHead(h plumbing.Hash) error {
	return wc.repo.Storer.SetReference(plumbing.NewHashReference(wc.remoteRef(), h))
}

// tree returns the tree of commit h (nil for the zero hash).
func (wc *workingCopy) tree(h plumbing.Hash) (*object.Tree, error) {
	if h.IsZero() {
		return nil, nil
	}
	c, err := object.GetCommit(wc.repo.Storer, h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", h, err)
	}
	return t, nil
}

// readFile returns the content of path in tree t; ok is false when the file
// does not exist.
func readFile(t *object.Tree, path string) ([]byte, bool, error) {
	if t == nil {
		return nil, false, nil
	}
	f, err := t.File(path)
	if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	s, err := f.Contents()
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	return []byte(s), true, nil
}
