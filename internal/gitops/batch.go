package gitops

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// Batch bounds (Config.BatchMax, Config.BatchMaxBytes).
const (
	DefaultBatchMax      = 500
	DefaultBatchMaxBytes = 4 << 20
)

// errRebuild is a batch check's answer when it dropped a promotion: build
// the commit again on the same head without it.
var errRebuild = errors.New("rebuild the batch without the promotions its check dropped")

// BatchResult is what became of one promotion of a batch: its Result, or
// the error that stopped it (the same errors Promote returns).
type BatchResult struct {
	Result
	Err error
}

// PromoteBatch writes ps as few commits as the bounds allow (BatchMax
// promotions, BatchMaxBytes of changed content), each promotion exactly
// once, and answers one BatchResult per promotion, in the order of ps. A
// commit of one promotion has the format-1 message (CommitMessage), a
// commit of several the format-2 one (BatchMessage), every promotion with
// its own trailer set. Each attempt of each commit:
//
//  1. connects for the push and fetches when the server's head moved
//     (indexing the trailers of new commits);
//  2. answers AlreadyLanded, and drops from the commit, every promotion
//     whose ID is on the branch;
//  3. answers ErrHalted, and drops, every promotion (not a rollback) that
//     an active halt in .ringleader/halts.yaml on the head covers;
//  4. applies each remaining promotion's edits on the head's tree (plus
//     the promotions before it); one whose edit fails answers its
//     *TargetError and is dropped, the others go on;
//  5. builds the commit, then calls check (the leadership check, once per
//     push: its error stops the whole commit, ErrCheckFailed) and every
//     promotion's Check: one that refuses answers ErrCheckFailed and the
//     commit is built again without it;
//  6. pushes as a compare-and-swap on the head; when the branch moved,
//     backs off with jitter and starts the next attempt (the fence and
//     the index are read again on the new head).
//
// A push the server refuses (ErrRejected) answers that error for the
// promotions of that commit and the next commit is tried; any other error
// (a transient one, the context) answers it for every promotion not
// written yet.
func (w *Writer) PromoteBatch(ctx context.Context, ps []rings.Promotion, check func(context.Context) error) []BatchResult {
	b := &batch{ctx: ctx, w: w, res: make([]BatchResult, len(ps)), check: check, edited: editMemo{}}
	top := w.topology()
	for i, p := range ps {
		es, err := promotionEdits(top, p, w.cfg.EditApplicationSet)
		if err != nil {
			b.res[i].Err = err
			continue
		}
		b.pending = append(b.pending, &staged{i: i, p: p, edits: es})
	}
	for {
		b.pending = undecided(b.pending)
		if len(b.pending) == 0 {
			return b.res
		}
		b.included = nil
		out, err := w.write(ctx, b.prepare, b.checkAll)
		for _, s := range b.included {
			if err != nil {
				b.decide(s, Result{Attempts: out.attempts}, err)
				continue
			}
			b.decide(s, Result{PromotionResult: rings.PromotionResult{Commit: out.commit.String()}, Attempts: out.attempts, Batch: len(b.included)}, nil)
		}
		if err != nil && (len(b.included) == 0 || !IsPermanent(err)) {
			for _, s := range undecided(b.pending) {
				b.decide(s, Result{Attempts: out.attempts}, err)
			}
		}
	}
}

// promotionEdits validates p and lists its edits under top.
func promotionEdits(top *ringtopology.Topology, p rings.Promotion, editAppSet func([]byte, string, string, string, string) ([]byte, error)) ([]edit, error) {
	if err := validatePromotion(p); err != nil {
		return nil, err
	}
	if top == nil {
		return nil, fmt.Errorf("promotion %s: no topology loaded: %w", p.PromotionID, ErrInvalid)
	}
	app, ok := top.AppByName(p.App)
	if !ok {
		return nil, fmt.Errorf("promotion %s: app %s is not in the topology: %w", p.PromotionID, p.App, ErrTarget)
	}
	es, err := edits(top, app, p, editAppSet)
	if err != nil {
		return nil, fmt.Errorf("promotion %s: %w", p.PromotionID, err)
	}
	return es, nil
}

// staged is one promotion of a batch not answered yet.
type staged struct {
	i     int // index in the caller's slice
	p     rings.Promotion
	edits []edit
	done  bool
}

