package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// Writer commits promotions, rollbacks and the halt fence to one branch of
// the GitOps repository. It is safe for concurrent use; calls are
// serialised on the node's working copy.
type Writer struct {
	cfg      Config
	topology func() *ringtopology.Topology

	mu    sync.Mutex
	wc    *workingCopy
	index *trailerIndex
}

// New opens (or creates) the working copy in cfg.Dir. topology returns the
// current topology; the app's targets are read from it on every promotion.
// Nothing is fetched until the first call.
func New(cfg Config, topology func() *ringtopology.Topology) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if topology == nil {
		return nil, fmt.Errorf("gitops writer: no topology source: %w", ErrInvalid)
	}
	wc, err := openWorkingCopy(cfg.Dir, cfg.URL, cfg.Branch, cfg.Auth)
	if err != nil {
		return nil, err
	}
	return &Writer{cfg: cfg, topology: topology, wc: wc, index: newTrailerIndex(cfg.Lookback)}, nil
}

// Promote writes p as one commit, exactly once per PromotionID: it is
// PromoteBatch of one promotion with no batch check (see there for the
// steps; p.Check runs right before every push).
func (w *Writer) Promote(ctx context.Context, p rings.Promotion) (Result, error) {
	if err := validatePromotion(p); err != nil {
		return Result{}, err
	}
	r := w.PromoteBatch(ctx, []rings.Promotion{p}, nil)[0]
	return r.Result, r.Err
}

// Rollback writes p.Version (the previous version) back to p.Regions as a
// promotion commit marked Ringleader-Rollback: true. The halt fence does not
// stop it: the halt a failed ring places covers the very regions that must
// be rolled back, so obeying it would deadlock. p.Check still runs before
// every push (the coordinator's check confirms leadership and skips halts
// for rollbacks), and exactly-once still holds.
func (w *Writer) Rollback(ctx context.Context, p rings.Promotion) (Result, error) {
	p.Rollback = true
	return w.Promote(ctx, p)
}

// WriteHalts commits the active halts among active to
// .ringleader/halts.yaml when the file's content differs, with the same
// compare-and-swap retry as promotions. A promotion prepared on the old head
// is then rejected by the server and, rebuilt on the new head, sees the
// fence.
func (w *Writer) WriteHalts(ctx context.Context, active []rings.Halt) error {
	want, err := RenderHalts(active)
	if err != nil {
		return err
	}
	n := 0
	for _, h := range active {
		if h.Active() {
			n++
		}
	}
	prepare := func(_ plumbing.Hash, tree *object.Tree) (plan, error) {
		have, _, err := ReadFile(tree, HaltsFile)
		if err != nil {
			return plan{}, err
		}
		if bytes.Equal(have, want) {
			return plan{skip: true}, nil
		}
		msg := fmt.Sprintf("halt fence: %d active halt(s)\n\n%s: %d\n", n, TrailerHaltFence, n)
		return plan{changes: map[string][]byte{HaltsFile: want}, message: msg}, nil
	}
	if _, err := w.write(ctx, prepare, func(context.Context) error { return nil }); err != nil {
		return fmt.Errorf("write halt fence: %w", err)
	}
	return nil
}

// plan is what one attempt of a write decided on the current head.
type plan struct {
	changes      map[string][]byte
	message      string
	promotionIDs []string
	skip         bool          // nothing to write
	landed       plumbing.Hash // already on the branch (exactly once)
}

type outcome struct {
	commit   plumbing.Hash
	landed   plumbing.Hash
	attempts int
}

