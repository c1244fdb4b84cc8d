package gitops

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// objectBuilder writes a commit at the object level: one blob per changed
// file, only the trees on the changed paths, and the commit. It reads the
// trees it builds on from base and writes the new objects to s; it
// remembers every object it wrote so the push sends exactly those. Its
// cost does not grow with the number of files in the repository (go-git's
// worktree path does).
//
// The writer builds in memory (s a memory storage) and keeps the objects
// only once the push landed, as the one pack it pushed (workingCopy.keep):
// written as loose objects, a train of 500 promotions cost 13,000 files
// created, and as many read back to build the pack.
type objectBuilder struct {
	base    storer.EncodedObjectStorer
	s       storer.EncodedObjectStorer
	written []plumbing.Hash
}

func (b *objectBuilder) store(o interface {
	Encode(plumbing.EncodedObject) error
}) (plumbing.Hash, error) {
	obj := b.s.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return b.save(obj)
}

// save stores obj and remembers it for the push.
func (b *objectBuilder) save(obj plumbing.EncodedObject) (plumbing.Hash, error) {
	h, err := b.s.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	b.written = append(b.written, h)
	return h, nil
}

func (b *objectBuilder) blob(content []byte) (plumbing.Hash, error) {
	obj := b.s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(content)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return b.save(obj)
}

// tree returns the hash of base (a tree hash, or zero for an empty tree)
// with changes (slash-separated path → new content) applied.
func (b *objectBuilder) tree(base plumbing.Hash, changes map[string][]byte) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	if !base.IsZero() {
		t, err := object.GetTree(b.base, base)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tree %s: %w", base, err)
		}
		entries = append(entries, t.Entries...)
	}
	files := map[string][]byte{}
	dirs := map[string]map[string][]byte{}
	for p, content := range changes {
		head, rest, nested := strings.Cut(p, "/")
		if head == "" || head == "." || head == ".." {
			return plumbing.ZeroHash, fmt.Errorf("bad path %q: %w", p, ErrTarget)
		}
		if !nested {
			files[head] = content
			continue
		}
		if dirs[head] == nil {
			dirs[head] = map[string][]byte{}
		}
		dirs[head][rest] = content
	}
	index := map[string]int{}
	for i, e := range entries {
		index[e.Name] = i
	}
	set := func(name string, mode filemode.FileMode, h plumbing.Hash) {
		if i, ok := index[name]; ok {
			entries[i].Mode, entries[i].Hash = mode, h
			return
		}
		index[name] = len(entries)
		entries = append(entries, object.TreeEntry{Name: name, Mode: mode, Hash: h})
	}
	for name, content := range files {
		mode := filemode.Regular
		if i, ok := index[name]; ok {
			switch entries[i].Mode {
			case filemode.Regular, filemode.Executable, filemode.Deprecated:
				mode = entries[i].Mode
			default:
				return plumbing.ZeroHash, fmt.Errorf("%s is not a regular file: %w", name, ErrTarget)
			}
		}
		h, err := b.blob(content)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write blob %s: %w", name, err)
		}
		set(name, mode, h)
	}
	for name, sub := range dirs {
		subBase := plumbing.ZeroHash
		if i, ok := index[name]; ok {
			if entries[i].Mode != filemode.Dir {
				return plumbing.ZeroHash, fmt.Errorf("%s is not a directory: %w", name, ErrTarget)
			}
			subBase = entries[i].Hash
		}
		h, err := b.tree(subBase, sub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		set(name, filemode.Dir, h)
	}
	sortEntries(entries)
	return b.store(&object.Tree{Entries: entries})
}

// sortEntries orders tree entries as Git does: by name, with directories
// compared as if their name ended in "/".
func sortEntries(entries []object.TreeEntry) {
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
}

// commit writes a commit of tree on parent (zero for a root commit).
func (b *objectBuilder) commit(tree, parent plumbing.Hash, author, committer object.Signature, message string) (plumbing.Hash, error) {
	c := &object.Commit{Author: author, Committer: committer, Message: message, TreeHash: tree}
	if !parent.IsZero() {
		c.ParentHashes = []plumbing.Hash{parent}
	}
	return b.store(c)
}