// batch is the state of one PromoteBatch call across its commits and
// their attempts.
type batch struct {
	ctx      context.Context // PromoteBatch's: prepare asks each promotion's Check
	w        *Writer
	res      []BatchResult
	check    func(context.Context) error
	pending  []*staged
	included []*staged // in the commit the last prepare built
	edited   editMemo  // every edit made, by content: rebuilds and repeated files cost nothing
}

// decide answers s for good.
func (b *batch) decide(s *staged, r Result, err error) {
	if err != nil {
		err = fmt.Errorf("promotion %s: %w", s.p.PromotionID, err)
	}
	b.res[s.i] = BatchResult{Result: r, Err: err}
	s.done = true
}

func undecided(ss []*staged) []*staged {
	out := ss[:0]
	for _, s := range ss {
		if !s.done {
			out = append(out, s)
		}
	}
	return out
}

// prepare decides, on head, which pending promotions go into the next
// commit (steps 2–4 of PromoteBatch) and renders the commit.
func (b *batch) prepare(head plumbing.Hash, tree *object.Tree) (plan, error) {
	fence, _, err := ReadFile(tree, HaltsFile)
	if err != nil {
		return plan{}, err
	}
	halts, fenceErr := ParseHalts(fence)
	files := newTreeFiles(tree)
	changes := map[string][]byte{}
	size := 0
	b.included = nil
	for _, s := range b.pending {
		if s.done {
			continue
		}
		if len(b.included) >= b.w.cfg.BatchMax {
			break
		}
		if c, ok := b.w.index.lookup(s.p.PromotionID); ok {
			b.decide(s, Result{PromotionResult: rings.PromotionResult{Commit: c.String(), AlreadyLanded: true}}, nil)
			continue
		}
		if fence != nil && !s.p.Rollback {
			if fenceErr != nil {
				b.decide(s, Result{}, fmt.Errorf("%w: the fence is unreadable, fix %s: %w", ErrHalted, HaltsFile, fenceErr))
				continue
			}
			if h := covering(halts, s.p); h != nil {
				b.decide(s, Result{}, fmt.Errorf("at %s: %s: %w", short(head), describeHalt(h), ErrHalted))
				continue
			}
		}
		// A promotion's own check runs now as well as before the push
		// (checkAll): one a halt already covers is dropped before its
		// edits are made. Without it, a halt placed during a train made
		// every later commit of the batch be built and then refused, all
		// while holding the writer, and the halt's fence write waited
		// behind them. (A rollback is written alone and passes halts.)
		if s.p.Check != nil && !s.p.Rollback {
			if err := s.p.Check(b.ctx); err != nil {
				b.decide(s, Result{}, fmt.Errorf("%w: %w", ErrCheckFailed, err))
				continue
			}
		}
		read := func(path string) ([]byte, bool, error) {
			if c, ok := changes[path]; ok {
				return c, true, nil
			}
			return files.read(path)
		}
		mine, err := applyEdits(read, s.edits, b.edited)
		var te *TargetError
		switch {
		case errors.As(err, &te):
			b.decide(s, Result{}, err)
			continue
		case err != nil:
			return plan{}, err
		}
		grown := size
		for path, c := range mine {
			grown += len(c) - len(changes[path])
		}
		if len(b.included) > 0 && grown > b.w.cfg.BatchMaxBytes {
			break // the next commit takes it
		}
		for path, c := range mine {
			changes[path] = c
		}
		size = grown
		b.included = append(b.included, s)
	}
	if len(b.included) == 0 {
		return plan{skip: true}, nil
	}
	pl := plan{changes: changes}
	ps := make([]rings.Promotion, len(b.included))
	for i, s := range b.included {
		ps[i] = s.p
		pl.promotionIDs = append(pl.promotionIDs, s.p.PromotionID)
	}
	if len(ps) == 1 {
		pl.message = CommitMessage(ps[0])
	} else {
		pl.message = BatchMessage(ps)
	}
	return pl, nil
}

// checkAll is step 5 of PromoteBatch: the batch's check, then each
// included promotion's own; errRebuild when one of those refused.
func (b *batch) checkAll(ctx context.Context) error {
	if b.check != nil {
		if err := b.check(ctx); err != nil {
			return err
		}
	}
	dropped := false
	for _, s := range b.included {
		if s.p.Check == nil {
			continue
		}
		if err := s.p.Check(ctx); err != nil {
			b.decide(s, Result{}, fmt.Errorf("%w: %w", ErrCheckFailed, err))
			dropped = true
		}
	}
	if dropped {
		return errRebuild
	}
	return nil
}
