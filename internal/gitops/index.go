package gitops

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// trailerIndex maps Ringleader-Promotion trailers to the commits carrying
// them (every promotion of a batch commit maps to that commit). It is updated incrementally after every fetch: the walk starts at the
// new head and stops at commits already seen, so a steady-state update reads
// only the commits that arrived since the last one. The first walk is bounded
// by limit commits.
type trailerIndex struct {
	seen        map[plumbing.Hash]struct{}
	byPromotion map[string]plumbing.Hash
	limit       int
}

func newTrailerIndex(limit int) *trailerIndex {
	return &trailerIndex{seen: map[plumbing.Hash]struct{}{}, byPromotion: map[string]plumbing.Hash{}, limit: limit}
}

// update indexes every commit reachable from head that was not indexed yet
// (at most limit of them per call).
func (ix *trailerIndex) update(s storer.EncodedObjectStorer, head plumbing.Hash) error {
	if head.IsZero() {
		return nil
	}
	queue := []plumbing.Hash{head}
	walked := 0
	for len(queue) > 0 && walked < ix.limit {
		h := queue[0]
		queue = queue[1:]
		if _, ok := ix.seen[h]; ok {
			continue
		}
		c, err := object.GetCommit(s, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			// A shallow boundary: nothing older is available.
			continue
		}
		if err != nil {
			return fmt.Errorf("index promotion trailers at %s: %w", h, err)
		}
		ix.seen[h] = struct{}{}
		walked++
		for _, id := range promotionIDs(c.Message) {
			// A walk goes from newer to older commits: an older commit with
			// the same trailer (there should be none) is the original landing.
			ix.byPromotion[id] = h
		}
		queue = append(queue, c.ParentHashes...)
	}
	return nil
}

// add records a commit we pushed ourselves and the promotions it carries.
func (ix *trailerIndex) add(h plumbing.Hash, promotionIDs ...string) {
	ix.seen[h] = struct{}{}
	for _, id := range promotionIDs {
		if _, ok := ix.byPromotion[id]; !ok {
			ix.byPromotion[id] = h
		}
	}
}

func (ix *trailerIndex) lookup(promotionID string) (plumbing.Hash, bool) {
	h, ok := ix.byPromotion[promotionID]
	return h, ok
}
