package gitops

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// IsAncestor reports whether commit ancestor is a proper ancestor of commit
// descendant (a commit is not its own ancestor). When either commit is not
// in the working copy yet it fetches once and looks again; a commit still
// unknown after the fetch is an error wrapping plumbing.ErrObjectNotFound.
// It backs Argo CD's "synced at a later commit that contains the promoted
// one" (regions/argocd.AncestorFunc).
func (w *Writer) IsAncestor(ctx context.Context, ancestor, descendant string) (bool, error) {
	a, err := parseHash(ancestor)
	if err != nil {
		return false, err
	}
	d, err := parseHash(descendant)
	if err != nil {
		return false, err
	}
	if a == d {
		return false, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	ca, cd, err := w.commits(a, d)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		if _, ferr := w.sync(ctx); ferr != nil {
			return false, fmt.Errorf("is %s an ancestor of %s: fetch: %w", short(a), short(d), ferr)
		}
		ca, cd, err = w.commits(a, d)
	}
	if err != nil {
		return false, fmt.Errorf("is %s an ancestor of %s: %w", short(a), short(d), err)
	}
	ok, err := ca.IsAncestor(cd)
	if err != nil {
		return false, fmt.Errorf("is %s an ancestor of %s: walk history: %w", short(a), short(d), err)
	}
	return ok, nil
}

// commits reads two commits from the working copy.
func (w *Writer) commits(a, d plumbing.Hash) (*object.Commit, *object.Commit, error) {
	ca, err := object.GetCommit(w.wc.repo.Storer, a)
	if err != nil {
		return nil, nil, err
	}
	cd, err := object.GetCommit(w.wc.repo.Storer, d)
	if err != nil {
		return nil, nil, err
	}
	return ca, cd, nil
}

// parseHash accepts a full 40-hex-digit commit ID.
func parseHash(s string) (plumbing.Hash, error) {
	if len(s) != 40 || !plumbing.IsHash(s) {
		return plumbing.ZeroHash, fmt.Errorf("commit %q is not a 40-hex-digit commit id: %w", s, ErrInvalid)
	}
	return plumbing.NewHash(s), nil
}