// write runs the compare-and-swap loop shared by promotions and the fence.
func (w *Writer) write(ctx context.Context, prepare func(plumbing.Hash, *object.Tree) (plan, error), check func(context.Context) error) (outcome, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out outcome
	for attempt := 1; attempt <= w.cfg.MaxAttempts; attempt++ {
		ps, err := w.wc.openPush(ctx)
		if err != nil {
			return out, err
		}
		head, err := w.wc.head()
		switch {
		case err != nil:
		case ps.head != head:
			head, err = w.sync(ctx)
		default:
			// Up to date without a fetch; index the head if this process
			// has not yet (a working copy kept across restarts).
			err = w.index.update(w.wc.repo.Storer, head)
		}
		if err != nil {
			ps.close()
			return out, err
		}
		tree, err := w.wc.tree(head)
		if err != nil {
			ps.close()
			return out, err
		}
		// Prepare, build and check on this head until the check keeps
		// every change (a batch's check drops a promotion with
		// errRebuild, and the commit is built again without it).
		var pl plan
		var nb built
		for {
			pl, err = prepare(head, tree)
			if err != nil || pl.skip || !pl.landed.IsZero() {
				ps.close()
				out.landed = pl.landed
				return out, err
			}
			nb, err = w.build(head, tree, pl.changes, pl.message)
			if err != nil {
				ps.close()
				return out, err
			}
			if err = check(ctx); !errors.Is(err, errRebuild) {
				break
			}
		}
		if err != nil {
			ps.close()
			return out, fmt.Errorf("%w: %w", ErrCheckFailed, err)
		}
		if ps.head != head {
			// The fetch found a newer head than the session advertised;
			// push on a fresh session.
			ps.close()
			if ps, err = w.wc.openPush(ctx); err != nil {
				return out, err
			}
		}
		out.attempts = attempt
		pack, err := w.wc.push(ctx, ps, head, nb)
		if err == nil {
			if err := w.wc.keep(pack, nb.commit); err != nil {
				return out, fmt.Errorf("landed as %s but the working copy was not updated: %w", nb.commit, err)
			}
			w.index.add(nb.commit, pl.promotionIDs...)
			out.commit = nb.commit
			return out, nil
		}
		if !errors.Is(err, errStale) {
			return out, err
		}
		if err := w.backoff(ctx, attempt); err != nil {
			return out, err
		}
	}
	return out, fmt.Errorf("%d attempts: %w", w.cfg.MaxAttempts, ErrContention)
}

// Head fetches and returns the branch head (empty when the branch does not
// exist yet).
func (w *Writer) Head(ctx context.Context) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	h, err := w.sync(ctx)
	if err != nil || h.IsZero() {
		return "", err
	}
	return h.String(), nil
}

// FindLanded fetches the branch and reports the commit that carries
// promotionID, if one does (the same trailer index Promote consults).
func (w *Writer) FindLanded(ctx context.Context, promotionID string) (string, bool, error) {
	landed, err := w.FindLandedAll(ctx, []string{promotionID})
	c, ok := landed[promotionID]
	return c, ok, err
}

// FindLandedAll fetches the branch once and answers, for each of ids that
// a commit on it carries, that commit (an ID not on the branch is absent
// from the map).
func (w *Writer) FindLandedAll(ctx context.Context, ids []string) (map[string]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.sync(ctx); err != nil {
		return nil, err
	}
	landed := map[string]string{}
	for _, id := range ids {
		if c, ok := w.index.lookup(id); ok {
			landed[id] = c.String()
		}
	}
	return landed, nil
}

// sync fetches the branch and indexes the trailers of new commits.
func (w *Writer) sync(ctx context.Context) (plumbing.Hash, error) {
	head, err := w.wc.fetch(ctx)
	if err != nil {
		return head, err
	}
	if err := w.index.update(w.wc.repo.Storer, head); err != nil {
		return head, err
	}
	return head, nil
}

// built is a commit built in memory, not yet pushed.
type built struct {
	commit plumbing.Hash
	objs   []plumbing.Hash            // every object new in the commit
	store  storer.EncodedObjectStorer // where they are
}

// build writes the changed files, the trees above them and a commit on
// head, in memory (objectBuilder).
func (w *Writer) build(head plumbing.Hash, tree *object.Tree, changes map[string][]byte, message string) (built, error) {
	b := &objectBuilder{base: w.wc.repo.Storer, s: memory.NewStorage()}
	base := plumbing.ZeroHash
	if tree != nil {
		base = tree.Hash
	}
	th, err := b.tree(base, changes)
	if err != nil {
		return built{}, fmt.Errorf("build tree: %w", err)
	}
	now := w.cfg.Now().Truncate(time.Second)
	c, err := b.commit(th, head, w.cfg.Author.signature(now), w.cfg.Committer.signature(now), message)
	if err != nil {
		return built{}, fmt.Errorf("build commit: %w", err)
	}
	return built{commit: c, objs: b.written, store: b.s}, nil
}

// backoff sleeps before attempt+1: exponential from cfg.Backoff, capped at
// 2s, with equal jitter (half fixed, half random) so racing writers spread
// out.
func (w *Writer) backoff(ctx context.Context, attempt int) error {
	d := w.cfg.Backoff << min(attempt-1, 10)
	if d > 2*time.Second {
		d = 2 * time.Second
	}
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
