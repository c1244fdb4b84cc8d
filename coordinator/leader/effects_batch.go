package leader

import (
	"context"

	"github.com/ringleader-dev/ringleader/rings"
)

// BatchPromoter writes the promotions that fell due in one pass together:
// the Git writer puts them in as few commits as its bounds allow (one
// trailer set per promotion, internal/gitops), each promotion exactly once.
// check (the leadership check) runs once right before every push and stops
// the whole write; each promotion's own Check runs there too and stops
// that promotion alone, as a halt in the fence, a bad edit or an
// ErrNeedsHuman does. The answer has one PromotionOutcome per promotion,
// in the order of ps, with the errors Promote would give.
type BatchPromoter interface {
	PromoteBatch(ctx context.Context, ps []rings.Promotion, check func(context.Context) error) []PromotionOutcome
}

// PromotionOutcome is what became of one promotion of a batch.
type PromotionOutcome struct {
	rings.PromotionResult
	Err error
}

// PromoteEach is PromoteBatch for a promoter that writes one promotion at
// a time (MemPromoter, test fakes): check once, then Promote each in turn.
// A refused check answers its error for every promotion.
func PromoteEach(ctx context.Context, p interface {
	Promote(context.Context, rings.Promotion) (rings.PromotionResult, error)
}, ps []rings.Promotion, check func(context.Context) error) []PromotionOutcome {
	out := make([]PromotionOutcome, len(ps))
	if check != nil {
		if err := check(ctx); err != nil {
			for i := range out {
				out[i].Err = err
			}
			return out
		}
	}
	for i, pr := range ps {
		out[i].PromotionResult, out[i].Err = p.Promote(ctx, pr)
	}
	return out
}
