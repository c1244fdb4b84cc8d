package gitops

import (
	"cmp"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	pathpkg "path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"

	"github.com/ringleader-dev/ringleader/internal/redact"
)

// workingCopy is one node's persistent bare clone of the GitOps repository.
// It is created once and fetched afterwards; the branch is tracked as
// refs/remotes/origin/<branch>, which only fetches and our own successful
// pushes move.
type workingCopy struct {
	dir     string
	url     string
	branch  string
	auth    transport.AuthMethod
	secrets []string
	repo    *git.Repository
	storage *filesystem.Storage // repo's: closed before a rebuild
}

// openPacks is how many pack files a working copy keeps open between
// reads. go-git's default opens the pack file again for every object it
// reads from it (and drops the pack's own caches with it): at 100,000
// files, reading the baselines of a train of 2,000 apps spent most of its
// time opening the same file. A fetch adds one pack at most, so a few
// cover the packs that matter; the rest are opened on demand.
const openPacks = 16

// openStorage is the filesystem storage of the bare clone in dir.
func openStorage(dir string) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(osfs.New(dir), cache.NewObjectLRUDefault(), filesystem.Options{MaxOpenDescriptors: openPacks})
}

const remoteName = "origin"

func (wc *workingCopy) remoteRef() plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName(remoteName, wc.branch)
}

func (wc *workingCopy) branchRef() plumbing.ReferenceName {
	return plumbing.NewBranchReferenceName(wc.branch)
}

