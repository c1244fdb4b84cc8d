package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/ringleader-dev/ringleader/rings"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
)

// InstrumentPromoter wraps p so that every promotion and rollback it
// writes is recorded with Metrics.ObservePush: duration, outcome (landed,
// already-landed, fenced, failed). Retries are not visible through the
// Promoter interface; a writer that counts its attempts calls ObservePush
// itself instead. A nil m returns p unchanged.
func InstrumentPromoter(p leader.Promoter, m *Metrics) leader.Promoter {
	if m == nil || p == nil {
		return p
	}
	return &instrumentedPromoter{next: p, m: m}
}

type instrumentedPromoter struct {
	next leader.Promoter
	m    *Metrics
}

// Promote implements Promoter.
func (ip *instrumentedPromoter) Promote(ctx context.Context, p rings.Promotion) (rings.PromotionResult, error) {
	start := time.Now()
	res, err := ip.next.Promote(ctx, p)
	ip.m.ObservePush(time.Since(start), 0, PushOutcome(res, err))
	return res, err
}

// FindLanded passes the question on to the wrapped promoter.
func (ip *instrumentedPromoter) FindLanded(ctx context.Context, promotionIDs []string) (map[string]string, error) {
	return ip.next.FindLanded(ctx, promotionIDs)
}

// ReadBaselines passes the reads on to the wrapped promoter.
func (ip *instrumentedPromoter) ReadBaselines(ctx context.Context, qs []rings.BaselineQuery) []rings.BaselineAnswer {
	return ip.next.ReadBaselines(ctx, qs)
}

// PushOutcome classifies a Promoter's answer for ObservePush.
func PushOutcome(res rings.PromotionResult, err error) string {
	switch {
	case errors.Is(err, rings.ErrFenced):
		return PushFenced
	case errors.Is(err, rings.ErrNeedsHuman):
		return PushNeedsHuman
	case err != nil:
		return PushFailed
	case res.AlreadyLanded:
		return PushAlreadyLanded
	default:
		return PushLanded
	}
}