// openWorkingCopy opens the bare clone in dir, creating it (init + remote)
// when dir holds none. It does not fetch. A working copy that cannot be
// opened (a crash left it half-written) is rebuilt: the remote is the
// source of truth, and nothing in the clone is ours alone.
func openWorkingCopy(dir, url, branch string, auth Auth) (*workingCopy, error) {
	method, secrets, err := auth.method(url)
	if err != nil {
		return nil, fmt.Errorf("gitops auth: %w", err)
	}
	wc := &workingCopy{dir: dir, url: url, branch: branch, auth: method, secrets: secrets}
	wc.storage = openStorage(dir)
	repo, err := git.Open(wc.storage, nil)
	switch {
	case errors.Is(err, git.ErrRepositoryNotExists):
		if err := wc.create(); err != nil {
			return nil, err
		}
		return wc, nil
	case err != nil:
		if err := wc.rebuild(); err != nil {
			return nil, fmt.Errorf("open working copy %s: %w", dir, err)
		}
		return wc, nil
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

// create initialises an empty bare clone with the remote in wc.dir.
func (wc *workingCopy) create() error {
	if err := os.MkdirAll(wc.dir, 0o755); err != nil {
		return fmt.Errorf("create working copy directory %s: %w", wc.dir, err)
	}
	if wc.storage != nil {
		// Whatever it holds open is replaced (or removed by rebuild): a
		// close error changes nothing.
		_ = wc.storage.Close()
	}
	st := openStorage(wc.dir)
	repo, err := git.Init(st, nil)
	if err != nil {
		return fmt.Errorf("init working copy in %s: %w", wc.dir, err)
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{wc.url},
		Fetch: []config.RefSpec{wc.refSpec()}}); err != nil {
		return fmt.Errorf("configure remote in %s: %w", wc.dir, scrub(err, wc.secrets))
	}
	wc.repo, wc.storage = repo, st
	return nil
}

// rebuild throws the clone away and starts an empty one; the next fetch
// brings everything back from the remote.
func (wc *workingCopy) rebuild() error {
	if err := os.RemoveAll(wc.dir); err != nil {
		return fmt.Errorf("remove damaged working copy %s: %w", wc.dir, err)
	}
	return wc.create()
}

// damaged reports whether err means the local clone is broken rather than
// the remote or the network: go-git rewrites a ref file by truncating it
// first, so a crash at the wrong moment leaves an empty ref behind, and a
// crash mid-write can leave objects missing or unreadable.
func damaged(err error) bool {
	return errors.Is(err, dotgit.ErrEmptyRefFile) || errors.Is(err, plumbing.ErrObjectNotFound) ||
		errors.Is(err, zlib.ErrChecksum) || errors.Is(err, zlib.ErrHeader)
}

func (wc *workingCopy) refSpec() config.RefSpec {
	return config.RefSpec(fmt.Sprintf("+%s:%s", wc.branchRef(), wc.remoteRef()))
}

// fetch brings the branch up to date and returns its head (the zero hash
// when the remote has no such branch yet). A damaged clone is rebuilt and
// fetched again once.
func (wc *workingCopy) fetch(ctx context.Context) (plumbing.Hash, error) {
	head, err := wc.fetchOnce(ctx)
	if err != nil && damaged(err) {
		if rerr := wc.rebuild(); rerr != nil {
			return plumbing.ZeroHash, fmt.Errorf("%w; rebuilding the working copy failed: %w", err, rerr)
		}
		return wc.fetchOnce(ctx)
	}
	return head, err
}

func (wc *workingCopy) fetchOnce(ctx context.Context) (plumbing.Hash, error) {
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
		return plumbing.ZeroHash, fmt.Errorf("fetch %s from %s: %w", wc.branch, redact.URL(wc.url), scrub(err, wc.secrets))
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

// keep stores pack, the pack a push sent, in the working copy as one pack
// file and moves the tracked branch to commit, which the pack holds.
func (wc *workingCopy) keep(pack []byte, commit plumbing.Hash) error {
	pw, ok := wc.repo.Storer.(storer.PackfileWriter)
	if !ok {
		return fmt.Errorf("the working copy's storage (%T) cannot take a pack", wc.repo.Storer)
	}
	w, err := pw.PackfileWriter()
	if err != nil {
		return fmt.Errorf("store the pushed objects: %w", err)
	}
	if _, err := w.Write(pack); err != nil {
		_ = w.Close()
		return fmt.Errorf("store the pushed objects: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("store the pushed objects: %w", err)
	}
	if err := wc.setHead(commit); err != nil {
		return err
	}
	// Merging packs is housekeeping: the push landed, and a merge that
	// fails must not report the promotion as failed. The packs stay as
	// they are and the next push tries again.
	_ = wc.consolidate()
	return nil
}

// maxPacks is how many pack files a working copy holds before consolidate
// merges the small ones: every push keeps its pack (keep), and a lookup
// asks every pack's index in turn.
const maxPacks = 32

// consolidate merges every pack but the largest into one when the working
// copy holds more than maxPacks: the cost is that of the objects of the
// small packs (the pushes and fetches since the last time), never the
// whole repository's. The storage is opened again afterwards, so nothing
// cached points at a removed pack.
func (wc *workingCopy) consolidate() error {
	packs, err := wc.storage.ObjectPacks()
	if err != nil || len(packs) <= maxPacks {
		return err
	}
	dir := filepath.Join(wc.dir, "objects", "pack")
	size := func(h plumbing.Hash) int64 {
		fi, err := os.Stat(filepath.Join(dir, "pack-"+h.String()+".pack"))
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	slices.SortFunc(packs, func(a, b plumbing.Hash) int { return cmp.Compare(size(b), size(a)) })
	small := packs[1:]
	var objs []plumbing.Hash
	for _, h := range small {
		hs, err := packObjects(filepath.Join(dir, "pack-"+h.String()+".idx"))
		if err != nil {
			return fmt.Errorf("consolidate packs: %w", err)
		}
		objs = append(objs, hs...)
	}
	w, err := wc.storage.PackfileWriter()
	if err != nil {
		return fmt.Errorf("consolidate packs: %w", err)
	}
	if _, err := packfile.NewEncoder(w, wc.storage, false).Encode(objs, 0); err != nil {
		_ = w.Close()
		return fmt.Errorf("consolidate packs: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("consolidate packs: %w", err)
	}
	// The merged pack holds every object of the small ones: removing them
	// loses nothing, and the storage is opened again whatever happens, so
	// nothing cached points at a removed pack.
	var removeErr error
	for _, h := range small {
		if err := wc.storage.DeleteOldObjectPackAndIndex(h, time.Time{}); err != nil {
			removeErr = fmt.Errorf("consolidate packs: remove pack %s: %w", h, err)
			break
		}
	}
	_ = wc.storage.Close()
	wc.storage = openStorage(wc.dir)
	repo, err := git.Open(wc.storage, nil)
	if err != nil {
		return fmt.Errorf("consolidate packs: open again: %w", err)
	}
	wc.repo = repo
	return removeErr
}

// packObjects lists the objects of the pack whose index is the file idx.
func packObjects(idx string) ([]plumbing.Hash, error) {
	f, err := os.Open(idx)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mi := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(f).Decode(mi); err != nil {
		return nil, fmt.Errorf("read %s: %w", idx, err)
	}
	it, err := mi.Entries()
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var hs []plumbing.Hash
	for {
		e, err := it.Next()
		if errors.Is(err, io.EOF) {
			return hs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", idx, err)
		}
		hs = append(hs, e.Hash)
	}
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

// ReadFile returns the content of path in tree t (nil: empty); ok is false
// when the file does not exist. The simulated regions read with it too.
// To read many files of one tree, use one treeFiles.
func ReadFile(t *object.Tree, path string) ([]byte, bool, error) {
	return newTreeFiles(t).read(path)
}

// treeFiles reads files from one tree (nil: the branch does not exist
// yet), decoding each directory on the way once for all its reads.
// go-git's Tree.File decodes the first directory of a path again for every
// file: at 2,000 apps, the 2,000-entry apps/ tree once per app read.
type treeFiles struct {
	root *object.Tree
	dirs map[string]*object.Tree // slash-separated directory → its tree
}

func newTreeFiles(root *object.Tree) *treeFiles {
	return &treeFiles{root: root, dirs: map[string]*object.Tree{}}
}

// read is ReadFile of p.
func (f *treeFiles) read(p string) ([]byte, bool, error) {
	if f.root == nil {
		return nil, false, nil
	}
	dir, name := pathpkg.Split(p)
	t, err := f.dir(strings.TrimSuffix(dir, "/"))
	if err == nil {
		var file *object.File
		if file, err = t.File(name); err == nil {
			s, err := file.Contents()
			if err != nil {
				return nil, false, fmt.Errorf("read %s: %w", p, err)
			}
			return []byte(s), true, nil
		}
	}
	if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("read %s: %w", p, err)
}

// dir returns the tree of directory p ("" is the root).
func (f *treeFiles) dir(p string) (*object.Tree, error) {
	if p == "" {
		return f.root, nil
	}
	if t, ok := f.dirs[p]; ok {
		return t, nil
	}
	parent, name := pathpkg.Split(p)
	pt, err := f.dir(strings.TrimSuffix(parent, "/"))
	if err != nil {
		return nil, err
	}
	t, err := pt.Tree(name)
	if err != nil {
		return nil, err
	}
	f.dirs[p] = t
	return t, nil
}
